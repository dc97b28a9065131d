// The mcpauth::Error a call throws, for tests that check a refusal: one
// helper instead of a try/FAIL/catch in every test.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "mcpauth/error.hpp"

namespace mcpauth::testing {

// The Error `f` throws (a subclass is returned as its Error part). If `f`
// throws nothing, the test fails and an Error of code `usage` stands in.
template <class F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no mcpauth::Error was thrown";
  return Error(ErrorCode::usage, "nothing was thrown");
}

template <class F>
ErrorCode error_code_of(F&& f) {
  return error_of(std::forward<F>(f)).code();
}

// The Error `f` throws, after checking that its message carries none of
// `secrets` (no token, code or client secret may reach an error message).
template <class F>
Error error_without(F&& f, std::initializer_list<const char*> secrets) {
  const Error e = error_of(std::forward<F>(f));
  const std::string what = e.what();
  for (const char* secret : secrets) {
    EXPECT_EQ(what.find(secret), std::string::npos) << secret << " leaked into: " << what;
  }
  return e;
}

}  // namespace mcpauth::testing
