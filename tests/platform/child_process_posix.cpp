#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "platform/child_process.hpp"

extern char** environ;

namespace mcpauth::test_platform {
namespace {

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Close-on-exec at once: a command another test thread starts meanwhile must
// not inherit our ends (a stray write end would hold back this child's EOF).
// macOS has no pipe2: there pipe + fcntl, with that small window.
void make_pipe(int fds[2]) {
#if defined(__linux__)
  const int rc = ::pipe2(fds, O_CLOEXEC);
#else
  const int rc = ::pipe(fds);
  if (rc == 0) {
    ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  }
#endif
  if (rc != 0) throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::vector<std::string> environment() {
  std::vector<std::string> entries;
  for (char** e = environ; *e; ++e) entries.emplace_back(*e);
  return entries;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env, Input input,
                           bool capture_stderr) {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  if (input == Input::pipe) {
    make_pipe(in);
  } else {
    in[0] = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in[0] < 0) throw std::runtime_error("cannot open /dev/null");
  }
  make_pipe(out);
  if (capture_stderr) make_pipe(err);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  if (capture_stderr) posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<std::string> args = argv;
  std::vector<std::string> vars = env;
  auto argv_ptrs = c_strings(args);
  auto env_ptrs = c_strings(vars);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv_ptrs[0], &actions, nullptr, argv_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(err[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  if (rc != 0) {
    close_stdin();
    close_fd(stdout_fd_);
    close_fd(stderr_fd_);
    throw std::runtime_error("cannot start " + argv.at(0) + ": " + std::strerror(rc));
  }
  pid_ = pid;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill();
    wait();
  }
  close_stdin();
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
}

bool ChildProcess::write_stdin(const std::string& text) {
  return stdin_fd_ >= 0 && ::write(stdin_fd_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

void ChildProcess::close_stdin() {
  close_fd(stdin_fd_);
}

bool ChildProcess::read_output(std::string& out, std::string& err, std::chrono::milliseconds wait) {
  if (output_ended()) return false;
  pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};  // poll skips a negative fd
  if (::poll(fds, 2, static_cast<int>(wait.count())) <= 0) return true;
  char buffer[65536];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
    int& fd = i == 0 ? stdout_fd_ : stderr_fd_;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      close_fd(fd);
      continue;
    }
    (i == 0 ? out : err).append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

void ChildProcess::send_signal(int signal) {
  if (pid_ > 0) ::kill(static_cast<pid_t>(pid_), signal);
}

void ChildProcess::terminate() {
  send_signal(SIGTERM);
}

void ChildProcess::kill() {
  send_signal(SIGKILL);
}

int ChildProcess::wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  ::waitpid(static_cast<pid_t>(pid_), &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace mcpauth::test_platform
