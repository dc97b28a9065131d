// The loopback consent's HTTP listener (src/auth/loopback_listener.hpp),
// driven over real sockets with the library's CurlHttpClient.
#include "../../src/auth/loopback_listener.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <vector>

#include "mcpauth/error.hpp"
#include "mcpauth/net/curl_http_client.hpp"

namespace mcpauth::auth::detail {
namespace {

using core::oauth::FormFields;

// Records every call of the handler and answers with a fixed page.
struct Recorder {
  std::mutex mutex;
  std::vector<FormFields> calls;

  CallbackHandler handler() {
    return [this](FormFields fields, DeferredReply) {
      std::lock_guard lock(mutex);
      calls.push_back(std::move(fields));
      return CallbackPage{200, "<p>done</p>", true, {}};
    };
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return calls.size();
  }
};

net::HttpResponse request(const std::string& method, const std::string& url) {
  net::CurlHttpClient http(net::CurlHttpClientOptions{});
  net::HttpRequest req;
  req.method = method;
  req.url = url;
  req.total_timeout = std::chrono::seconds(20);
  return http.send(req);
}

std::string base(const LoopbackListener& listener) {
  return "http://127.0.0.1:" + std::to_string(listener.port());
}

TEST(LoopbackListener, AGetForItsPathReachesTheHandlerWithTheDecodedQuery) {
  Recorder recorder;
  LoopbackListener listener("/callback", recorder.handler());
  ASSERT_TRUE(listener.listen(0));
  ASSERT_GT(listener.port(), 0);

  const auto res = request("GET", base(listener) + "/callback?code=a%2Fb&state=x+y&iss=https%3A%2F%2Fas");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "<p>done</p>");
  EXPECT_EQ(res.headers.get("Cache-Control"), "no-store");
  EXPECT_EQ(res.headers.get("Content-Type"), "text/html; charset=utf-8");
  ASSERT_EQ(recorder.count(), 1u);
  const FormFields expected = {{"code", "a/b"}, {"state", "x y"}, {"iss", "https://as"}};
  EXPECT_EQ(recorder.calls[0], expected);
}

TEST(LoopbackListener, OtherPathsAndMethodsGet404AndNeverReachTheHandler) {
  Recorder recorder;
  LoopbackListener listener("/callback", recorder.handler());
  ASSERT_TRUE(listener.listen(0));
  EXPECT_EQ(request("GET", base(listener) + "/other?state=s").status, 404);
  EXPECT_EQ(request("GET", base(listener) + "/callback/more?state=s").status, 404);
  EXPECT_EQ(request("GET", base(listener) + "/Callback?state=s").status, 404);
  EXPECT_EQ(request("POST", base(listener) + "/callback?state=s").status, 404);
  EXPECT_EQ(recorder.count(), 0u);
}

TEST(LoopbackListener, AnOversizedRequestHeadGets431) {
  Recorder recorder;
  LoopbackListener listener("/callback", recorder.handler());
  ASSERT_TRUE(listener.listen(0));
  EXPECT_EQ(request("GET", base(listener) + "/callback?state=" + std::string(20 * 1024, 'a')).status, 431);
  EXPECT_EQ(recorder.count(), 0u);
  // The listener still serves the next request.
  EXPECT_EQ(request("GET", base(listener) + "/callback?state=s").status, 200);
}

TEST(LoopbackListener, ATakenPortIsRefusedAndAnotherCanBeTried) {
  Recorder recorder;
  LoopbackListener first("/callback", recorder.handler());
  ASSERT_TRUE(first.listen(0));
  LoopbackListener second("/callback", recorder.handler());
  EXPECT_FALSE(second.listen(first.port()));
  ASSERT_TRUE(second.listen(0));
  EXPECT_NE(second.port(), first.port());
  EXPECT_EQ(request("GET", base(second) + "/callback?state=s").status, 200);
}

TEST(LoopbackListener, NothingListensOnceItIsDestroyed) {
  Recorder recorder;
  std::string url;
  {
    LoopbackListener listener("/callback", recorder.handler());
    ASSERT_TRUE(listener.listen(0));
    url = base(listener) + "/callback?state=s";
  }
  try {
    request("GET", url);
    FAIL() << "a destroyed listener answered";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::connection) << e.what();
  }
  EXPECT_EQ(recorder.count(), 0u);
}

// The owner may answer later, from another thread: the browser's request
// waits for that answer (the token exchange's outcome), not a fixed page.
TEST(LoopbackListener, AHeldCallbackIsAnsweredWithThePageTheOwnerGivesLater) {
  std::promise<DeferredReply> held;
  LoopbackListener listener("/callback", [&](FormFields, DeferredReply later) {
    held.set_value(std::move(later));
    return CallbackPage{200, "<p>fallback</p>", true, {}, true};
  });
  ASSERT_TRUE(listener.listen(0));
  auto response = std::async(std::launch::async, [&] { return request("GET", base(listener) + "/callback?state=s"); });
  const DeferredReply later = held.get_future().get();
  later(CallbackPage{302, {}, true, "https://app.example.com/done"});
  later(CallbackPage{200, "<p>second</p>", true, {}});  // once only: a second answer is dropped
  const auto res = response.get();
  EXPECT_EQ(res.status, 302);
  EXPECT_EQ(res.headers.get("Location"), "https://app.example.com/done");
  EXPECT_EQ(res.body, "");
}

// A reply kept by its owner after the listener is gone reaches nothing and
// breaks nothing; the browser that was held sees its connection end.
TEST(LoopbackListener, AReplyAfterTheListenerIsGoneDoesNothing) {
  std::promise<DeferredReply> held;
  std::future<net::HttpResponse> response;
  DeferredReply later;
  {
    LoopbackListener listener("/callback", [&](FormFields, DeferredReply reply) {
      held.set_value(std::move(reply));
      return CallbackPage{200, "<p>fallback</p>", true, {}, true};
    });
    ASSERT_TRUE(listener.listen(0));
    response =
        std::async(std::launch::async, [url = base(listener) + "/callback?state=s"] { return request("GET", url); });
    later = held.get_future().get();
  }
  later(CallbackPage{200, "<p>late</p>", true, {}});
  EXPECT_THROW(response.get(), Error);
}

TEST(LoopbackListener, DestroyedBeforeListeningDoesNotHang) {
  Recorder recorder;
  LoopbackListener listener("/callback", recorder.handler());  // a consent ended before it began
}

}  // namespace
}  // namespace mcpauth::auth::detail
