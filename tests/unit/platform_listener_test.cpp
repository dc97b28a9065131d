// The listening socket's options: the decision for Linux, macOS and Windows,
// the POSIX call that sets them, and the gateway's listener sharing its port
// with no one.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http_server.hpp"
#include "mcpauth_internal/core/platform/listener_options.hpp"
#include "mcpauth_internal/platform/listener_socket.hpp"

namespace mcpauth {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using core::platform::listener_options;
using core::platform::Os;
using platform::ListenerFlag;
using platform::set_listener_flag;

TEST(PlatformListener, PosixReusesTheAddressForARestartAndHasNoExclusiveOption) {
  for (const Os os : {Os::linux, Os::macos}) {
    const auto options = listener_options(os);
    EXPECT_TRUE(options.reuse_address) << "a restart must not wait for TIME_WAIT to end";
    EXPECT_FALSE(options.exclusive_address) << "POSIX has no SO_EXCLUSIVEADDRUSE";
    EXPECT_FALSE(options.share_port);
  }
}

TEST(PlatformListener, WindowsBindsExclusivelyAndNeverReusesTheAddress) {
  const auto options = listener_options(Os::windows);
  EXPECT_FALSE(options.reuse_address) << "on Windows SO_REUSEADDR lets another process take the port";
  EXPECT_TRUE(options.exclusive_address);
  EXPECT_FALSE(options.share_port);
}

TEST(PlatformListener, SetsAndClearsTheReuseAddressOption) {
  asio::io_context io;
  tcp::acceptor acceptor(io);
  acceptor.open(tcp::v4());
  ASSERT_FALSE(set_listener_flag(acceptor.native_handle(), ListenerFlag::reuse_address, true));
  tcp::acceptor::reuse_address reuse;
  acceptor.get_option(reuse);
  EXPECT_TRUE(reuse.value());
  ASSERT_FALSE(set_listener_flag(acceptor.native_handle(), ListenerFlag::reuse_address, false));
  acceptor.get_option(reuse);
  EXPECT_FALSE(reuse.value());
}

TEST(PlatformListener, PosixHasNothingToClearForExclusiveUseAndRefusesToSetIt) {
  asio::io_context io;
  tcp::acceptor acceptor(io);
  acceptor.open(tcp::v4());
  EXPECT_FALSE(set_listener_flag(acceptor.native_handle(), ListenerFlag::exclusive_address, false));
  EXPECT_EQ(set_listener_flag(acceptor.native_handle(), ListenerFlag::exclusive_address, true),
            std::make_error_code(std::errc::not_supported));
  EXPECT_TRUE(set_listener_flag(-1, ListenerFlag::reuse_address, true)) << "a bad socket is an error, not ignored";
}

TEST(PlatformListener, TheGatewaysListenerSharesItsPortWithNoOne) {
  gateway::http::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  gateway::http::Server server(options, gateway::http::Router{});
  const int port = server.bind();

  // Another socket asking for every kind of sharing POSIX has: with
  // SO_REUSEPORT on the listener too, this bind would succeed.
  asio::io_context io;
  tcp::acceptor other(io);
  other.open(tcp::v4());
  ASSERT_FALSE(set_listener_flag(other.native_handle(), ListenerFlag::reuse_address, true));
  ASSERT_FALSE(set_listener_flag(other.native_handle(), ListenerFlag::share_port, true));
  boost::system::error_code ec;
  other.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)), ec);
  EXPECT_EQ(ec, asio::error::address_in_use);
}

}  // namespace
}  // namespace mcpauth
