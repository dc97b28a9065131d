// app::client_options(): what a configuration entry says, as the
// ClientOptions the command and the gateway both compose from.
#include <gtest/gtest.h>

#include "cli_options.hpp"

namespace mcpauth::app {
namespace {

constexpr const char* kUrl = "https://mcp.example/mcp";

TEST(ClientOptionsOfAnEntry, CarryTheEntrysTransportHeadersAccountAndOAuthSettings) {
  ServerConfig server;
  server.name = "work";
  server.url = kUrl;
  server.transport = "sse";
  server.headers = {{"X-Tenant", "t1"}, {"X-Other", "o"}};
  server.account = "second";
  server.oauth.client_id = "cid";
  server.oauth.client_secret = "secret";
  server.oauth.client_metadata_url = "https://app.example/client.json";
  server.oauth.scope = "read write";
  server.oauth.resource = "https://mcp.example/";
  server.oauth.send_resource = false;

  const ClientOptions o = client_options(server, kUrl);
  EXPECT_EQ(o.url, kUrl);
  EXPECT_EQ(o.transport, mcp::TransportKind::sse);
  EXPECT_EQ(o.headers.get("X-Tenant"), "t1");
  EXPECT_EQ(o.headers.get("X-Other"), "o");
  EXPECT_EQ(o.account, "second");
  EXPECT_TRUE(o.oauth);
  EXPECT_EQ(o.client.client_id, "cid");
  EXPECT_EQ(o.client.client_secret, "secret");
  EXPECT_EQ(o.client.client_metadata_url, "https://app.example/client.json");
  EXPECT_EQ(o.scope, "read write");
  EXPECT_EQ(o.resource, "https://mcp.example/");
  EXPECT_FALSE(o.send_resource);
  EXPECT_TRUE(uses_oauth(o));
}

TEST(ClientOptionsOfAnEntry, OAuthDisabledInTheEntryIsOff) {
  ServerConfig server;
  server.url = kUrl;
  server.oauth.enabled = false;
  EXPECT_FALSE(uses_oauth(client_options(server, kUrl)));
}

TEST(ClientOptionsOfAnEntry, AnAuthorizationHeaderInTheEntryTurnsOAuthOff) {
  ServerConfig server;
  server.url = kUrl;
  server.headers = {{"Authorization", "Bearer from-config"}};
  const ClientOptions o = client_options(server, kUrl);
  EXPECT_TRUE(o.oauth);         // the entry did not switch it off ...
  EXPECT_FALSE(uses_oauth(o));  // ... its header did
}

}  // namespace
}  // namespace mcpauth::app
