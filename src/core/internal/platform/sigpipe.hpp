#pragma once

// How a write to a socket whose peer has gone is kept from raising SIGPIPE,
// which would kill an embedding program that did not ignore it (only the
// mcpauth command does, in main()). Per system: Linux has MSG_NOSIGNAL, a
// flag of each send() (libcurl and Asio pass it themselves); macOS has no
// such flag but a socket option, SO_NOSIGPIPE, set once when the socket is
// opened (src/platform/socket_posix.cpp); Windows has no SIGPIPE.

#include "mcpauth_internal/core/platform/os.hpp"

namespace mcpauth::core::platform {

enum class SigpipeGuard {
  send_flag,      // MSG_NOSIGNAL on each send: nothing to set on the socket
  socket_option,  // SO_NOSIGPIPE when the socket is opened
  none,           // no SIGPIPE on this system
};

SigpipeGuard sigpipe_guard(Os os);

}  // namespace mcpauth::core::platform
