#include <poll.h>
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

int socket_family(NativeSocket socket) noexcept {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(static_cast<int>(socket), reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  return address.ss_family;
}

bool socket_ready_now(NativeSocket socket, bool for_write) noexcept {
  pollfd p{};
  p.fd = static_cast<int>(socket);
  p.events = for_write ? POLLOUT : POLLIN;
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace mcpauth::platform
