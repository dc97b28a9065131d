// The --log file: created readable by its owner only, appended to, never
// through a symbolic link.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mcpauth_internal/platform/log_file.hpp"
#include "scratch_dir.hpp"

namespace mcpauth::platform {
namespace {

namespace fs = std::filesystem;

using PlatformLogFile = testing::ScratchDirTest;
using testing::content_of;

TEST_F(PlatformLogFile, CreatedForTheOwnerOnlyAndAppendedTo) {
  const fs::path path = dir_ / "mcpauth.log";
  std::ofstream(path) << "earlier\n";
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  std::error_code error;
  LogFile file = open_log_file(path.string(), error);
  ASSERT_NE(file, kNoLogFile) << error.message();
  append_to_log_file(file, "one\n");
  append_to_log_file(file, "two\n");
  close_log_file(file);
  EXPECT_EQ(content_of(path), "earlier\none\ntwo\n") << "appended, never truncated";

  const fs::path fresh = dir_ / "fresh.log";
  file = open_log_file(fresh.string(), error);
  ASSERT_NE(file, kNoLogFile) << error.message();
  close_log_file(file);
  const auto others = fs::perms::group_all | fs::perms::others_all;
  EXPECT_EQ(fs::status(fresh).permissions() & others, fs::perms::none);
}

TEST_F(PlatformLogFile, ASymbolicLinkIsRefused) {
  const fs::path target = dir_ / "elsewhere";
  std::ofstream(target) << "not a log\n";
  const fs::path link = dir_ / "mcpauth.log";
  fs::create_symlink(target, link);
  std::error_code error;
  EXPECT_EQ(open_log_file(link.string(), error), kNoLogFile);
  EXPECT_TRUE(error);
  EXPECT_EQ(content_of(target), "not a log\n");
}

TEST_F(PlatformLogFile, AFileThatCannotBeOpenedSaysWhy) {
  std::error_code error;
  EXPECT_EQ(open_log_file((dir_ / "missing-dir" / "mcpauth.log").string(), error), kNoLogFile);
  EXPECT_EQ(error, std::errc::no_such_file_or_directory);
}

}  // namespace
}  // namespace mcpauth::platform
