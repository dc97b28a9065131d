#include "mcpauth/mcp/streamable_http_transport.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "event_stream.hpp"
#include "mcpauth/mcp/protocol.hpp"
#include "modern_headers.hpp"
#include "response_reader.hpp"
#include "thread_async_client.hpp"
#include "tool_headers.hpp"

namespace mcpauth::mcp {
namespace {

using core::jsonrpc::Message;
using core::jsonrpc::Request;

constexpr const char* kAccept = "application/json, text/event-stream";
constexpr std::chrono::milliseconds kDefaultRetry{1000};

std::string method_of(const Message& message) {
  if (const auto* r = std::get_if<Request>(&message)) return r->method;
  if (const auto* n = std::get_if<core::jsonrpc::Notification>(&message)) return n->method;
  return "response";
}

const core::jsonrpc::Json* params_of(const Message& message) {
  if (const auto* r = std::get_if<Request>(&message)) return &r->params;
  if (const auto* n = std::get_if<core::jsonrpc::Notification>(&message)) return &n->params;
  return nullptr;
}

}  // namespace

// The transport's state: the session id and version it sends, the
// transfers close() must cancel, and the GET stream (on the given event
// loop, or on a thread of its own).
class StreamableHttpTransport::Impl {
 public:
  explicit Impl(TransportOptions options);

  void start(MessageHandler on_message, ErrorHandler on_error);
  void post(const core::jsonrpc::Message& message);
  bool can_send_async() const;
  void send_async(const core::jsonrpc::Message& message, Sent done);
  void on_initialized(const std::string& protocol_version);
  void listen(const core::jsonrpc::Request& request);
  bool cancel(const core::jsonrpc::Id& id);
  void close();
  std::string session_id() const;

 private:
  // Registers a cancel token so close() can abort transfers in flight.
  class InFlight;
  class AsyncPost;
  enum class Ending { done, resume };

  net::HttpRequest post_request(const core::jsonrpc::Message& message) const;
  Ending conclude(const core::jsonrpc::Message& message, const net::HttpRequest& request,
                  detail::ResponseReader& reader);
  void async_post_ended(const AsyncPost* post);

  net::HttpRequest make_request(std::string method) const;
  void resume(const core::jsonrpc::Id& awaited, std::string last_event_id,
              std::optional<std::chrono::milliseconds> retry, const std::string& method);
  void open_event_stream(std::function<net::HttpRequest()> make_request, bool resume);
  void mark_listener_answered();
  bool wait_unless_closed(std::chrono::milliseconds delay);

  TransportOptions options_;
  MessageHandler on_message_;
  ErrorHandler on_error_;

  mutable std::mutex mutex_;
  std::string session_id_;
  std::string protocol_version_;
  std::set<net::CancelToken*> in_flight_;
  std::multimap<std::string, net::CancelToken*>
      in_flight_requests_;  // the blocking POSTs of requests, by serialized id
  // The asynchronous POSTs under way (their operation once started); close() cancels them and waits for their end.
  std::map<const AsyncPost*, std::shared_ptr<net::AsyncOperation>> async_posts_;
  std::atomic<bool> closed_{false};
  std::condition_variable closed_cv_;

  // The x-mcp-header marks of the tools this transport listed (modern era).
  mutable detail::ToolHeaderBook tool_headers_;

  bool listener_answered_ = false;  // the GET stream got its first answer (or gave up)
  std::shared_ptr<detail::EventStream> stream_;
  // The stream's own thread when no event loop was given (joined by close()).
  std::shared_ptr<detail::ThreadAsyncClient> own_thread_;
};

class StreamableHttpTransport::Impl::InFlight {
 public:
  // `request_key`: the serialized id of the request it carries (cancel()), or empty.
  explicit InFlight(Impl& t, std::string request_key = {}) : t_(t), request_key_(std::move(request_key)) {
    std::lock_guard lock(t_.mutex_);
    if (t_.closed_)
      throw Error(ErrorCode::cancelled, "the connection to " + t_.options_.url + " is closed", t_.options_.url);
    t_.in_flight_.insert(&token);
    if (!request_key_.empty()) t_.in_flight_requests_.emplace(request_key_, &token);
  }
  ~InFlight() {
    std::lock_guard lock(t_.mutex_);
    t_.in_flight_.erase(&token);
    auto [first, last] = t_.in_flight_requests_.equal_range(request_key_);
    for (auto it = first; it != last; ++it) {
      if (it->second == &token) {
        t_.in_flight_requests_.erase(it);
        break;
      }
    }
  }
  net::CancelToken token;

 private:
  Impl& t_;
  std::string request_key_;
};

StreamableHttpTransport::StreamableHttpTransport(TransportOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

StreamableHttpTransport::~StreamableHttpTransport() {
  close();
}

void StreamableHttpTransport::start(MessageHandler on_message, ErrorHandler on_error) {
  impl_->start(std::move(on_message), std::move(on_error));
}

void StreamableHttpTransport::send(const Message& message) {
  impl_->post(message);
}

void StreamableHttpTransport::on_initialized(const std::string& protocol_version) {
  impl_->on_initialized(protocol_version);
}

void StreamableHttpTransport::close() {
  impl_->close();
}

std::string StreamableHttpTransport::session_id() const {
  return impl_->session_id();
}

void StreamableHttpTransport::listen(const Request& request) {
  impl_->listen(request);
}

bool StreamableHttpTransport::cancel(const core::jsonrpc::Id& id) {
  return impl_->cancel(id);
}

bool StreamableHttpTransport::can_send_async() const {
  return impl_->can_send_async();
}

void StreamableHttpTransport::send_async(const Message& message, Sent done) {
  impl_->send_async(message, std::move(done));
}

StreamableHttpTransport::Impl::Impl(TransportOptions options) : options_(std::move(options)) {
  if (!options_.http) throw Error(ErrorCode::usage, "StreamableHttpTransport needs an HttpClient");
}

void StreamableHttpTransport::Impl::start(MessageHandler on_message, ErrorHandler on_error) {
  // Every message passes the book first, whichever path carried it (POST, resumed stream, GET stream):
  // a modern tools/list answer loses its tools with invalid x-mcp-header marks.
  on_message_ = [this, deliver = std::move(on_message)](Message&& m) {
    tool_headers_.read(m);
    deliver(std::move(m));
  };
  on_error_ = std::move(on_error);
}

std::string StreamableHttpTransport::Impl::session_id() const {
  std::lock_guard lock(mutex_);
  return session_id_;
}

net::HttpRequest StreamableHttpTransport::Impl::make_request(std::string method) const {
  net::HttpRequest request;
  request.method = std::move(method);
  request.url = options_.url;
  request.connect_timeout = options_.connect_timeout;
  request.total_timeout = options_.request_timeout;
  std::lock_guard lock(mutex_);
  if (!session_id_.empty()) request.headers.add("Mcp-Session-Id", session_id_);
  if (!protocol_version_.empty()) request.headers.add("MCP-Protocol-Version", protocol_version_);
  return request;
}

net::HttpRequest StreamableHttpTransport::Impl::post_request(const Message& message) const {
  net::HttpRequest request = make_request("POST");
  request.headers.set("Content-Type", "application/json");
  request.headers.set("Accept", kAccept);
  // Modern-era requests mirror their _meta version and routing fields into headers.
  if (const auto* params = params_of(message)) {
    const std::string method = method_of(message);
    const auto mirrored = detail::mirrored_headers(method, *params);
    for (const auto& [name, value] : mirrored) request.headers.set(name, value);
    // ... and a tools/call its x-mcp-header arguments (Mcp-Param-*), as its tool's listing declared them.
    const auto* request_message = std::get_if<Request>(&message);
    if (!mirrored.empty() && request_message && method == "tools/list") tool_headers_.expect_list(request_message->id);
    if (!mirrored.empty() && method == "tools/call") {
      for (const auto& [name, value] : tool_headers_.headers_for_call(*params)) request.headers.set(name, value);
    }
  }
  request.body = core::jsonrpc::serialize(message);
  return request;
}

void StreamableHttpTransport::Impl::post(const Message& message) {
  const auto* request_message = std::get_if<Request>(&message);
  net::HttpRequest request = post_request(message);
  detail::ResponseReader reader(options_.url, options_.max_message_bytes,
                                [this](Message&& m) { on_message_(std::move(m)); });
  if (request_message) reader.stop_after_response(request_message->id);
  {
    InFlight guard(*this, request_message ? request_message->id.dump() : std::string());
    options_.http->stream(request, reader, &guard.token);
    // Cancelled (cancel(id), or close()): whatever came is all there is; never resumed.
    if (guard.token.cancelled()) {
      throw Error(ErrorCode::cancelled, "the request " + method_of(message) + " to " + options_.url + " was cancelled",
                  options_.url);
    }
  }
  if (conclude(message, request, reader) == Ending::resume) {
    resume(request_message->id, reader.last_event_id(), reader.retry(), method_of(message));
  }
}

// One POST on the event loop: the reader parses the answer as it comes;
// at the end conclude() decides, as for a blocking POST. The rare stream
// to resume (a POST stream cut before its answer) is resumed by the
// blocking resume() on the loop's blocking pool.
class StreamableHttpTransport::Impl::AsyncPost final : public net::AsyncStreamHandler,
                                                       public std::enable_shared_from_this<AsyncPost> {
 public:
  AsyncPost(Impl& transport, Message message, net::HttpRequest request, Sent done)
      : t_(transport),
        message_(std::move(message)),
        request_(std::move(request)),
        reader_(t_.options_.url, t_.options_.max_message_bytes, [this](Message&& m) { t_.on_message_(std::move(m)); }),
        done_(std::move(done)) {
    if (const auto* r = std::get_if<Request>(&message_)) reader_.stop_after_response(r->id);
  }

  bool on_response_start(int status, const net::HttpHeaders& headers) override {
    return reader_.on_response_start(status, headers);
  }
  bool on_body(std::string_view chunk) override { return reader_.on_body(chunk); }

  void on_done(const Error* error) override {
    if (error) return finish(error);
    settle([&] {
      if (t_.conclude(message_, request_, reader_) != Ending::resume) return true;
      auto self = shared_from_this();
      t_.options_.async_http->run_blocking([self] {
        self->settle([&] {
          self->t_.resume(std::get<Request>(self->message_).id, self->reader_.last_event_id(), self->reader_.retry(),
                          method_of(self->message_));
          return true;
        });
      });
      return false;  // the pool ends it
    });
  }

  const net::HttpRequest& request() const { return request_; }
  bool carries(const core::jsonrpc::Id& id) const {
    const auto* r = std::get_if<Request>(&message_);
    return r && r->id == id;
  }

 private:
  // Runs `step`; its error, or its success when it returns true, ends the post.
  template <class Step>
  void settle(Step&& step) {
    try {
      if (!step()) return;
    } catch (const Error& e) {
      return finish(&e);
    } catch (const std::exception& e) {
      const Error wrapped(ErrorCode::protocol, e.what(), t_.options_.url);
      return finish(&wrapped);
    }
    finish(nullptr);
  }

  // The caller hears once; then close() may go on (it waits for every post to get here).
  void finish(const Error* error) {
    if (finished_.exchange(true)) return;
    Sent done = std::move(done_);
    if (done) done(error);
    t_.async_post_ended(this);
  }

  Impl& t_;
  Message message_;
  net::HttpRequest request_;
  detail::ResponseReader reader_;
  Sent done_;
  std::atomic<bool> finished_{false};
};

bool StreamableHttpTransport::Impl::can_send_async() const {
  return options_.async_http != nullptr;
}

void StreamableHttpTransport::Impl::send_async(const Message& message, Sent done) {
  if (!options_.async_http) throw Error(ErrorCode::usage, "StreamableHttpTransport::send_async needs an event loop");
  auto post = std::make_shared<AsyncPost>(*this, message, post_request(message), std::move(done));
  bool closed = false;
  {
    std::lock_guard lock(mutex_);
    closed = closed_;
    if (!closed) async_posts_[post.get()] = nullptr;
  }
  if (closed) {
    const Error error(ErrorCode::cancelled, "the connection to " + options_.url + " is closed", options_.url);
    post->on_done(&error);
    return;
  }
  // start() applies the credentials here, and may end the post before it returns.
  auto op = options_.async_http->start(post->request(), post);
  std::lock_guard lock(mutex_);
  const auto it = async_posts_.find(post.get());
  if (it == async_posts_.end()) return;  // over already
  it->second = op;
  if (closed_) op->cancel();
}

void StreamableHttpTransport::Impl::async_post_ended(const AsyncPost* post) {
  {
    std::lock_guard lock(mutex_);
    async_posts_.erase(post);
  }
  closed_cv_.notify_all();
}

// What a finished POST means, for the blocking and the asynchronous send
// alike: done (an answer reached the handler, or nothing was owed), a
// stream to resume, or an Error thrown.
StreamableHttpTransport::Impl::Ending StreamableHttpTransport::Impl::conclude(const Message& message,
                                                                              const net::HttpRequest& request,
                                                                              detail::ResponseReader& reader) {
  const std::string method = method_of(message);
  const auto* request_message = std::get_if<Request>(&message);
  const bool is_initialize = request_message && request_message->method == "initialize";
  const bool sent_session = request.headers.contains("Mcp-Session-Id");
  const int status = reader.status();
  if (!reader.ok()) {
    // A JSON-RPC error answering this very request is the server's answer
    // (modern servers send 400 + UnsupportedProtocolVersion this way).
    if (request_message) {
      if (auto answer = error_answer_in_body(request_message->id, reader.content_type(), reader.error_body())) {
        on_message_(std::move(*answer));
        return Ending::done;
      }
    }
    throw detail::status_error(request.method, request.url, status, reader.headers(), reader.error_body(),
                               sent_session);
  }

  if (is_initialize) {
    if (auto id = reader.headers().get("Mcp-Session-Id"); id && !id->empty()) {
      std::lock_guard lock(mutex_);
      session_id_ = *id;
    }
  }

  if (!request_message) return Ending::done;  // notifications and responses: 202 (or any 2xx) is all
  if (reader.body_kind() == detail::BodyKind::json) {
    reader.finish();
    if (!reader.answered()) {
      throw Error(ErrorCode::protocol,
                  "the server at " + options_.url + " answered " + method + " with JSON that is not its response",
                  options_.url);
    }
    return Ending::done;
  }
  if (reader.body_kind() == detail::BodyKind::event_stream) {
    if (reader.answered()) return Ending::done;
    if (!reader.last_event_id().empty()) return Ending::resume;
    throw Error(ErrorCode::protocol,
                "the server at " + options_.url + " closed the event stream " +
                    (reader.cut_mid_event() ? std::string("in the middle of an event ") : std::string()) +
                    "before answering " + method + ", and gave no event id to resume from",
                options_.url);
  }
  const std::string type = reader.content_type();
  if (detail::is_web_page(reader.headers(), reader.error_body())) {
    throw Error(ErrorCode::protocol,
                "the server at " + options_.url + " answered " + method + " with " +
                    (type.empty() ? std::string("no Content-Type") : "Content-Type " + type) + ": " +
                    detail::kWebPageHint,
                options_.url);
  }
  throw Error(ErrorCode::protocol,
              "the server at " + options_.url + " answered " + method + " with " +
                  (type.empty() ? std::string("no body") : "Content-Type " + type) +
                  " instead of application/json or text/event-stream; is this the URL of an MCP endpoint?",
              options_.url);
}

void StreamableHttpTransport::Impl::resume(const core::jsonrpc::Id& awaited, std::string last_event_id,
                                           std::optional<std::chrono::milliseconds> retry, const std::string& method) {
  // The POST stream ended before the response: re-open it with GET and
  // Last-Event-ID, waiting as long as the server's `retry:` asks.
  for (int attempt = 0; attempt < options_.max_stream_reconnects; ++attempt) {
    if (!wait_unless_closed(retry.value_or(kDefaultRetry))) {
      throw Error(ErrorCode::cancelled, "the connection to " + options_.url + " was closed", options_.url);
    }
    net::HttpRequest request = make_request("GET");
    request.headers.set("Accept", "text/event-stream");
    request.headers.set("Last-Event-ID", last_event_id);
    const bool sent_session = request.headers.contains("Mcp-Session-Id");

    detail::ResponseReader reader(options_.url, options_.max_message_bytes,
                                  [this](Message&& m) { on_message_(std::move(m)); });
    reader.stop_after_response(awaited);
    try {
      InFlight guard(*this);
      options_.http->stream(request, reader, &guard.token);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::cancelled || e.code() == ErrorCode::response_too_large ||
          e.code() == ErrorCode::protocol) {
        throw;
      }
      continue;  // a transient drop: try again
    }
    if (!reader.ok()) {
      throw detail::status_error(request.method, request.url, reader.status(), reader.headers(), reader.error_body(),
                                 sent_session);
    }
    if (reader.body_kind() != detail::BodyKind::event_stream) {
      throw Error(ErrorCode::protocol,
                  "the server at " + options_.url + " did not answer the resumption GET with an event stream",
                  options_.url);
    }
    if (reader.answered()) return;
    if (!reader.last_event_id().empty()) last_event_id = reader.last_event_id();
    if (reader.retry()) retry = reader.retry();
  }
  throw Error(ErrorCode::connection,
              "the server at " + options_.url + " did not answer " + method + " after " +
                  std::to_string(options_.max_stream_reconnects) + " attempts to resume its event stream",
              options_.url);
}

bool StreamableHttpTransport::Impl::wait_unless_closed(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !closed_cv_.wait_for(lock, delay, [this] { return closed_.load(); });
}

void StreamableHttpTransport::Impl::on_initialized(const std::string& protocol_version) {
  {
    std::lock_guard lock(mutex_);
    protocol_version_ = protocol_version;
  }
  // Sessions of the handshake era may receive server-initiated messages on a
  // GET stream; the modern era has no such stream.
  if (!is_modern_version(protocol_version)) open_event_stream([this] { return make_request("GET"); }, true);
}

void StreamableHttpTransport::Impl::listen(const Request& listen_request) {
  // Built once: a modern request names no session, so every POST of it is the same.
  net::HttpRequest post = post_request(listen_request);
  open_event_stream([post = std::move(post)] { return post; }, false);
}

bool StreamableHttpTransport::Impl::cancel(const core::jsonrpc::Id& id) {
  std::vector<std::shared_ptr<net::AsyncOperation>> async;
  bool found = false;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = in_flight_requests_.equal_range(id.dump());
    for (auto it = first; it != last; ++it) {
      it->second->cancel();
      found = true;
    }
    for (const auto& [post, op] : async_posts_) {
      if (op && post->carries(id)) async.push_back(op);
    }
  }
  for (const auto& op : async) op->cancel();
  return found || !async.empty();
}

void StreamableHttpTransport::Impl::open_event_stream(std::function<net::HttpRequest()> make_request, bool resume) {
  std::shared_ptr<detail::EventStream> stream;
  {
    std::lock_guard lock(mutex_);
    if (stream_ || closed_) return;
    std::shared_ptr<net::AsyncHttpClient> client = options_.async_http;
    if (!client) client = own_thread_ = std::make_shared<detail::ThreadAsyncClient>(options_.http);
    detail::EventStream::Options o;
    o.url = options_.url;
    o.max_message_bytes = options_.max_message_bytes;
    o.max_reconnects = options_.max_stream_reconnects;
    o.default_retry = kDefaultRetry;
    o.resume = resume;
    detail::EventStream::Hooks hooks;
    hooks.make_request = std::move(make_request);
    hooks.on_message = [this](Message&& m) { on_message_(std::move(m)); };
    hooks.on_answered = [this] { mark_listener_answered(); };
    hooks.on_error = [this](const Error& e) {
      if (on_error_) on_error_(e);
    };
    stream = stream_ = detail::EventStream::create(std::move(client), std::move(o), std::move(hooks));
  }
  stream->open();
  // Wait until the server has answered the GET (or refused it): messages it
  // sends right after the next request must find the stream open.
  std::unique_lock lock(mutex_);
  closed_cv_.wait_for(lock, options_.connect_timeout, [this] { return listener_answered_ || closed_.load(); });
}

void StreamableHttpTransport::Impl::mark_listener_answered() {
  {
    std::lock_guard lock(mutex_);
    listener_answered_ = true;
  }
  closed_cv_.notify_all();
}

void StreamableHttpTransport::Impl::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_.exchange(true)) return;
    for (auto* token : in_flight_) token->cancel();
    for (auto& [post, op] : async_posts_) {
      if (op) op->cancel();
    }
  }
  closed_cv_.notify_all();
  {
    // Their handlers reach this object until they end: cancelled, they end
    // soon, on the loop thread (or on its pool, resuming a stream).
    std::unique_lock lock(mutex_);
    closed_cv_.wait(lock, [this] { return async_posts_.empty(); });
  }
  std::shared_ptr<detail::EventStream> stream;
  std::shared_ptr<detail::ThreadAsyncClient> own_thread;
  {
    std::lock_guard lock(mutex_);
    stream = std::move(stream_);
    own_thread = std::move(own_thread_);
  }
  // On a loop the stream's transfer is cancelled and no hook runs after
  // this; on its own thread, that thread is also joined.
  if (stream) stream->close();
  if (own_thread) own_thread->shutdown();

  // Tell the server the session is over; a server that does not allow
  // clients to end sessions answers 405, which is fine.
  const std::string session = session_id();
  if (session.empty()) return;
  net::HttpRequest request = make_request("DELETE");
  request.total_timeout = std::min(options_.request_timeout, std::chrono::milliseconds(5000));
  try {
    options_.http->send(request);
  } catch (const Error&) {
    // Best effort: the server expires the session on its own.
  }
}

}  // namespace mcpauth::mcp
