// The Session against a scripted 2026-07-28 server whose results ask for
// input (SEP-2322): the host's handler answers the embedded requests, and
// each retry is a new request with the answers and the state it was given.
#include <gtest/gtest.h>

#include <latch>
#include <set>
#include <thread>

#include "jsonrpc_answer.hpp"
#include "mcpauth/mcp/session.hpp"
#include "scripted_http_client.hpp"

namespace mcpauth::mcp {
namespace {

using test_support::answer;
using test_support::ScriptedHttpClient;

constexpr const char* kServer = "https://mcp.example/mcp";

const Json kDiscovered = {{"resultType", "complete"}, {"supportedVersions", {"2026-07-28"}}};

Json elicit(const std::string& message) {
  return {{"method", "elicitation/create"}, {"params", {{"message", message}}}};
}

Json asking(Json requests, std::optional<std::string> state) {
  Json result = {{"resultType", "input_required"}, {"inputRequests", std::move(requests)}};
  if (state) result["requestState"] = *state;
  return result;
}

Json done(const std::string& text) {
  return {{"resultType", "complete"}, {"content", Json::array({{{"type", "text"}, {"text", text}}})}};
}

// A server whose answer depends on the request's params.
ScriptedHttpClient::Responder serving(std::function<Json(const Json& params)> result_for) {
  return [result_for = std::move(result_for)](const net::HttpRequest& request) {
    const Json sent = Json::parse(request.body);
    return answer(result_for(sent["params"]))(request);
  };
}

SessionOptions modern_options(std::shared_ptr<ScriptedHttpClient> http) {
  SessionOptions options;
  options.url = kServer;
  options.transport = TransportKind::streamable_http;
  options.http = std::move(http);
  options.capabilities = {{"elicitation", Json::object()}, {"roots", Json::object()}};
  return options;
}

std::vector<Json> bodies(const ScriptedHttpClient& http) {
  std::vector<Json> out;
  for (const auto& request : http.requests()) out.push_back(Json::parse(request.body));
  return out;
}

TEST(SessionInputRequired, TwoRoundsAnswerEachRequestAndEchoEachRoundsState) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(kDiscovered))
      .then(answer(asking({{"who", elicit("Name?")}}, "state-1")))
      .then(answer(asking({{"where", {{"method", "roots/list"}}}}, std::nullopt)))
      .then(answer(done("finished")));
  std::vector<std::string> asked;
  std::set<std::thread::id> threads;
  SessionOptions options = modern_options(http);
  options.on_request = [&](const std::string& method, const Json& params) -> Json {
    asked.push_back(method);
    threads.insert(std::this_thread::get_id());
    if (method == "roots/list") return {{"roots", Json::array({{{"uri", "file:///w"}}})}};
    return {{"action", "accept"}, {"content", {{"name", params.value("message", "")}}}};
  };
  auto session = Session::connect(std::move(options));
  const ToolCallResult result = session->call_tool("greet", {{"x", 1}});

  EXPECT_EQ(result.result, done("finished"));
  EXPECT_EQ(asked, (std::vector<std::string>{"elicitation/create", "roots/list"}));
  EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()}) << "on the requesting thread";
  const auto sent = bodies(*http);
  ASSERT_EQ(sent.size(), 4u);
  std::set<std::string> ids;
  for (std::size_t i = 1; i < 4; ++i) {
    ids.insert(sent[i]["id"].dump());
    EXPECT_EQ(sent[i]["method"], "tools/call") << i;
    EXPECT_EQ(sent[i]["params"]["name"], "greet") << i;
    EXPECT_EQ(sent[i]["params"]["arguments"], (Json{{"x", 1}})) << i;
    EXPECT_EQ(sent[i]["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"], "2026-07-28") << i;
    EXPECT_EQ(http->requests()[i].headers.get("Mcp-Name"), "greet") << i;
  }
  EXPECT_EQ(ids.size(), 3u) << "every round is a new JSON-RPC id";
  EXPECT_FALSE(sent[1]["params"].contains("inputResponses"));
  EXPECT_FALSE(sent[1]["params"].contains("requestState"));
  EXPECT_EQ(sent[2]["params"]["inputResponses"],
            (Json{{"who", {{"action", "accept"}, {"content", {{"name", "Name?"}}}}}}));
  EXPECT_EQ(sent[2]["params"]["requestState"], "state-1");
  EXPECT_EQ(sent[3]["params"]["inputResponses"], (Json{{"where", {{"roots", Json::array({{{"uri", "file:///w"}}})}}}}))
      << "only this round's answers";
  EXPECT_FALSE(sent[3]["params"].contains("requestState")) << "the second round sent no state";
}

TEST(SessionInputRequired, AServerThatKeepsAskingFailsTheCallAfterTheBound) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(kDiscovered));
  for (int i = 0; i <= Session::kMaxInputRounds; ++i) http->then(answer(asking({{"a", elicit("again?")}}, "s")));
  SessionOptions options = modern_options(http);
  int answered = 0;
  options.on_request = [&answered](const std::string&, const Json&) -> Json {
    ++answered;
    return {{"action", "accept"}};
  };
  auto session = Session::connect(std::move(options));
  try {
    session->request("resources/read", {{"uri", "file:///a"}});
    FAIL() << "expected the bound";
  } catch (const RpcError& e) {
    FAIL() << "not a JSON-RPC error: " << e.what();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::protocol) << e.what();
    EXPECT_EQ(e.url(), kServer);
  }
  EXPECT_EQ(answered, Session::kMaxInputRounds);
  EXPECT_EQ(http->requests().size(), 2u + Session::kMaxInputRounds) << "discover, the request, the retries";
  EXPECT_EQ(http->unanswered(), 0u);
}

TEST(SessionInputRequired, AHandlerThatRefusesFailsTheCallWithoutARetry) {
  auto http = std::make_shared<ScriptedHttpClient>();
  http->then(answer(kDiscovered)).then(answer(asking({{"model", {{"method", "sampling/createMessage"}}}}, "s")));
  SessionOptions options = modern_options(http);
  options.on_request = [](const std::string&, const Json&) -> Json {
    throw RpcError("sampling is not allowed here", "", -32600, Json{{"reason", "policy"}});
  };
  auto session = Session::connect(std::move(options));
  try {
    session->request("prompts/get", {{"name", "p"}});
    FAIL() << "expected the refusal";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.rpc_code(), -32600);
    EXPECT_EQ(e.data(), (Json{{"reason", "policy"}}));
    EXPECT_NE(std::string(e.what()).find("sampling/createMessage"), std::string::npos) << e.what();
  }
  EXPECT_EQ(http->requests().size(), 2u);
}

TEST(SessionInputRequired, AResultWithoutResultTypeIsCompleteAndNotRetried) {
  auto http = std::make_shared<ScriptedHttpClient>();
  const Json plain = {{"content", Json::array()}, {"inputRequests", {{"a", elicit("ignored")}}}};
  http->then(answer(kDiscovered)).then(answer(plain));
  SessionOptions options = modern_options(http);
  options.on_request = [](const std::string& method, const Json&) -> Json {
    ADD_FAILURE() << "asked " << method;
    return Json::object();
  };
  auto session = Session::connect(std::move(options));
  EXPECT_EQ(session->call_tool("t", Json::object()).result, plain);
  EXPECT_EQ(http->requests().size(), 2u);
}

// Two calls in flight at once, each asked for input: each retry carries its
// own answer and state, and a call that was not asked carries none.
TEST(SessionInputRequired, ParallelRequestsKeepTheirOwnState) {
  auto http = std::make_shared<ScriptedHttpClient>();
  const auto server = serving([](const Json& params) {
    const std::string name = params["name"];
    if (name == "plain") return done("plain");
    if (!params.contains("requestState")) return asking({{"q", elicit("for " + name)}}, "state-of-" + name);
    return done(params["requestState"].get<std::string>() + "/" +
                params["inputResponses"]["q"]["content"]["for"].get<std::string>());
  });
  http->then(answer(kDiscovered));
  for (int i = 0; i < 5; ++i) http->then(server);
  SessionOptions options = modern_options(http);
  std::latch both_asked(2);  // both first rounds answered before either retries
  options.on_request = [&both_asked](const std::string&, const Json& params) -> Json {
    both_asked.arrive_and_wait();
    return {{"action", "accept"}, {"content", {{"for", params["message"]}}}};
  };
  auto session = Session::connect(std::move(options));
  Json a;
  Json b;
  std::thread first([&] { a = session->call_tool("a", Json::object()).result; });
  std::thread second([&] { b = session->call_tool("b", Json::object()).result; });
  first.join();
  second.join();
  const Json plain = session->call_tool("plain", Json::object()).result;

  EXPECT_EQ(a, done("state-of-a/for a"));
  EXPECT_EQ(b, done("state-of-b/for b"));
  EXPECT_EQ(plain, done("plain"));
  const auto sent = bodies(*http);
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_FALSE(sent[5]["params"].contains("inputResponses"));
  EXPECT_FALSE(sent[5]["params"].contains("requestState"));
}

TEST(SessionInputRequired, AHandshakeEraResultIsNeverRetried) {
  auto http = std::make_shared<ScriptedHttpClient>();
  const Json odd = asking({{"a", elicit("?")}}, "s");
  http->then(answer(Json{{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()}}))
      .then(405)  // no GET stream
      .then(202)  // notifications/initialized
      .then(answer(odd));
  SessionOptions options = modern_options(http);
  options.protocol_version = "2025-11-25";
  options.on_request = [](const std::string& method, const Json&) -> Json {
    ADD_FAILURE() << "asked " << method;
    return Json::object();
  };
  auto session = Session::connect(std::move(options));
  EXPECT_EQ(session->call_tool("t", Json::object()).result, odd) << "passed on as it came";
  EXPECT_EQ(http->requests().size(), 4u);
}

}  // namespace
}  // namespace mcpauth::mcp
