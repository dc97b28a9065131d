// A debug log of HTTP exchanges: an HttpClient decorator that writes one
// line per exchange to a sink (ClientOptions::log, the command's --verbose):
//
//   POST https://as.example/token -> 200 (512 bytes, 23 ms); sent form{grant_type=authorization_code
//   code=[redacted] ...}; got json{access_token token_type=Bearer expires_in=3600 refresh_token scope=mcp}
//
// The method; the URL with its secrets redacted (a query value is shown only
// when its name is known to be harmless); the status or the failure; the
// size and time; the scheme of an Authorization header, never its value
// (nor a DPoP proof's, nor a cookie); a form body's names with only the
// harmless values; a JSON body's member names with only the harmless values
// (token_type, expires_in, scope, error, ...); a 401/403's challenge. No
// token, code, verifier, secret or assertion is ever written.
//
// Threading: as thread-safe as `inner`; the sink is called on the thread
// that made the exchange, possibly on several at once.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "mcpauth/net/http.hpp"

namespace mcpauth::net {

// `inner` with each exchange logged to `log`; `inner` itself when `log` is empty.
std::shared_ptr<HttpClient> with_exchange_log(std::shared_ptr<HttpClient> inner,
                                              std::function<void(const std::string&)> log);

}  // namespace mcpauth::net
