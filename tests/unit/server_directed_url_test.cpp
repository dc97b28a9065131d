// Where a remote server may send mcpauth (issue 11 item 7) and which issuer
// a 2025-03-26 server may name (item 1): vectors for the pure checks, and
// stored discovery records that must not bypass them.
#include <gtest/gtest.h>

#include "error_of.hpp"
#include "mcpauth/auth/discovery.hpp"
#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/core/url.hpp"

namespace mcpauth {
namespace {

using core::HostKind;

TEST(ClassifyHost, NamesTheKindsOfAddressARemoteServerMayNotChoose) {
  EXPECT_EQ(core::classify_host("localhost"), HostKind::loopback);
  EXPECT_EQ(core::classify_host("127.0.0.1"), HostKind::loopback);
  EXPECT_EQ(core::classify_host("127.255.0.9"), HostKind::loopback);
  EXPECT_EQ(core::classify_host("[::1]"), HostKind::loopback);
  EXPECT_EQ(core::classify_host("[::ffff:127.0.0.1]"), HostKind::loopback);
  EXPECT_EQ(core::classify_host("169.254.169.254"), HostKind::link_local);
  EXPECT_EQ(core::classify_host("[::ffff:169.254.169.254]"), HostKind::link_local);
  EXPECT_EQ(core::classify_host("[fe80::1]"), HostKind::link_local);
  EXPECT_EQ(core::classify_host("0.0.0.0"), HostKind::unspecified);
  EXPECT_EQ(core::classify_host("[::]"), HostKind::unspecified);
  EXPECT_EQ(core::classify_host("[fd00:ec2::254]"), HostKind::metadata_service);
  EXPECT_EQ(core::classify_host("100.100.100.200"), HostKind::metadata_service);
  EXPECT_EQ(core::classify_host("example.com"), HostKind::name);
  EXPECT_EQ(core::classify_host("93.184.216.34"), HostKind::name);
  EXPECT_EQ(core::classify_host("[2001:db8::1]"), HostKind::name);
  EXPECT_EQ(core::classify_host("169.255.0.1"), HostKind::name);
}

TEST(PrivateNetworkHost, IsAnIpLiteralOfAPrivateRangeOnly) {
  for (const char* host :
       {"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.10", "100.64.0.1", "100.127.255.254",
        "[fc00::1]", "[fd12:3456::1]", "[::ffff:10.1.2.3]", "[::ffff:192.168.0.1]"}) {
    EXPECT_TRUE(core::is_private_network_host(host)) << host;
  }
  for (const char* host :
       {"9.255.255.255", "11.0.0.1", "172.15.255.255", "172.32.0.1", "192.167.1.1", "100.63.255.255", "100.128.0.1",
        "93.184.216.34", "[2001:db8::1]", "[fe80::1]", "127.0.0.1", "example.com", "10.example.com", "localhost", ""}) {
    EXPECT_FALSE(core::is_private_network_host(host)) << host;
  }
}

void expect_refused(const std::string& url, const std::string& server) {
  try {
    core::oauth::require_server_directed_url(url, "token_endpoint", core::parse_url(server));
    ADD_FAILURE() << url << " allowed for " << server;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::insecure_url) << e.what();
    EXPECT_NE(std::string(e.what()).find("token_endpoint"), std::string::npos) << e.what();
  }
}

TEST(ServerDirectedUrl, LoopbackOnlyWhenTheMcpServerIsOnLoopback) {
  const auto local = core::parse_url("http://127.0.0.1:3000/mcp");
  EXPECT_NO_THROW(core::oauth::require_server_directed_url("http://localhost:4000/token", "t", local));
  EXPECT_NO_THROW(core::oauth::require_server_directed_url("https://as.example.com/token", "t", local));
  expect_refused("http://127.0.0.1:4000/token", "https://mcp.example.com/mcp");
  expect_refused("https://localhost/token", "https://mcp.example.com/mcp");
  expect_refused("https://[::1]:8443/token", "https://mcp.example.com/mcp");
  EXPECT_NO_THROW(core::oauth::require_server_directed_url("https://as.example.com/token", "t",
                                                           core::parse_url("https://mcp.example.com/mcp")));
}

TEST(ServerDirectedUrl, NeverLinkLocalUnspecifiedOrMetadataServices) {
  for (const std::string server : {"http://127.0.0.1:3000/mcp", "https://mcp.example.com/mcp"}) {
    expect_refused("http://169.254.169.254/latest/meta-data", server);
    expect_refused("https://169.254.169.254/token", server);
    expect_refused("https://[::ffff:169.254.169.254]/token", server);
    expect_refused("https://[fe80::1]/token", server);
    expect_refused("https://0.0.0.0/token", server);
    expect_refused("https://[fd00:ec2::254]/token", server);
    expect_refused("https://100.100.100.200/token", server);
  }
}

TEST(ServerDirectedUrl, PlainHttpOffLoopbackStaysRefused) {
  expect_refused("http://as.example.com/token", "https://mcp.example.com/mcp");
}

TEST(OriginIssuer, A2025ServerMustNameItsOwnOriginAsIssuer) {
  core::oauth::AuthorizationServerMetadata m;
  m.issuer = "https://mcp.example.com";
  EXPECT_NO_THROW(core::oauth::require_origin_issuer(m, "https://mcp.example.com", "u"));
  m.issuer = "https://mcp.example.com/";
  EXPECT_NO_THROW(core::oauth::require_origin_issuer(m, "https://mcp.example.com", "u"));
  for (const std::string other : {"https://as.victim.example", "https://mcp.example.com/tenant",
                                  "https://MCP.example.com", "http://mcp.example.com", "https://mcp.example.com:443"}) {
    m.issuer = other;
    try {
      core::oauth::require_origin_issuer(m, "https://mcp.example.com", "u");
      ADD_FAILURE() << other << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::issuer_mismatch) << e.what();
    }
  }
}

std::string legacy_metadata(const std::string& issuer, const std::string& origin) {
  return R"({"issuer":")" + issuer + R"(","authorization_endpoint":")" + origin + R"(/authorize","token_endpoint":")" +
         origin + R"(/token","code_challenge_methods_supported":["S256"]})";
}

// A stored discovery record for https://mcp.example.com/mcp: the AS metadata
// `as_body` of `issuer`, as if fetched from `as_url`.
store::DiscoveryRecord stored_record(const std::string& issuer, const std::string& as_url, const std::string& as_body) {
  store::DiscoveryRecord record;
  record.server_url = "https://mcp.example.com/mcp";
  record.issuer = issuer;
  record.as_url = as_url;
  record.as_body = as_body;
  return record;
}

auth::Discovery load(const store::DiscoveryRecord& record) {
  auth::DiscoveryOptions options;
  options.server_url = record.server_url;
  return auth::from_record(record, options);
}

// Why loading `record` is refused (the test fails if it loads).
Error refusal(const store::DiscoveryRecord& record) {
  return testing::error_of([&] { load(record); });
}

TEST(StoredDiscovery, ARecordCannotBindAnotherIssuerToA2025Server) {
  auto record =
      stored_record("https://as.victim.example", "https://mcp.example.com/.well-known/oauth-authorization-server",
                    legacy_metadata("https://as.victim.example", "https://mcp.example.com"));
  EXPECT_EQ(refusal(record).code(), ErrorCode::issuer_mismatch);

  // The honest record loads.
  record.issuer = "https://mcp.example.com";
  record.as_body = legacy_metadata("https://mcp.example.com", "https://mcp.example.com");
  EXPECT_EQ(load(record).as.issuer, "https://mcp.example.com");
}

TEST(StoredDiscovery, MetadataStoredFromAnotherUrlThanTheIssuersIsRefused) {
  // A document that claims the issuer but was not fetched from its well-known URL.
  auto record = stored_record("https://as.example.com", "https://evil.example/.well-known/oauth-authorization-server",
                              legacy_metadata("https://as.example.com", "https://evil.example"));
  record.prm_url = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
  record.prm_body = R"({"resource":"https://mcp.example.com/mcp","authorization_servers":["https://as.example.com"]})";
  const Error e = refusal(record);
  EXPECT_EQ(e.code(), ErrorCode::issuer_mismatch) << e.what();
  record.as_url = "https://as.example.com/.well-known/oauth-authorization-server";
  record.as_body = legacy_metadata("https://as.example.com", "https://as.example.com");
  EXPECT_EQ(load(record).as.token_endpoint, "https://as.example.com/token");
}

TEST(StoredDiscovery, AStoredEndpointOnAMetadataAddressIsRefused) {
  const auto record =
      stored_record("https://mcp.example.com", "https://mcp.example.com/.well-known/oauth-authorization-server",
                    R"({"issuer":"https://mcp.example.com","authorization_endpoint":"https://mcp.example.com/a",)"
                    R"("token_endpoint":"https://169.254.169.254/token","code_challenge_methods_supported":["S256"]})");
  const Error e = refusal(record);
  EXPECT_EQ(e.code(), ErrorCode::insecure_url) << e.what();
}

}  // namespace
}  // namespace mcpauth
