#pragma once

// IP address literals and socket addresses, without <arpa/inet.h> in the
// caller: core's host classification and net's check of the address libcurl
// connects to work on IpAddress, a plain value. POSIX: inet_pton/inet_ntop
// (ip_address_posix.cpp); Windows: the same functions from <ws2tcpip.h>
// (neither needs WSAStartup).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcpauth::platform {

struct IpAddress {
  bool v6 = false;
  // Network byte order; an IPv4 address fills the first four bytes only.
  std::array<std::uint8_t, 16> bytes{};
};

// The address an IPv4 dotted quad or an IPv6 literal (no brackets, no zone)
// spells; nullopt for anything else, a host name included.
std::optional<IpAddress> parse_ip_address(std::string_view text);

// The canonical text of the address (inet_ntop's: "::1", "127.0.0.1").
std::string format_ip_address(const IpAddress& address);

// The IP address of a sockaddr_in or sockaddr_in6 (read from its family
// field); nullopt for another family.
std::optional<IpAddress> ip_address_of(const void* socket_address) noexcept;

}  // namespace mcpauth::platform
