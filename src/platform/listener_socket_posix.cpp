#include <sys/socket.h>

#include <cerrno>

#include "mcpauth_internal/platform/listener_socket.hpp"

namespace mcpauth::platform {
namespace {

// The option's name at SOL_SOCKET, or -1 where the system has none.
int option_name(ListenerFlag flag) noexcept {
  switch (flag) {
    case ListenerFlag::reuse_address: return SO_REUSEADDR;
    case ListenerFlag::exclusive_address: return -1;  // POSIX: exclusive is the default
    case ListenerFlag::share_port:
#ifdef SO_REUSEPORT
      return SO_REUSEPORT;
#else
      return -1;
#endif
  }
  return -1;
}

}  // namespace

std::error_code set_listener_flag(std::intptr_t socket, ListenerFlag flag, bool on) noexcept {
  const int name = option_name(flag);
  if (name < 0) return on ? std::make_error_code(std::errc::not_supported) : std::error_code{};
  const int value = on ? 1 : 0;
  if (::setsockopt(static_cast<int>(socket), SOL_SOCKET, name, &value, sizeof value) == 0) return {};
  // A kernel older than its headers (SO_REUSEPORT before Linux 3.9) does not
  // know the option: off is what it does anyway.
  if (!on && errno == ENOPROTOOPT) return {};
  return {errno, std::generic_category()};
}

}  // namespace mcpauth::platform
