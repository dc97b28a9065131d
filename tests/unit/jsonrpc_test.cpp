// JSON-RPC 2.0 parsing, validation, limits and serialisation (core::jsonrpc).
#include "mcpauth/core/jsonrpc.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "mcpauth/error.hpp"

namespace {

using mcpauth::Error;
using mcpauth::ErrorCode;
namespace rpc = mcpauth::core::jsonrpc;
using rpc::Json;

// Parses text expected to be invalid and returns the error.
Error parse_error_of(std::string_view text, const rpc::ParseLimits& limits = {}) {
  try {
    rpc::parse(text, limits);
  } catch (const Error& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "parse() threw something other than mcpauth::Error: " << e.what() << " for " << text;
    return Error(ErrorCode::usage, "wrong exception type");
  }
  ADD_FAILURE() << "parse() accepted " << text;
  return Error(ErrorCode::usage, "not thrown");
}

rpc::Message parse_one(std::string_view text) {
  auto messages = rpc::parse(text);
  EXPECT_EQ(messages.size(), 1u);
  return messages.at(0);
}

std::string nested_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']');
}

TEST(JsonRpcParse, Request) {
  const auto m = parse_one(R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"c"}})");
  ASSERT_TRUE(std::holds_alternative<rpc::Request>(m));
  const auto& r = std::get<rpc::Request>(m);
  EXPECT_EQ(r.id, Json(1));
  EXPECT_EQ(r.method, "tools/list");
  EXPECT_EQ(r.params, Json({{"cursor", "c"}}));
}

TEST(JsonRpcParse, RequestWithoutParamsHasNullParams) {
  const auto m = parse_one(R"({"jsonrpc":"2.0","id":"a","method":"ping"})");
  ASSERT_TRUE(std::holds_alternative<rpc::Request>(m));
  EXPECT_TRUE(std::get<rpc::Request>(m).params.is_null());
}

TEST(JsonRpcParse, RequestWithArrayParams) {
  const auto m = parse_one(R"({"jsonrpc":"2.0","id":2,"method":"sum","params":[1,2]})");
  ASSERT_TRUE(std::holds_alternative<rpc::Request>(m));
  EXPECT_EQ(std::get<rpc::Request>(m).params, Json::array({1, 2}));
}

TEST(JsonRpcParse, Notification) {
  const auto m = parse_one(R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}})");
  ASSERT_TRUE(std::holds_alternative<rpc::Notification>(m));
  const auto& n = std::get<rpc::Notification>(m);
  EXPECT_EQ(n.method, "notifications/progress");
  EXPECT_EQ(n.params["progress"], 1);
}

TEST(JsonRpcParse, Response) {
  const auto m = parse_one(R"({"jsonrpc":"2.0","id":5,"result":{"tools":[]}})");
  ASSERT_TRUE(std::holds_alternative<rpc::Response>(m));
  const auto& r = std::get<rpc::Response>(m);
  EXPECT_EQ(r.id, Json(5));
  EXPECT_EQ(r.result, Json({{"tools", Json::array()}}));
}

TEST(JsonRpcParse, ResponseWithNullResult) {
  const auto m = parse_one(R"({"jsonrpc":"2.0","id":5,"result":null})");
  ASSERT_TRUE(std::holds_alternative<rpc::Response>(m));
  EXPECT_TRUE(std::get<rpc::Response>(m).result.is_null());
}

TEST(JsonRpcParse, ErrorWithData) {
  const auto m =
      parse_one(R"({"jsonrpc":"2.0","id":"x","error":{"code":-32602,"message":"bad","data":{"field":"a"}}})");
  ASSERT_TRUE(std::holds_alternative<rpc::ErrorResponse>(m));
  const auto& e = std::get<rpc::ErrorResponse>(m);
  EXPECT_EQ(e.id, Json("x"));
  EXPECT_EQ(e.code, rpc::kInvalidParams);
  EXPECT_EQ(e.message, "bad");
  EXPECT_EQ(e.data, Json({{"field", "a"}}));
}

TEST(JsonRpcParse, ErrorWithoutDataHasNullData) {
  const auto m = parse_one(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no such method"}})");
  ASSERT_TRUE(std::holds_alternative<rpc::ErrorResponse>(m));
  EXPECT_TRUE(std::get<rpc::ErrorResponse>(m).data.is_null());
  EXPECT_EQ(std::get<rpc::ErrorResponse>(m).code, rpc::kMethodNotFound);
}

TEST(JsonRpcParse, ErrorWithNullId) {
  const auto m = parse_one(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})");
  ASSERT_TRUE(std::holds_alternative<rpc::ErrorResponse>(m));
  EXPECT_TRUE(std::get<rpc::ErrorResponse>(m).id.is_null());
  EXPECT_TRUE(rpc::is_response(m));
}

TEST(JsonRpcParse, MixedBatchKeepsOrderAndKinds) {
  const auto messages = rpc::parse(R"([
    {"jsonrpc":"2.0","id":1,"result":{}},
    {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info"}},
    {"jsonrpc":"2.0","id":"r","method":"sampling/createMessage","params":{}},
    {"jsonrpc":"2.0","id":2,"error":{"code":-1,"message":"m"}}
  ])");
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_TRUE(std::holds_alternative<rpc::Response>(messages[0]));
  EXPECT_TRUE(std::holds_alternative<rpc::Notification>(messages[1]));
  EXPECT_TRUE(std::holds_alternative<rpc::Request>(messages[2]));
  EXPECT_TRUE(std::holds_alternative<rpc::ErrorResponse>(messages[3]));
}

TEST(JsonRpcParse, EmptyBatchIsRejected) {
  EXPECT_EQ(parse_error_of("[]").code(), ErrorCode::protocol);
}

TEST(JsonRpcParse, BatchWithOneInvalidElementIsRejected) {
  EXPECT_EQ(parse_error_of(R"([{"jsonrpc":"2.0","id":1,"result":1}, 3])").code(), ErrorCode::protocol);
}

class JsonRpcInvalid : public ::testing::TestWithParam<const char*> {};

TEST_P(JsonRpcInvalid, IsAProtocolError) {
  EXPECT_EQ(parse_error_of(GetParam()).code(), ErrorCode::protocol);
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, JsonRpcInvalid,
    ::testing::Values(R"({"id":1,"result":{}})",                  // missing jsonrpc
                      R"({"jsonrpc":"1.0","id":1,"result":{}})",  // wrong version
                      R"({"jsonrpc":2.0,"id":1,"result":{}})",    // version not a string
                      R"({"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"m"}})",  // both
                      R"({"jsonrpc":"2.0","id":1})",                                               // neither
                      R"({"jsonrpc":"2.0","id":1,"error":{"code":1.5,"message":"m"}})",            // non-integer code
                      R"({"jsonrpc":"2.0","id":1,"error":{"code":"1","message":"m"}})",            // string code
                      R"({"jsonrpc":"2.0","id":1,"error":{"message":"m"}})",                       // no code
                      R"({"jsonrpc":"2.0","id":1,"error":{"code":1}})",                            // no message
                      R"({"jsonrpc":"2.0","id":1,"error":"boom"})",                     // error not an object
                      R"({"jsonrpc":"2.0","id":1.5,"result":{}})",                      // float id (response)
                      R"({"jsonrpc":"2.0","id":1.5,"method":"m"})",                     // float id (request)
                      R"({"jsonrpc":"2.0","id":true,"method":"m"})",                    // bool id
                      R"({"jsonrpc":"2.0","id":null,"result":{}})",                     // null id on a result
                      R"({"jsonrpc":"2.0","id":{},"error":{"code":1,"message":"m"}})",  // object id
                      R"({"jsonrpc":"2.0","id":1,"method":"m","params":"str"})",        // string params
                      R"({"jsonrpc":"2.0","method":"m","params":42})",                  // number params
                      R"({"jsonrpc":"2.0","method":7})",                                // method not a string
                      R"({"jsonrpc":"2.0"})",                                           // nothing
                      R"("just a string")", R"(42)", R"(null)", R"([[]])"));

TEST(JsonRpcParse, MalformedJsonIsAProtocolErrorMentioningMalformedJson) {
  for (const char* text : {"{", "{\"jsonrpc\":", "not json", "{\"a\":1,}", "", "\"\xff\""}) {
    const Error e = parse_error_of(text);
    EXPECT_EQ(e.code(), ErrorCode::protocol) << text;
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
}

TEST(JsonRpcParse, NumberOverflowIsAProtocolError) {
  // nlohmann reports 1e400 as out_of_range, not parse_error: it must still
  // come out as mcpauth::Error(protocol).
  EXPECT_EQ(parse_error_of(R"({"jsonrpc":"2.0","id":1,"result":1e400})").code(), ErrorCode::protocol);
  EXPECT_EQ(parse_error_of("-1e999").code(), ErrorCode::protocol);
}

TEST(JsonRpcParse, NestingDeeperThanLimitIsRejected) {
  const std::string text = R"({"jsonrpc":"2.0","id":1,"result":)" + nested_arrays(200) + "}";
  const Error e = parse_error_of(text, rpc::ParseLimits{1u << 20, 128});
  EXPECT_EQ(e.code(), ErrorCode::protocol);
}

TEST(JsonRpcParse, NestingWithinLimitIsAccepted) {
  const std::string text = R"({"jsonrpc":"2.0","id":1,"result":)" + nested_arrays(100) + "}";
  const auto messages = rpc::parse(text, rpc::ParseLimits{1u << 20, 128});
  ASSERT_EQ(messages.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<rpc::Response>(messages[0]));
  EXPECT_TRUE(std::get<rpc::Response>(messages[0]).result.is_array());
}

TEST(JsonRpcParse, DeeplyNestedGarbageDoesNotExhaustTheStack) {
  const std::string text(1u << 20, '[');
  EXPECT_EQ(parse_error_of(text).code(), ErrorCode::protocol);
}

TEST(JsonRpcParse, TextLargerThanLimitIsResponseTooLarge) {
  const std::string text = R"({"jsonrpc":"2.0","id":1,"result":")" + std::string(200, 'x') + "\"}";
  EXPECT_EQ(parse_error_of(text, rpc::ParseLimits{100, 128}).code(), ErrorCode::response_too_large);
  EXPECT_NO_THROW(rpc::parse(text, rpc::ParseLimits{text.size(), 128}));
}

// ---- serialisation ---------------------------------------------------------

void expect_round_trip(const rpc::Message& original) {
  const std::string text = rpc::serialize(original);
  const auto parsed = rpc::parse(text);
  ASSERT_EQ(parsed.size(), 1u) << text;
  EXPECT_EQ(parsed[0].index(), original.index()) << text;
  EXPECT_EQ(rpc::to_json(parsed[0]), rpc::to_json(original)) << text;
  EXPECT_EQ(rpc::serialize(parsed[0]), text);
}

TEST(JsonRpcSerialize, RequestRoundTrips) {
  expect_round_trip(rpc::Request{7, "tools/call", Json{{"name", "echo"}, {"arguments", {{"x", 1}}}}});
  expect_round_trip(rpc::Request{"abc", "ping", nullptr});
}

TEST(JsonRpcSerialize, NotificationRoundTrips) {
  expect_round_trip(rpc::Notification{"notifications/initialized", nullptr});
  expect_round_trip(rpc::Notification{"notifications/cancelled", Json{{"requestId", 3}}});
}

TEST(JsonRpcSerialize, ResponseRoundTrips) {
  expect_round_trip(rpc::Response{1, Json{{"content", Json::array({Json{{"type", "text"}}})}}});
  expect_round_trip(rpc::Response{"s", nullptr});
}

TEST(JsonRpcSerialize, ErrorResponseRoundTrips) {
  expect_round_trip(rpc::ErrorResponse{1, -32601, "Method not found", nullptr});
  expect_round_trip(rpc::ErrorResponse{nullptr, -32700, "Parse error", Json{{"detail", "x"}}});
}

TEST(JsonRpcSerialize, AbsentParamsAndDataAreOmitted) {
  const Json request = Json::parse(rpc::serialize(rpc::Request{1, "ping", nullptr}));
  EXPECT_FALSE(request.contains("params"));
  EXPECT_EQ(request["jsonrpc"], "2.0");
  const Json error = Json::parse(rpc::serialize(rpc::ErrorResponse{1, -1, "m", nullptr}));
  EXPECT_FALSE(error["error"].contains("data"));
}

TEST(JsonRpcSerialize, IdsRoundTripExactly) {
  const char* texts[] = {
      R"({"jsonrpc":"2.0","id":"1","result":{}})",
      R"({"jsonrpc":"2.0","id":1,"result":{}})",
      R"({"jsonrpc":"2.0","id":"","result":{}})",
      R"({"jsonrpc":"2.0","id":-5,"result":{}})",
      R"({"jsonrpc":"2.0","id":9007199254740993,"result":{}})",
      R"({"jsonrpc":"2.0","id":18446744073709551615,"result":{}})",
      R"({"jsonrpc":"2.0","id":"\u00e9\ud83d\ude00","result":{}})",
  };
  for (const char* text : texts) {
    const auto m = parse_one(text);
    const Json original_id = Json::parse(text)["id"];
    const Json id = rpc::id_of(m);
    EXPECT_EQ(id, original_id) << text;
    EXPECT_EQ(id.type(), original_id.type()) << text;
    EXPECT_EQ(Json::parse(rpc::serialize(m))["id"].dump(), original_id.dump()) << text;
  }
  // A string "1" and an integer 1 are different ids.
  EXPECT_NE(rpc::id_of(parse_one(R"({"jsonrpc":"2.0","id":"1","result":{}})")),
            rpc::id_of(parse_one(R"({"jsonrpc":"2.0","id":1,"result":{}})")));
}

TEST(JsonRpcSerialize, InvalidUtf8DoesNotThrow) {
  const rpc::Request request{1, "tools/call", Json{{"arguments", {{"text", std::string("bad \xff\xfe utf8")}}}}};
  std::string text;
  ASSERT_NO_THROW(text = rpc::serialize(request));
  // The output is valid JSON again (the bad bytes were replaced).
  const auto parsed = rpc::parse(text);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<rpc::Request>(parsed[0]));
  EXPECT_NO_THROW(rpc::serialize(rpc::Notification{std::string("m\xc3"), nullptr}));
}

TEST(JsonRpcHelpers, IdOfEachKind) {
  EXPECT_EQ(rpc::id_of(rpc::Request{3, "m", nullptr}), Json(3));
  EXPECT_EQ(rpc::id_of(rpc::Response{"r", nullptr}), Json("r"));
  EXPECT_EQ(rpc::id_of(rpc::ErrorResponse{4, 1, "m", nullptr}), Json(4));
  EXPECT_TRUE(rpc::id_of(rpc::Notification{"m", nullptr}).is_null());
}

TEST(JsonRpcHelpers, IsResponse) {
  EXPECT_TRUE(rpc::is_response(rpc::Response{1, nullptr}));
  EXPECT_TRUE(rpc::is_response(rpc::ErrorResponse{1, 1, "m", nullptr}));
  EXPECT_FALSE(rpc::is_response(rpc::Request{1, "m", nullptr}));
  EXPECT_FALSE(rpc::is_response(rpc::Notification{"m", nullptr}));
}

TEST(JsonRpcHelpers, FromJsonRejectsABatch) {
  EXPECT_THROW(rpc::from_json(Json::array({Json{{"jsonrpc", "2.0"}, {"method", "m"}}})), Error);
}

}  // namespace
