// gateway::StopGate: the sessions' blocking remote requests while the
// gateway stops (their closing DELETEs) are refused, or ended, once the
// gate closes, so that a server that does not answer cannot hold SIGTERM up.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "mcpauth/error.hpp"
#include "scripted_http_client.hpp"
#include "stop_gate.hpp"

namespace mcpauth {
namespace {

using gateway::StopGate;
using test_support::ScriptedHttpClient;

net::HttpRequest delete_request() {
  net::HttpRequest request;
  request.method = "DELETE";
  request.url = "https://mcp.example.com/mcp";
  return request;
}

std::optional<ErrorCode> error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

// A server that never answers: send() returns only when its token is
// cancelled. started() says the request is under way.
class SilentServer final : public net::HttpClient {
 public:
  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
    std::unique_lock lock(mutex_);
    bool woken = false;
    if (cancel && !cancel->set_waker([this, &woken] {
          std::lock_guard wake_lock(mutex_);
          woken = true;
          changed_.notify_all();
        })) {
      woken = true;
    }
    started_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return woken; });
    lock.unlock();
    if (cancel) cancel->clear_waker();
    throw Error(ErrorCode::cancelled, request.method + " " + request.url + " was cancelled", request.url);
  }
  void stream(const net::HttpRequest& request, net::HttpStreamHandler&, net::CancelToken* cancel) override {
    send(request, cancel);
  }
  void wait_started() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return started_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool started_ = false;
};

TEST(StopGate, AnOpenGatePassesRequestsThrough) {
  auto server = std::make_shared<ScriptedHttpClient>();
  server->then(204);
  StopGate gate;
  EXPECT_EQ(gate.guard(server)->send(delete_request()).status, 204);
  EXPECT_EQ(server->requests().size(), 1u);
}

TEST(StopGate, AfterCloseARequestIsRefusedWithoutReachingTheServer) {
  auto server = std::make_shared<ScriptedHttpClient>();
  StopGate gate;
  const auto http = gate.guard(server);
  gate.close();
  EXPECT_EQ(error_of([&] { http->send(delete_request()); }), ErrorCode::cancelled);
  net::CancelToken callers;
  EXPECT_EQ(error_of([&] { http->send(delete_request(), &callers); }), ErrorCode::cancelled);
  EXPECT_TRUE(server->requests().empty());
}

// A request through a gate to a SilentServer, sent on a thread of its own
// (with `token`, when given) and under way once made; ended() joins it.
class RequestUnderWay {
 public:
  RequestUnderWay(const std::shared_ptr<net::HttpClient>& http, SilentServer& server, net::CancelToken* token)
      : thread_([this, http, token] { ended_ = error_of([&] { http->send(delete_request(), token); }); }) {
    server.wait_started();
  }
  std::optional<ErrorCode> ended() {
    thread_.join();
    return ended_;
  }

 private:
  std::optional<ErrorCode> ended_;
  std::thread thread_;
};

TEST(StopGate, CloseEndsARequestUnderWay) {
  auto server = std::make_shared<SilentServer>();
  StopGate gate;
  RequestUnderWay request(gate.guard(server), *server, nullptr);
  gate.close();
  EXPECT_EQ(request.ended(), ErrorCode::cancelled);
}

TEST(StopGate, ACallersOwnTokenIsLeftToTheCaller) {
  auto server = std::make_shared<SilentServer>();
  StopGate gate;
  net::CancelToken callers;
  RequestUnderWay request(gate.guard(server), *server, &callers);
  gate.close();
  EXPECT_FALSE(callers.cancelled());  // the gate did not touch it
  callers.cancel();
  EXPECT_EQ(request.ended(), ErrorCode::cancelled);
}

TEST(StopGate, WorkPastTheDeadlineIsEndedByClosingTheGate) {
  auto server = std::make_shared<SilentServer>();
  StopGate gate;
  const auto http = gate.guard(server);
  std::optional<ErrorCode> ended;
  // The work returns only once its request is cancelled: by the deadline.
  gate.run_with_deadline(std::chrono::milliseconds(1),
                         [&] { ended = error_of([&] { http->send(delete_request()); }); });
  EXPECT_EQ(ended, ErrorCode::cancelled);
  EXPECT_EQ(error_of([&] { http->send(delete_request()); }), ErrorCode::cancelled);  // and it stays closed
}

TEST(StopGate, WorkWithinTheDeadlineLeavesTheGateOpen) {
  auto server = std::make_shared<ScriptedHttpClient>();
  server->then(204).then(204);
  StopGate gate;
  const auto http = gate.guard(server);
  gate.run_with_deadline(std::chrono::hours(1), [&] { EXPECT_EQ(http->send(delete_request()).status, 204); });
  EXPECT_EQ(http->send(delete_request()).status, 204);
}

}  // namespace
}  // namespace mcpauth
