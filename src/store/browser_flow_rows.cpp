// What both stores' browser-flow tables share: bounds, sealing, the owner's liveness.
#include "browser_flow_rows.hpp"

#include <algorithm>

#include "mcpauth/error.hpp"
#include "sealed_rows.hpp"

namespace mcpauth::store {

std::shared_ptr<BrowserFlowRelay> browser_flow_relay(const std::shared_ptr<TokenStore>& store) {
  return std::dynamic_pointer_cast<BrowserFlowRelay>(store);
}

}  // namespace mcpauth::store

namespace mcpauth::store::detail {
namespace {

constexpr std::size_t kStateHashLength = 43;  // base64url of 32 bytes, unpadded
constexpr std::size_t kMaxLabel = 256;        // account, server

std::string context_of(const std::string& state_hash) {
  return "browser_flows\n" + state_hash;
}

bool base64url_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

void check_browser_flow_hash(const std::string& state_hash) {
  if (state_hash.size() != kStateHashLength || !std::all_of(state_hash.begin(), state_hash.end(), base64url_character))
    throw Error(ErrorCode::usage, "a browser flow is keyed by the base64url SHA-256 of its state (43 characters)");
}

void check_browser_flow_start(const BrowserFlowStart& start) {
  check_browser_flow_hash(start.state_hash);
  if (start.account.size() > kMaxLabel || start.server.size() > kMaxLabel)
    throw Error(ErrorCode::usage, "a browser flow's account and server name are at most 256 bytes each");
  if (start.return_to && start.return_to->size() > kMaxBrowserFlowReturnTo)
    throw Error(ErrorCode::usage, "a browser flow's return_to is at most 2048 bytes");
  if (start.ttl <= std::chrono::milliseconds(0)) throw Error(ErrorCode::usage, "a browser flow needs a positive TTL");
}

void check_browser_flow_fields(const core::oauth::FormFields& fields) {
  std::size_t bytes = 0;
  for (const auto& [name, value] : fields) bytes += name.size() + value.size();
  if (fields.size() > kMaxBrowserFlowFields || bytes > kMaxBrowserFlowFieldBytes) {
    throw Error(ErrorCode::usage, "an authorization response to relay has at most " +
                                      std::to_string(kMaxBrowserFlowFields) + " parameters of " +
                                      std::to_string(kMaxBrowserFlowFieldBytes) + " bytes together");
  }
}

std::string seal_browser_flow_fields(const KeySet& keys, const std::string& state_hash,
                                     const core::oauth::FormFields& fields) {
  return seal(keys.current().key, core::oauth::form_encode(fields), context_of(state_hash));
}

core::oauth::FormFields open_browser_flow_fields(const KeySet& keys, const std::optional<std::string>& key_id,
                                                 const std::string& state_hash, const std::string& sealed) {
  const auto opened = open_with(keys, key_id, sealed, context_of(state_hash));
  if (!opened) return {};
  try {
    auto fields = core::oauth::parse_form(opened->plaintext);
    check_browser_flow_fields(fields);
    return fields;
  } catch (const Error&) {
    return {};
  }
}

bool browser_flow_owner_gone(const RelayIdentity& me, const std::string& owner, const std::string& host,
                             const ProcessIdentity& process, bool silent) {
  if (owner == me.owner) return false;
  if (silent) return true;
  if (host != me.host) return false;  // another host's process cannot be asked: its silence tells
  // The start time tells a process that reused the pid (ours included) from the owner.
  return !process_alive(process);
}

std::string cut_browser_flow_reason(const std::string& reason) {
  if (reason.size() <= kMaxBrowserFlowReason) return reason;
  std::size_t end = kMaxBrowserFlowReason;
  while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80) --end;  // not inside a UTF-8 character
  return reason.substr(0, end);
}

}  // namespace mcpauth::store::detail
