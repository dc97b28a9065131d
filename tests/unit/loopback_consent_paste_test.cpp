// The loopback consent's paste prompt (LoopbackConsentOptions::paste_fd) and
// the wait under it (src/platform/input_wait_*.cpp): a pasted redirect ends
// the consent; a wake-up ends a wait that no input would.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth_internal/platform/input_wait.hpp"

namespace mcpauth {
namespace {

namespace fs = std::filesystem;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// A file holding `text`, open for reading: always readable, as a terminal is
// once the user has typed a line.
File file_holding(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return File(std::fopen(path.c_str(), "r"));
}

class TempPath {
 public:
  explicit TempPath(const std::string& name)
      : path_(fs::temp_directory_path() / (name + "-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)))) {}
  ~TempPath() { fs::remove(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// An open InputWait and, to wait on, a file holding a pasted line.
class InputWaitOnAFile : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(file_);
    ASSERT_FALSE(wait_.open());
  }
  int fd() const { return fileno(file_.get()); }

  TempPath temp_{"mcpauth-input-wait"};
  File file_ = file_holding(temp_.path(), "pasted\n");
  platform::InputWait wait_;
};

TEST_F(InputWaitOnAFile, ReportsInputAndReadsIt) {
  EXPECT_EQ(wait_.wait(fd()), platform::InputWait::Ready::input);
  char buffer[16];
  EXPECT_EQ(platform::InputWait::read(fd(), buffer, sizeof buffer), 7);
  EXPECT_EQ(std::string(buffer, 7), "pasted\n");
}

TEST_F(InputWaitOnAFile, AWakeUpWinsOverInputAndLasts) {
  wait_.wake();
  EXPECT_EQ(wait_.wait(fd()), platform::InputWait::Ready::woken);
  EXPECT_EQ(wait_.wait(fd()), platform::InputWait::Ready::woken);
}

TEST(InputWait, RefusesWhatSelectCannotWatch) {
  platform::InputWait wait;
  ASSERT_FALSE(wait.open());
  EXPECT_EQ(wait.wait(-1), platform::InputWait::Ready::failed);
  EXPECT_EQ(wait.wait(1 << 20), platform::InputWait::Ready::failed);
}

TEST(LoopbackConsentPaste, APastedRedirectEndsTheConsent) {
  TempPath temp("mcpauth-paste");
  const File file = file_holding(temp.path(), "");
  ASSERT_TRUE(file);
  auth::LoopbackConsentOptions options;
  options.open_browser = false;
  options.notify = [](const std::string&) {};
  options.paste_fd = fileno(file.get());
  auto session = auth::LoopbackConsent(options).begin("https://as.example");
  // What the user pastes names the session's redirect URI; the reader sees it once it is there (a blank line is
  // skipped).
  std::ofstream(temp.path(), std::ios::app) << "\n" << session->redirect_uri() << "?code=the-code&state=st4te\n";
  const auth::ConsentPrompt prompt{"https://as.example/authorize?x=1", "https://as.example", "https://mcp.example/mcp",
                                   "st4te", std::chrono::seconds(60)};  // a broken paste path fails, not hangs
  const core::oauth::FormFields fields = session->await(prompt);
  const std::string* code = core::oauth::find_field(fields, "code");
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(*code, "the-code");
}

}  // namespace
}  // namespace mcpauth
