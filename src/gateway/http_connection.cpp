#include "http_connection.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>

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

// One chunk of a chunked body (RFC 9112 section 7.1), and after it the last
// (empty) chunk when `last`.
std::string chunk_bytes(const std::string& data, bool last) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  if (!data.empty()) {
    std::string size;
    for (std::size_t n = data.size(); n > 0; n /= 16) size.insert(size.begin(), kHex[n % 16]);
    out.reserve(size.size() + data.size() + 4);
    out += size;
    out += "\r\n";
    out += data;
    out += "\r\n";
  }
  if (last) out += "0\r\n\r\n";
  return out;
}

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

// ---- the shared state -------------------------------------------------------------

ServerCore::ServerCore(ServerOptions server_options, Router request_router)
    : options(std::move(server_options)),
      router(std::move(request_router)),
      handlers(std::max<std::size_t>(options.handler_threads, 1)) {}

std::optional<std::string> ServerCore::admit(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(mutex_);
  if (stopping_) return "the gateway is stopping";
  if (live_.size() >= options.max_connections) {
    return "the gateway has " + std::to_string(live_.size()) +
           " connections open, its limit (--max-connections): retry later";
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
  {
    std::lock_guard lock(mutex_);
    live_.erase(connection);
    const auto it = per_client_.find(client);
    if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
  }
  released_.notify_all();
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

void ServerCore::wait_until_all_released(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  released_.wait_until(lock, deadline, [this] { return live_.empty(); });
}

// ---- one connection: reading, on its I/O thread ---------------------------------

Connection::Connection(ServerCore& core, tcp::socket socket)
    : core_(core), executor_(socket.get_executor()), stream_(std::move(socket)), keepalive_(executor_) {
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
  end_source();  // a stream whose end never ran (the I/O threads stopped first)
  if (admitted_) core_.release(this, remote_addr_);
}

void Connection::start() {
  asio::dispatch(executor_, [self = shared_from_this()] { self->read_head(); });
}

void Connection::refuse(const std::string& reason) {
  asio::dispatch(executor_, [self = shared_from_this(), reason] { self->answer_and_close(503, reason, false); });
}

void Connection::close() {
  asio::post(executor_, [self = shared_from_this()] { self->finish(); });
}

// A stream is ended, not cut: whatever its source still holds and the last
// chunk go out (after the write in progress; the write timeout bounds a
// client that does not read). Anything else closes at once.
void Connection::finish() {
  if (closed_) return;
  if (!source_) return shut();
  finishing_ = true;
  pull();
}

void Connection::abandon() {
  end_source();
}

void Connection::shut() {
  end_source();
  awaiting_.reset();  // a deferred answer that comes now is dropped
  if (closed_) return;
  closed_ = true;
  keepalive_.cancel();
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
  plan_ = core_.router.plan(std::string(head.method_string()), target.substr(0, target.find('?')));
  const auto length = parser_->content_length();
  if (length && *length > plan_.body_limit) {
    return answer_and_close(
        413,
        "the request body is larger than the gateway accepts here (" + std::to_string(plan_.body_limit) + " bytes)",
        true);
  }
  parser_->body_limit(plan_.body_limit);  // chunked: counted as the chunks come
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

// The body in reads bounded by body_timeout each, and by the route's cap in
// all. Then the handler: here on its I/O thread if its route never blocks, else
// on the pool, whose thread hands the answer back to the I/O thread.
void Connection::read_body() {
  if (closed_) return;
  if (parser_->is_done()) {
    stream_.expires_never();
    if (plan_.runs == Runs::on_loop) return respond(handle());
    const bool queued = core_.handlers.submit([self = shared_from_this()] {
      auto answer = std::make_shared<Answer>(self->handle());
      asio::post(self->executor_, [self, answer] { self->respond(std::move(*answer)); });
    });
    if (!queued) shut();  // stopping
    return;
  }
  stream_.expires_after(core_.options.body_timeout);
  bhttp::async_read_some(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void Connection::on_body(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) {
    return answer_and_close(
        413,
        "the request body is larger than the gateway accepts here (" + std::to_string(plan_.body_limit) + " bytes)",
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

// ---- one request: handled, then answered on the I/O thread -----------------------

Connection::Answer Connection::handle() {
  auto message = parser_->release();
  Answer answer;
  answer.version = message.version();
  answer.keep_alive = message.keep_alive();
  // A handler that defers answers through this, from any thread, onto the I/O thread.
  const std::uint64_t number = ++request_number_;
  answer.res.set_reply_sink(
      [weak = weak_from_this(), number, version = answer.version, keep_alive = answer.keep_alive](Response&& res) {
        auto self = weak.lock();
        if (!self) return;
        auto later = std::make_shared<Answer>(Answer{std::move(res), version, keep_alive});
        asio::post(self->executor_, [self, number, later] { self->respond_later(number, std::move(*later)); });
      });
  try {
    Request req = to_request(std::move(message));
    req.remote_addr = remote_addr_;
    req.remote_port = remote_port_;
    req.local_addr = local_addr_;
    req.local_port = local_port_;
    req.connection = memo_;
    core_.router.dispatch(req, answer.res);
  } catch (const std::exception&) {
    core_.router.error(400, "the gateway could not read this request's query", answer.res);
    answer.keep_alive = false;
  }
  return answer;
}

void Connection::respond(Answer answer) {
  if (closed_) {
    if (answer.res.stream) answer.res.stream->closed();
    return;
  }
  if (answer.res.deferred()) {
    if (early_) {
      auto early = std::move(early_);
      return respond(std::move(*early));
    }
    // Its Reply writes it: no read or timer is pending meanwhile, so the
    // connection keeps itself until then.
    awaiting_ = shared_from_this();
    return;
  }
  if (answer.res.stream) return start_stream(std::move(answer.res), answer.version);
  const bool keep_alive = answer.keep_alive && !beast::iequals(answer.res.get_header_value("Connection"), "close");
  auto out = std::make_shared<bhttp::response<bhttp::string_body>>(
      plain_message(answer.res, answer.version, keep_alive, core_.options.default_headers));
  stream_.expires_after(core_.options.write_timeout);
  bhttp::async_write(stream_, *out, [self = shared_from_this(), out, keep_alive](beast::error_code ec, std::size_t) {
    if (ec || !keep_alive) return self->shut();
    self->read_head();
  });
}

// A deferred answer, on the I/O thread.
void Connection::respond_later(std::uint64_t request, Answer answer) {
  if (closed_ || request != request_number_.load()) {  // closed meanwhile, or a Reply of an answered request
    if (answer.res.stream) answer.res.stream->closed();
    return;
  }
  if (!awaiting_) {  // before its handler returned: respond() takes it
    early_ = std::make_unique<Answer>(std::move(answer));
    return;
  }
  auto keep = std::move(awaiting_);
  respond(std::move(answer));
}

// ---- a streamed response, on the I/O thread ---------------------------------------

// The head (chunked; the connection closes after the stream: streams are
// long and few per client), then whatever the source has, as it comes. The
// stream holds no thread: between writes it is a pending read (to see the
// client leave), a timer (for keep-alives) and the source's wake.
void Connection::start_stream(Response res, unsigned version) {
  source_ = std::move(res.stream);
  auto head = std::make_shared<bhttp::response<bhttp::empty_body>>();
  head->version(version);
  head->result(static_cast<unsigned>(res.status));
  put_fields(*head, res, core_.options.default_headers);
  head->keep_alive(false);
  head->chunked(true);
  auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head);
  writing_ = true;
  stream_.expires_after(core_.options.write_timeout);
  bhttp::async_write_header(stream_, *serializer,
                            [self = shared_from_this(), head, serializer](beast::error_code ec, std::size_t) {
                              self->writing_ = false;
                              if (ec || !self->source_) return self->shut();
                              self->watch_peer();
                              self->source_->open(self->waker());
                              self->arm_keepalive();
                              self->pull();
                            });
}

// What the source calls when it has something: from any thread, even after
// the connection is gone (then nothing happens).
StreamSource::Wake Connection::waker() {
  return [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->wake();
  };
}

void Connection::wake() {
  if (wake_posted_.exchange(true)) return;  // a pull is queued already: it takes everything there is
  asio::post(executor_, [self = shared_from_this()] {
    self->wake_posted_ = false;
    self->pull();
  });
}

// Writes what the source has, one write at a time; a write's end pulls again.
void Connection::pull() {
  if (!source_ || writing_ || closed_) return;
  StreamSource::Chunk chunk;
  try {
    chunk = source_->take();
  } catch (const std::exception&) {
    chunk.end = true;  // an allocation failed: end this stream, not the server
  }
  if (chunk.end || finishing_) {
    end_source();
    return write_chunk(std::move(chunk.data), true);
  }
  if (!chunk.data.empty()) write_chunk(std::move(chunk.data), false);
}

void Connection::write_chunk(std::string data, bool last) {
  auto bytes = std::make_shared<std::string>(chunk_bytes(data, last));
  writing_ = true;
  stream_.expires_after(core_.options.write_timeout);  // a client that stops reading is dropped
  asio::async_write(stream_, asio::buffer(*bytes),
                    [self = shared_from_this(), bytes, last](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec || last) return self->shut();  // gone, too slow, or the end
                      self->arm_keepalive();
                      self->pull();
                    });
}

// A read pending for the stream's life: it ends when the client closes or
// resets the connection (the client is gone: the stream ends). Bytes it
// sends meanwhile are dropped (the connection closes after the stream).
// Without a deadline (each write has its own).
void Connection::watch_peer() {
  stream_.expires_never();
  stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->shut();
    if (!self->closed_) self->watch_peer();
  });
}

// An idle stream gets the source's keep-alive after the interval; every write restarts it.
void Connection::arm_keepalive() {
  if (core_.options.stream_keepalive.count() <= 0) return;
  keepalive_.expires_after(core_.options.stream_keepalive);
  keepalive_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || !self->source_ || self->closed_) return;
    if (std::chrono::steady_clock::now() < self->keepalive_.expiry()) return;  // restarted since
    if (self->writing_) return self->arm_keepalive();
    std::string comment = self->source_->keepalive();
    if (comment.empty()) return self->arm_keepalive();
    self->write_chunk(std::move(comment), false);
  });
}

// The source hears once that its stream is over.
void Connection::end_source() {
  if (auto source = std::move(source_)) {
    source_.reset();
    try {
      source->closed();
    } catch (const std::exception&) {
    }
  }
}

}  // namespace mcpauth::gateway::http
