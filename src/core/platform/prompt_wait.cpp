#include "mcpauth_internal/core/platform/prompt_wait.hpp"

namespace mcpauth::core::platform {

PromptWait prompt_wait(Os os) {
  return os == Os::windows ? PromptWait::wait_for_multiple_objects : PromptWait::select_with_self_pipe;
}

}  // namespace mcpauth::core::platform
