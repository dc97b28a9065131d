#pragma once

// The paste prompt's wait: a thread blocks until the terminal (or whatever
// descriptor the prompt reads) has input, or until another thread wakes it,
// so that ending a consent never waits on the terminal. POSIX
// (input_wait_posix.cpp): select() on the descriptor and a self-pipe made
// with pipe() + fcntl(FD_CLOEXEC). Not poll(): macOS's poll() fails on a
// terminal device, and not pipe2(): macOS has none. Windows' file will wait
// with WaitForMultipleObjects on the console input handle and an event.

#include <cstddef>
#include <system_error>

namespace mcpauth::platform {

class InputWait {
 public:
  InputWait() = default;
  ~InputWait();
  InputWait(const InputWait&) = delete;
  InputWait& operator=(const InputWait&) = delete;

  // Makes the wake-up channel; call once, before wait() and wake().
  std::error_code open() noexcept;

  enum class Ready { input, woken, failed };
  // Blocks until `fd` can be read or wake() was called (woken wins when both
  // are). failed: the wait itself failed, or `fd` is beyond what select()
  // can watch (FD_SETSIZE).
  Ready wait(int fd) noexcept;

  // Makes every wait(), the current one and later ones, return woken.
  void wake() noexcept;

  // One read(): the bytes read, 0 at the end of the input, -1 on an error.
  static long read(int fd, char* buffer, std::size_t size) noexcept;

 private:
  int wake_[2] = {-1, -1};
};

}  // namespace mcpauth::platform
