// How the bridge retries when the server is unreachable, and how it words
// the errors it answers with (what may be sent twice at all is
// retry_policy_test's).
#include "mcpauth/mcp/bridge.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>

namespace mcpauth::mcp {
namespace {

namespace rpc = core::jsonrpc;

// Answers every JSON-RPC request with an empty result, or refuses the
// connection (never sent) while `refuse` is set.
class RefusingHttpClient final : public net::HttpClient {
 public:
  std::atomic<bool> refuse{false};
  std::atomic<int> attempts{0};

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken*) override {
    check(request);
    return net::HttpResponse{202, {}, "", request.url};
  }
  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken*) override {
    check(request);
    const auto body = rpc::Json::parse(request.body);
    if (!body.contains("id")) {
      handler.on_response_start(202, {});
      return;
    }
    handler.on_response_start(200, {{"Content-Type", "application/json"}});
    handler.on_body(rpc::Json{{"jsonrpc", "2.0"}, {"id", body["id"]}, {"result", rpc::Json::object()}}.dump());
  }

 private:
  void check(const net::HttpRequest& request) {
    ++attempts;
    if (refuse)
      throw Error(ErrorCode::connection, request.method + " " + request.url + " failed: cannot connect")
          .mark_never_sent();
  }
};

struct Recorded {
  std::mutex mutex;
  std::vector<std::string> log;
  std::vector<rpc::Message> delivered;
};

BridgeOptions options_for(const std::shared_ptr<RefusingHttpClient>& http, Recorded& recorded) {
  BridgeOptions options;
  options.session.url = "http://127.0.0.1:9/mcp";
  options.session.transport = TransportKind::streamable_http;
  options.session.http = http;
  options.first_backoff = std::chrono::milliseconds(1);
  options.max_backoff = std::chrono::milliseconds(2);
  options.log = [&recorded](const std::string& line) {
    std::lock_guard lock(recorded.mutex);
    recorded.log.push_back(line);
  };
  return options;
}

std::size_t lines_containing(const std::vector<std::string>& lines, const std::string& text) {
  return static_cast<std::size_t>(std::count_if(
      lines.begin(), lines.end(), [&](const std::string& line) { return line.find(text) != std::string::npos; }));
}

TEST(Bridge, ARefusedFirstMessageIsAnsweredAtOnceWithoutRetrying) {
  auto http = std::make_shared<RefusingHttpClient>();
  http->refuse = true;
  Recorded recorded;
  auto options = options_for(http, recorded);
  options.retry_budget = std::chrono::minutes(10);
  Bridge bridge(std::move(options), [&recorded](rpc::Message&& m) { recorded.delivered.push_back(std::move(m)); });
  bridge.forward(rpc::Request{1, "ping", rpc::Json::object()});
  ASSERT_EQ(recorded.delivered.size(), 1u);
  const auto* error = std::get_if<rpc::ErrorResponse>(&recorded.delivered[0]);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->data["mcpauth_error"], "connection");
  EXPECT_EQ(http->attempts.load(), 1);
  EXPECT_EQ(lines_containing(recorded.log, "trying again"), 0u);
}

TEST(Bridge, RetriesOfOneFailureAreLoggedOnceThenCounted) {
  auto http = std::make_shared<RefusingHttpClient>();
  Recorded recorded;
  auto options = options_for(http, recorded);
  options.retry_budget = std::chrono::milliseconds(500);
  Bridge bridge(std::move(options), [&recorded](rpc::Message&& m) { recorded.delivered.push_back(std::move(m)); });
  bridge.forward(rpc::Request{1, "ping", rpc::Json::object()});  // the server was there
  http->refuse = true;
  bridge.forward(rpc::Request{2, "ping", rpc::Json::object()});  // and then went away
  ASSERT_EQ(recorded.delivered.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<rpc::ErrorResponse>(recorded.delivered[1]));
  const int retries = http->attempts.load() - 2;
  ASSERT_GE(retries, 3) << "the budget allows many attempts";
  EXPECT_EQ(lines_containing(recorded.log, "trying again"), 1u);
  EXPECT_LE(lines_containing(recorded.log, "still retrying"), 12u) << "at doubling counts only, not one per attempt";
  EXPECT_LT(recorded.log.size(), static_cast<std::size_t>(retries));
}

// Answers every request with 401 and a Bearer challenge.
class UnauthorizedHttpClient final : public net::HttpClient {
 public:
  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken*) override {
    return net::HttpResponse{401, {{"WWW-Authenticate", "Bearer"}}, "", request.url};
  }
  void stream(const net::HttpRequest&, net::HttpStreamHandler& handler, net::CancelToken*) override {
    handler.on_response_start(401, {{"WWW-Authenticate", "Bearer"}});
  }
};

TEST(Bridge, AnErrorAnswerCarriesTheTypedDetailAndTheHostsWords) {
  Recorded recorded;
  BridgeOptions options;
  options.session.url = "http://127.0.0.1:9/mcp";
  options.session.transport = TransportKind::streamable_http;
  options.session.http = std::make_shared<UnauthorizedHttpClient>();
  std::vector<ErrorCode> seen;
  options.error_answer = [&seen](const Error& e, rpc::ErrorResponse& answer) {
    seen.push_back(e.code());
    if (e.remedies().has(Remedy::static_token)) answer.message += " (host hint)";
  };
  Bridge bridge(std::move(options), [&recorded](rpc::Message&& m) { recorded.delivered.push_back(std::move(m)); });
  bridge.forward(rpc::Request{1, "ping", rpc::Json::object()});
  ASSERT_EQ(recorded.delivered.size(), 1u);
  const auto* error = std::get_if<rpc::ErrorResponse>(&recorded.delivered[0]);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->data["mcpauth_error"], "unauthorized");
  EXPECT_EQ(error->data["mcpauth_detail"]["remedies"], rpc::Json::array({"static_token"})) << error->data.dump();
  EXPECT_EQ(seen, std::vector<ErrorCode>{ErrorCode::unauthorized});
  EXPECT_EQ(error->message.rfind("mcpauth: POST http://127.0.0.1:9/mcp was refused with HTTP 401", 0), 0u)
      << error->message;
  EXPECT_NE(error->message.find(" (host hint)"), std::string::npos) << error->message;
}

TEST(Bridge, AnErrorWithoutDetailHasNoDetailMember) {
  auto http = std::make_shared<RefusingHttpClient>();
  http->refuse = true;
  Recorded recorded;
  Bridge bridge(options_for(http, recorded),
                [&recorded](rpc::Message&& m) { recorded.delivered.push_back(std::move(m)); });
  bridge.forward(rpc::Request{1, "ping", rpc::Json::object()});
  ASSERT_EQ(recorded.delivered.size(), 1u);
  const auto* error = std::get_if<rpc::ErrorResponse>(&recorded.delivered[0]);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->data, (rpc::Json{{"mcpauth_error", "connection"}}));
}

}  // namespace
}  // namespace mcpauth::mcp
