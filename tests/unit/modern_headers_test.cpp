// The 2026-07-28 header mirroring (internal mcp::detail::mirrored_headers)
// and its header-safe value encoding, with vectors.
#include "../../src/mcp/modern_headers.hpp"

#include <gtest/gtest.h>

namespace mcpauth::mcp::detail {
namespace {

Json modern_params(Json params, const std::string& version = "2026-07-28") {
  params["_meta"] = {{"io.modelcontextprotocol/protocolVersion", version}, {"other", 1}};
  return params;
}

TEST(ModernHeaders, PlainValuesAreSentAsTheyAre) {
  EXPECT_EQ(header_safe("echo"), "echo");
  EXPECT_EQ(header_safe("file:///tmp/a b.txt"), "file:///tmp/a b.txt");
  EXPECT_EQ(header_safe("~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"), "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./");
  EXPECT_EQ(header_safe("=?base64?"), "=?base64?") << "too short to be the sentinel";
}

TEST(ModernHeaders, OtherValuesUseTheBase64Sentinel) {
  EXPECT_EQ(header_safe(""),
            "=?base64?"
            "?=");  // split: "??=" would be a trigraph
  EXPECT_EQ(header_safe(" lead"), "=?base64?IGxlYWQ=?=");
  EXPECT_EQ(header_safe("trail "), "=?base64?dHJhaWwg?=");
  EXPECT_EQ(header_safe("caf\xc3\xa9"), "=?base64?Y2Fmw6k=?=");
  EXPECT_EQ(header_safe("a\r\nX-Injected: 1"), "=?base64?YQ0KWC1JbmplY3RlZDogMQ==?=");
  EXPECT_EQ(header_safe("tab\there"), "=?base64?dGFiCWhlcmU=?=");
  EXPECT_EQ(header_safe(std::string("nul\0", 4)), "=?base64?bnVsAA==?=");
  // A value that looks encoded already is encoded, so it reads back as itself.
  EXPECT_EQ(header_safe("=?base64?YQ==?="), "=?base64?PT9iYXNlNjQ/WVE9PT89?=");
}

TEST(ModernHeaders, AModernRequestMirrorsVersionMethodAndName) {
  const auto headers = mirrored_headers("tools/call", modern_params({{"name", "echo"}, {"arguments", {}}}));
  EXPECT_EQ(headers.get("MCP-Protocol-Version"), "2026-07-28");
  EXPECT_EQ(headers.get("Mcp-Method"), "tools/call");
  EXPECT_EQ(headers.get("Mcp-Name"), "echo");
  EXPECT_EQ(std::distance(headers.begin(), headers.end()), 3);
}

TEST(ModernHeaders, TheNameIsTheUriWhenThereIsNoName) {
  const auto read = mirrored_headers("resources/read", modern_params({{"uri", "file:///caf\xc3\xa9"}}));
  EXPECT_EQ(read.get("Mcp-Name"), "=?base64?ZmlsZTovLy9jYWbDqQ==?=");
  const auto both = mirrored_headers("prompts/get", modern_params({{"name", "n"}, {"uri", "u"}}));
  EXPECT_EQ(both.get("Mcp-Name"), "n");
  const auto neither = mirrored_headers("tools/list", modern_params({{"cursor", "c"}}));
  EXPECT_FALSE(neither.contains("Mcp-Name"));
  EXPECT_EQ(neither.get("Mcp-Method"), "tools/list");
  const auto not_a_string = mirrored_headers("tools/call", modern_params({{"name", 7}, {"uri", "u"}}));
  EXPECT_EQ(not_a_string.get("Mcp-Name"), "u");
}

TEST(ModernHeaders, HandshakeEraMessagesMirrorNothing) {
  EXPECT_TRUE(mirrored_headers("tools/call", Json{{"name", "echo"}}).empty());
  EXPECT_TRUE(mirrored_headers("tools/call", Json{{"name", "echo"}, {"_meta", {{"progressToken", 1}}}}).empty());
  EXPECT_TRUE(
      mirrored_headers("tools/call", Json{{"_meta", {{"io.modelcontextprotocol/protocolVersion", 2026}}}}).empty());
  EXPECT_TRUE(mirrored_headers("ping", nullptr).empty());
  EXPECT_TRUE(mirrored_headers("ping", Json::array()).empty());
}

}  // namespace
}  // namespace mcpauth::mcp::detail
