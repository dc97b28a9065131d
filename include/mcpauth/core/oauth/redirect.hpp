// Paste login: when no listener can receive the redirect (a remote shell, a
// container), the person copies the address their browser ended on and pastes
// it. People paste more or less than asked (quotes, a wrapped line, only the
// query), so this accepts the harmless variants and refuses an address for
// another redirect URI. Checking state, iss and code is code_from_callback's
// job, exactly as for the loopback listener.
#pragma once

#include <string>
#include <string_view>

#include "mcpauth/core/oauth/encoding.hpp"

namespace mcpauth::core::oauth {

// Larger pastes are not a browser address (16 KiB).
inline constexpr std::size_t kMaxPastedRedirectBytes = 16 * 1024;

// The decoded query parameters of a pasted redirect. Accepts the whole
// address (scheme, host, port and path must equal `redirect_uri`'s; the
// scheme may be left out), or only its query with or without the '?'.
// Whitespace anywhere (a URL has none) and surrounding quotes or angle
// brackets are dropped; a #fragment is ignored. Throws Error(usage) with a
// message that never repeats the pasted text (it holds the code).
FormFields parse_pasted_redirect(std::string_view pasted, const std::string& redirect_uri);

}  // namespace mcpauth::core::oauth
