#pragma once

// How the command and the gateway take the user's stop requests. POSIX
// (signals_posix.cpp): SIGINT through sigaction; SIGINT and SIGTERM blocked in
// every thread and taken by sigwait in one; SIGPIPE ignored. Windows' file
// will use SetConsoleCtrlHandler (Ctrl-C, Ctrl-Break, the console closing;
// a service's stop is the service's own) and an event to wait on; it has no
// SIGPIPE (a write to a closed pipe fails with an error), so nothing to ignore.

#include <string_view>

namespace mcpauth::platform {

// From now on, Ctrl-C writes `line` to standard error and ends the process
// with `exit_code` at once: nothing is flushed or unwound (a signal handler
// may do nothing more). `line` must live as long as the process (a literal).
void exit_on_interrupt(std::string_view line, int exit_code) noexcept;

// Blocks the stop requests (SIGINT, SIGTERM) in the calling thread. Threads
// started afterwards inherit that, so none of them takes a request meant for
// wait_for_stop_request(): call it before any thread starts.
void block_stop_requests() noexcept;

// Waits for a stop request (after block_stop_requests()).
void wait_for_stop_request() noexcept;

// A write to a closed pipe or socket fails (EPIPE) instead of ending the
// process: the command reports a closed standard output as an error.
void ignore_broken_pipes() noexcept;

}  // namespace mcpauth::platform
