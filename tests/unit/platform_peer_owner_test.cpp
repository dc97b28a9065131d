// The owner of a loopback connection's other end (Linux: sock_diag), as the
// gateway's screen asks for it.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "mcpauth_internal/platform/peer_owner.hpp"

namespace mcpauth::platform {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Connects to a listener of this process and asks who owns the client end,
// seen from the accepted socket as the gateway sees it.
PeerOwner owner_of_own_connection(const char* address) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(address), 0));
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket accepted = acceptor.accept();
  const auto local = accepted.local_endpoint();
  const auto remote = accepted.remote_endpoint();
  return tcp_peer_owner(local.address().to_string(), local.port(), remote.address().to_string(), remote.port());
}

TEST(PlatformPeerOwner, AConnectionOfThisProcessIsThisUsers) {
  EXPECT_EQ(owner_of_own_connection("127.0.0.1"), PeerOwner::this_user);
  EXPECT_EQ(owner_of_own_connection("::1"), PeerOwner::this_user);
}

TEST(PlatformPeerOwner, NoSuchConnectionOrNoAddressIsUnknown) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const int port = acceptor.local_endpoint().port();
  EXPECT_EQ(tcp_peer_owner("127.0.0.1", port, "127.0.0.1", 1), PeerOwner::unknown) << "nothing connected from port 1";
  EXPECT_EQ(tcp_peer_owner("127.0.0.1", port, "localhost", 40000), PeerOwner::unknown) << "not a numeric address";
  EXPECT_EQ(tcp_peer_owner("127.0.0.1", port, "::1", 40000), PeerOwner::unknown) << "mixed families";
  EXPECT_EQ(tcp_peer_owner("127.0.0.1", 0, "127.0.0.1", 40000), PeerOwner::unknown);
}

}  // namespace
}  // namespace mcpauth::platform
