// A program the test harness starts with pipes for its standard streams
// (tests/integration/peer_process.*: the Node peers, the mcpauth command
// under test): start it, write its stdin, read what it prints within a time
// bound, signal it, wait for its exit. child_process_posix.cpp is the Linux
// and macOS file (posix_spawnp, pipes, poll, kill, waitpid); a Windows one
// would use CreateProcessW with anonymous pipes read by threads, and
// TerminateProcess or a console control event for the signals.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace mcpauth::test_platform {

// This process's environment, as "NAME=value" entries.
std::vector<std::string> environment();

class ChildProcess {
 public:
  // Where the child's stdin comes from: a pipe this object writes, or nothing
  // (an empty input, like /dev/null).
  enum class Input { pipe, none };
  // Starts argv (argv[0] looked up in PATH) with exactly `env`. Its stdout is
  // a pipe; its stderr a pipe too when `capture_stderr`, else this process's
  // own. Throws std::runtime_error when it cannot start.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env, Input input,
               bool capture_stderr);
  // Kills it (SIGKILL) if it still runs, and waits for it.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  long pid() const noexcept { return pid_; }
  // False when the stdin pipe is closed or the write failed.
  bool write_stdin(const std::string& text);
  void close_stdin();
  // Waits up to `wait` for output and appends what arrived to `out` and
  // `err`. False once its outputs have all ended.
  bool read_output(std::string& out, std::string& err, std::chrono::milliseconds wait);
  // Whether its outputs have all ended.
  bool output_ended() const noexcept { return stdout_fd_ < 0 && stderr_fd_ < 0; }
  // Sends a signal (SIGINT, SIGTERM, SIGKILL of <csignal>) while it runs.
  void send_signal(int signal);
  // Asks it to end (SIGTERM), or ends it at once (SIGKILL).
  void terminate();
  void kill();
  // Waits for its exit: the exit code, or -1 when a signal ended it.
  int wait();

 private:
  long pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
};

}  // namespace mcpauth::test_platform
