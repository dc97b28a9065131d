// The local MCP endpoints of Gateway::Impl: Streamable HTTP
// (POST/GET/DELETE /servers/NAME/mcp) and the legacy HTTP+SSE transport
// (GET /servers/NAME/sse, POST /servers/NAME/messages). docs/gateway.md.
#include "gateway_impl.hpp"
#include "remote_loops.hpp"

namespace mcpauth::gateway {

using SteadyClock = std::chrono::steady_clock;

// ---- Streamable HTTP ------------------------------------------------------------

// On the I/O thread: what needs no waiting is answered here; a request of
// an open session is forwarded on the remote event loop and answered when
// its answer is delivered (no thread waits for it); what must block
// (initialize, batches, stateless clients, the Bridge's blocking cases) goes
// to the handler pool.
void Gateway::Impl::mcp_post(const http::Request& req, http::Response& res) {
  auto up = upstream_or_404(req, res);
  if (!up) return;
  if (!up->resolved) {
    rpc_error(res, 503, rpc::kInternalError, "the server " + up->name + " cannot be used: " + up->resolve_error);
    return;
  }
  if (is_batch(req.body)) {  // local_batch.cpp
    return offload(req, res, [this, up](const http::Request& r, http::Response& out) { mcp_batch(up, r, out); });
  }
  auto message = parse_message(req, res);
  if (!message) return;
  const auto* request = std::get_if<rpc::Request>(&*message);
  if (!req.has_header(kSessionHeader)) {
    if (request && request->method == "initialize") {
      return offload(req, res, [this, up, message = *message](const http::Request& r, http::Response& out) {
        mcp_initialize(up, r, std::get<rpc::Request>(message), out);
      });
    }
    return offload(req, res, [this, up, message = *message](const http::Request& r, http::Response& out) {
      if (serve_stateless(up, r, message, out)) return;  // local_stateless.cpp
      const auto* without_session = std::get_if<rpc::Request>(&message);
      rpc_error(out, 400, rpc::kInvalidRequest,
                "Bad Request: Mcp-Session-Id header is required (send initialize first)",
                without_session ? without_session->id : rpc::Id(nullptr));
    });
  }
  auto session = find_session(req.get_header_value(kSessionHeader), *up, false);
  if (!session) {
    rpc_error(res, 404, -32001, "Session not found");
    return;
  }
  {
    std::lock_guard lock(session->mutex);
    session->last_used = SteadyClock::now();
  }
  if (!request) {
    // A notification or an answer: 202 once it is with the server.
    auto reply = res.defer();
    forward_later(session, std::move(*message), [reply] {
      http::Response out;
      out.status = 202;
      reply(std::move(out));
    });
    return;
  }
  const std::string key = request->id.dump();
  const rpc::Id id = request->id;
  auto reply = res.defer();
  {
    std::lock_guard lock(session->mutex);
    if (session->waiting.count(key) || session->pending.count(key)) {
      http::Response out;
      rpc_error(out, 400, rpc::kInvalidRequest, "a request with this id is already in progress", id);
      reply(std::move(out));
      return;
    }
    LocalSession::Pending pending;
    pending.answer = [reply, id](std::optional<std::string> answer) {
      http::Response out;
      if (answer) {
        out.set_content(std::move(*answer), "application/json");
      } else {
        rpc_error(out, 200, mcp::kBridgeErrorCode, "mcpauth: no answer from the server in time", id);
      }
      reply(std::move(out));
    };
    // The wait's bound is a timer on the remote loop, not a waiting thread.
    std::weak_ptr<LocalSession> weak = session;
    pending.timer = remote_event_loop()->after(answer_wait(), [weak, key] {
      if (auto s = weak.lock()) s->answer_pending(key, std::nullopt);
    });
    if (session->closed) {
      pending.timer->cancel();
      pending.answer(std::nullopt);
      return;
    }
    session->pending.emplace(key, std::move(pending));
  }
  forward_later(session, std::move(*message), nullptr);
}

// The message to the session's bridge without waiting: on the remote event
// loop, or, where the Bridge must block (Bridge::forward_async), on the
// handler pool. `then` runs once the message is with the server (or was
// answered with an error, which reaches the session like any answer).
void Gateway::Impl::forward_later(const std::shared_ptr<LocalSession>& session, rpc::Message message,
                                  std::function<void()> then) {
  std::weak_ptr<LocalSession> weak = session;
  auto shared = std::make_shared<rpc::Message>(std::move(message));
  session->bridge->forward_async(*shared, [this, weak, shared, then](mcp::Bridge::Forwarded outcome) {
    if (outcome == mcp::Bridge::Forwarded::done) {
      if (then) then();
      return;
    }
    const bool queued = server_->offload([weak, shared, then] {
      if (auto s = weak.lock()) s->bridge->forward(*shared);
      if (then) then();
    });
    // Stopping: the session's close answers a request waiting for this.
    if (!queued && then) then();
  });
}

// Runs `handler` on the handler pool (it may block) and answers through a deferred reply.
void Gateway::Impl::offload(const http::Request& req, http::Response& res, http::Handler handler) {
  auto reply = res.defer();
  auto request = std::make_shared<http::Request>(req);
  auto run = guarded(std::move(handler));
  const bool queued = server_->offload([reply, request, run] {
    http::Response out;
    run(*request, out);
    reply(std::move(out));
  });
  if (!queued) {
    http::Response out;
    send_error(out, 503, "usage", "the gateway is stopping");
    reply(std::move(out));
  }
}

// A new local session: its initialize goes through a new Bridge (which opens
// the remote session), and the session is kept if the server accepted it.
void Gateway::Impl::mcp_initialize(const std::shared_ptr<Upstream>& up, const http::Request& req,
                                   const rpc::Request& request, http::Response& res) {
  // Checked before the upstream connection is made; again when registered.
  if (auto refusal = session_budget_refusal(req.remote_addr)) {
    rpc_error(res, 503, rpc::kInternalError, *refusal, request.id);
    return;
  }
  auto session = new_session(up, false);
  session->peer = req.remote_addr;
  const std::string key = request.id.dump();
  {
    std::lock_guard lock(session->mutex);
    session->waiting[key] = std::nullopt;
  }
  session->bridge->forward(request);
  std::optional<std::string> answer;
  {
    std::unique_lock lock(session->mutex);
    session->cv.wait_for(lock, answer_wait(), [&] { return session->waiting[key].has_value() || session->closed; });
    answer = std::move(session->waiting[key]);
    session->waiting.erase(key);
    session->last_used = SteadyClock::now();
  }
  if (!answer) {
    session->bridge->close();
    rpc_error(res, 200, mcp::kBridgeErrorCode, "mcpauth: no answer from the server in time", request.id);
    return;
  }
  const bool ok = std::holds_alternative<rpc::Response>(rpc::parse(*answer).front());
  if (!ok) {
    session->bridge->close();  // a failed initialize leaves no session behind
  } else if (auto refusal = register_session(session)) {
    session->bridge->close();
    rpc_error(res, 503, rpc::kInternalError, *refusal, request.id);
    return;
  } else {
    {
      std::lock_guard lock(session->mutex);
      session->protocol_version = agreed_version(*answer);  // local_batch.cpp: batches are 2025-03-26's
    }
    res.set_header(kSessionHeader, session->id);
    note_connected(*up, *session);
  }
  res.status = 200;
  res.set_content(*answer, "application/json");
}

void Gateway::Impl::mcp_get(const http::Request& req, http::Response& res) {
  auto up = upstream_or_404(req, res);
  if (!up) return;
  if (req.get_header_value("Accept").find("text/event-stream") == std::string::npos) {
    rpc_error(res, 406, rpc::kInvalidRequest, "Not Acceptable: the client must accept text/event-stream");
    return;
  }
  if (!req.has_header(kSessionHeader)) {
    rpc_error(res, 400, rpc::kInvalidRequest, "Bad Request: Mcp-Session-Id header is required");
    return;
  }
  auto session = find_session(req.get_header_value(kSessionHeader), *up, false);
  if (!session) {
    rpc_error(res, 404, -32001, "Session not found");
    return;
  }
  std::string first = ": stream open\n\n";
  {
    std::lock_guard lock(session->mutex);
    if (session->stream_open) {
      rpc_error(res, 409, rpc::kInvalidRequest, "Conflict: only one event stream per session");
      return;
    }
    session->stream_open = true;
    // Resumption: the events this session wrote after that id are written
    // again, then the rest of the outbox (docs/gateway.md).
    if (req.has_header("Last-Event-ID")) session->resume_after_locked(req.get_header_value("Last-Event-ID"));
    // Only for clients of the revision that defines it: older ones may take
    // an event without data for a malformed message.
    if (session->protocol_version >= "2025-11-25") first += session->priming_event_locked();
  }
  stream_events(res, session, std::move(first), false);
}

void Gateway::Impl::mcp_delete(const http::Request& req, http::Response& res) {
  auto up = upstream_or_404(req, res);
  if (!up) return;
  auto session = find_session(req.get_header_value(kSessionHeader), *up, false);
  if (!session) {
    rpc_error(res, 404, -32001, "Session not found");
    return;
  }
  close_session(session);
  res.status = 200;
}

// ---- legacy HTTP+SSE ------------------------------------------------------------

void Gateway::Impl::sse_get(const http::Request& req, http::Response& res) {
  auto up = upstream_or_404(req, res);
  if (!up) return;
  if (!up->resolved) {
    send_error(res, 503, "usage", "the server " + up->name + " cannot be used: " + up->resolve_error);
    return;
  }
  if (auto refusal = session_budget_refusal(req.remote_addr)) {
    send_error(res, 503, "usage", *refusal);
    return;
  }
  auto session = new_session(up, true);
  session->stream_open = true;
  session->peer = req.remote_addr;
  if (auto refusal = register_session(session)) {
    session->bridge->close();
    send_error(res, 503, "usage", *refusal);
    return;
  }
  const std::string endpoint = "/servers/" + up->name + "/messages?sessionId=" + session->id;
  stream_events(res, session, "event: endpoint\ndata: " + endpoint + "\n\n", true);
}

void Gateway::Impl::sse_post(const http::Request& req, http::Response& res) {
  auto up = upstream_or_404(req, res);
  if (!up) return;
  auto session = find_session(req.get_param_value("sessionId"), *up, true);
  if (!session) {
    send_error(res, 404, "usage", "unknown sessionId");
    return;
  }
  auto message = parse_message(req, res);
  if (!message) return;
  const auto* request = std::get_if<rpc::Request>(&*message);
  session->bridge->forward(*message);
  if (request && request->method == "initialize") note_connected(*up, *session);
  res.status = 202;
  res.set_content("Accepted", "text/plain");
}

}  // namespace mcpauth::gateway
