#include "interrupt.hpp"

#include "exit_codes.hpp"
#include "mcpauth_internal/platform/signals.hpp"

namespace mcpauth::app {

void exit_on_interrupt() {
  platform::exit_on_interrupt("\nmcpauth: interrupted\n", kExitInterrupted);
}

}  // namespace mcpauth::app
