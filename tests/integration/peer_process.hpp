// Starts a test peer (a Node.js MCP server from tests/peers) on 127.0.0.1
// and stops it again. The peer prints "LISTENING <port>" when it is ready;
// we wait for that line, never for a fixed time. The peer's stdin is a pipe
// we hold: if this test process dies, the pipe closes and the peer exits.
#pragma once

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace mcpauth::test_platform {
class ChildProcess;
}

namespace mcpauth::testing {

// The Node.js that runs the peers (the pinned Node 22 when installed).
std::string node_binary();

class PeerProcess {
 public:
  // `script` is relative to tests/peers, e.g. "streamable-server.mjs" or "modern/modern-server.mjs".
  explicit PeerProcess(const std::string& script, const std::vector<std::string>& args = {},
                       std::chrono::seconds ready_timeout = std::chrono::seconds(30));
  ~PeerProcess();
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  int port() const noexcept { return port_; }
  std::string url(const std::string& path = "/mcp") const;
  // Stops the peer now (e.g. to test a server that goes away).
  void stop();

 private:
  std::unique_ptr<test_platform::ChildProcess> process_;  // stdin a pipe we hold, stderr the test's
  int port_ = 0;
};

// A $BROWSER for authorization servers that approve at once: it follows the
// redirects to mcpauth's loopback callback (tests/peers/browser-follow.sh).
inline std::string follow_browser() {
  return std::string(MCPAUTH_PEERS_DIR) + "/browser-follow.sh";
}
// The environment entry that sets $BROWSER to follow_browser().
inline std::string follow_browser_env() {
  return "BROWSER=" + follow_browser();
}

// This test process's own folder (removed at exit). Commands started here get
// XDG_DATA_HOME=<it>/data and XDG_CONFIG_HOME=<it>/config, so their token
// store and config are the test's, and MCPAUTH_* variables are not inherited.
const std::string& test_home();

// Runs a program to completion and captures its output (for CLI tests).
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// argv for the mcpauth binary under test: {path, args...}.
std::vector<std::string> cli(std::initializer_list<std::string> args);

CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {},
                          std::chrono::seconds timeout = std::chrono::seconds(60));

// A command the test talks to while it runs (a login that prints a URL or
// a code, then waits for a paste): stdin is a pipe, stdout and stderr are
// collected as they arrive.
class InteractiveCommand {
 public:
  InteractiveCommand(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});
  ~InteractiveCommand();
  InteractiveCommand(const InteractiveCommand&) = delete;
  InteractiveCommand& operator=(const InteractiveCommand&) = delete;

  // Waits until stderr matches `pattern`; returns the first capture group
  // (or the whole match). Throws std::runtime_error with what was printed on timeout.
  std::string wait_for_stderr(const std::string& pattern, std::chrono::seconds timeout = std::chrono::seconds(30));
  // The same on stdout (e.g. a proxy's JSON-RPC answers).
  std::string wait_for_stdout(const std::string& pattern, std::chrono::seconds timeout = std::chrono::seconds(30));
  void write_stdin(const std::string& text);
  void close_stdin();
  // Sends `signal` (of <csignal>) to the command (e.g. SIGINT: the user's Ctrl-C).
  void send_signal(int signal);
  // Waits for the exit (killing it after `timeout`) and returns everything it printed.
  CommandResult finish(std::chrono::seconds timeout = std::chrono::seconds(60));

  // For several commands running at once (finish() reads only its own
  // command's output): reads what this one printed, waiting up to `wait`
  // for something, so it never blocks on a full pipe (64 KiB) while the test
  // waits for another. False once both its outputs have ended.
  bool read_output(std::chrono::milliseconds wait = std::chrono::milliseconds(0)) { return pump(wait); }
  // What it printed so far (for failure messages while it runs).
  const std::string& out() const noexcept { return result_.out; }
  const std::string& err() const noexcept { return result_.err; }
  long pid() const noexcept;

 private:
  bool pump(std::chrono::milliseconds wait);
  std::string wait_for(std::string CommandResult::*stream, const char* name, const std::string& pattern,
                       std::chrono::seconds timeout);

  std::unique_ptr<test_platform::ChildProcess> process_;
  CommandResult result_;
};

}  // namespace mcpauth::testing
