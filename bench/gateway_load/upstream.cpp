#include "upstream.hpp"

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace gateway_load {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

// One accepted connection: requests, one after the other, until one of them
// (GET /mcp) turns it into an event stream that the server writes chunk by chunk.
class Peer : public std::enable_shared_from_this<Peer> {
 public:
  Peer(tcp::socket socket, Upstream& upstream) : stream_(std::move(socket)), upstream_(upstream) {}
  void start() { read(); }

  // One SSE event as one chunk of the stream's chunked body.
  void push(const std::string& event) {
    char size[32];
    const int n = std::snprintf(size, sizeof size, "%zx\r\n", event.size());
    queue(std::string(size, static_cast<std::size_t>(n)) + event + "\r\n");
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(1024 * 1024);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->answer(self->parser_->release());
    });
  }

  void answer(const http::request<http::string_body>& request) {
    const auto answer = upstream_.handle(std::string(request.method_string()), std::string(request.target()),
                                         std::string(request["Mcp-Session-Id"]), request.body(), shared_from_this());
    if (answer.stream) {
      session_ = std::string(request["Mcp-Session-Id"]);
      queue(
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
          "Transfer-Encoding: chunked\r\n\r\n");
      watch();
      return;
    }
    auto response = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(answer.status),
                                                                        request.version());
    if (!answer.content_type.empty()) response->set(http::field::content_type, answer.content_type);
    if (!answer.session.empty()) response->set("Mcp-Session-Id", answer.session);
    response->body() = answer.body;
    response->keep_alive(request.keep_alive());
    response->prepare_payload();
    http::async_write(stream_, *response, [self = shared_from_this(), response](beast::error_code ec, std::size_t) {
      if (ec || !response->keep_alive()) return self->close();
      self->read();
    });
  }

  // A stream's client sends nothing more: a read ends only when it goes away.
  void watch() {
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) return self->watch();
      self->upstream_.stream_closed(self->session_, self.get());
      self->close();
    });
  }

  void queue(std::string bytes) {
    outbox_.push_back(std::move(bytes));
    if (outbox_.size() == 1) flush();
  }

  void flush() {
    asio::async_write(stream_, asio::buffer(outbox_.front()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) {
                          self->outbox_.clear();
                          return;  // watch() sees the connection end
                        }
                        self->outbox_.pop_front();
                        if (!self->outbox_.empty()) self->flush();
                      });
  }

  beast::tcp_stream stream_;
  Upstream& upstream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::deque<std::string> outbox_;
  std::array<char, 512> scratch_{};
  std::string session_;
};

struct Upstream::State {
  explicit State(asio::io_context& context) : io(context), acceptor(context), retry(context) {}

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {  // out of files (EMFILE): try again shortly rather than spin
        retry.expires_after(std::chrono::milliseconds(50));
        retry.async_wait([this](beast::error_code wait_ec) {
          if (!wait_ec) accept();
        });
        return;
      }
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Peer>(std::move(socket), *owner)->start();
      accept();
    });
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  asio::steady_timer retry;
  Upstream* owner = nullptr;
  std::unordered_map<std::string, std::shared_ptr<Peer>> sessions;  // id -> its stream (or null)
  std::uint64_t next_session = 0;
  std::uint64_t requests = 0;
  std::size_t streams = 0;
};

Upstream::Upstream(asio::io_context& io) : state_(std::make_unique<State>(io)) {
  state_->owner = this;
}
Upstream::~Upstream() = default;

std::uint16_t Upstream::listen(const std::string& host) {
  const tcp::endpoint endpoint(asio::ip::make_address(host), 0);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen(4096);  // the gateway may open thousands of streams at once
  state_->accept();
  return state_->acceptor.local_endpoint().port();
}

namespace {

Upstream::Answer rpc_answer(const json& id, json result) {
  return {200, "application/json", json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}.dump(), "",
          false};
}

Upstream::Answer rpc_error(int status, const json& id, int code, const std::string& message) {
  return {status, "application/json",
          json{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}}.dump(), "", false};
}

std::string negotiate(const std::string& asked) {
  for (const std::string_view version : {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}) {
    if (asked == version) return asked;
  }
  return "2025-11-25";
}

json text_result(const std::string& text, bool error = false) {
  return {{"content", {{{"type", "text"}, {"text", text}}}}, {"isError", error}};
}

}  // namespace

Upstream::Answer Upstream::handle(const std::string& method, const std::string& target, const std::string& session,
                                  const std::string& body, const std::shared_ptr<Peer>& peer) {
  auto& s = *state_;
  if (target == "/stats" && method == "GET") {
    return {200, "application/json",
            json{{"sessions", s.sessions.size()}, {"streams", s.streams}, {"requests", s.requests}}.dump(), "", false};
  }
  if (target != "/mcp") return {404, "text/plain", "not found", "", false};
  const auto known = s.sessions.find(session);
  if (method == "GET") {
    if (known == s.sessions.end()) return {404, "text/plain", "unknown session", "", false};
    if (known->second) return {409, "text/plain", "this session has a stream already", "", false};
    known->second = peer;
    ++s.streams;
    return {200, "", "", "", true};
  }
  if (method == "DELETE") {
    if (known == s.sessions.end()) return {404, "text/plain", "unknown session", "", false};
    if (known->second) {
      known->second->close();
      --s.streams;
    }
    s.sessions.erase(known);
    return {200, "", "", "", false};
  }
  if (method != "POST") return {405, "text/plain", "method not allowed", "", false};

  const auto message = json::parse(body, nullptr, false);
  if (!message.is_object()) return rpc_error(400, nullptr, -32700, "parse error");
  if (!message.contains("id") || !message.contains("method")) return {202, "", "", "", false};
  ++s.requests;
  const auto& id = message["id"];
  const std::string name = message.value("method", "");
  const auto params = message.value("params", json::object());
  if (name == "initialize") {
    const auto id_text = "s" + std::to_string(++s.next_session);
    s.sessions.emplace(id_text, nullptr);
    auto answer = rpc_answer(id, {{"protocolVersion", negotiate(params.value("protocolVersion", ""))},
                                  {"capabilities", {{"tools", json::object()}, {"logging", json::object()}}},
                                  {"serverInfo", {{"name", "gateway-load-upstream"}, {"version", "1"}}}});
    answer.session = id_text;
    return answer;
  }
  if (session.empty()) return rpc_error(400, id, -32600, "Mcp-Session-Id required");
  if (known == s.sessions.end()) return rpc_error(404, id, -32001, "session not found");
  if (name == "ping") return rpc_answer(id, json::object());
  if (name == "tools/list") {
    const json schema = {{"type", "object"}};
    return rpc_answer(id, {{"tools",
                            {{{"name", "echo"}, {"description", "answers its text"}, {"inputSchema", schema}},
                             {{"name", "notify"},
                              {"description", "sends a notification on the session's event stream first"},
                              {"inputSchema", schema}}}}});
  }
  if (name != "tools/call") return rpc_error(200, id, -32601, "method not found");
  const std::string tool = params.value("name", "");
  if (tool == "echo") {
    return rpc_answer(id, text_result(params.value("arguments", json::object()).value("text", "")));
  }
  if (tool == "notify") {
    if (!known->second) return rpc_answer(id, text_result("no event stream", true));
    const json note = {{"jsonrpc", "2.0"},
                       {"method", "notifications/message"},
                       {"params", {{"level", "info"}, {"logger", "bench"}, {"data", std::string(kNotifyMarker)}}}};
    known->second->push("event: message\ndata: " + note.dump() + "\n\n");
    return rpc_answer(id, text_result("notified"));
  }
  return rpc_error(200, id, -32602, "unknown tool");
}

void Upstream::stream_closed(const std::string& session, const Peer* peer) {
  const auto known = state_->sessions.find(session);
  if (known == state_->sessions.end() || known->second.get() != peer) return;
  known->second.reset();
  --state_->streams;
}

}  // namespace gateway_load
