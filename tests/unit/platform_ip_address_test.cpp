// IP literals (src/platform/ip_address_*.cpp): what core's host
// classification and net's connect-time address check are built on.
#include <gtest/gtest.h>

#include "mcpauth_internal/platform/ip_address.hpp"

namespace {

using mcpauth::platform::format_ip_address;
using mcpauth::platform::parse_ip_address;

TEST(PlatformIpAddress, ParsesBothFamiliesInNetworkOrder) {
  const auto v4 = parse_ip_address("192.168.1.20");
  ASSERT_TRUE(v4.has_value());
  EXPECT_FALSE(v4->v6);
  EXPECT_EQ(v4->bytes[0], 192);
  EXPECT_EQ(v4->bytes[3], 20);
  const auto v6 = parse_ip_address("fe80::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(v6->bytes[0], 0xfe);
  EXPECT_EQ(v6->bytes[1], 0x80);
  EXPECT_EQ(v6->bytes[15], 1);
}

TEST(PlatformIpAddress, RefusesWhatIsNoLiteral) {
  for (const char* text : {"", "localhost", "example.com", "[::1]", "1.2.3", "256.1.1.1", "::1%eth0", "1.2.3.4 "}) {
    EXPECT_FALSE(parse_ip_address(text).has_value()) << text;
  }
}

TEST(PlatformIpAddress, FormatsCanonically) {
  EXPECT_EQ(format_ip_address(*parse_ip_address("127.0.0.1")), "127.0.0.1");
  EXPECT_EQ(format_ip_address(*parse_ip_address("0:0:0:0:0:0:0:1")), "::1");
  EXPECT_EQ(format_ip_address(*parse_ip_address("::FFFF:10.0.0.1")), "::ffff:10.0.0.1");
}

}  // namespace
