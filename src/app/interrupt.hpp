// Ctrl-C in a command that waits (for a consent, a server, the host): the
// user interrupted it, and says so in the exit status (130) and one line,
// instead of the wait ending later for another reason.
#pragma once

namespace mcpauth::app {

// Installs a SIGINT handler for the rest of the process: it writes
// "mcpauth: interrupted" to stderr and exits with kExitInterrupted. Nothing
// is flushed or unwound (only async-signal-safe calls); a pending consent
// claim in the store ends with this process, as after any kill.
void exit_on_interrupt();

}  // namespace mcpauth::app
