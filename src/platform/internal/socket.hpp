#pragma once

// The sockets libcurl connects with: opening them (its open-socket
// callback) and asking about them (its socket callback's driver), so that net
// includes no socket header. No socket the library opens may raise
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

// The address family of an open socket (getsockname), to hand the socket to
// Asio as a generic stream socket of that family; -1 when it cannot be read.
int socket_family(NativeSocket socket) noexcept;

// Whether the socket is ready for reading (or writing) right now, or failed
// (its owner then finds out what happened): poll() with no timeout; Windows'
// file will use WSAPoll.
bool socket_ready_now(NativeSocket socket, bool for_write) noexcept;

}  // namespace mcpauth::platform
