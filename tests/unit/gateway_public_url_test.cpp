// --public-url: what the gateway accepts as its public address, and the
// Client ID Metadata Document it publishes there.
#include "public_url.hpp"

#include <gtest/gtest.h>

#include "mcpauth/error.hpp"

namespace mcpauth::gateway {
namespace {

TEST(GatewayPublicUrl, IsNormalized) {
  EXPECT_EQ(normalize_public_url("https://gw.example.com"), "https://gw.example.com");
  EXPECT_EQ(normalize_public_url("https://gw.example.com/"), "https://gw.example.com");
  EXPECT_EQ(normalize_public_url("HTTPS://GW.Example.com:443/"), "https://gw.example.com");
  EXPECT_EQ(normalize_public_url("https://gw.example.com:8443/mcp//"), "https://gw.example.com:8443/mcp");
  EXPECT_EQ(normalize_public_url("http://127.0.0.1:8930"), "http://127.0.0.1:8930");
  EXPECT_EQ(normalize_public_url("http://localhost:8930/"), "http://localhost:8930");
}

TEST(GatewayPublicUrl, RefusesWhatCannotBeAClientId) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (const Case& c :
       {Case{"", "is empty"}, Case{"http://gw.example.com", "must be https"},
        Case{"http://10.0.0.1:8930", "must be https"}, Case{"ftp://gw.example.com", "not a URL"},
        Case{"https://gw.example.com/?a=1", "query"}, Case{"https://gw.example.com/#top", "fragment"},
        Case{"https://user:pw@gw.example.com", "not a URL"}, Case{"https://gw.example.com/a/../b", ". or .."},
        Case{"https://gw.example.com/a/%2e%2e/b", ". or .."}, Case{"https://gw.example.com/a b", "plain URL"},
        Case{"gw.example.com", "not a URL"}}) {
    try {
      normalize_public_url(c.url);
      ADD_FAILURE() << c.url << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::usage) << c.url;
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.url << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find("--public-url"), std::string::npos) << e.what();
    }
  }
}

TEST(GatewayPublicUrl, DocumentNamesItselfAndTheCallback) {
  const auto doc = client_metadata_document("https://gw.example.com/team");
  // The client id is the document's own URL, compared by authorization servers as a string.
  EXPECT_EQ(doc["client_id"], "https://gw.example.com/team/oauth/client-metadata.json");
  EXPECT_EQ(doc["client_id"], std::string("https://gw.example.com/team") + kClientMetadataPath);
  EXPECT_EQ(doc["redirect_uris"], nlohmann::json::array({"https://gw.example.com/team/oauth/callback"}));
  EXPECT_EQ(doc["token_endpoint_auth_method"], "none");  // a public client: no secret in a public document
  EXPECT_FALSE(doc.contains("client_secret"));
  EXPECT_EQ(doc["client_name"], "mcpauth gateway");
  EXPECT_EQ(doc["grant_types"], nlohmann::json::array({"authorization_code", "refresh_token"}));
  EXPECT_EQ(doc["response_types"], nlohmann::json::array({"code"}));
}

}  // namespace
}  // namespace mcpauth::gateway
