// Local sessions in Gateway::Impl: creation, the session table, id routing
// of the remote side's answers, the outbox with its replay history, and the
// event stream that writes it (pushed: no thread waits on it).
#include <charconv>
#include <system_error>

#include "gateway_impl.hpp"
#include "mcpauth/core/random.hpp"

namespace mcpauth::gateway {

using SteadyClock = std::chrono::steady_clock;

LocalSession::LocalSession(std::string session_id, std::shared_ptr<Upstream> server, bool legacy_sse)
    : id(std::move(session_id)),
      upstream(std::move(server)),
      legacy(legacy_sse),
      last_used(SteadyClock::now()),
      id_prefix_(id.substr(0, 8) + "-") {}

// "<session tag>-<number>": increasing within the session, and another
// session's id (the tag differs) is never taken for one of this session's.
std::string LocalSession::event_id(std::uint64_t number) const {
  return id_prefix_ + std::to_string(number);
}

void LocalSession::push_event(const std::string& json) {
  http::StreamSource::Wake wake;
  {
    std::lock_guard lock(mutex);
    if (closed) return;
    const std::uint64_t number = next_event++;
    outbox.push_back({number, "id: " + event_id(number) + "\nevent: message\ndata: " + json + "\n\n"});
    outbox_bytes += outbox.back().text.size();
    while (outbox.size() > kMaxOutboxMessages || outbox_bytes > kMaxOutboxBytes) {
      outbox_bytes -= outbox.front().text.size();
      outbox.pop_front();  // a client that never reads its stream cannot grow this without bound
    }
    wake = wake_stream;
  }
  if (wake) wake();  // outside the lock: the stream takes it on its own thread
}

void LocalSession::mark_closed() {
  http::StreamSource::Wake wake;
  std::map<std::string, Pending> unanswered;
  {
    std::lock_guard lock(mutex);
    closed = true;
    wake = wake_stream;
    unanswered.swap(pending);
  }
  cv.notify_all();
  if (wake) wake();
  for (auto& [key, request] : unanswered) {
    if (request.timer) request.timer->cancel();
    request.answer(std::nullopt);
  }
}

bool LocalSession::answer_pending(const std::string& key, std::optional<std::string> answer) {
  Pending request;
  {
    std::lock_guard lock(mutex);
    const auto it = pending.find(key);
    if (it == pending.end()) return false;
    request = std::move(it->second);
    pending.erase(it);
    last_used = SteadyClock::now();
  }
  if (request.timer) request.timer->cancel();
  request.answer(std::move(answer));
  return true;
}

std::string LocalSession::take_outbox_locked() {
  std::string chunk;
  while (!outbox.empty()) {
    chunk += outbox.front().text;
    outbox_bytes -= outbox.front().text.size();
    written_bytes += outbox.front().text.size();
    written.push_back(std::move(outbox.front()));
    outbox.pop_front();
  }
  while (written.size() > kMaxReplayEvents || written_bytes > kMaxReplayBytes) {
    written_bytes -= written.front().text.size();
    written.pop_front();
  }
  return chunk;
}

void LocalSession::resume_after_locked(const std::string& last_event_id) {
  if (last_event_id.rfind(id_prefix_, 0) != 0) return;
  const char* first = last_event_id.data() + id_prefix_.size();
  const char* end = last_event_id.data() + last_event_id.size();
  std::uint64_t last = 0;
  const auto [stop, error] = std::from_chars(first, end, last);
  if (error != std::errc() || stop != end || first == end || last >= next_event) return;
  while (!written.empty() && written.back().number > last) {
    written_bytes -= written.back().text.size();
    outbox_bytes += written.back().text.size();
    outbox.push_front(std::move(written.back()));
    written.pop_back();
  }
  while (!outbox.empty() && outbox.front().number <= last) {  // the client has it
    outbox_bytes -= outbox.front().text.size();
    outbox.pop_front();
  }
}

std::string LocalSession::priming_event_locked() const {
  const std::uint64_t before = outbox.empty() ? next_event - 1 : outbox.front().number - 1;
  return "id: " + event_id(before) + "\ndata:\n\n";
}

void Gateway::Impl::rpc_error(http::Response& res, int status, int code, const std::string& message,
                              const rpc::Id& id) {
  res.status = status;
  res.set_content(rpc::serialize(rpc::ErrorResponse{id, code, message, nullptr}), "application/json");
}

std::optional<rpc::Message> Gateway::Impl::parse_message(const http::Request& req, http::Response& res) {
  std::vector<rpc::Message> messages;
  try {
    messages = rpc::parse(req.body, {kMaxMcpBodyBytes, 128});
  } catch (const Error& e) {
    rpc_error(res, 400, rpc::kParseError, std::string("not a JSON-RPC message: ") + e.what());
    return std::nullopt;
  }
  if (messages.size() != 1 || req.body.find_first_not_of(" \t\r\n") == std::string::npos ||
      req.body[req.body.find_first_not_of(" \t\r\n")] == '[') {
    rpc_error(res, 400, rpc::kInvalidRequest, "JSON-RPC batches are not supported; send one message per POST");
    return std::nullopt;
  }
  return std::move(messages.front());
}

std::shared_ptr<LocalSession> Gateway::Impl::new_session(const std::shared_ptr<Upstream>& up, bool legacy) {
  auto session = std::make_shared<LocalSession>(core::random_token(), up, legacy);
  session->serial = next_session_serial_++;
  LocalSession* raw = session.get();
  session->bridge = std::make_unique<mcp::Bridge>(
      bridge_options(up), [this, raw](rpc::Message&& message) { on_delivered(*raw, std::move(message)); });
  return session;
}

std::optional<std::string> Gateway::Impl::session_budget_refusal_locked(const std::string& peer) const {
  if (sessions_.size() >= session_limit_) {
    return "the gateway has " + std::to_string(sessions_.size()) +
           " sessions open, its limit: end unused sessions (DELETE /servers/NAME/mcp) or wait for idle ones to "
           "expire";
  }
  std::size_t of_peer = 0;
  for (const auto& [id, s] : sessions_) of_peer += s->peer == peer ? 1 : 0;
  if (of_peer >= options_.max_sessions_per_peer) {
    return "this client's address (" + peer + ") has " + std::to_string(of_peer) +
           " gateway sessions open, the most one address may hold: end unused sessions (DELETE "
           "/servers/NAME/mcp) or wait for idle ones to expire";
  }
  return std::nullopt;
}

std::optional<std::string> Gateway::Impl::session_budget_refusal(const std::string& peer) {
  std::lock_guard lock(sessions_mutex_);
  return session_budget_refusal_locked(peer);
}

std::optional<std::string> Gateway::Impl::register_session(const std::shared_ptr<LocalSession>& session) {
  std::lock_guard lock(sessions_mutex_);
  if (auto refusal = session_budget_refusal_locked(session->peer)) return refusal;
  sessions_[session->id] = session;
  return std::nullopt;
}

std::shared_ptr<LocalSession> Gateway::Impl::find_session(const std::string& id, const Upstream& up, bool legacy) {
  std::lock_guard lock(sessions_mutex_);
  const auto it = sessions_.find(id);
  // The same server and account: a local user never reaches another user's session.
  if (it == sessions_.end() || it->second->upstream->name != up.name || it->second->upstream->account != up.account ||
      it->second->legacy != legacy) {
    return nullptr;
  }
  return it->second;
}

void Gateway::Impl::close_session(const std::shared_ptr<LocalSession>& session) {
  {
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(session->id);
  }
  session->mark_closed();
  session->bridge->close();
}

void Gateway::Impl::close_sessions_of(const std::string& name, const std::optional<std::string>& account) {
  std::vector<std::shared_ptr<LocalSession>> of;
  {
    std::lock_guard lock(sessions_mutex_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second->upstream->name == name && (!account || it->second->upstream->account == *account)) {
        of.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : of) s->mark_closed();
  close_bridges(of);
}

// Closing a Bridge ends its remote stream and tells the server the session
// is over (a DELETE of up to 5 s): one after another, thousands of sessions
// took seconds after SIGTERM (4 s for 9,850 on this 2-core machine). They
// are waits, not work, so a few threads share them.
void Gateway::Impl::close_bridges(const std::vector<std::shared_ptr<LocalSession>>& sessions) {
  constexpr std::size_t kSessionsPerThread = 64;
  constexpr std::size_t kMaxThreads = 8;
  const std::size_t threads = std::min(kMaxThreads, sessions.size() / kSessionsPerThread);
  std::atomic<std::size_t> next{0};
  auto close_some = [&] {
    for (std::size_t i = next++; i < sessions.size(); i = next++) sessions[i]->bridge->close();
  };
  std::vector<std::thread> helpers;
  for (std::size_t t = 0; t < threads; ++t) {
    try {
      helpers.emplace_back(close_some);
    } catch (const std::system_error&) {
      break;  // no thread to be had: this one does the rest
    }
  }
  close_some();
  for (auto& helper : helpers) helper.join();
}

// Messages from the remote side of one local session.
void Gateway::Impl::on_delivered(LocalSession& session, rpc::Message&& message) {
  std::string text = rpc::serialize(message);
  if (!session.legacy && rpc::is_response(message)) {
    const std::string key = rpc::id_of(message).dump();
    {
      std::lock_guard lock(session.mutex);
      const auto it = session.waiting.find(key);
      if (it != session.waiting.end() && !it->second) {
        it->second = std::move(text);
        session.cv.notify_all();
        return;
      }
    }
    if (session.answer_pending(key, text)) return;
  }
  session.push_event(text);
}

// The bridge's own error answers, in the gateway's words, from the typed
// error: an authorization the gateway cannot do without the user points at
// the dashboard (and is recorded for its row); the remedies a local client's
// user can act on name the gateway's settings, never a command's options.
void Gateway::Impl::explain(Upstream& up, const Error& e, rpc::ErrorResponse& answer) {
  const Remedies remedies = e.remedies();
  const bool needs_consent = e.code() == ErrorCode::authorization_required || e.code() == ErrorCode::consent_timeout ||
                             remedies.has(Remedy::interactive_consent);
  if (needs_consent) {
    answer.data["mcpauth_error"] = std::string(to_string(ErrorCode::authorization_required));
    answer.message = "mcpauth: the server " + up.name + " needs authorization: open the mcpauth gateway dashboard at " +
                     dashboard_url() + " and press Authorize";
    bool changed = false;
    {
      std::lock_guard lock(state_mutex_);
      changed = up.last_error_code != ErrorCode::authorization_required;
      up.last_error = answer.message;
      up.last_error_code = ErrorCode::authorization_required;
    }
    if (changed) bump();
    return;
  }
  if (e.code() == ErrorCode::insufficient_scope) {
    const std::string& scope = e.detail().required_scope;
    answer.message +=
        "; to grant " + (scope.empty() ? std::string("more permissions") : "the scope \"" + scope + "\"") +
        ", open the mcpauth gateway dashboard at " + dashboard_url() + " and press Authorize for " + up.name;
  }
  if (remedies.has(Remedy::pre_register_client)) {
    answer.message += "; to use a client registered with the authorization server, set its client id for " + up.name +
                      " in the gateway's configuration (oauth.clientId)";
  }
  if (remedies.has(Remedy::static_token)) {
    answer.message += "; if " + up.name +
                      " takes a static token, configure it as an Authorization header of the server in the gateway's "
                      "configuration";
  }
}

void Gateway::Impl::note_connected(Upstream& up, LocalSession& session) {
  const std::string transport = session.bridge->transport_name();
  bool changed = false;
  {
    std::lock_guard lock(state_mutex_);
    changed = up.last_error.has_value() || up.transport_seen != transport;
    if (!transport.empty()) up.transport_seen = transport;
    up.last_error.reset();
    up.last_error_code.reset();
  }
  if (changed) bump();
}

namespace {

// A session's event stream: writes the outbox whenever a message arrives
// (push_event wakes it), until the client goes, the session ends or the
// gateway stops. A legacy SSE session ends with its stream.
class SessionStream final : public http::StreamSource {
 public:
  SessionStream(std::shared_ptr<LocalSession> session, std::string first, std::function<void()> on_end)
      : session_(std::move(session)), first_(std::move(first)), on_end_(std::move(on_end)) {}

  void open(Wake wake) override {
    std::lock_guard lock(session_->mutex);
    session_->wake_stream = std::move(wake);
  }

  Chunk take() override {
    Chunk chunk;
    chunk.data = std::move(first_);
    first_.clear();
    std::lock_guard lock(session_->mutex);
    chunk.data += session_->take_outbox_locked();
    chunk.end = session_->closed;
    session_->last_used = SteadyClock::now();
    return chunk;
  }

  std::string keepalive() override { return ": keepalive\n\n"; }

  void closed() override {
    {
      std::lock_guard lock(session_->mutex);
      session_->wake_stream = nullptr;
      session_->stream_open = false;
      session_->last_used = SteadyClock::now();
    }
    if (on_end_) on_end_();
  }

 private:
  const std::shared_ptr<LocalSession> session_;
  std::string first_;  // what the stream starts with (a comment, the legacy endpoint event)
  const std::function<void()> on_end_;
};

}  // namespace

void Gateway::Impl::stream_events(http::Response& res, std::shared_ptr<LocalSession> session, std::string first,
                                  bool close_when_done) {
  res.set_header("X-Accel-Buffering", "no");
  std::function<void()> on_end;
  if (close_when_done) {
    // Closing joins the bridge's threads: on a worker, never on the I/O thread
    // that ends the stream. (Once the workers stop, stop() closes every bridge.)
    on_end = [this, session] { spawn([this, session] { close_session(session); }); };
  }
  res.set_stream("text/event-stream", std::make_shared<SessionStream>(session, std::move(first), std::move(on_end)));
}

}  // namespace mcpauth::gateway
