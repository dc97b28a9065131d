#pragma once

// How the paste prompt waits for a line on the terminal while a wake-up from
// another thread can end the wait (src/platform/input_wait_<system>.cpp
// implements the answer for its system; this is the record of why each).
// Linux and macOS: select() on the terminal and a self-pipe. poll() would do
// on Linux but fails on a macOS terminal device (the prompt would hang), and
// pipe2() does not exist on macOS: pipe() + fcntl(FD_CLOEXEC). Windows: no
// select() on a console: WaitForMultipleObjects on the console input handle
// and an event.

#include "mcpauth_internal/core/platform/os.hpp"

namespace mcpauth::core::platform {

enum class PromptWait {
  select_with_self_pipe,
  wait_for_multiple_objects,
};

PromptWait prompt_wait(Os os);

}  // namespace mcpauth::core::platform
