#include "mcpauth/mcp/retry_policy.hpp"

#include <algorithm>
#include <iterator>

namespace mcpauth::mcp {

bool is_safe_to_repeat(std::string_view method) {
  static constexpr std::string_view kSafe[] = {
      "initialize",       "ping",           "resources/read", "prompts/get", "completion/complete",
      "logging/setLevel", "server/discover"};
  if (std::find(std::begin(kSafe), std::end(kSafe), method) != std::end(kSafe)) return true;
  constexpr std::string_view kList = "/list";
  return method.size() > kList.size() && method.substr(method.size() - kList.size()) == kList;
}

bool may_send_again(const Error& e, std::string_view method) {
  if (e.never_sent()) return true;                     // no connection was made
  if (e.http_status() == 503) return true;             // refused before being handled
  if (e.code() == ErrorCode::auth_server_unreachable)  // failed before the request left
    return true;
  const bool ambiguous = e.code() == ErrorCode::connection || e.code() == ErrorCode::timeout ||
                         (e.code() == ErrorCode::http_status && (e.http_status() == 502 || e.http_status() == 504));
  return ambiguous && is_safe_to_repeat(method);
}

bool may_retry(const Error& e, std::string_view method, bool server_reached) {
  if (!server_reached && e.never_sent()) return false;
  return may_send_again(e, method);
}

}  // namespace mcpauth::mcp
