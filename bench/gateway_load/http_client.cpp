#include "http_client.hpp"

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <utility>

namespace gateway_load {

namespace {
// Far above any answer under load: a request still unanswered then is an error.
constexpr auto kRequestTimeout = std::chrono::seconds(60);
constexpr std::uint64_t kAnswerLimit = 16 * 1024 * 1024;
}  // namespace

tcp::endpoint Url::endpoint() const {
  return {asio::ip::make_address(host), port};
}

Url parse_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("not an http:// URL: " + url);
  const auto rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("no port in " + url);
  Url parsed;
  parsed.host = authority.substr(0, colon);
  parsed.port = static_cast<std::uint16_t>(std::stoi(authority.substr(colon + 1)));
  parsed.path = slash == std::string::npos ? "/" : rest.substr(slash);
  return parsed;
}

std::string answer_text(const Reply& reply) {
  if (reply.content_type.find("text/event-stream") == std::string::npos) return reply.body;
  std::string answer;
  std::size_t pos = 0;
  while (pos < reply.body.size()) {
    auto end = reply.body.find('\n', pos);
    if (end == std::string::npos) end = reply.body.size();
    std::string_view line(reply.body.data() + pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("data:", 0) == 0) {
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      if (line.find("\"id\"") != std::string_view::npos) answer = std::string(line);
    }
    pos = end + 1;
  }
  return answer;
}

Connection::Connection(asio::io_context& io, Url url, std::string protocol)
    : stream_(io), url_(std::move(url)), protocol_(std::move(protocol)) {}

void Connection::post(std::string body, const std::string& session, Done done) {
  request_ = {};
  request_.method(http::verb::post);
  request_.target(url_.path);
  request_.set(http::field::content_type, "application/json");
  request_.set(http::field::accept, "application/json, text/event-stream");
  if (!session.empty()) {
    request_.set("Mcp-Session-Id", session);
    request_.set("MCP-Protocol-Version", protocol_);
  }
  request_.body() = std::move(body);
  send(std::move(done));
}

void Connection::get(const std::string& path, Done done) {
  request_ = {};
  request_.method(http::verb::get);
  request_.target(path);
  send(std::move(done));
}

void Connection::send(Done done) {
  request_.version(11);
  request_.set(http::field::host, url_.authority());
  request_.prepare_payload();
  done_ = std::move(done);
  retried_ = !open_;  // only a reused connection may have been closed under us
  if (open_) {
    write();
  } else {
    connect();
  }
}

void Connection::connect() {
  stream_.expires_after(kRequestTimeout);
  stream_.async_connect(url_.endpoint(), [self = shared_from_this()](beast::error_code ec) {
    if (ec) return self->retry_or_fail();
    beast::error_code ignored;
    self->stream_.socket().set_option(tcp::no_delay(true), ignored);
    self->open_ = true;
    self->write();
  });
}

void Connection::write() {
  stream_.expires_after(kRequestTimeout);
  http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->retry_or_fail();
    self->read();
  });
}

void Connection::read() {
  parser_.emplace();
  parser_->body_limit(kAnswerLimit);
  http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->retry_or_fail();
    auto& response = self->parser_->get();
    Reply reply;
    reply.ok = true;
    reply.status = static_cast<int>(response.result_int());
    reply.session = std::string(response["Mcp-Session-Id"]);
    reply.content_type = std::string(response[http::field::content_type]);
    reply.body = std::move(response.body());
    if (!response.keep_alive()) self->close();
    self->stream_.expires_never();
    auto done = std::move(self->done_);
    done(std::move(reply));
  });
}

void Connection::retry_or_fail() {
  close();
  if (!retried_) {
    retried_ = true;
    return connect();
  }
  auto done = std::move(done_);
  done(Reply{});
}

void Connection::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  open_ = false;
  buffer_.clear();
}

EventStream::EventStream(asio::io_context& io, Url url, std::string protocol, std::string session, std::string marker,
                         StreamCounts& counts)
    : stream_(io),
      url_(std::move(url)),
      protocol_(std::move(protocol)),
      session_(std::move(session)),
      marker_(std::move(marker)),
      counts_(counts) {
  // An event stream has no end to wait for: no cap on what it may carry over time.
  parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
}

void EventStream::start() {
  request_.method(http::verb::get);
  request_.target(url_.path);
  request_.version(11);
  request_.set(http::field::host, url_.authority());
  request_.set(http::field::accept, "text/event-stream");
  request_.set("Mcp-Session-Id", session_);
  request_.set("MCP-Protocol-Version", protocol_);
  stream_.expires_after(kRequestTimeout);
  stream_.async_connect(url_.endpoint(), [self = shared_from_this()](beast::error_code ec) {
    if (ec) return self->refused();
    http::async_write(self->stream_, self->request_, [self](beast::error_code write_ec, std::size_t) {
      if (write_ec) return self->refused();
      http::async_read_header(
          self->stream_, self->buffer_, self->parser_, [self](beast::error_code read_ec, std::size_t) {
            const auto& head = self->parser_.get();
            if (read_ec || head.result() != http::status::ok ||
                head[http::field::content_type].find("text/event-stream") == beast::string_view::npos) {
              return self->refused();
            }
            self->stream_.expires_never();
            self->open_ = true;
            ++self->counts_.open;
            self->scan();  // events that came with the head
            self->read_more();
          });
    });
  });
}

void EventStream::read_more() {
  http::async_read_some(stream_, buffer_, parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->scan();
    if (ec || self->parser_.is_done()) {
      if (!self->closing_) ++self->counts_.ended;
      self->open_ = false;
      beast::error_code ignored;
      self->stream_.socket().close(ignored);
      return;
    }
    self->read_more();
  });
}

void EventStream::scan() {
  auto& body = parser_.get().body();
  pending_ += body;
  body.clear();
  std::size_t end;
  while ((end = pending_.find("\n\n")) != std::string::npos) {
    if (!notified_ && std::string_view(pending_.data(), end).find(marker_) != std::string_view::npos) {
      notified_ = true;
      ++counts_.notified;
    }
    pending_.erase(0, end + 2);
  }
}

void EventStream::refused() {
  ++counts_.refused;
  beast::error_code ignored;
  stream_.socket().close(ignored);
}

void EventStream::close() {
  closing_ = true;
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

}  // namespace gateway_load
