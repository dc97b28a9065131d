// The Session driven in-process over a scripted HTTP client: the exact
// requests of a handshake-era session, from initialize to DELETE.
#include <gtest/gtest.h>

#include "mcpauth/mcp/session.hpp"
#include "scripted_http_client.hpp"

namespace mcpauth::mcp {
namespace {

using test_support::ScriptedHttpClient;

constexpr const char* kServer = "https://mcp.example/mcp";

// Answers a JSON-RPC request with `result`, keeping its id.
ScriptedHttpClient::Responder answer(Json result, net::HttpHeaders headers = {}) {
  return [result = std::move(result), headers = std::move(headers)](const net::HttpRequest& request) {
    net::HttpResponse response;
    response.status = 200;
    response.headers = headers;
    response.headers.set("Content-Type", "application/json");
    const Json sent = Json::parse(request.body);
    response.body = Json{{"jsonrpc", "2.0"}, {"id", sent["id"]}, {"result", result}}.dump();
    return response;
  };
}

Json initialize_result() {
  return Json{{"protocolVersion", "2025-06-18"},
              {"capabilities", {{"tools", Json::object()}}},
              {"serverInfo", {{"name", "scripted"}, {"version", "1"}}}};
}

SessionOptions options_for(std::shared_ptr<ScriptedHttpClient> http) {
  SessionOptions options;
  options.url = kServer;
  options.transport = TransportKind::streamable_http;
  options.http = std::move(http);
  options.protocol_version = "2025-06-18";
  options.remembered.protocol_version = "2025-06-18";  // known: no server/discover probe first
  options.remembered.transport = "streamable-http";
  return options;
}

TEST(SessionScripted, AHandshakeSessionCarriesItsIdAndVersionAndEndsWithDelete) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(initialize_result(), {{"Mcp-Session-Id", "s-1"}}))
      .then(405)  // no GET stream offered
      .then(202)  // notifications/initialized
      .then(answer(Json{{"tools", Json::array({Json{{"name", "echo"}, {"inputSchema", {{"type", "object"}}}}})}}))
      .then(200);  // DELETE
  {
    auto session = Session::connect(options_for(http));
    const auto tools = session->list_tools();
    ASSERT_EQ(tools.size(), 1u);
    EXPECT_EQ(tools[0].name, "echo");
  }
  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(Json::parse(sent[0].body)["method"], "initialize");
  EXPECT_EQ(Json::parse(sent[0].body)["params"]["protocolVersion"], "2025-06-18");
  EXPECT_FALSE(sent[0].headers.contains("Mcp-Session-Id"));
  EXPECT_EQ(sent[1].method, "GET");
  EXPECT_EQ(sent[1].headers.get("Accept"), "text/event-stream");
  for (std::size_t i = 1; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].headers.get("Mcp-Session-Id"), "s-1") << i;
    EXPECT_EQ(sent[i].headers.get("MCP-Protocol-Version"), "2025-06-18") << i;
  }
  EXPECT_EQ(Json::parse(sent[2].body)["method"], "notifications/initialized");
  EXPECT_EQ(Json::parse(sent[3].body)["method"], "tools/list");
  EXPECT_EQ(sent[4].method, "DELETE");
  EXPECT_EQ(http->unanswered(), 0u);
}

TEST(SessionScripted, ARefusalWithoutCredentialsIsAnUnauthorizedErrorNotARetry) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(401, {{"WWW-Authenticate", "Bearer realm=\"scripted\""}});
  try {
    Session::connect(options_for(http));
    FAIL() << "expected unauthorized";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unauthorized) << e.what();
    EXPECT_EQ(e.http_status(), 401);
  }
  EXPECT_EQ(http->requests().size(), 1u);
}

}  // namespace
}  // namespace mcpauth::mcp
