#include "session_renewal.hpp"

namespace mcpauth::mcp::detail {

bool server_forgot_session(const Error& e, std::string_view method) {
  return e.code() == ErrorCode::session_expired && method != "initialize";
}

SessionRenewal::SessionRenewal(std::function<TransportPtr()> current,
                               std::function<TransportPtr(const TransportPtr&)> start_new)
    : current_(std::move(current)), start_new_(std::move(start_new)) {}

void SessionRenewal::send(const TransportPtr& transport, std::string_view method,
                          const std::function<void(const TransportPtr&)>& attempt) {
  try {
    attempt(transport);
  } catch (const Error& e) {
    if (!server_forgot_session(e, method)) throw;
    attempt(renew(transport));
  }
}

TransportPtr SessionRenewal::renew(const TransportPtr& failed) {
  std::lock_guard lock(mutex_);
  if (auto now = current_(); now != failed) return now;  // another caller already renewed it
  return start_new_(failed);
}

}  // namespace mcpauth::mcp::detail
