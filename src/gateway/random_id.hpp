// Unguessable identifiers (session ids, the CSRF token): 24 random bytes,
// base64url.
#pragma once

#include <string>

namespace mcpauth::gateway {

// Throws std::runtime_error when the system's generator fails.
std::string random_id();

}  // namespace mcpauth::gateway
