#include "http_connection.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>
#include <future>

#include "mcpauth/core/oauth/encoding.hpp"

namespace mcpauth::gateway::http {

using tcp = asio::ip::tcp;

namespace {

constexpr auto kErrorWriteTimeout = std::chrono::seconds(5);
// After a refused body: what is still read (and dropped) before closing, so
// the client sees the answer rather than a reset.
constexpr std::size_t kMaxLingerBytes = 1u << 20;
constexpr auto kLingerTimeout = std::chrono::seconds(2);

template <typename Message>
void put_fields(Message& out, const Response& res, const Fields& defaults) {
  for (const auto& [name, value] : res.headers) out.insert(name, value);
  for (const auto& [name, value] : defaults) {
    if (!res.has_header(name)) out.insert(name, value);
  }
}

bhttp::response<bhttp::string_body> plain_message(Response& res, unsigned version, bool keep_alive,
                                                  const Fields& defaults) {
  bhttp::response<bhttp::string_body> out;
  out.version(version);
  out.result(static_cast<unsigned>(res.status));
  put_fields(out, res, defaults);
  out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

}  // namespace

// ---- the shared state -------------------------------------------------------------

ServerCore::ServerCore(ServerOptions server_options, Router request_router)
    : options(std::move(server_options)),
      router(std::move(request_router)),
      handlers(std::max<std::size_t>(options.max_connections, 4)) {}

std::optional<std::string> ServerCore::admit(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(mutex_);
  if (stopping_) return "the gateway is stopping";
  if (live_.size() >= options.max_connections) {
    return "the gateway has " + std::to_string(live_.size()) + " connections open, its limit: retry later";
  }
  const auto it = per_client_.find(connection->client());
  const std::size_t of_client = it == per_client_.end() ? 0 : it->second;
  if (of_client >= options.max_connections_per_client) {
    return "this client's address (" + connection->client() + ") has " + std::to_string(of_client) +
           " connections open to the gateway, the most one address may hold (--max-connections-per-client): close "
           "unused ones";
  }
  ++per_client_[connection->client()];
  live_[connection.get()] = connection;
  connection->mark_admitted();
  return std::nullopt;
}

void ServerCore::release(const Connection* connection, const std::string& client) {
  std::lock_guard lock(mutex_);
  live_.erase(connection);
  const auto it = per_client_.find(client);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

std::vector<std::shared_ptr<Connection>> ServerCore::begin_stop() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  std::vector<std::shared_ptr<Connection>> open;
  for (auto& [raw, weak] : live_) {
    if (auto connection = weak.lock()) open.push_back(std::move(connection));
  }
  return open;
}

// ---- one connection: reading, on its strand ------------------------------------

Connection::Connection(ServerCore& core, tcp::socket socket) : core_(core), stream_(std::move(socket)) {
  beast::error_code ec;
  stream_.socket().set_option(tcp::no_delay(true), ec);
  const auto remote = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    remote_addr_ = remote.address().to_string();
    remote_port_ = remote.port();
  }
  const auto local = stream_.socket().local_endpoint(ec);
  if (!ec) {
    local_addr_ = local.address().to_string();
    local_port_ = local.port();
  }
}

Connection::~Connection() {
  if (admitted_) core_.release(this, remote_addr_);
}

void Connection::start() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_head(); });
}

void Connection::refuse(const std::string& reason) {
  asio::dispatch(stream_.get_executor(),
                 [self = shared_from_this(), reason] { self->answer_and_close(503, reason, false); });
}

void Connection::close() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->shut(); });
}

void Connection::shut() {
  if (closed_) return;
  closed_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

// The whole head within head_timeout (from accept, or from the end of the
// previous response): a client trickling its head holds a socket, no thread,
// and not for long.
void Connection::read_head() {
  if (closed_) return;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(core_.options.header_limit));
  parser_->body_limit(core_.router.largest_body_limit());  // the route's, once the head says which
  stream_.expires_after(core_.options.head_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_head(ec); });
}

void Connection::on_head(beast::error_code ec) {
  if (ec) {
    if (ec == bhttp::error::header_limit) return answer_and_close(431, "the request head is too large", false);
    if (ec == bhttp::error::body_limit) {
      return answer_and_close(413, "the request body is larger than the gateway accepts", true);
    }
    const bool malformed = ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
    if (malformed) return answer_and_close(400, "the gateway could not read this request", false);
    // Gone, or silent past the deadline (no answer: it may not be reading).
    return shut();
  }

  const auto& head = parser_->get();
  const std::string target(head.target());
  body_limit_ = core_.router.body_limit(std::string(head.method_string()), target.substr(0, target.find('?')));
  const auto length = parser_->content_length();
  if (length && *length > body_limit_) {
    return answer_and_close(
        413, "the request body is larger than the gateway accepts here (" + std::to_string(body_limit_) + " bytes)",
        true);
  }
  parser_->body_limit(body_limit_);  // chunked: counted as the chunks come
  if (!parser_->is_done() && beast::iequals(head[bhttp::field::expect], "100-continue")) {
    auto go_on = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, head.version());
    stream_.expires_after(core_.options.write_timeout);
    bhttp::async_write(stream_, *go_on, [self = shared_from_this(), go_on](beast::error_code write_ec, std::size_t) {
      if (write_ec) return self->shut();
      self->read_body();
    });
    return;
  }
  read_body();
}

// The body in reads bounded by body_timeout each, and by the route's cap in all.
void Connection::read_body() {
  if (closed_) return;
  if (parser_->is_done()) {
    stream_.expires_never();
    if (!core_.handlers.submit([self = shared_from_this()] { self->serve(); })) shut();  // stopping
    return;
  }
  stream_.expires_after(core_.options.body_timeout);
  bhttp::async_read_some(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void Connection::on_body(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    return answer_and_close(
        413, "the request body is larger than the gateway accepts here (" + std::to_string(body_limit_) + " bytes)",
        true);
  }
  if (ec) return shut();
  read_body();
}

// An answer the server chose (no handler runs), then the connection ends.
void Connection::answer_and_close(int status, const std::string& reason, bool then_linger) {
  if (closed_) return;
  Response res;
  core_.router.error(status, reason, res);
  auto out = std::make_shared<bhttp::response<bhttp::string_body>>(
      plain_message(res, 11, false, core_.options.default_headers));
  stream_.expires_after(kErrorWriteTimeout);
  bhttp::async_write(stream_, *out, [self = shared_from_this(), out, then_linger](beast::error_code ec, std::size_t) {
    if (ec || !then_linger) return self->shut();
    beast::error_code ignored;
    self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    self->stream_.expires_after(kLingerTimeout);
    self->linger();
  });
}

void Connection::linger() {
  stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->lingered_ += n;
    if (ec || self->lingered_ > kMaxLingerBytes) return self->shut();
    self->linger();
  });
}

// ---- one request: handled and answered on a handler thread -----------------------

namespace {

Request to_request(bhttp::request<bhttp::string_body>&& message) {
  Request req;
  req.method = std::string(message.method_string());
  req.target = std::string(message.target());
  const auto query = req.target.find('?');
  req.path = req.target.substr(0, query);
  if (query != std::string::npos) req.params = core::oauth::parse_form(req.target.substr(query + 1));
  for (const auto& field : message) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  req.body = std::move(message.body());
  return req;
}

}  // namespace

class ChunkSink final : public DataSink {
 public:
  explicit ChunkSink(Connection& connection) : connection_(connection) {}
  bool write(const char* data, std::size_t size) override {
    if (failed_) return false;
    if (size == 0) return true;  // an empty chunk would end the body
    failed_ = static_cast<bool>(connection_.run_on_strand([&](auto done) {
      connection_.stream_.expires_after(connection_.core_.options.write_timeout);
      asio::async_write(connection_.stream_, bhttp::make_chunk(asio::const_buffer(data, size)),
                        [done](beast::error_code ec, std::size_t) { done(ec); });
    }));
    return !failed_;
  }
  bool failed() const { return failed_; }

 private:
  Connection& connection_;
  bool failed_ = false;
};

void Connection::serve() {
  auto message = parser_->release();
  const unsigned version = message.version();
  bool keep_alive = message.keep_alive();
  Response res;
  try {
    Request req = to_request(std::move(message));
    req.remote_addr = remote_addr_;
    req.remote_port = remote_port_;
    req.local_addr = local_addr_;
    req.local_port = local_port_;
    core_.router.dispatch(req, res);
  } catch (const std::exception&) {
    core_.router.error(400, "the gateway could not read this request's query", res);
    keep_alive = false;
  }
  keep_alive = keep_alive && !beast::iequals(res.get_header_value("Connection"), "close");
  const bool open = res.provider ? write_stream(res, version) : write_response(res, version, keep_alive);
  if (open && keep_alive) {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->read_head(); });
  } else {
    close();
  }
}

bool Connection::write_response(Response& res, unsigned version, bool keep_alive) {
  auto out = plain_message(res, version, keep_alive, core_.options.default_headers);
  return !run_on_strand([&](auto done) {
    stream_.expires_after(core_.options.write_timeout);
    bhttp::async_write(stream_, out, [done](beast::error_code ec, std::size_t) { done(ec); });
  });
}

// A chunked stream: the provider runs until it says stop or the client is
// gone; the connection then closes (streams are long and rare).
bool Connection::write_stream(Response& res, unsigned version) {
  bhttp::response<bhttp::empty_body> head;
  head.version(version);
  head.result(static_cast<unsigned>(res.status));
  put_fields(head, res, core_.options.default_headers);
  head.keep_alive(false);
  head.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> serializer(head);
  ChunkSink sink(*this);
  bool ok = !run_on_strand([&](auto done) {
    stream_.expires_after(core_.options.write_timeout);
    bhttp::async_write_header(stream_, serializer, [done](beast::error_code ec, std::size_t) { done(ec); });
  });
  try {
    while (ok && res.provider(sink)) {
    }
  } catch (const std::exception&) {
  }
  if (ok && !sink.failed()) {
    run_on_strand([&](auto done) {
      stream_.expires_after(core_.options.write_timeout);
      asio::async_write(stream_, bhttp::make_chunk_last(), [done](beast::error_code ec, std::size_t) { done(ec); });
    });
  }
  if (res.stream_done) res.stream_done();
  return false;
}

// Starts `operation` on the connection's strand and waits for its end: the
// handler's thread writes while the strand serialises it with close().
beast::error_code Connection::run_on_strand(
    const std::function<void(std::function<void(beast::error_code)>)>& operation) {
  auto done = std::make_shared<std::promise<beast::error_code>>();
  auto result = done->get_future();
  asio::post(stream_.get_executor(), [this, self = shared_from_this(), &operation, done] {
    if (closed_) {
      done->set_value(asio::error::operation_aborted);
      return;
    }
    operation([done](beast::error_code ec) { done->set_value(ec); });
  });
  try {
    return result.get();
  } catch (const std::future_error&) {  // the I/O threads ended first
    return asio::error::operation_aborted;
  }
}

}  // namespace mcpauth::gateway::http
