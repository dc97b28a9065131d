// MCP protocol revisions and result shapes (mcp/protocol).
#include "mcpauth/mcp/protocol.hpp"

#include <gtest/gtest.h>

#include "error_of.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/mcp/session.hpp"

namespace {

using mcpauth::Error;
using mcpauth::ErrorCode;
using namespace mcpauth::mcp;

using mcpauth::testing::error_code_of;

TEST(ProtocolVersions, SupportedVersions) {
  for (auto v : kProtocolVersions) EXPECT_TRUE(is_supported_version(v)) << v;
  EXPECT_TRUE(is_supported_version("2025-06-18"));
  EXPECT_FALSE(is_supported_version("2024-10-07"));
  EXPECT_FALSE(is_supported_version("2025-06-18 "));
  EXPECT_FALSE(is_supported_version(""));
  EXPECT_FALSE(is_supported_version("2099-01-01"));
}

TEST(ProtocolVersions, ListIsOrderedOldestFirst) {
  for (std::size_t i = 1; i < std::size(kProtocolVersions); ++i) {
    EXPECT_LT(kProtocolVersions[i - 1], kProtocolVersions[i]);
  }
  EXPECT_EQ(kProtocolVersions[std::size(kProtocolVersions) - 1], kLatestVersion);
}

TEST(ProtocolVersions, ModernVersions) {
  EXPECT_FALSE(is_modern_version("2024-11-05"));
  EXPECT_FALSE(is_modern_version("2025-06-18"));
  EXPECT_FALSE(is_modern_version(kLatestLegacyVersion));
  EXPECT_TRUE(is_modern_version(kFirstModernVersion));
  EXPECT_TRUE(is_modern_version("2026-07-28"));
  EXPECT_TRUE(is_modern_version("2027-01-01"));
}

TEST(ChooseVersion, PicksNewestCommonVersion) {
  EXPECT_EQ(choose_version({"2024-11-05", "2025-03-26"}), "2025-03-26");
  EXPECT_EQ(choose_version({"2025-06-18", "2024-11-05"}), "2025-06-18") << "server order must not matter";
  EXPECT_EQ(choose_version({"2099-01-01", "2025-11-25", "2024-11-05"}), "2025-11-25");
  EXPECT_EQ(choose_version({std::string(kProtocolVersions[0]), std::string(kLatestVersion)}),
            std::string(kLatestVersion));
}

TEST(ChooseVersion, NoCommonVersionIsNullopt) {
  EXPECT_EQ(choose_version({}), std::nullopt);
  EXPECT_EQ(choose_version({"2023-01-01", "2099-01-01", ""}), std::nullopt);
}

TEST(ParseInitializeResult, Valid) {
  const Json result = {
      {"protocolVersion", "2025-06-18"},
      {"capabilities", {{"tools", {{"listChanged", true}}}}},
      {"serverInfo", {{"name", "demo"}, {"version", "1.2.3"}, {"title", "Demo Server"}}},
      {"instructions", "be nice"},
  };
  const ServerInfo info = parse_initialize_result(result);
  EXPECT_EQ(info.protocol_version, "2025-06-18");
  EXPECT_EQ(info.implementation.name, "demo");
  EXPECT_EQ(info.implementation.version, "1.2.3");
  EXPECT_EQ(info.implementation.title, "Demo Server");
  EXPECT_EQ(info.capabilities["tools"]["listChanged"], true);
  EXPECT_EQ(info.instructions, "be nice");
}

TEST(ParseInitializeResult, OptionalPartsAbsent) {
  const ServerInfo info = parse_initialize_result(Json{{"protocolVersion", "2024-11-05"}});
  EXPECT_EQ(info.protocol_version, "2024-11-05");
  EXPECT_TRUE(info.capabilities.is_object());
  EXPECT_TRUE(info.capabilities.empty());
  EXPECT_EQ(info.implementation.name, "");
  EXPECT_FALSE(info.implementation.title.has_value());
  EXPECT_FALSE(info.instructions.has_value());
}

TEST(ParseInitializeResult, MissingProtocolVersionThrowsProtocol) {
  EXPECT_EQ(error_code_of([] {
              parse_initialize_result(Json{{"capabilities", Json::object()}});
            }),
            ErrorCode::protocol);
}

TEST(ParseInitializeResult, NonStringProtocolVersionThrowsProtocol) {
  EXPECT_EQ(error_code_of([] { parse_initialize_result(Json{{"protocolVersion", 20250618}}); }), ErrorCode::protocol);
}

TEST(ParseInitializeResult, NonObjectThrowsProtocol) {
  EXPECT_EQ(error_code_of([] { parse_initialize_result(Json::array()); }), ErrorCode::protocol);
  EXPECT_EQ(error_code_of([] { parse_initialize_result(Json(nullptr)); }), ErrorCode::protocol);
}

TEST(ParseDiscoverResult, ServerInfoFromMetaOrBesideTheResult) {
  const Json in_meta = {
      {"supportedVersions", {"2026-07-28"}},
      {"capabilities", {{"tools", Json::object()}}},
      {"_meta", {{"io.modelcontextprotocol/serverInfo", {{"name", "meta"}, {"version", "2"}, {"title", "T"}}}}},
      {"serverInfo", {{"name", "beside"}, {"version", "1"}}},
      {"instructions", "hi"},
  };
  const ServerInfo info = parse_discover_result(in_meta, "2026-07-28");
  EXPECT_EQ(info.protocol_version, "2026-07-28");
  EXPECT_EQ(info.implementation.name, "meta") << "_meta wins";
  EXPECT_EQ(info.implementation.version, "2");
  EXPECT_EQ(info.implementation.title, "T");
  EXPECT_TRUE(info.capabilities.contains("tools"));
  EXPECT_EQ(info.instructions, "hi");
  const ServerInfo beside =
      parse_discover_result(Json{{"serverInfo", {{"name", "beside"}, {"version", "1"}}}}, "2026-07-28");
  EXPECT_EQ(beside.implementation.name, "beside");
}

TEST(ParseDiscoverResult, EverythingButTheVersionIsOptional) {
  for (const Json& result : {Json::object(), Json::array(), Json{{"capabilities", 3}, {"instructions", 4}}}) {
    const ServerInfo info = parse_discover_result(result, "2026-07-28");
    EXPECT_EQ(info.protocol_version, "2026-07-28");
    EXPECT_TRUE(info.capabilities.is_object() && info.capabilities.empty()) << result.dump();
    EXPECT_EQ(info.implementation.name, "");
    EXPECT_FALSE(info.instructions.has_value());
  }
}

TEST(StringList, KeepsTheStringsOfAnArray) {
  EXPECT_EQ(string_list(Json{"a", 1, "b", nullptr}), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(string_list(Json("a")).empty());
  EXPECT_TRUE(string_list(Json::object()).empty());
}

TEST(ClientMessages, ClientInfoAndInitializeParams) {
  const Implementation client{"mcpauth", "1.0", std::nullopt};
  EXPECT_EQ(to_json(client), (Json{{"name", "mcpauth"}, {"version", "1.0"}}));
  const Implementation titled{"mcpauth", "1.0", "MCP auth"};
  EXPECT_EQ(to_json(titled), (Json{{"name", "mcpauth"}, {"version", "1.0"}, {"title", "MCP auth"}}));
  const Json caps = {{"roots", Json::object()}};
  EXPECT_EQ(initialize_params("2025-06-18", caps, client),
            (Json{{"protocolVersion", "2025-06-18"},
                  {"capabilities", caps},
                  {"clientInfo", {{"name", "mcpauth"}, {"version", "1.0"}}}}));
}

TEST(ClientMessages, ModernMetaIsAddedBesideWhatIsThere) {
  const Implementation client{"mcpauth", "1.0", std::nullopt};
  const Json params =
      with_modern_meta(Json{{"name", "echo"}, {"_meta", {{"progressToken", 5}}}}, "2026-07-28", client, Json::object());
  EXPECT_EQ(params["name"], "echo");
  EXPECT_EQ(params["_meta"]["progressToken"], 5);
  EXPECT_EQ(params["_meta"]["io.modelcontextprotocol/protocolVersion"], "2026-07-28");
  EXPECT_EQ(params["_meta"]["io.modelcontextprotocol/clientInfo"], to_json(client));
  EXPECT_EQ(params["_meta"]["io.modelcontextprotocol/clientCapabilities"], Json::object());
  // Params that are not an object, or a _meta that is not one, are replaced.
  EXPECT_TRUE(with_modern_meta(nullptr, "2026-07-28", client, Json::object())["_meta"].is_object());
  EXPECT_EQ(with_modern_meta(Json{{"_meta", 1}}, "2026-07-28", client, Json::object())["_meta"].size(), 3u);
}

TEST(ParseTool, Valid) {
  const Json value = {
      {"name", "echo"},
      {"title", "Echo"},
      {"description", "Echoes its input"},
      {"inputSchema", {{"type", "object"}, {"properties", {{"text", {{"type", "string"}}}}}}},
      {"annotations", {{"readOnlyHint", true}}},
  };
  const Tool tool = parse_tool(value);
  EXPECT_EQ(tool.name, "echo");
  EXPECT_EQ(tool.title, "Echo");
  EXPECT_EQ(tool.description, "Echoes its input");
  EXPECT_EQ(tool.input_schema["type"], "object");
  EXPECT_EQ(tool.raw, value) << "raw keeps every field, including unknown ones";
  EXPECT_EQ(tool.raw["annotations"]["readOnlyHint"], true);
}

TEST(ParseTool, MinimalTool) {
  const Tool tool = parse_tool(Json{{"name", "t"}});
  EXPECT_EQ(tool.name, "t");
  EXPECT_FALSE(tool.title.has_value());
  EXPECT_FALSE(tool.description.has_value());
  EXPECT_TRUE(tool.input_schema.is_object());
}

TEST(ParseTool, MissingOrEmptyNameThrowsProtocol) {
  EXPECT_EQ(error_code_of([] { parse_tool(Json{{"description", "no name"}}); }), ErrorCode::protocol);
  EXPECT_EQ(error_code_of([] { parse_tool(Json{{"name", ""}}); }), ErrorCode::protocol);
  EXPECT_EQ(error_code_of([] { parse_tool(Json{{"name", 5}}); }), ErrorCode::protocol);
  EXPECT_EQ(error_code_of([] { parse_tool(Json("echo")); }), ErrorCode::protocol);
}

// One spelling per TransportKind, read back by the one parser (the config
// file, --transport and the dashboard all use the pair).
TEST(TransportKindNames, RoundTripAndAcceptedSpellings) {
  for (const auto kind :
       {TransportKind::automatic, TransportKind::streamable_http, TransportKind::sse, TransportKind::sse_first}) {
    EXPECT_EQ(parse_transport_kind(to_string(kind)), kind) << to_string(kind);
  }
  EXPECT_EQ(to_string(TransportKind::automatic), "auto");
  EXPECT_EQ(to_string(TransportKind::streamable_http), "http");
  EXPECT_EQ(to_string(TransportKind::sse), "sse");
  EXPECT_EQ(to_string(TransportKind::sse_first), "sse-first");
  for (const char* http : {"streamable-http", "streamableHttp", "http-only"}) {
    EXPECT_EQ(parse_transport_kind(http), TransportKind::streamable_http) << http;
  }
  EXPECT_EQ(parse_transport_kind("http-first"), TransportKind::automatic);
  EXPECT_EQ(parse_transport_kind("sse-only"), TransportKind::sse);
  EXPECT_EQ(error_code_of([] { parse_transport_kind("websocket"); }), ErrorCode::usage);
  EXPECT_EQ(error_code_of([] { parse_transport_kind("HTTP"); }), ErrorCode::usage);
}

// A non-2xx answer whose JSON body is this request's JSON-RPC error is the
// answer (2026-07-28's 400 + UnsupportedProtocolVersion); nothing else is.
TEST(ErrorAnswerInBody, OnlyThisRequestsJsonRpcErrorInAJsonBody) {
  const Json id = 7;
  const std::string error =
      R"({"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"Unsupported protocol version"}})";
  const auto answer = error_answer_in_body(id, "application/json; charset=utf-8", error);
  ASSERT_TRUE(answer);
  ASSERT_TRUE(std::holds_alternative<mcpauth::core::jsonrpc::ErrorResponse>(*answer));
  EXPECT_EQ(std::get<mcpauth::core::jsonrpc::ErrorResponse>(*answer).code, -32602);

  EXPECT_FALSE(error_answer_in_body(Json(8), "application/json", error)) << "another request's error";
  EXPECT_FALSE(error_answer_in_body(id, "text/html", error)) << "not a JSON body";
  EXPECT_FALSE(error_answer_in_body(id, "application/json", R"({"jsonrpc":"2.0","id":7,"result":{}})"))
      << "a result is no error answer";
  EXPECT_FALSE(error_answer_in_body(id, "application/json", "[" + error + "," + error + "]")) << "a batch";
  EXPECT_FALSE(error_answer_in_body(id, "application/json", "{\"error\": \"nope\"}")) << "not JSON-RPC";
  EXPECT_FALSE(error_answer_in_body(id, "application/json", "<html>")) << "not JSON";
  EXPECT_FALSE(error_answer_in_body(id, "", error)) << "no content type";
}

}  // namespace
