#pragma once

// Which options a listening TCP socket of ours gets on each system (the
// gateway's; docs/platforms.md). A pure decision, so every system's answer is
// unit-tested here; src/platform/listener_socket_*.cpp sets them.

#include "mcpauth_internal/core/platform/os.hpp"

namespace mcpauth::core::platform {

struct ListenerOptions {
  // SO_REUSEADDR: a restarted gateway binds its port at once, while the
  // previous run's connections sit in TIME_WAIT. On POSIX it never lets a
  // second socket listen on the same address and port; on Windows it lets
  // any process bind a port already in use (and take its connections), so
  // there it stays off.
  bool reuse_address = false;
  // SO_EXCLUSIVEADDRUSE (Windows only): no other socket may bind the port,
  // even with SO_REUSEADDR. POSIX has no such option: that is its default.
  bool exclusive_address = false;
  // SO_REUSEPORT: never. It shares the port with every later socket that
  // sets it too (the kernel spreads connections across them); cleared
  // explicitly where the system has it.
  bool share_port = false;
};

ListenerOptions listener_options(Os os) noexcept;

}  // namespace mcpauth::core::platform
