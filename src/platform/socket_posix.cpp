#include <sys/socket.h>
#include <unistd.h>

#include "mcpauth_internal/platform/socket.hpp"

namespace mcpauth::platform {

NativeSocket open_socket(int family, int type, int protocol, bool no_sigpipe_option) noexcept {
  const int fd = ::socket(family, type, protocol);
  if (fd < 0) return kInvalidSocket;
#ifdef SO_NOSIGPIPE
  const int on = 1;
  if (no_sigpipe_option && ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on) != 0) {
    ::close(fd);
    return kInvalidSocket;
  }
#else
  (void)no_sigpipe_option;
#endif
  return fd;
}

}  // namespace mcpauth::platform
