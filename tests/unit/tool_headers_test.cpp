// SEP-2243's custom headers (internal mcp::detail::header_declarations,
// param_headers, drop_invalid_tools, ToolHeaderBook) with vectors, and a
// modern Session over a scripted HTTP client: list_tools leaves out the tool
// with an invalid mark, call_tool sends Mcp-Param-* headers; and the same
// for the modern messages a Bridge forwards.
#include "../../src/mcp/tool_headers.hpp"

#include <gtest/gtest.h>

#include "jsonrpc_answer.hpp"
#include "mcpauth/mcp/bridge.hpp"
#include "mcpauth/mcp/session.hpp"
#include "scripted_http_client.hpp"

namespace mcpauth::mcp::detail {
namespace {

// An object schema with the one property `name` described by `property`.
Json with_property(const std::string& name, Json property) {
  return Json{{"type", "object"}, {"properties", {{name, std::move(property)}}}};
}

Json marked(const char* type, Json mark) {
  return Json{{"type", type}, {"x-mcp-header", std::move(mark)}};
}

TEST(ToolHeaders, ThePropertiesOfTheSpecificationsExampleAreRead) {
  const Json schema = {{"type", "object"},
                       {"properties",
                        {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}},
                         {"query", {{"type", "string"}}},
                         {"limits", {{"type", "object"}, {"properties", {{"rows", marked("integer", "Rows")}}}}},
                         {"dry", {{"type", {"boolean", "null"}}, {"x-mcp-header", "Dry-Run"}}}}}};
  const auto declarations = header_declarations(schema);
  EXPECT_EQ(declarations.invalid, "");
  EXPECT_EQ(declarations.headers,
            (std::vector<ParamHeader>{{{"dry"}, "Dry-Run"}, {{"limits", "rows"}, "Rows"}, {{"region"}, "Region"}}));
}

TEST(ToolHeaders, WhatOnlyLooksLikeAMarkIsNone) {
  // A property called x-mcp-header, and the word inside a default value, are data.
  const Json schema = {{"type", "object"},
                       {"properties", {{"x-mcp-header", {{"type", "string"}, {"default", {{"x-mcp-header", "A"}}}}}}}};
  const auto declarations = header_declarations(schema);
  EXPECT_EQ(declarations.invalid, "");
  EXPECT_TRUE(declarations.headers.empty());
  EXPECT_EQ(header_declarations(Json::object()).invalid, "");
  EXPECT_EQ(header_declarations(nullptr).invalid, "");
}

TEST(ToolHeaders, EveryBrokenRuleMakesTheToolInvalid) {
  const std::vector<std::pair<std::string, Json>> cases = {
      {"empty", with_property("v", marked("string", ""))},
      {"not a string", with_property("v", marked("string", 7))},
      {"object type", with_property("v", marked("object", "Data"))},
      {"array type", with_property("v", marked("array", "Items"))},
      {"null type", with_property("v", marked("null", "Nil"))},
      {"number type", with_property("v", marked("number", "Score"))},
      {"no type", with_property("v", Json{{"x-mcp-header", "V"}})},
      {"only null", with_property("v", Json{{"type", {"null"}}, {"x-mcp-header", "V"}})},
      {"space", with_property("v", marked("string", "My Region"))},
      {"colon", with_property("v", marked("string", "Region:Primary"))},
      {"non-ASCII", with_property("v", marked("string", "R\xc3\xa9gion"))},
      {"tab", with_property("v", marked("string", "Region\t1"))},
      {"CR LF", with_property("v", marked("string", "A\r\nB"))},
      {"same twice", Json{{"type", "object"},
                          {"properties", {{"a", marked("string", "Region")}, {"b", marked("string", "Region")}}}}},
      {"same ignoring case",
       Json{{"type", "object"},
            {"properties", {{"a", marked("string", "MyField")}, {"b", marked("string", "myfield")}}}}},
      {"on the root", marked("string", "Root")},
      {"under items", with_property("v", Json{{"type", "array"}, {"items", marked("string", "I")}})},
      {"under anyOf", Json{{"anyOf", {with_property("v", marked("string", "A"))}}}},
      {"under then", Json{{"if", Json::object()}, {"then", with_property("v", marked("string", "T"))}}},
      {"under $defs",
       Json{{"$defs", {{"d", marked("string", "D")}}}, {"properties", {{"v", {{"$ref", "#/$defs/d"}}}}}}},
      {"under additionalProperties", Json{{"additionalProperties", marked("string", "X")}}},
  };
  for (const auto& [label, schema] : cases) {
    const auto declarations = header_declarations(schema);
    EXPECT_NE(declarations.invalid, "") << label;
    EXPECT_TRUE(declarations.headers.empty()) << label;
  }
  // The reason says what is wrong and shows the server's text safely.
  EXPECT_NE(header_declarations(with_property("v", marked("string", "A\r\nB"))).invalid.find("\"A\\r\\nB\""),
            std::string::npos);
}

TEST(ToolHeaders, ValuesAreConvertedAndEncodedAsTheSpecificationSays) {
  const std::vector<ParamHeader> declared = {{{"s"}, "S"},     {{"i"}, "I"},      {{"neg"}, "Neg"},
                                             {{"t"}, "T"},     {{"f"}, "F"},      {{"utf8"}, "U"},
                                             {{"pad"}, "Pad"}, {{"empty"}, "E"},  {{"n", "deep"}, "Deep"},
                                             {{"nil"}, "Nil"}, {{"absent"}, "A"}, {{"float"}, "Float"},
                                             {{"big"}, "Big"}, {{"obj"}, "Obj"},  {{"max"}, "Max"}};
  const Json arguments = {{"s", "us-west1"},
                          {"i", 42},
                          {"neg", -7},
                          {"t", true},
                          {"f", false},
                          {"utf8", "Hello, \xe4\xb8\x96\xe7\x95\x8c"},
                          {"pad", " padded "},
                          {"empty", ""},
                          {"n", {{"deep", "x"}}},
                          {"nil", nullptr},
                          {"float", 3.5},
                          {"big", 9007199254740992LL},
                          {"obj", {{"a", 1}}},
                          {"max", 9007199254740991LL}};
  const auto headers = param_headers(declared, arguments);
  EXPECT_EQ(headers.get("Mcp-Param-S"), "us-west1");
  EXPECT_EQ(headers.get("Mcp-Param-I"), "42");
  EXPECT_EQ(headers.get("Mcp-Param-Neg"), "-7");
  EXPECT_EQ(headers.get("Mcp-Param-T"), "true");
  EXPECT_EQ(headers.get("Mcp-Param-F"), "false");
  EXPECT_EQ(headers.get("Mcp-Param-U"), "=?base64?SGVsbG8sIOS4lueVjA==?=");  // the specification's vector
  EXPECT_EQ(headers.get("Mcp-Param-Pad"), "=?base64?IHBhZGRlZCA=?=");
  EXPECT_EQ(headers.get("Mcp-Param-E"),
            "=?base64??"
            "=");
  EXPECT_EQ(headers.get("Mcp-Param-Deep"), "x");
  EXPECT_EQ(headers.get("Mcp-Param-Max"), "9007199254740991");
  for (const char* omitted : {"Mcp-Param-Nil", "Mcp-Param-A", "Mcp-Param-Float", "Mcp-Param-Big", "Mcp-Param-Obj"}) {
    EXPECT_FALSE(headers.contains(omitted)) << omitted;
  }
  EXPECT_TRUE(param_headers(declared, Json::array()).empty());
}

Json tool(const std::string& name, Json schema) {
  return Json{{"name", name}, {"inputSchema", std::move(schema)}};
}

Json listing() {
  return Json{{"tools",
               {tool("valid_tool", with_property("region", marked("string", "Region"))),
                tool("invalid_number_header", with_property("score", marked("number", "Score"))),
                tool("plain", Json{{"type", "object"}})}},
              {"nextCursor", "c"}};
}

TEST(ToolHeaders, AListingLosesOnlyItsInvalidTools) {
  Json result = listing();
  std::vector<std::string> learned;
  const auto dropped =
      drop_invalid_tools(result, [&](const std::string& name, const HeaderDeclarations&) { learned.push_back(name); });
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].rfind("invalid_number_header: ", 0), 0u) << dropped[0];
  EXPECT_EQ(learned, (std::vector<std::string>{"valid_tool", "plain"}));
  ASSERT_EQ(result["tools"].size(), 2u);
  EXPECT_EQ(result["tools"][0], listing()["tools"][0]) << "a kept tool is passed on unchanged";
  EXPECT_EQ(result["nextCursor"], "c");
}

TEST(ToolHeaders, TheBookReadsOnlyTheAnswersOfTheListsItExpects) {
  ToolHeaderBook book;
  core::jsonrpc::Message unexpected = core::jsonrpc::Response{Json(1), listing()};
  EXPECT_TRUE(book.read(unexpected).empty());
  EXPECT_EQ(std::get<core::jsonrpc::Response>(unexpected).result["tools"].size(), 3u);

  book.expect_list(Json(2));
  core::jsonrpc::Message refused = core::jsonrpc::ErrorResponse{Json(2), -32603, "no", nullptr};
  EXPECT_TRUE(book.read(refused).empty());
  core::jsonrpc::Message late = core::jsonrpc::Response{Json(2), listing()};
  EXPECT_TRUE(book.read(late).empty()) << "an id is expected once";

  book.expect_list(Json("three"));
  core::jsonrpc::Message answer = core::jsonrpc::Response{Json("three"), listing()};
  EXPECT_EQ(book.read(answer).size(), 1u);
  EXPECT_EQ(std::get<core::jsonrpc::Response>(answer).result["tools"].size(), 2u);

  const Json call = {{"name", "valid_tool"}, {"arguments", {{"region", "eu"}}}};
  EXPECT_EQ(book.headers_for_call(call).get("Mcp-Param-Region"), "eu");
  EXPECT_TRUE(book.headers_for_call({{"name", "plain"}, {"arguments", {{"region", "eu"}}}}).empty());
  EXPECT_TRUE(book.headers_for_call({{"name", "unknown"}, {"arguments", {{"region", "eu"}}}}).empty());
}

}  // namespace
}  // namespace mcpauth::mcp::detail

namespace mcpauth::mcp {
namespace {

using test_support::answer;
using test_support::ScriptedHttpClient;

Json discover_result() {
  return Json{{"supportedVersions", {"2026-07-28"}}, {"capabilities", {{"tools", Json::object()}}}};
}

Json tools_result() {
  const Json region = {{"type", "string"}, {"x-mcp-header", "Region"}};
  const Json bad = {{"type", "object"}, {"x-mcp-header", "Data"}};
  return Json{
      {"tools",
       {{{"name", "valid_tool"}, {"inputSchema", {{"type", "object"}, {"properties", {{"region", region}}}}}},
        {{"name", "invalid_object_header"}, {"inputSchema", {{"type", "object"}, {"properties", {{"data", bad}}}}}}}}};
}

SessionOptions modern_options(std::shared_ptr<ScriptedHttpClient> http) {
  SessionOptions options;
  options.url = "https://mcp.example/mcp";
  options.transport = TransportKind::streamable_http;
  options.http = std::move(http);
  return options;
}

TEST(ToolHeadersScripted, AModernSessionLeavesOutTheInvalidToolAndMirrorsTheMarkedArgument) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(discover_result()))
      .then(answer(tools_result()))
      .then(answer(Json{{"content", Json::array()}}))
      .then(answer(Json{{"content", Json::array()}}));
  {
    auto session = Session::connect(modern_options(http));
    const auto tools = session->list_tools();
    ASSERT_EQ(tools.size(), 1u);
    EXPECT_EQ(tools[0].name, "valid_tool");
    session->call_tool("valid_tool", {{"region", "us west 1"}, {"query", "q"}});
    session->call_tool("valid_tool", {{"region", nullptr}});
  }
  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[2].headers.get("Mcp-Param-Region"), "us west 1");
  EXPECT_EQ(sent[2].headers.get("Mcp-Name"), "valid_tool");
  EXPECT_FALSE(sent[3].headers.contains("Mcp-Param-Region")) << "a null argument sends no header";
}

TEST(ToolHeadersScripted, AHandshakeEraSessionKeepsEveryToolAndAddsNoHeader) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(Json{{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()}}))
      .then(405)  // no GET stream
      .then(202)  // notifications/initialized
      .then(answer(tools_result()))
      .then(answer(Json{{"content", Json::array()}}));
  {
    SessionOptions options = modern_options(http);
    options.protocol_version = "2025-11-25";
    auto session = Session::connect(std::move(options));
    EXPECT_EQ(session->list_tools().size(), 2u);
    session->call_tool("valid_tool", {{"region", "eu"}});
  }
  const auto sent = http->requests();
  ASSERT_GE(sent.size(), 5u);
  EXPECT_FALSE(sent[4].headers.contains("Mcp-Param-Region"));
}

// HeaderMismatch, as a 2026-07-28 server answers a call whose Mcp-Param-*
// headers are missing: HTTP 400 with the JSON-RPC error in the body.
test_support::ScriptedHttpClient::Responder header_mismatch() {
  return [](const net::HttpRequest& request) {
    net::HttpResponse response;
    response.status = 400;
    response.headers.set("Content-Type", "application/json");
    response.body = Json{{"jsonrpc", "2.0"},
                         {"id", Json::parse(request.body)["id"]},
                         {"error", {{"code", -32020}, {"message", "Mcp-Param-Region is missing"}}}}
                        .dump();
    return response;
  };
}

TEST(ToolHeadersScripted, AHeaderMismatchListsTheToolsAgainAndSendsTheCallOnceMore) {
  const Json unmarked = {{"tools", {{{"name", "valid_tool"}, {"inputSchema", {{"type", "object"}}}}}}};
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(discover_result()))
      .then(answer(unmarked))
      .then(header_mismatch())
      .then(answer(tools_result()))
      .then(answer(Json{{"content", Json::array()}}))
      .then(header_mismatch())
      .then(answer(tools_result()))
      .then(header_mismatch());
  {
    auto session = Session::connect(modern_options(http));
    session->list_tools();
    EXPECT_FALSE(session->call_tool("valid_tool", {{"region", "eu"}}).is_error());
    try {
      session->call_tool("valid_tool", {{"region", "eu"}});
      ADD_FAILURE() << "a second mismatch in a row is the caller's";
    } catch (const RpcError& e) {
      EXPECT_EQ(e.rpc_code(), -32020);
    }
  }
  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 8u);
  EXPECT_FALSE(sent[2].headers.contains("Mcp-Param-Region"));
  EXPECT_EQ(Json::parse(sent[3].body)["method"], "tools/list");
  EXPECT_EQ(sent[4].headers.get("Mcp-Param-Region"), "eu");
  EXPECT_EQ(Json::parse(sent[6].body)["method"], "tools/list");
  EXPECT_EQ(Json::parse(sent[7].body)["method"], "tools/call");
}

TEST(ToolHeadersScripted, AHandshakeEraErrorWithTheSameCodeIsNotRetried) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(Json{{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()}}))
      .then(405)  // no GET stream
      .then(202)  // notifications/initialized
      .then(header_mismatch());
  SessionOptions options = modern_options(http);
  options.protocol_version = "2025-11-25";
  auto session = Session::connect(std::move(options));
  EXPECT_THROW(session->call_tool("valid_tool", Json::object()), RpcError);
  EXPECT_EQ(http->requests().size(), 4u);
}

// A Bridge carrying a modern host's messages: the host gets the listing
// without the invalid tool, and its call goes out with the header.
TEST(ToolHeadersScripted, ABridgeForwardingModernMessagesDoesTheSame) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(tools_result())).then(answer(Json{{"content", Json::array()}}));
  std::vector<core::jsonrpc::Message> delivered;  // forward() delivers a POST's answer before it returns
  BridgeOptions options;
  options.session = modern_options(http);
  {
    Bridge bridge(std::move(options), [&delivered](core::jsonrpc::Message&& m) { delivered.push_back(std::move(m)); });
    const Json meta = {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"}};
    bridge.forward(core::jsonrpc::Request{1, "tools/list", {{"_meta", meta}}});
    bridge.forward(core::jsonrpc::Request{
        2, "tools/call", {{"name", "valid_tool"}, {"arguments", {{"region", "eu"}}}, {"_meta", meta}}});
  }
  ASSERT_EQ(delivered.size(), 2u);
  const Json& listed = std::get<core::jsonrpc::Response>(delivered[0]).result["tools"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["name"], "valid_tool");
  const auto sent = http->requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].headers.get("Mcp-Param-Region"), "eu");
}

}  // namespace
}  // namespace mcpauth::mcp
