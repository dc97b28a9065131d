// "Nothing sent twice": which messages may be sent again after a failure.
// A client that retries must never make the server act twice, so after a
// failure that may have reached the server only requests that change
// nothing there are repeated; what certainly never reached it may always go
// again. Pure functions of the failure and the method, no I/O; the Bridge's
// retries with backoff ask them.
//
// Threading: every function here is safe to call from any thread.
#pragma once

#include <string_view>

#include "mcpauth/error.hpp"

namespace mcpauth::mcp {

// Whether a request changes nothing on the server, so it may be sent again
// after a failure that may have reached it: initialize, ping, */list, reads.
bool is_safe_to_repeat(std::string_view method);

// Whether a message of `method` may be sent again after `e` without the
// server acting twice: always when `e` certainly never reached the server (no
// connection was made, a 503, an authorization server that could not be
// reached before the request left); after an ambiguous failure (a reset, a
// timeout, 502/504) only when is_safe_to_repeat(method); never otherwise.
bool may_send_again(const Error& e, std::string_view method);

// Whether a retry is worth it at all: may_send_again, and a failure that
// never reached the server is only retried once a message has reached it
// (`server_reached`): nobody listening on the first message is a wrong URL
// or a server not started yet, not an outage to wait out.
bool may_retry(const Error& e, std::string_view method, bool server_reached);

}  // namespace mcpauth::mcp
