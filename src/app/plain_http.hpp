// The plain-http rule every command shares (the CLI's server commands and the
// gateway): a server URL may use http:// only on a loopback host, where
// nothing travels over a network, unless the user opted in with --allow-http
// (test servers). One function, so the rule cannot drift between them.
#pragma once

#include "mcpauth/core/url.hpp"

namespace mcpauth::app {

// Throws Error(insecure_url) for http:// to a host that is not loopback
// when `allow_http` is false.
void require_https_off_loopback(const core::Url& url, bool allow_http);

}  // namespace mcpauth::app
