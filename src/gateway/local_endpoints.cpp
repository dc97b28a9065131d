// The local MCP endpoints of Gateway::Impl: Streamable HTTP
// (POST/GET/DELETE /servers/NAME/mcp) and the legacy HTTP+SSE transport
// (GET /servers/NAME/sse, POST /servers/NAME/messages). docs/gateway.md.
#include "gateway_impl.hpp"

namespace mcpauth::gateway {

using SteadyClock = std::chrono::steady_clock;

// ---- Streamable HTTP ------------------------------------------------------------

void Gateway::Impl::mcp_post(const http::Request& req, http::Response& res) {
  auto up = upstream_or_404(req, res);
  if (!up) return;
  if (!up->resolved) {
    rpc_error(res, 503, rpc::kInternalError, "the server " + up->name + " cannot be used: " + up->resolve_error);
    return;
  }
  if (is_batch(req.body)) return mcp_batch(up, req, res);  // local_batch.cpp
  auto message = parse_message(req, res);
  if (!message) return;
  const auto* request = std::get_if<rpc::Request>(&*message);
  std::shared_ptr<LocalSession> session;
  bool fresh = false;
  if (req.has_header(kSessionHeader)) {
    session = find_session(req.get_header_value(kSessionHeader), *up, false);
    if (!session) {
      rpc_error(res, 404, -32001, "Session not found");
      return;
    }
  } else if (request && request->method == "initialize") {
    // Checked before the upstream connection is made; again when registered.
    if (auto refusal = session_budget_refusal(req.remote_addr)) {
      rpc_error(res, 503, rpc::kInternalError, *refusal, request->id);
      return;
    }
    session = new_session(up, false);
    session->peer = req.remote_addr;
    fresh = true;
  } else if (serve_stateless(up, req, *message, res)) {  // local_stateless.cpp
    return;
  } else {
    rpc_error(res, 400, rpc::kInvalidRequest, "Bad Request: Mcp-Session-Id header is required (send initialize first)",
              request ? request->id : rpc::Id(nullptr));
    return;
  }
  {
    std::lock_guard lock(session->mutex);
    session->last_used = SteadyClock::now();
  }
  if (!request) {
    session->bridge->forward(*message);
    res.status = 202;
    return;
  }
  const std::string key = request->id.dump();
  {
    std::lock_guard lock(session->mutex);
    if (session->waiting.count(key)) {
      rpc_error(res, 400, rpc::kInvalidRequest, "a request with this id is already in progress", request->id);
      return;
    }
    session->waiting[key] = std::nullopt;
  }
  session->bridge->forward(*message);
  std::optional<std::string> answer;
  {
    std::unique_lock lock(session->mutex);
    session->cv.wait_for(lock, answer_wait(), [&] { return session->waiting[key].has_value() || session->closed; });
    answer = std::move(session->waiting[key]);
    session->waiting.erase(key);
    session->last_used = SteadyClock::now();
  }
  if (!answer) {
    if (fresh) session->bridge->close();
    rpc_error(res, 200, mcp::kBridgeErrorCode, "mcpauth: no answer from the server in time", request->id);
    return;
  }
  if (fresh) {
    const bool ok = std::holds_alternative<rpc::Response>(rpc::parse(*answer).front());
    if (ok) {
      if (auto refusal = register_session(session)) {
        session->bridge->close();
        rpc_error(res, 503, rpc::kInternalError, *refusal, request->id);
        return;
      }
    }
    if (ok) {
      {
        std::lock_guard lock(session->mutex);
        session->protocol_version = agreed_version(*answer);  // local_batch.cpp: batches are 2025-03-26's
      }
      res.set_header(kSessionHeader, session->id);
      note_connected(*up, *session);
    } else {
      session->bridge->close();  // a failed initialize leaves no session behind
    }
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
