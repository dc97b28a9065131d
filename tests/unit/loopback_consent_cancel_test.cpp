// ConsentSession::cancel() of the loopback consent: a host ends a consent
// its user will never give, from another thread, at once.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::auth {
namespace {

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
