// Local sessions in Gateway::Impl: creation, the session table, id routing
// of the remote side's answers, and the event stream that writes the outbox.
#include "gateway_impl.hpp"
#include "mcpauth/core/random.hpp"

namespace mcpauth::gateway {

using SteadyClock = std::chrono::steady_clock;

void LocalSession::push_event(const std::string& json) {
  std::lock_guard lock(mutex);
  if (closed) return;
  outbox.push_back("event: message\ndata: " + json + "\n\n");
  outbox_bytes += outbox.back().size();
  while (outbox.size() > kMaxOutboxMessages || outbox_bytes > kMaxOutboxBytes) {
    outbox_bytes -= outbox.front().size();
    outbox.pop_front();  // a client that never reads its stream cannot grow this without bound
  }
  cv.notify_all();
}

void LocalSession::mark_closed() {
  {
    std::lock_guard lock(mutex);
    closed = true;
  }
  cv.notify_all();
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
  if (it == sessions_.end() || it->second->upstream->name != up.name || it->second->legacy != legacy) return nullptr;
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

void Gateway::Impl::close_sessions_of(const std::string& name) {
  std::vector<std::shared_ptr<LocalSession>> of;
  {
    std::lock_guard lock(sessions_mutex_);
    for (auto& [id, s] : sessions_) {
      if (s->upstream->name == name) of.push_back(s);
    }
  }
  for (auto& s : of) close_session(s);
}

// Messages from the remote side of one local session.
void Gateway::Impl::on_delivered(LocalSession& session, rpc::Message&& message) {
  if (!session.legacy && rpc::is_response(message)) {
    const std::string key = rpc::id_of(message).dump();
    std::lock_guard lock(session.mutex);
    const auto it = session.waiting.find(key);
    if (it != session.waiting.end() && !it->second) {
      it->second = rpc::serialize(message);
      session.cv.notify_all();
      return;
    }
  }
  session.push_event(rpc::serialize(message));
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
                     base_url_ + "/ and press Authorize";
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
    answer.message += "; to grant " +
                      (scope.empty() ? std::string("more permissions") : "the scope \"" + scope + "\"") +
                      ", open the mcpauth gateway dashboard at " + base_url_ + "/ and press Authorize for " + up.name;
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

// Streams messages to a local client until it goes, the session ends or the gateway stops.
void Gateway::Impl::stream_events(http::Response& res, std::shared_ptr<LocalSession> session, std::string first,
                                  bool close_when_done) {
  res.set_header("X-Accel-Buffering", "no");
  auto pending = std::make_shared<std::string>(std::move(first));
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, session, pending](http::DataSink& sink) {
        std::string chunk = std::move(*pending);
        pending->clear();
        if (chunk.empty()) {
          std::unique_lock lock(session->mutex);
          session->cv.wait_for(lock, kKeepalive, [&] { return session->closed || !session->outbox.empty(); });
          if (session->closed || stopping_flag_.load()) return false;
          while (!session->outbox.empty()) {
            chunk += session->outbox.front();
            session->outbox_bytes -= session->outbox.front().size();
            session->outbox.pop_front();
          }
          session->last_used = SteadyClock::now();
        }
        if (chunk.empty()) chunk = ": keepalive\n\n";
        return sink.write(chunk.data(), chunk.size());
      },
      [this, session, close_when_done] {
        {
          std::lock_guard lock(session->mutex);
          session->stream_open = false;
        }
        if (close_when_done) close_session(session);
      });
}

}  // namespace mcpauth::gateway
