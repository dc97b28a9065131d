// SEP-2322 multi round-trip requests (internal mcp::detail): reading an
// input-required result, building the retry, and the bounded loop over
// callbacks, with vectors.
#include "../../src/mcp/input_required.hpp"

#include <gtest/gtest.h>

#include "mcpauth/error.hpp"
#include "mcpauth/mcp/session.hpp"

namespace mcpauth::mcp::detail {
namespace {

const Json kElicit = {{"method", "elicitation/create"}, {"params", {{"message", "Name?"}}}};

Json asking(Json requests, std::optional<std::string> state = std::nullopt) {
  Json result = {{"resultType", "input_required"}};
  if (!requests.is_null()) result["inputRequests"] = std::move(requests);
  if (state) result["requestState"] = *state;
  return result;
}

ErrorCode code_of_reading(const Json& result) {
  try {
    input_required(result);
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error for " << result.dump();
  return ErrorCode::usage;
}

TEST(InputRequired, OnlyTheThreeRequestsThatMayAskForInputAreRetried) {
  EXPECT_TRUE(may_require_input("tools/call"));
  EXPECT_TRUE(may_require_input("prompts/get"));
  EXPECT_TRUE(may_require_input("resources/read"));
  EXPECT_FALSE(may_require_input("tools/list"));
  EXPECT_FALSE(may_require_input("server/discover"));
  EXPECT_FALSE(may_require_input("tasks/result")) << "answered with tasks/input_response, not a retry";
}

TEST(InputRequired, AResultWithoutInputRequiredIsComplete) {
  EXPECT_FALSE(input_required(Json{{"content", Json::array()}})) << "absent resultType means complete";
  EXPECT_FALSE(input_required(Json{{"content", Json::array()}, {"inputRequests", {{"a", kElicit}}}}))
      << "only resultType decides";
  EXPECT_FALSE(input_required(Json{{"resultType", "complete"}}));
  EXPECT_FALSE(input_required(Json{{"resultType", "task"}, {"taskId", "t"}}));
  EXPECT_FALSE(input_required(Json{{"resultType", 1}}));
  EXPECT_FALSE(input_required(Json::array()));
  EXPECT_FALSE(input_required(Json()));
}

TEST(InputRequired, ReadsEveryRequestWithItsKeyAndTheState) {
  const Json roots = {{"method", "roots/list"}};
  const auto asked = input_required(asking({{"who", kElicit}, {"where", roots}}, "opaque \"state\" \xc3\xa9"));
  ASSERT_TRUE(asked);
  ASSERT_EQ(asked->requests.size(), 2u);
  EXPECT_EQ(asked->requests[0].key, "where");
  EXPECT_EQ(asked->requests[0].method, "roots/list");
  EXPECT_EQ(asked->requests[0].params, Json::object()) << "params absent: an empty object";
  EXPECT_EQ(asked->requests[1].key, "who");
  EXPECT_EQ(asked->requests[1].method, "elicitation/create");
  EXPECT_EQ(asked->requests[1].params, (Json{{"message", "Name?"}}));
  EXPECT_EQ(asked->request_state, "opaque \"state\" \xc3\xa9");
}

TEST(InputRequired, StateAloneOrRequestsAloneAreEnough) {
  const auto state_only = input_required(asking(nullptr, "s"));
  ASSERT_TRUE(state_only);
  EXPECT_TRUE(state_only->requests.empty());
  EXPECT_EQ(state_only->request_state, "s");
  const auto requests_only = input_required(asking({{"a", kElicit}}));
  ASSERT_TRUE(requests_only);
  EXPECT_EQ(requests_only->requests.size(), 1u);
  EXPECT_FALSE(requests_only->request_state);
}

TEST(InputRequired, AMalformedInputRequiredResultIsAProtocolError) {
  EXPECT_EQ(code_of_reading(asking(nullptr)), ErrorCode::protocol) << "neither requests nor state";
  EXPECT_EQ(code_of_reading(asking(Json::array({kElicit}))), ErrorCode::protocol);
  EXPECT_EQ(code_of_reading(asking({{"a", {{"params", Json::object()}}}})), ErrorCode::protocol);
  EXPECT_EQ(code_of_reading(asking({{"a", "elicitation/create"}})), ErrorCode::protocol);
  Json numeric_state = asking({{"a", kElicit}});
  numeric_state["requestState"] = 7;
  EXPECT_EQ(code_of_reading(numeric_state), ErrorCode::protocol);
}

TEST(InputRequired, TheRetryCarriesTheAnswersAndEchoesTheStateExactly) {
  const Json original = {{"name", "t"}, {"arguments", {{"x", 1}}}, {"_meta", {{"k", "v"}}}};
  const InputRequired asked{{{"who", "elicitation/create", Json::object()}}, "s \"1\"\n"};
  const Json retry = retry_params(original, asked, Json{{"who", {{"action", "accept"}}}});
  EXPECT_EQ(retry, (Json{{"name", "t"},
                         {"arguments", {{"x", 1}}},
                         {"_meta", {{"k", "v"}}},
                         {"inputResponses", {{"who", {{"action", "accept"}}}}},
                         {"requestState", "s \"1\"\n"}}));
}

TEST(InputRequired, TheRetryOmitsWhatTheServerDidNotSendAndDropsEarlierRounds) {
  Json earlier = {{"name", "t"}, {"inputResponses", {{"old", 1}}}, {"requestState", "old"}};
  const InputRequired state_only{{}, "new"};
  EXPECT_EQ(retry_params(earlier, state_only, Json::object()), (Json{{"name", "t"}, {"requestState", "new"}}));
  const InputRequired no_state{{{"who", "roots/list", Json::object()}}, std::nullopt};
  EXPECT_EQ(retry_params(earlier, no_state, Json{{"who", {{"roots", Json::array()}}}}),
            (Json{{"name", "t"}, {"inputResponses", {{"who", {{"roots", Json::array()}}}}}}));
}

// The loop over scripted rounds: each send returns the next result.
struct Rounds {
  std::vector<Json> results;
  std::vector<Json> sent;
  SendRound send() {
    return [this](Json params) {
      sent.push_back(params);
      if (sent.size() > results.size()) throw Error(ErrorCode::connection, "unscripted round");
      return results[sent.size() - 1];
    };
  }
};

const AnswerInput kAccept = [](const std::string&, const Json&) { return Json{{"action", "accept"}}; };

TEST(InputRequiredLoop, ARequestThatMayNotAskForInputIsSentOnce) {
  Rounds rounds{{asking({{"a", kElicit}}, "s")}, {}};
  const Json result = complete_with_input("tools/list", Json::object(), rounds.send(), kAccept, "u", 8);
  EXPECT_EQ(result, asking({{"a", kElicit}}, "s")) << "passed on as it came";
  EXPECT_EQ(rounds.sent.size(), 1u);
}

TEST(InputRequiredLoop, StopsAtTheBound) {
  Rounds rounds{std::vector<Json>(3, asking(nullptr, "again")), {}};
  try {
    complete_with_input("tools/call", Json{{"name", "t"}}, rounds.send(), kAccept, "https://s.example/mcp", 2);
    FAIL() << "expected the bound";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::protocol);
    EXPECT_NE(std::string(e.what()).find("after 2 rounds of tools/call"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rounds.sent.size(), 3u) << "the request and two retries";
}

RpcError refusal_of(const AnswerInput& answer) {
  Rounds rounds{{asking({{"a", kElicit}})}, {}};
  try {
    complete_with_input("prompts/get", Json{{"name", "p"}}, rounds.send(), answer, "https://s.example/mcp", 8);
  } catch (const RpcError& e) {
    EXPECT_EQ(rounds.sent.size(), 1u) << "no retry after a refusal";
    return e;
  }
  ADD_FAILURE() << "no refusal";
  return RpcError("none", "", 0, nullptr);
}

TEST(InputRequiredLoop, ARefusalFailsTheCallWithItsCodeAndData) {
  const RpcError declined = refusal_of([](const std::string&, const Json&) -> Json {
    throw RpcError("declined", "", -1, Json{{"why", "user"}});
  });
  EXPECT_EQ(declined.rpc_code(), -1);
  EXPECT_EQ(declined.data(), (Json{{"why", "user"}}));
  EXPECT_NE(std::string(declined.what()).find("(elicitation/create) to complete prompts/get"), std::string::npos);

  EXPECT_EQ(refusal_of(nullptr).rpc_code(), core::jsonrpc::kMethodNotFound) << "no handler at all";
  EXPECT_EQ(refusal_of([](const std::string&, const Json&) -> Json { throw std::runtime_error("broken"); }).rpc_code(),
            core::jsonrpc::kInternalError);
}

TEST(InputRequiredLoop, TheLibrarysOwnErrorsKeepTheirCode) {
  Rounds rounds{{asking({{"a", kElicit}})}, {}};
  try {
    complete_with_input(
        "tools/call", Json::object(), rounds.send(),
        [](const std::string&, const Json&) -> Json { throw Error(ErrorCode::cancelled, "closed"); }, "u", 8);
    FAIL() << "expected the handler's error";
  } catch (const RpcError&) {
    FAIL() << "not turned into a refusal";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled);
  }
}

}  // namespace
}  // namespace mcpauth::mcp::detail
