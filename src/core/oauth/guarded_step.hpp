// The step runner of the sans-I/O OAuth machines (discovery, authorization),
// private to core/oauth: a check that throws ends the machine with that Error
// instead of escaping from the feed that ran the step.
#pragma once

#include <exception>

#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth::detail {

// Runs `step`; an mcpauth::Error it throws is handed to `fail` (as the
// machine's failure) instead of propagating. Anything else propagates.
template <class Step, class Fail>
void run_guarded(Step&& step, Fail&& fail) {
  try {
    step();
  } catch (const Error&) {
    fail(std::current_exception());
  }
}

}  // namespace mcpauth::core::oauth::detail
