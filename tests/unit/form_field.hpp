// A form field's value for an assertion, or "<absent>" (an expectation then
// prints which field was missing instead of failing on a null pointer).
#pragma once

#include <string>

#include "mcpauth/core/oauth/encoding.hpp"

namespace mcpauth::testing {

inline std::string field(const core::oauth::FormFields& fields, const char* name) {
  const std::string* value = core::oauth::find_field(fields, name);
  return value ? *value : "<absent>";
}

}  // namespace mcpauth::testing
