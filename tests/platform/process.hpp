// The operating system's processes, as the test harness (not the library)
// needs them. tests/platform/ is the harness's own seam: the library's
// src/platform/ serves the library only, so a test needing a process call does
// not widen the library's API. process_posix.cpp is the Linux and macOS file;
// a Windows one would use GetCurrentProcessId,
// _getmaxstdio for the file limit and CreateProcess instead of fork.
#pragma once

#include <cstddef>
#include <functional>

namespace mcpauth::test_platform {

// This process's id (for unique file names and log lines).
long current_pid();

// How many files this process may have open (the soft limit; a large number
// when there is none).
std::size_t open_file_limit();

// Runs `body` in a copy of this process (fork) and waits for it: its return
// value is the copy's exit code; -1 when the copy did not exit normally.
// The copy ends without running exit handlers or destructors of this process.
int run_in_child_process(const std::function<int()>& body);

}  // namespace mcpauth::test_platform
