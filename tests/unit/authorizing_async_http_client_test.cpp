// The credentials seam on an event loop: credentials applied before a
// transfer starts, a 401 at the start of a stream held back from the
// handler, on_rejected() run on the blocking pool (never where the loop
// reports), the stream started again with the new credentials, and a
// refusal no retry follows handed on as the server sent it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mcpauth/mcp/authorizing_http_client.hpp"
#include "scripted_async_http_client.hpp"

namespace mcpauth {
namespace {

using test_support::ScriptedAsyncHttpClient;

class CountingAuthorizer final : public mcp::RequestAuthorizer {
 public:
  explicit CountingAuthorizer(ScriptedAsyncHttpClient& client, int accept_rejections)
      : client_(client), accept_(accept_rejections) {}
  void apply(net::HttpRequest& request) override {
    request.headers.set("Authorization", "Bearer t" + std::to_string(token_));
  }
  bool on_rejected(const net::HttpRequest& request, const mcp::Rejection& rejection) override {
    rejected_on_pool.push_back(client_.inside_blocking.load() > 0);
    rejected_tokens.push_back(request.headers.get("Authorization").value_or(""));
    statuses.push_back(rejection.status);
    if (accept_-- <= 0) return false;
    ++token_;
    return true;
  }
  std::vector<bool> rejected_on_pool;
  std::vector<std::string> rejected_tokens;
  std::vector<int> statuses;

 private:
  ScriptedAsyncHttpClient& client_;
  int accept_;
  int token_ = 1;
};

class RecordingHandler final : public net::AsyncStreamHandler {
 public:
  bool on_response_start(int s, const net::HttpHeaders&) override {
    status = s;
    return true;
  }
  bool on_body(std::string_view chunk) override {
    body.append(chunk);
    return true;
  }
  void on_done(const Error* error) override {
    ++done;
    if (error) code = error->code();
  }
  int status = 0;
  std::string body;
  int done = 0;
  std::optional<ErrorCode> code;
};

net::HttpRequest stream_request() {
  net::HttpRequest r;
  r.url = "https://mcp.example/mcp";
  return r;
}

TEST(AuthorizingAsyncHttpClient, RefreshesOnThePoolAndStartsTheStreamAgainWithNewCredentials) {
  auto inner = std::make_shared<ScriptedAsyncHttpClient>();
  auto authorizer = std::make_shared<CountingAuthorizer>(*inner, 1);
  auto client = mcp::with_credentials(std::shared_ptr<net::AsyncHttpClient>(inner), authorizer);
  auto handler = std::make_shared<RecordingHandler>();
  client->start(stream_request(), handler);

  auto first = inner->next_transfer();
  EXPECT_EQ(first.request.headers.get("Authorization"), "Bearer t1");
  first.answer(401, {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}}, "expired");
  EXPECT_EQ(handler->status, 0);  // held back
  EXPECT_EQ(handler->done, 0);
  ASSERT_EQ(authorizer->rejected_on_pool.size(), 1u);
  EXPECT_TRUE(authorizer->rejected_on_pool[0]);
  EXPECT_EQ(authorizer->rejected_tokens[0], "Bearer t1");

  auto second = inner->next_transfer();
  EXPECT_EQ(second.request.headers.get("Authorization"), "Bearer t2");
  second.answer(200, {{"Content-Type", "text/event-stream"}}, "data: x\n\n");
  EXPECT_EQ(handler->status, 200);
  EXPECT_EQ(handler->body, "data: x\n\n");
  EXPECT_EQ(handler->done, 1);
  EXPECT_FALSE(handler->code);
}

TEST(AuthorizingAsyncHttpClient, ARefusalNoRetryFollowsReachesTheHandlerAsSent) {
  auto inner = std::make_shared<ScriptedAsyncHttpClient>();
  auto authorizer = std::make_shared<CountingAuthorizer>(*inner, 0);
  auto client = mcp::with_credentials(std::shared_ptr<net::AsyncHttpClient>(inner), authorizer);
  auto handler = std::make_shared<RecordingHandler>();
  client->start(stream_request(), handler);
  inner->next_transfer().answer(403, {}, "no");
  EXPECT_EQ(handler->status, 403);
  EXPECT_EQ(handler->body, "no");
  EXPECT_EQ(handler->done, 1);
  EXPECT_EQ(inner->pending_transfers(), 0u);
}

TEST(AuthorizingAsyncHttpClient, RetriesAreBounded) {
  auto inner = std::make_shared<ScriptedAsyncHttpClient>();
  auto authorizer = std::make_shared<CountingAuthorizer>(*inner, 100);
  auto client = mcp::with_credentials(std::shared_ptr<net::AsyncHttpClient>(inner), authorizer);
  auto handler = std::make_shared<RecordingHandler>();
  client->start(stream_request(), handler);
  for (int i = 0; i <= mcp::kMaxCredentialRetries; ++i) inner->next_transfer().answer(401);
  EXPECT_EQ(inner->pending_transfers(), 0u);
  EXPECT_EQ(handler->status, 401);
  EXPECT_EQ(handler->done, 1);
  EXPECT_EQ(authorizer->statuses.size(), static_cast<std::size_t>(mcp::kMaxCredentialRetries));
}

TEST(AuthorizingAsyncHttpClient, CancelReachesTheTransferUnderWay) {
  auto inner = std::make_shared<ScriptedAsyncHttpClient>();
  auto authorizer = std::make_shared<CountingAuthorizer>(*inner, 1);
  auto client = mcp::with_credentials(std::shared_ptr<net::AsyncHttpClient>(inner), authorizer);
  auto handler = std::make_shared<RecordingHandler>();
  auto op = client->start(stream_request(), handler);
  auto transfer = inner->next_transfer();
  op->cancel();
  EXPECT_TRUE(transfer.op->cancelled.load());
}

}  // namespace
}  // namespace mcpauth
