// What the Bridge writes to its client itself (internal
// mcp::detail::error_answer and the hidden tools), with vectors.
#include "../../src/mcp/bridge_answers.hpp"

#include <gtest/gtest.h>

#include "mcpauth/mcp/bridge.hpp"

namespace mcpauth::mcp::detail {
namespace {

namespace rpc = core::jsonrpc;

TEST(BridgeAnswers, AnErrorAnswerNamesTheCodeAndCarriesTheTypedDetail) {
  const Error plain(ErrorCode::connection, "cannot connect");
  const rpc::ErrorResponse answer = error_answer(7, plain);
  EXPECT_EQ(answer.id, rpc::Id(7));
  EXPECT_EQ(answer.code, kBridgeErrorCode);
  EXPECT_EQ(answer.message, "mcpauth: cannot connect");
  EXPECT_EQ(answer.data, (rpc::Json{{"mcpauth_error", "connection"}}));

  const Error detailed(ErrorCode::insufficient_scope, "more scope", "https://mcp.example/mcp", 403,
                       {.remedies = {Remedy::interactive_consent},
                        .required_scope = "read write",
                        .resource = "https://mcp.example/mcp",
                        .issuer = "https://as.example"});
  const rpc::ErrorResponse with_detail = error_answer("a", detailed);
  EXPECT_EQ(with_detail.id, rpc::Id("a"));
  EXPECT_EQ(with_detail.data["mcpauth_error"], "insufficient_scope");
  EXPECT_EQ(with_detail.data["mcpauth_detail"], (rpc::Json{{"remedies", {"interactive_consent"}},
                                                           {"required_scope", "read write"},
                                                           {"resource", "https://mcp.example/mcp"},
                                                           {"issuer", "https://as.example"}}));
}

TEST(BridgeAnswers, GlobsMatchWholeNames) {
  const std::vector<std::string> globs = {"delete_*", "exact", "*_account", "get?"};
  EXPECT_TRUE(matches_any_glob(globs, "delete_all"));
  EXPECT_TRUE(matches_any_glob(globs, "exact"));
  EXPECT_TRUE(matches_any_glob(globs, "update_account"));
  EXPECT_TRUE(matches_any_glob(globs, "getX"));
  EXPECT_FALSE(matches_any_glob(globs, "exactly"));
  EXPECT_FALSE(matches_any_glob(globs, "undelete_all"));
  EXPECT_FALSE(matches_any_glob(globs, "get"));
  EXPECT_FALSE(matches_any_glob({}, "anything"));
}

TEST(BridgeAnswers, AnAllowListHidesTheRestAndTheIgnoreListStillHidesAmongIt) {
  const ToolFilter ignore_only{{}, {"delete_*"}};
  EXPECT_TRUE(ignore_only.active());
  EXPECT_EQ(ignore_only.hides("delete_all"), "an ignored tool");
  EXPECT_FALSE(ignore_only.hides("read_file"));

  const ToolFilter allow{{"read_*", "search"}, {"read_secret*"}};
  EXPECT_FALSE(allow.hides("read_file"));
  EXPECT_FALSE(allow.hides("search"));
  EXPECT_EQ(allow.hides("searches"), "not among the allowed tools");
  EXPECT_EQ(allow.hides("delete_all"), "not among the allowed tools");
  EXPECT_EQ(allow.hides("read_secrets"), "an ignored tool");

  const ToolFilter none{};
  EXPECT_FALSE(none.active());
  EXPECT_FALSE(none.hides("anything"));
}

TEST(BridgeAnswers, ACallOfAHiddenToolIsRefusedWithInvalidParams) {
  const ToolFilter filter{{}, {"secret*"}};
  const auto refusal = refusal_of_hidden_call(filter, rpc::Request{3, "tools/call", {{"name", "secret_op"}}});
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->id, rpc::Id(3));
  EXPECT_EQ(refusal->code, rpc::kInvalidParams);
  EXPECT_NE(refusal->message.find("secret_op"), std::string::npos);
  EXPECT_FALSE(refusal_of_hidden_call(filter, rpc::Request{3, "tools/call", {{"name", "public"}}}));
  EXPECT_FALSE(refusal_of_hidden_call(filter, rpc::Request{3, "prompts/get", {{"name", "secret_op"}}}));
  EXPECT_FALSE(refusal_of_hidden_call(filter, rpc::Request{3, "tools/call", {{"name", 5}}}));
  EXPECT_FALSE(refusal_of_hidden_call(filter, rpc::Request{3, "tools/call", nullptr}));

  const ToolFilter allow{{"echo"}, {}};
  const auto outside = refusal_of_hidden_call(allow, rpc::Request{"x", "tools/call", {{"name", "add"}}});
  ASSERT_TRUE(outside);
  EXPECT_EQ(outside->message, "mcpauth: the tool add is hidden (not among the allowed tools)");
  EXPECT_FALSE(refusal_of_hidden_call(allow, rpc::Request{"x", "tools/call", {{"name", "echo"}}}));
}

TEST(BridgeAnswers, HiddenToolsAreDroppedFromAToolsListResult) {
  rpc::Json result = {{"tools", {{{"name", "keep"}}, {{"name", "secret_x"}}, "odd", {{"title", "nameless"}}}},
                      {"nextCursor", "c"}};
  drop_hidden_tools({{}, {"secret*"}}, result);
  EXPECT_EQ(result, (rpc::Json{{"tools", {{{"name", "keep"}}, "odd", {{"title", "nameless"}}}}, {"nextCursor", "c"}}));
  rpc::Json not_a_list = {{"tools", "none"}};
  drop_hidden_tools({{}, {"*"}}, not_a_list);
  EXPECT_EQ(not_a_list, (rpc::Json{{"tools", "none"}}));
  rpc::Json array = rpc::Json::array();
  drop_hidden_tools({{}, {"*"}}, array);
  EXPECT_EQ(array, rpc::Json::array());
}

TEST(BridgeAnswers, AnAllowListKeepsOnlyTheNamedToolsItMatches) {
  rpc::Json result = {{"tools", {{{"name", "echo"}}, {{"name", "add"}}, "odd", {{"title", "nameless"}}}}};
  drop_hidden_tools({{"e*"}, {}}, result);
  EXPECT_EQ(result, (rpc::Json{{"tools", {{{"name", "echo"}}}}}));
}

}  // namespace
}  // namespace mcpauth::mcp::detail
