// A form field's value for an assertion, or "<absent>" (an expectation then
// prints which field was missing instead of failing on a null pointer).
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "mcpauth/core/oauth/encoding.hpp"

namespace mcpauth::testing {

inline std::string field(const core::oauth::FormFields& fields, const char* name) {
  const std::string* value = core::oauth::find_field(fields, name);
  return value ? *value : "<absent>";
}

// Each field of `expected` has that value in `fields` ("<absent>": none).
inline void expect_fields(const core::oauth::FormFields& fields,
                          std::initializer_list<std::pair<const char*, std::string>> expected) {
  for (const auto& [name, value] : expected) EXPECT_EQ(field(fields, name), value) << name;
}

}  // namespace mcpauth::testing
