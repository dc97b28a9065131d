#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "mcpauth_internal/platform/peer_owner.hpp"

namespace mcpauth::platform {
namespace {

// Fills `out` (4 words) with the address; its family, or 0 if not numeric.
int parse_address(const std::string& text, __be32 out[4]) {
  std::memset(out, 0, 4 * sizeof(__be32));
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    std::memcpy(out, &v4, sizeof v4);
    return AF_INET;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    std::memcpy(out, &v6, sizeof v6);
    return AF_INET6;
  }
  return 0;
}

class NetlinkSocket {
 public:
  NetlinkSocket() : fd_(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) {}
  ~NetlinkSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// The uid owning the client's socket; nullopt when the kernel does not know
// it (or the lookup fails).
std::optional<uid_t> tcp_peer_uid(const std::string& local_addr, int local_port, const std::string& remote_addr,
                                  int remote_port) {
  struct Request {
    nlmsghdr header;
    inet_diag_req_v2 diag;
  } request{};
  // The client's socket: its source is the remote end, its destination us.
  const int family = parse_address(remote_addr, request.diag.id.idiag_src);
  if (family == 0 || parse_address(local_addr, request.diag.id.idiag_dst) != family) return std::nullopt;
  if (local_port <= 0 || local_port > 65535 || remote_port <= 0 || remote_port > 65535) return std::nullopt;
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.header.nlmsg_flags = NLM_F_REQUEST;  // one exact socket, not a dump
  request.diag.sdiag_family = static_cast<__u8>(family);
  request.diag.sdiag_protocol = IPPROTO_TCP;
  request.diag.idiag_states = ~0u;
  request.diag.id.idiag_sport = htons(static_cast<std::uint16_t>(remote_port));
  request.diag.id.idiag_dport = htons(static_cast<std::uint16_t>(local_port));
  request.diag.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  request.diag.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

  NetlinkSocket sock;
  if (sock.fd() < 0) return std::nullopt;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(sock.fd(), &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) !=
      static_cast<ssize_t>(sizeof request)) {
    return std::nullopt;
  }
  alignas(nlmsghdr) char buffer[8192];
  const ssize_t n = ::recv(sock.fd(), buffer, sizeof buffer, 0);
  if (n <= 0) return std::nullopt;
  // An exact lookup answers one message: the socket, or an error.
  const auto size = static_cast<std::size_t>(n);
  const auto* header = reinterpret_cast<const nlmsghdr*>(buffer);
  const std::size_t wanted = NLMSG_LENGTH(sizeof(inet_diag_msg));
  if (size < wanted || header->nlmsg_type != SOCK_DIAG_BY_FAMILY || header->nlmsg_len < wanted ||
      header->nlmsg_len > size) {
    return std::nullopt;
  }
  const auto* msg = static_cast<const inet_diag_msg*>(NLMSG_DATA(header));
  return static_cast<uid_t>(msg->idiag_uid);
}

}  // namespace

PeerOwner tcp_peer_owner(const std::string& local_addr, int local_port, const std::string& remote_addr,
                         int remote_port) noexcept {
  const auto uid = tcp_peer_uid(local_addr, local_port, remote_addr, remote_port);
  if (!uid) return PeerOwner::unknown;
  return *uid == ::geteuid() ? PeerOwner::this_user : PeerOwner::other_user;
}

}  // namespace mcpauth::platform
