// What the Bridge writes when it stands between a client of the handshake
// era (2025-11-25 and older: initialize, notifications/initialized, server
// requests) and a server that speaks only the modern era (2026-07-28:
// server/discover, a per-request `_meta`, input-required results instead of
// server requests). The Bridge answers the client's initialize from the
// server's discover result and gives every later message of the client the
// `_meta` its initialize implied. Pure functions, no I/O.
#pragma once

#include <string>
#include <string_view>

#include "mcpauth/mcp/protocol.hpp"

namespace mcpauth::mcp::detail {

// The version an initialize request's params offer ("" when none).
std::string offered_version(const Json& initialize_params);

// The version to answer a client offering `offered` with, as a server of the
// handshake era would: the offered one when mcpauth speaks it over the
// handshake, else the newest handshake version (the client then decides
// whether it can go on).
std::string handshake_version_for(std::string_view offered);

// The initialize result the Bridge answers the client's initialize with:
// the version above, and the server's capabilities, serverInfo and
// instructions from its discover result. The list_changed notifications
// are promised as the server promises them (the Bridge carries them from
// its subscriptions/listen stream); resources/subscribe, which it does not
// translate, is left out, so the client does not wait for it.
Json handshake_initialize_result(const Json& initialize_params, const ServerInfo& server);

// A message's params as the modern server needs them: the per-request
// `_meta` of `version`, carrying the clientInfo and capabilities the
// client's initialize declared (`fallback` as clientInfo when it declared
// none). The client's own `_meta` entries (a progressToken) are kept.
Json modern_params(Json params, std::string_view version, const Json& initialize_params,
                   const Implementation& fallback);

// Whether a notification of the client means nothing to a modern server and
// is not sent: notifications/initialized (there is no handshake) and
// notifications/roots/list_changed (roots are asked for with each request).
bool dropped_notification(std::string_view method) noexcept;

// A complete result as a client of the handshake era knows it: without the
// modern era's resultType.
void to_handshake_result(Json& result);

// The `notifications` filter of the subscriptions/listen request that asks
// for every list_changed notification the server's capabilities offer
// (toolsListChanged, promptsListChanged, resourcesListChanged); an empty
// object when it offers none (then there is nothing to listen to).
Json listen_filter(const Json& capabilities);

// Whether a notification on the listen stream is the stream's own
// bookkeeping (notifications/subscriptions/acknowledged), which a
// handshake-era client has no use for.
bool listen_bookkeeping(std::string_view method) noexcept;

// A notification from the listen stream as a handshake-era client knows
// it: without the subscription id the server stamps into its `_meta`.
void to_handshake_notification(Json& params);

}  // namespace mcpauth::mcp::detail
