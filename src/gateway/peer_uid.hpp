// Which local user owns the other end of a loopback TCP connection. The
// gateway lets only its own user in on a loopback listener without an API
// key (another account on the machine could otherwise use the owner's
// grants). Linux: one exact NETLINK_SOCK_DIAG (inet_diag) lookup of the
// connection's 4-tuple, as `ss -e` does. Other systems would swap this file
// (macOS: LOCAL_PEERPID is for Unix sockets only, so a Unix socket or the
// API key; Windows: GetExtendedTcpTable's owning PID, then its token).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace mcpauth::gateway {

// The uid owning the client's socket of the connection from
// remote_addr:remote_port to local_addr:local_port (numeric IPv4 or IPv6
// addresses); nullopt when the kernel does not know it (or the lookup fails).
std::optional<uid_t> tcp_peer_uid(const std::string& local_addr, int local_port, const std::string& remote_addr,
                                  int remote_port);

}  // namespace mcpauth::gateway
