// The config file the dashboard edits: written new, owner-only and whole,
// never over something already there.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mcpauth_internal/platform/config_file.hpp"
#include "scratch_dir.hpp"

namespace mcpauth::platform {
namespace {

namespace fs = std::filesystem;

using PlatformConfigFile = testing::ScratchDirTest;
using testing::content_of;

TEST_F(PlatformConfigFile, WritesANewOwnerOnlyFile) {
  const fs::path path = dir_ / "config.json";
  ASSERT_FALSE(write_new_config_file(path, "{}\n"));
  EXPECT_EQ(content_of(path), "{}\n");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::mask, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(PlatformConfigFile, NeverWritesOverAFileOrThroughALink) {
  const fs::path taken = dir_ / "taken.json";
  std::ofstream(taken) << "old\n";
  EXPECT_EQ(write_new_config_file(taken, "new\n"), std::errc::file_exists);
  EXPECT_EQ(content_of(taken), "old\n");
  const fs::path link = dir_ / "link.json";
  fs::create_symlink(dir_ / "elsewhere.json", link);
  EXPECT_TRUE(write_new_config_file(link, "new\n"));
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere.json")) << "a dangling link's target must not be created";
}

TEST_F(PlatformConfigFile, MakesADirectoryPrivate) {
  const fs::path made = dir_ / "mcpauth";
  ASSERT_TRUE(fs::create_directory(made));
  fs::permissions(made, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_exec,
                  fs::perm_options::replace);
  ASSERT_FALSE(make_config_directory_private(made));
  EXPECT_EQ(fs::status(made).permissions() & fs::perms::mask, fs::perms::owner_all);
}

}  // namespace
}  // namespace mcpauth::platform
