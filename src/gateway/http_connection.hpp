// The parts of http::Server that use Boost.Beast and Asio, internal to
// http_server.cpp and http_connection.cpp: the state every connection shares
// (options, routes, the handler pool, the connection counts) and one
// connection's life (read a head, then its body, run the handler on the
// pool, write the answer, read the next head).
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http_server.hpp"
#include "worker_pool.hpp"

namespace mcpauth::gateway::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

class Connection;

class ServerCore {
 public:
  ServerCore(ServerOptions server_options, Router request_router);

  const ServerOptions options;
  const Router router;
  app::WorkerPool handlers;  // the blocking handlers, one request at a time each

  // Counts the connection in, or says why it may not be served.
  std::optional<std::string> admit(const std::shared_ptr<Connection>& connection);
  void release(const Connection* connection, const std::string& client);
  // Refuses new connections from now on; the ones open now, to close.
  std::vector<std::shared_ptr<Connection>> begin_stop();

 private:
  std::mutex mutex_;
  std::map<const Connection*, std::weak_ptr<Connection>> live_;
  std::map<std::string, std::size_t> per_client_;
  bool stopping_ = false;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `socket` runs on its own strand.
  Connection(ServerCore& core, asio::ip::tcp::socket socket);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& client() const { return remote_addr_; }
  void mark_admitted() { admitted_ = true; }

  // Serves requests until the client leaves or the connection is closed.
  void start();
  // Answers 503 with `reason` and closes.
  void refuse(const std::string& reason);
  // Closes from any thread; pending reads and writes end.
  void close();

 private:
  // On the connection's strand.
  void read_head();
  void on_head(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void answer_and_close(int status, const std::string& reason, bool linger);
  void linger();
  void shut();

  // On a handler thread.
  void serve();
  bool write_response(Response& res, unsigned version, bool keep_alive);
  bool write_stream(Response& res, unsigned version);
  friend class ChunkSink;
  beast::error_code run_on_strand(const std::function<void(std::function<void(beast::error_code)>)>& operation);

  ServerCore& core_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::size_t body_limit_ = 0;
  std::string remote_addr_;
  int remote_port_ = 0;
  std::string local_addr_;
  int local_port_ = 0;
  bool admitted_ = false;
  bool closed_ = false;  // on the strand
  std::size_t lingered_ = 0;
  std::array<char, 16 * 1024> scratch_{};
};

}  // namespace mcpauth::gateway::http
