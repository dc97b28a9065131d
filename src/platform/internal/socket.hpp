#pragma once

// Opening the sockets libcurl connects with (its open-socket callback), so
// that net includes no socket header. No socket the library opens may raise
// SIGPIPE in an embedding program; whether the socket itself must say so is
// core/platform/sigpipe.hpp's decision (SO_NOSIGPIPE on macOS; on Linux
// libcurl sends with MSG_NOSIGNAL). POSIX: socket() + setsockopt
// (socket_posix.cpp). Windows' file will call WSASocketW (after WSAStartup,
// which libcurl's global init has made) and has no SIGPIPE.

#include <cstdint>

namespace mcpauth::platform {

// A socket as the system names it: an int descriptor on POSIX, a SOCKET
// (UINT_PTR) on Windows, both of which fit; -1 is INVALID_SOCKET too.
using NativeSocket = std::intptr_t;
inline constexpr NativeSocket kInvalidSocket = -1;

// socket(family, type, protocol); with `no_sigpipe_option`, SO_NOSIGPIPE set
// on it (a system without the option has MSG_NOSIGNAL instead: nothing is
// set there). kInvalidSocket on failure.
NativeSocket open_socket(int family, int type, int protocol, bool no_sigpipe_option) noexcept;

}  // namespace mcpauth::platform
