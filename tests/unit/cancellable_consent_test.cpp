// CancellableConsent and ConsentSession::cancel(): a host ends consents its
// user will never give, from another thread, at once.
#include "mcpauth/auth/cancellable_consent.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::auth {
namespace {

// A consent that waits until cancelled, and says when it has started waiting.
struct Latch {
  std::mutex mutex;
  std::condition_variable cv;
  bool entered = false;
  bool cancelled = false;
  int awaits = 0;
  int begins = 0;

  void wait_entered() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [this] { return entered; });
  }
};

class BlockingSession final : public ConsentSession {
 public:
  explicit BlockingSession(Latch& latch) : latch_(latch) {}
  std::string redirect_uri() const override { return "http://127.0.0.1:1/callback"; }
  core::oauth::FormFields await(const ConsentPrompt&) override {
    std::unique_lock lock(latch_.mutex);
    ++latch_.awaits;
    latch_.entered = true;
    latch_.cv.notify_all();
    latch_.cv.wait(lock, [this] { return latch_.cancelled; });
    throw Error(ErrorCode::cancelled, "cancelled by the test's session");
  }
  void cancel() override {
    std::lock_guard lock(latch_.mutex);
    latch_.cancelled = true;
    latch_.cv.notify_all();
  }

 private:
  Latch& latch_;
};

class BlockingHandler final : public ConsentHandler {
 public:
  explicit BlockingHandler(Latch& latch) : latch_(latch) {}
  std::unique_ptr<ConsentSession> begin(const std::string&) override {
    std::lock_guard lock(latch_.mutex);
    ++latch_.begins;
    return std::make_unique<BlockingSession>(latch_);
  }

 private:
  Latch& latch_;
};

ConsentPrompt prompt(std::chrono::milliseconds timeout = std::chrono::minutes(5)) {
  return {"https://as.example/authorize?x=1", "https://as.example", "https://mcp.example/mcp", "st4te", timeout};
}

ErrorCode code_of(std::future<core::oauth::FormFields>& answer) {
  try {
    answer.get();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::protocol;  // an answer: not what any test expects
}

TEST(CancellableConsent, CancelAllEndsAWaitingConsentAndSaysWhenOneWaits) {
  Latch latch;
  CancellableConsent consent(std::make_shared<BlockingHandler>(latch));
  EXPECT_FALSE(consent.waiting());
  auto session = consent.begin("https://as.example");
  EXPECT_EQ(session->redirect_uri(), "http://127.0.0.1:1/callback");
  auto answer = std::async(std::launch::async, [&] { return session->await(prompt()); });
  latch.wait_entered();
  EXPECT_TRUE(consent.waiting());
  consent.cancel_all();
  EXPECT_EQ(code_of(answer), ErrorCode::cancelled);
  EXPECT_FALSE(consent.waiting());
}

TEST(CancellableConsent, AfterCancelAllNothingNewIsBegunOrAwaited) {
  Latch latch;
  CancellableConsent consent(std::make_shared<BlockingHandler>(latch));
  auto begun_before = consent.begin("https://as.example");
  consent.cancel_all();
  try {
    consent.begin_preferring("https://as.example", "http://127.0.0.1:1/callback");
    FAIL() << "begin after cancel_all";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled);
  }
  try {
    begun_before->await(prompt());
    FAIL() << "await after cancel_all";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled);
  }
  EXPECT_EQ(latch.begins, 1);
  EXPECT_EQ(latch.awaits, 0) << "the user is never asked once the host is gone";
  EXPECT_TRUE(latch.cancelled) << "the session begun before was cancelled too";
}

TEST(CancellableConsent, NeedsAHandlerToWrap) {
  try {
    CancellableConsent consent(nullptr);
    FAIL() << "no handler";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::usage);
  }
}

// The loopback consent's own cancel(): a waiting await ends at once with
// Error(cancelled), and one that starts afterwards shows the user nothing.
struct Lines {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> lines;
  void add(const std::string& line) {
    std::lock_guard lock(mutex);
    lines.push_back(line);
    cv.notify_all();
  }
  void wait_for_prefix(const std::string& prefix) {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] {
      for (const auto& line : lines)
        if (line.rfind(prefix, 0) == 0) return true;
      return false;
    });
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return lines.size();
  }
};

// No browser; what the user would read goes to `lines`.
LoopbackConsent quiet_loopback(Lines& lines) {
  LoopbackConsentOptions options;
  options.open_browser = false;
  options.notify = [&lines](const std::string& line) { lines.add(line); };
  return LoopbackConsent(options);
}

TEST(LoopbackConsentCancel, EndsAWaitingAwaitAtOnce) {
  Lines lines;
  auto session = quiet_loopback(lines).begin("https://as.example");
  auto answer = std::async(std::launch::async, [&] { return session->await(prompt()); });
  lines.wait_for_prefix("Waiting for the authorization");
  session->cancel();
  EXPECT_EQ(code_of(answer), ErrorCode::cancelled);
}

TEST(LoopbackConsentCancel, AnAwaitAfterCancelShowsNothing) {
  Lines lines;
  auto session = quiet_loopback(lines).begin("https://as.example");
  session->cancel();
  try {
    session->await(prompt());
    FAIL() << "await after cancel";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::cancelled);
  }
  EXPECT_EQ(lines.count(), 0u) << "no URL shown for a consent nobody can give";
}

}  // namespace
}  // namespace mcpauth::auth
