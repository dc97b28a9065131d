// One debug-log line per action of core::oauth::AuthorizationFlow, so a
// user whose authorization fails can see each decision the flow took
// (where it looked for metadata, what it found, which client and grant it
// used, what it obtained). Pure; never a token, code, verifier, state,
// secret or user code: URLs pass through redact_url(), forms are only named.
#pragma once

#include <string>

#include "mcpauth/core/oauth/authorization_flow.hpp"

namespace mcpauth::core::oauth {

// What the machine, in `state`, asks for with `action`, as one printable
// line ("discovery: ...", "client: ...", "consent: ...", "device: ...",
// "token: ...", "notice: ...", "failed: ...").
std::string log_line(FlowState state, const FlowAction& action);

}  // namespace mcpauth::core::oauth
