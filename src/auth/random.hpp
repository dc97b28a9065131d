// The auth layer's names for core's randomness (mcpauth/core/random.hpp).
#pragma once

#include "mcpauth/core/random.hpp"

namespace mcpauth::auth::detail {

using core::random_bytes;
using core::random_token;

}  // namespace mcpauth::auth::detail
