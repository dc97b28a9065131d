#include "event_stream.hpp"

#include <algorithm>
#include <atomic>

#include "response_reader.hpp"

namespace mcpauth::mcp::detail {

// One GET of the stream: the reader that parses it, and the way back to the
// stream (which may be gone by the time the transfer ends).
class EventStream::Attempt final : public net::AsyncStreamHandler {
 public:
  // Keeps of its request only whether it named a session: with thousands
  // of streams open, a copy of each GET (its URL and headers) added up.
  Attempt(const std::weak_ptr<EventStream>& stream, const Options& options, bool sent_session)
      : stream_(stream),
        sent_session_(sent_session),
        reader_(options.url, options.max_message_bytes, [stream](core::jsonrpc::Message&& m) {
          if (auto s = stream.lock()) s->deliver(std::move(m));
        }) {
    reader_.on_start([stream] {
      if (auto s = stream.lock()) s->answered();
    });
  }

  bool on_response_start(int status, const net::HttpHeaders& headers) override {
    return reader_.on_response_start(status, headers);
  }
  bool on_body(std::string_view chunk) override { return reader_.on_body(chunk); }
  void on_done(const Error* error) override {
    done_ = true;
    if (auto s = stream_.lock()) s->on_attempt_done(*this, error);
  }

  bool done() const noexcept { return done_.load(); }
  bool sent_session() const noexcept { return sent_session_; }
  const ResponseReader& reader() const noexcept { return reader_; }

 private:
  std::weak_ptr<EventStream> stream_;
  bool sent_session_;
  ResponseReader reader_;
  std::atomic<bool> done_{false};
};

std::shared_ptr<EventStream> EventStream::create(std::shared_ptr<net::AsyncHttpClient> client, Options options,
                                                 Hooks hooks) {
  return std::shared_ptr<EventStream>(new EventStream(std::move(client), std::move(options), std::move(hooks)));
}

EventStream::EventStream(std::shared_ptr<net::AsyncHttpClient> client, Options options, Hooks hooks)
    : client_(std::move(client)),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      delay_(options_.default_retry) {}

std::string EventStream::last_event_id() const {
  std::lock_guard lock(mutex_);
  return last_event_id_;
}

void EventStream::open() {
  attempt();
}

void EventStream::attempt() {
  std::string last_event_id;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    last_event_id = last_event_id_;
  }
  net::HttpRequest request;
  // The hooks' owner may be gone after close().
  if (!hooks_gate_.run([&] { request = hooks_.make_request(); })) return;
  if (!request.headers.contains("Accept")) request.headers.set("Accept", "text/event-stream");
  request.total_timeout = std::chrono::milliseconds(0);  // lives as long as the session
  if (options_.resume && !last_event_id.empty()) request.headers.set("Last-Event-ID", last_event_id);
  auto handler = std::make_shared<Attempt>(weak_from_this(), options_, request.headers.contains("Mcp-Session-Id"));
  // start() may end the attempt before it returns (a client that stopped).
  auto op = client_->start(std::move(request), handler);
  std::lock_guard lock(mutex_);
  if (closed_) {
    op->cancel();
  } else if (!handler->done()) {
    pending_ = std::move(op);
  }
}

void EventStream::on_attempt_done(Attempt& attempt, const Error* error) {
  answered();
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
  }
  if (error) {
    if (error->code() == ErrorCode::cancelled) return;  // closed, or the client stopped
    reconnect_later(*error);
    return;
  }
  const ResponseReader& reader = attempt.reader();
  const bool sent_session = attempt.sent_session();
  const int status = reader.status();
  // The server offers no GET stream: 405 as the specification says, or 400
  // as servers built on the SDK's stateless examples answer a GET they do
  // not serve. Not an error of the session: its requests are answered on
  // their own POSTs, and failing them for a refused optional stream would
  // race with them.
  if (status == 405 || status == 400 || (status == 404 && !sent_session)) return;
  if (!reader.ok()) {
    fail(status_error("GET", options_.url, status, reader.headers(), reader.error_body(), sent_session));
    return;
  }
  if (reader.body_kind() != BodyKind::event_stream) return;  // not a stream: nothing to listen to
  {
    std::lock_guard lock(mutex_);
    if (!reader.last_event_id().empty()) last_event_id_ = reader.last_event_id();
    if (reader.retry()) delay_ = *reader.retry();
    if (reader.events_seen() > 0) failures_ = 0;
  }
  reconnect_later(std::nullopt);
}

// The stream ended or dropped: open it again, backing off while it keeps failing.
void EventStream::reconnect_later(std::optional<Error> failure) {
  std::unique_lock lock(mutex_);
  if (closed_) return;
  if (++failures_ > options_.max_reconnects) {
    lock.unlock();
    fail(Error(ErrorCode::connection,
               "the event stream from " + options_.url + " dropped and could not be re-opened" +
                   (failure ? std::string(": ") + failure->what() : std::string()),
               options_.url));
    return;
  }
  const auto backoff = std::min(options_.max_backoff, delay_ * (1 << std::min(failures_ - 1, 5)));
  // The next GET passes through the credentials decorator, which may block
  // (a refresh): it starts from a thread that may, never from the timer's.
  std::weak_ptr<EventStream> weak = weak_from_this();
  pending_ = client_->after(backoff, [weak] {
    auto self = weak.lock();
    if (!self) return;
    self->client_->run_blocking([weak] {
      if (auto s = weak.lock()) s->attempt();
    });
  });
}

void EventStream::deliver(core::jsonrpc::Message&& message) {
  hooks_gate_.run([&] {
    if (hooks_.on_message) hooks_.on_message(std::move(message));
  });
}

void EventStream::answered() {
  {
    std::lock_guard lock(mutex_);
    if (answered_) return;
    answered_ = true;
  }
  hooks_gate_.run([&] {
    if (hooks_.on_answered) hooks_.on_answered();
  });
}

void EventStream::fail(const Error& error) {
  answered();
  hooks_gate_.run([&] {
    if (hooks_.on_error) hooks_.on_error(error);
  });
}

void EventStream::close() {
  std::shared_ptr<net::AsyncOperation> pending;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    pending = std::move(pending_);
  }
  if (pending) pending->cancel();
  hooks_gate_.close();  // waits for a hook running on another thread
}

}  // namespace mcpauth::mcp::detail
