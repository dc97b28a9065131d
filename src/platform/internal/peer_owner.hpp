#pragma once

// Which local user owns the other end of a loopback TCP connection. The
// gateway lets only its own user in on a loopback listener without an API
// key (another account on the machine could otherwise use the owner's
// grants). Linux (peer_owner_linux.cpp): one exact NETLINK_SOCK_DIAG
// (inet_diag) lookup of the connection's 4-tuple, as `ss -e` does, against
// the effective uid. macOS has no owner lookup for TCP (LOCAL_PEERPID is for
// Unix sockets only): its file will answer unknown (a Unix socket or the API
// key instead). Windows' file: GetExtendedTcpTable's owning PID, then that
// process's token user against ours.

#include <string>

namespace mcpauth::platform {

enum class PeerOwner { this_user, other_user, unknown };

// The owner of the client's socket of the connection from
// remote_addr:remote_port to local_addr:local_port (numeric IPv4 or IPv6
// addresses); unknown when the system cannot tell (or the lookup fails).
PeerOwner tcp_peer_owner(const std::string& local_addr, int local_port, const std::string& remote_addr,
                         int remote_port) noexcept;

}  // namespace mcpauth::platform
