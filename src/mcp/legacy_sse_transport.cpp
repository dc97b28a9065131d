#include "mcpauth/mcp/legacy_sse_transport.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "hook_gate.hpp"
#include "mcpauth/core/sse_parser.hpp"
#include "mcpauth/core/url.hpp"
#include "response_reader.hpp"
#include "thread_async_client.hpp"

namespace mcpauth::mcp {
namespace {

using core::jsonrpc::Message;

}  // namespace

// The transport's state: the stream (on the given event loop, or on a
// thread of its own), the endpoint it announced, and why it failed.
class LegacySseTransport::Impl {
 public:
  explicit Impl(TransportOptions options);

  void start(MessageHandler on_message, ErrorHandler on_error);
  void send(const Message& message);
  void on_initialized(const std::string& protocol_version);
  void close();

 private:
  class StreamHandler;
  void stream_ended(const detail::ResponseReader& reader, const Error* error);
  void on_event(core::SseEvent&& event);
  void fail(const Error& error);

  TransportOptions options_;
  MessageHandler on_message_;
  ErrorHandler on_error_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::string endpoint_;
  std::optional<Error> failure_;  // why the stream could not be used
  std::string protocol_version_;
  std::atomic<bool> closed_{false};

  std::shared_ptr<net::AsyncOperation> stream_;
  // The stream's own thread when no event loop was given (joined by close()).
  std::shared_ptr<detail::ThreadAsyncClient> own_thread_;
  // The stream's callbacks reach this object only until close().
  std::shared_ptr<detail::HookGate> gate_ = std::make_shared<detail::HookGate>();
};

// The stream's handler: the reader, and the way back to the transport
// through its gate (the transport may be gone when the loop reports).
class LegacySseTransport::Impl::StreamHandler final : public net::AsyncStreamHandler {
 public:
  explicit StreamHandler(Impl& t)
      : t_(t),
        gate_(t.gate_),
        reader_(
            t.options_.url, t.options_.max_message_bytes,
            [this](Message&& m) { gate_->run([&] { t_.on_message_(std::move(m)); }); },
            [this](core::SseEvent&& e) { gate_->run([&] { t_.on_event(std::move(e)); }); }) {}

  bool on_response_start(int status, const net::HttpHeaders& headers) override {
    return reader_.on_response_start(status, headers);
  }
  bool on_body(std::string_view chunk) override { return reader_.on_body(chunk); }
  void on_done(const Error* error) override {
    gate_->run([&] { t_.stream_ended(reader_, error); });
  }

 private:
  Impl& t_;
  std::shared_ptr<detail::HookGate> gate_;
  detail::ResponseReader reader_;
};

LegacySseTransport::LegacySseTransport(TransportOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

LegacySseTransport::~LegacySseTransport() {
  close();
}

void LegacySseTransport::start(MessageHandler on_message, ErrorHandler on_error) {
  impl_->start(std::move(on_message), std::move(on_error));
}

void LegacySseTransport::send(const Message& message) {
  impl_->send(message);
}

void LegacySseTransport::on_initialized(const std::string& protocol_version) {
  impl_->on_initialized(protocol_version);
}

void LegacySseTransport::close() {
  impl_->close();
}

LegacySseTransport::Impl::Impl(TransportOptions options) : options_(std::move(options)) {
  if (!options_.http) throw Error(ErrorCode::usage, "LegacySseTransport needs an HttpClient");
}

void LegacySseTransport::Impl::start(MessageHandler on_message, ErrorHandler on_error) {
  on_message_ = std::move(on_message);
  on_error_ = std::move(on_error);

  net::HttpRequest request;
  request.method = "GET";
  request.url = options_.url;
  request.connect_timeout = options_.connect_timeout;
  request.total_timeout = std::chrono::milliseconds(0);  // the stream lives as long as the session
  request.headers.set("Accept", "text/event-stream");
  std::shared_ptr<net::AsyncHttpClient> client = options_.async_http;
  if (!client) client = own_thread_ = std::make_shared<detail::ThreadAsyncClient>(options_.http);
  auto stream = client->start(std::move(request), std::make_shared<StreamHandler>(*this));
  {
    std::lock_guard lock(mutex_);
    stream_ = std::move(stream);
    if (closed_) stream_->cancel();
  }

  std::unique_lock lock(mutex_);
  const auto deadline = options_.connect_timeout + options_.request_timeout;
  const bool ready = cv_.wait_for(lock, deadline, [this] { return !endpoint_.empty() || failure_ || closed_; });
  if (failure_) throw *failure_;
  if (closed_) throw Error(ErrorCode::cancelled, "the connection to " + options_.url + " was closed", options_.url);
  if (!ready) {
    lock.unlock();
    close();
    throw Error(ErrorCode::timeout,
                "GET " + options_.url + " opened no `endpoint` event within " + std::to_string(deadline.count()) +
                    " ms; is this the SSE URL of an MCP server?",
                options_.url);
  }
}

void LegacySseTransport::Impl::fail(const Error& error) {
  bool had_endpoint = false;
  {
    std::lock_guard lock(mutex_);
    if (!failure_) failure_ = error;
    had_endpoint = !endpoint_.empty();
  }
  cv_.notify_all();
  if (had_endpoint && on_error_) on_error_(error);
}

void LegacySseTransport::Impl::on_event(core::SseEvent&& event) {
  if (event.type != "endpoint") return;  // unknown event types are ignored, as SSE says
  const core::Url stream_url = core::parse_url(options_.url);
  const std::string resolved = core::resolve_reference(stream_url, event.data);
  const core::Url endpoint_url = core::parse_url(resolved);
  if (!core::same_origin(stream_url, endpoint_url)) {
    throw Error(ErrorCode::protocol,
                "the server at " + options_.url + " named the message endpoint " + resolved +
                    ", which is on another origin; refusing to send messages (and credentials) there",
                options_.url);
  }
  {
    std::lock_guard lock(mutex_);
    endpoint_ = resolved;
  }
  cv_.notify_all();
}

void LegacySseTransport::Impl::stream_ended(const detail::ResponseReader& reader, const Error* error) {
  if (closed_) return;
  if (error) {
    if (error->code() != ErrorCode::cancelled) fail(*error);
    return;
  }
  if (!reader.ok()) {
    fail(detail::status_error("GET", options_.url, reader.status(), reader.headers(), reader.error_body(), false));
  } else if (reader.body_kind() != detail::BodyKind::event_stream) {
    fail(Error(ErrorCode::protocol,
               "GET " + options_.url + " answered with Content-Type \"" + reader.content_type() +
                   "\" instead of text/event-stream; is this the SSE URL of an MCP server?",
               options_.url));
  } else {
    fail(Error(ErrorCode::connection, "the server at " + options_.url + " closed the event stream", options_.url));
  }
}

void LegacySseTransport::Impl::send(const Message& message) {
  net::HttpRequest request;
  request.method = "POST";
  request.connect_timeout = options_.connect_timeout;
  request.total_timeout = options_.request_timeout;
  request.max_response_bytes = 1u << 20;  // the answer comes on the stream; the body is a formality
  request.headers.set("Content-Type", "application/json");
  {
    std::lock_guard lock(mutex_);
    if (closed_) throw Error(ErrorCode::cancelled, "the connection to " + options_.url + " is closed", options_.url);
    if (failure_) throw *failure_;
    request.url = endpoint_;
    if (!protocol_version_.empty()) request.headers.set("MCP-Protocol-Version", protocol_version_);
  }
  request.body = core::jsonrpc::serialize(message);
  const net::HttpResponse response = options_.http->send(request);
  if (response.status < 200 || response.status >= 300) {
    throw detail::status_error("POST", request.url, response.status, response.headers, response.body, false);
  }
}

void LegacySseTransport::Impl::on_initialized(const std::string& protocol_version) {
  std::lock_guard lock(mutex_);
  protocol_version_ = protocol_version;
}

void LegacySseTransport::Impl::close() {
  std::shared_ptr<net::AsyncOperation> stream;
  {
    std::lock_guard lock(mutex_);
    if (closed_.exchange(true)) return;
    stream = stream_;
  }
  cv_.notify_all();
  if (stream) stream->cancel();
  gate_->close();  // no callback after this; one running on another thread has ended
  if (own_thread_) own_thread_->shutdown();
}

}  // namespace mcpauth::mcp
