// The gateway's request checks (DNS rebinding, API key, listen address), with vectors.
#include "security.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <utility>

#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::gateway {
namespace {

TEST(GatewaySecurity, ListenAddressesParse) {
  EXPECT_EQ(parse_listen_address("127.0.0.1:9000").host, "127.0.0.1");
  EXPECT_EQ(parse_listen_address("127.0.0.1:9000").port, 9000);
  EXPECT_EQ(parse_listen_address("127.0.0.1").port, 8930);
  EXPECT_EQ(parse_listen_address("[::1]:0").host, "::1");
  EXPECT_EQ(parse_listen_address("[::1]:0").port, 0);
  EXPECT_EQ(parse_listen_address("localhost:1").host, "127.0.0.1");
  for (const char* bad : {"", ":", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "::1:80", "[::1", "[::1]x",
                          "example.com:80", "127.0.0.1:80a", "[fe80::1%lo]:80", "1.2.3:80", "0x7f.0.0.1:80"}) {
    EXPECT_THROW(parse_listen_address(bad), Error) << bad;
  }
}

// The gateway asks core::is_loopback_host whether a listen address is
// loopback (an API key is required otherwise): the spellings --listen yields.
TEST(GatewaySecurity, LoopbackAndWildcardAddresses) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost", "LOCALHOST"}) {
    EXPECT_TRUE(mcpauth::core::is_loopback_host(host)) << host;
  }
  for (const char* host : {"128.0.0.1", "0.0.0.0", "::", "10.0.0.1", "localhost.example", ""}) {
    EXPECT_FALSE(mcpauth::core::is_loopback_host(host)) << host;
  }
  EXPECT_TRUE(is_wildcard_address("0.0.0.0"));
  EXPECT_TRUE(is_wildcard_address("::"));
  EXPECT_TRUE(is_wildcard_address("0:0::0"));
  EXPECT_FALSE(is_wildcard_address("127.0.0.1"));
  EXPECT_FALSE(is_wildcard_address("::1"));
  EXPECT_FALSE(is_wildcard_address("0"));
  EXPECT_FALSE(is_wildcard_address("localhost"));
}

TEST(GatewaySecurity, HostMustNameThisGatewayWithItsPort) {
  const HostPolicy policy("127.0.0.1", 8930);
  for (const char* host : {"127.0.0.1:8930", "localhost:8930", "LocalHost:8930", "[::1]:8930"}) {
    EXPECT_TRUE(policy.host_allowed(host)) << host;
  }
  // A rebound DNS name, another port, a missing port (80), garbage.
  for (const char* host : {"evil.example:8930", "127.0.0.1:8931", "127.0.0.1", "localhost", "", ":8930",
                           "127.0.0.1:8930:1", "[::1:8930", "127.0.0.1:89300"}) {
    EXPECT_FALSE(policy.host_allowed(host)) << host;
  }
}

TEST(GatewaySecurity, OnAWildcardAddressAnyHostWithThePortIsAccepted) {
  const HostPolicy policy("0.0.0.0", 8930);
  EXPECT_TRUE(policy.host_allowed("gateway.lan:8930"));
  EXPECT_FALSE(policy.host_allowed("gateway.lan:80"));
}

TEST(GatewaySecurity, OriginMustBeTheGatewaysOwn) {
  const HostPolicy policy("127.0.0.1", 8930);
  EXPECT_TRUE(policy.origin_allowed("http://127.0.0.1:8930"));
  EXPECT_TRUE(policy.origin_allowed("http://localhost:8930"));
  for (const char* origin : {"https://127.0.0.1:8930", "http://evil.example:8930", "http://127.0.0.1:8930/x", "null",
                             "", "http://", "file://", "http://127.0.0.1:1"}) {
    EXPECT_FALSE(policy.origin_allowed(origin)) << origin;
  }
}

TEST(GatewaySecurity, BearerCredentials) {
  EXPECT_EQ(bearer_credentials("Bearer abc"), "abc");
  EXPECT_EQ(bearer_credentials("bearer  abc "), "abc");
  EXPECT_FALSE(bearer_credentials("Basic abc"));
  EXPECT_FALSE(bearer_credentials("Bearer "));
  EXPECT_FALSE(bearer_credentials("Bearer"));
  EXPECT_FALSE(bearer_credentials(""));
}

TEST(GatewaySecurity, ConstantTimeEqualIsEquality) {
  using Pair = std::pair<std::string_view, std::string_view>;
  for (const auto& [a, b] : {Pair{"", ""}, Pair{"secret-key", "secret-key"}}) {
    EXPECT_TRUE(constant_time_equal(a, b)) << a;
  }
  for (const auto& [a, b] : {Pair{"secret-key", "secret-kez"}, Pair{"secret-key", "secret-key-longer"}, Pair{"a", ""},
                             Pair{std::string_view("a\0", 2), "a"}}) {
    EXPECT_FALSE(constant_time_equal(a, b)) << a << " / " << b;
  }
}

}  // namespace
}  // namespace mcpauth::gateway
