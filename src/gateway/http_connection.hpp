// The parts of http::Server that use Boost.Beast and Asio, internal to
// http_server.cpp and http_connection.cpp: the state every connection shares
// (options, routes, the handler pool, the connection counts) and one
// connection's life (read a head, then its body, run the handler on the loop
// or the pool, write the answer or run its stream, read the next head).
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
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
  app::WorkerPool handlers;  // the handlers that may block, one request at a time each (and offloaded work)

  // Counts the connection in, or says why it may not be served.
  std::optional<std::string> admit(const std::shared_ptr<Connection>& connection);
  void release(const Connection* connection, const std::string& client);
  // Refuses new connections from now on; the ones open now, to close.
  std::vector<std::shared_ptr<Connection>> begin_stop();
  // Waits until every connection is gone or `deadline` passed.
  void wait_until_all_released(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  std::map<const Connection*, std::weak_ptr<Connection>> live_;
  std::map<std::string, std::size_t> per_client_;
  bool stopping_ = false;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // The loop of the I/O thread the socket was given to (one thread: no strand needed).
  using Executor = asio::any_io_executor;

  // `socket` runs on its I/O thread's loop.
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
  // Closes from any thread; pending reads and writes end. A stream ends
  // with its last chunk first (after the write in progress, if any), so its
  // client sees an end, not a cut connection.
  void close();
  // After the I/O threads have stopped (no handler of theirs runs any more): ends a
  // stream whose close never ran.
  void abandon();

 private:
  // An answer, as its handler left it.
  struct Answer {
    Response res;
    unsigned version = 11;
    bool keep_alive = false;
  };

  // On the connection's I/O thread.
  void read_head();
  void on_head(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void respond(Answer answer);
  void respond_later(std::uint64_t request, Answer answer);
  void answer_and_close(int status, const std::string& reason, bool linger);
  void linger();
  void shut();
  void finish();

  // A streamed response, on the I/O thread: the source's bytes are written
  // whenever it wakes the connection; a read stays pending to see the
  // client leave; a timer writes keep-alives on an idle stream.
  void start_stream(Response res, unsigned version);
  StreamSource::Wake waker();
  void wake();
  void pull();
  void write_chunk(std::string data, bool last);
  void watch_peer();
  void arm_keepalive();
  void end_source();

  // On the handler pool, or on the I/O thread for routes that run on the loop.
  Answer handle();

  ServerCore& core_;
  const Executor executor_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Router::Plan plan_{0, Runs::on_pool};
  std::string remote_addr_;
  int remote_port_ = 0;
  std::string local_addr_;
  int local_port_ = 0;
  const std::shared_ptr<ConnectionMemo> memo_ = std::make_shared<ConnectionMemo>();
  bool admitted_ = false;
  bool closed_ = false;  // on the I/O thread
  std::size_t lingered_ = 0;
  // Where bytes to be dropped are read (lingering after an error answer, a
  // streaming client's stray bytes): small, as every connection has one and
  // a gateway holds thousands of streams (16 KiB each cost 100 MB at 6,500).
  std::array<char, 1024> scratch_{};

  // While a deferred answer is awaited: the connection keeps itself (its
  // Reply holds it weakly), until the answer comes or the connection closes.
  std::shared_ptr<Connection> awaiting_;
  // A deferred answer that came before its handler had returned (a handler
  // on the pool whose Reply was called at once).
  std::unique_ptr<Answer> early_;
  std::atomic<std::uint64_t> request_number_{0};  // of the request being handled; a stale Reply is ignored

  // The stream, on the I/O thread (source_ set while it runs).
  std::shared_ptr<StreamSource> source_;
  bool writing_ = false;
  bool finishing_ = false;  // closing: the next write is the stream's last
  asio::steady_timer keepalive_;
  std::atomic<bool> wake_posted_{false};  // any thread: one pull queued at a time
};

}  // namespace mcpauth::gateway::http
