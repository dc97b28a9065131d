#include "mcpauth_internal/platform/ip_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace mcpauth::platform {

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  const std::string z(text);  // inet_pton wants a terminated string
  IpAddress out;
  in_addr v4{};
  if (inet_pton(AF_INET, z.c_str(), &v4) == 1) {
    std::memcpy(out.bytes.data(), &v4, sizeof v4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, z.c_str(), &v6) != 1) return std::nullopt;
  out.v6 = true;
  std::memcpy(out.bytes.data(), &v6, sizeof v6);
  return out;
}

std::string format_ip_address(const IpAddress& address) {
  char text[INET6_ADDRSTRLEN] = {0};
  inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), text, sizeof text);
  return text;
}

std::optional<IpAddress> ip_address_of(const void* socket_address) noexcept {
  sa_family_t family{};
  std::memcpy(&family, static_cast<const char*>(socket_address) + offsetof(sockaddr, sa_family), sizeof family);
  IpAddress out;
  if (family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, socket_address, sizeof in);
    std::memcpy(out.bytes.data(), &in.sin_addr, sizeof in.sin_addr);
    return out;
  }
  if (family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, socket_address, sizeof in6);
    out.v6 = true;
    std::memcpy(out.bytes.data(), &in6.sin6_addr, sizeof in6.sin6_addr);
    return out;
  }
  return std::nullopt;
}

}  // namespace mcpauth::platform
