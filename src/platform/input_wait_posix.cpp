#include <fcntl.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "mcpauth_internal/platform/input_wait.hpp"

namespace mcpauth::platform {

InputWait::~InputWait() {
  for (const int fd : wake_) {
    if (fd >= 0) ::close(fd);
  }
}

std::error_code InputWait::open() noexcept {
  if (::pipe(wake_) != 0) return {errno, std::generic_category()};
  for (const int fd : wake_) {
    // Not inherited by a browser spawned meanwhile (pipe2's O_CLOEXEC, in two steps).
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return {errno, std::generic_category()};
  }
  return {};
}

InputWait::Ready InputWait::wait(int fd) noexcept {
  if (fd < 0 || wake_[0] < 0 || std::max(fd, wake_[0]) >= FD_SETSIZE) return Ready::failed;
  while (true) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    FD_SET(wake_[0], &readable);
    if (::select(std::max(fd, wake_[0]) + 1, &readable, nullptr, nullptr, nullptr) < 0) {
      if (errno == EINTR) continue;
      return Ready::failed;
    }
    if (FD_ISSET(wake_[0], &readable)) return Ready::woken;
    if (FD_ISSET(fd, &readable)) return Ready::input;
  }
}

void InputWait::wake() noexcept {
  // The byte is never read: the pipe stays readable, so later waits return at once too.
  const char byte = 0;
  [[maybe_unused]] const auto n = ::write(wake_[1], &byte, 1);
}

long InputWait::read(int fd, char* buffer, std::size_t size) noexcept {
  while (true) {
    const ssize_t n = ::read(fd, buffer, size);
    if (n < 0 && errno == EINTR) continue;
    return static_cast<long>(n);
  }
}

}  // namespace mcpauth::platform
