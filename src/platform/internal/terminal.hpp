#pragma once

// The user's terminal, for the command's prompts. POSIX (terminal_posix.cpp):
// isatty, /dev/tty. Windows' file will use _isatty(_fileno(stdin)) and open
// CONIN$ (CreateFileW, then _open_osfhandle for a descriptor).

namespace mcpauth::platform {

// Whether standard input is a terminal (a person may type or paste there).
bool stdin_is_terminal() noexcept;

// The controlling terminal opened for reading, for a paste when standard
// input is a protocol channel (the proxy); -1 without one. The descriptor is
// not inherited by child processes and never becomes the controlling
// terminal; the caller keeps it open for as long as it may read.
int open_controlling_terminal() noexcept;

}  // namespace mcpauth::platform
