#pragma once

// Starting a program (the browser) that runs on by itself: mcpauth neither
// waits for it nor reads its output. POSIX (spawn_posix.cpp): posix_spawnp
// (a PATH search, as a shell would), its stdout sent to /dev/null (the
// proxy's stdout is the MCP host's protocol channel), reaped by a detached
// thread so it never lingers as a zombie. Windows' file will use
// CreateProcessW (a quoted UTF-16 command line, DETACHED_PROCESS) and close
// the handles at once.

#include <string>
#include <vector>

namespace mcpauth::platform {

// argv[0] is the program (searched in PATH when it has no '/'); the
// environment is this process's. False when it could not be started.
bool spawn_detached(const std::vector<std::string>& argv);

}  // namespace mcpauth::platform
