// The load driver's HTTP/1.1 client on Boost.Beast (one io_context, one
// thread): keep-alive connections that carry one POST at a time, and event
// streams (GET) held open and scanned for notifications. Asynchronous, so
// thousands of streams cost the driver sockets, not threads, and its own
// overhead stays small and the same for a direct and a gateway run.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace gateway_load {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// http://IP:PORT/PATH (the driver only talks to numeric loopback addresses).
struct Url {
  std::string host;
  std::uint16_t port = 0;
  std::string path;
  tcp::endpoint endpoint() const;
  std::string authority() const { return host + ":" + std::to_string(port); }
};
Url parse_url(const std::string& url);

struct Reply {
  bool ok = false;  // an HTTP answer arrived (any status)
  int status = 0;
  std::string session;  // Mcp-Session-Id
  std::string content_type;
  std::string body;
};

// The JSON-RPC answer in a reply: the body itself, or for an event-stream
// body the data of its last event that carries an "id".
std::string answer_text(const Reply& reply);

// One keep-alive connection, one request in flight at a time. A request on a
// reused connection the server closed meanwhile is sent once more on a new one.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Done = std::function<void(Reply)>;
  Connection(asio::io_context& io, Url url, std::string protocol);
  void post(std::string body, const std::string& session, Done done);
  void get(const std::string& path, Done done);

 private:
  void send(Done done);
  void connect();
  void write();
  void read();
  void retry_or_fail();
  void close();

  beast::tcp_stream stream_;
  Url url_;
  std::string protocol_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Done done_;
  bool open_ = false;
  bool retried_ = false;
};

// What all event streams of a run have seen, counted as they change.
struct StreamCounts {
  int open = 0;      // answered 200 with an event stream
  int refused = 0;   // answered anything else, or could not connect
  int ended = 0;     // were open, then closed by the server
  int notified = 0;  // received at least one event carrying the marker
};

// A GET event stream of one session, held open until close() or the server
// ends it. Events (split on blank lines) holding `marker` count as notified.
class EventStream : public std::enable_shared_from_this<EventStream> {
 public:
  EventStream(asio::io_context& io, Url url, std::string protocol, std::string session, std::string marker,
              StreamCounts& counts);
  void start();
  void close();
  const std::string& session() const { return session_; }

 private:
  void read_more();
  void scan();
  void refused();

  beast::tcp_stream stream_;
  Url url_;
  std::string protocol_;
  std::string session_;
  std::string marker_;
  StreamCounts& counts_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
  http::response_parser<http::string_body> parser_;
  std::string pending_;
  bool open_ = false;
  bool notified_ = false;
  bool closing_ = false;
};

}  // namespace gateway_load
