// Files only their owner may read (the store's, its key's, the config file
// the dashboard edits): written new, owner-only and whole, never over
// something already there; and their owner-only directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mcpauth_internal/platform/private_file.hpp"
#include "scratch_dir.hpp"

namespace mcpauth::platform {
namespace {

namespace fs = std::filesystem;

using PlatformPrivateFile = testing::ScratchDirTest;
using testing::content_of;

TEST_F(PlatformPrivateFile, WritesANewOwnerOnlyFile) {
  const fs::path path = dir_ / "config.json";
  ASSERT_FALSE(create_private_file(path, "{}\n"));
  EXPECT_EQ(content_of(path), "{}\n");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::mask, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(PlatformPrivateFile, NeverWritesOverAFileOrThroughALink) {
  const fs::path taken = dir_ / "taken.json";
  std::ofstream(taken) << "old\n";
  EXPECT_EQ(create_private_file(taken, "new\n"), std::errc::file_exists);
  EXPECT_EQ(content_of(taken), "old\n");
  const fs::path link = dir_ / "link.json";
  fs::create_symlink(dir_ / "elsewhere.json", link);
  EXPECT_TRUE(create_private_file(link, "new\n"));
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere.json")) << "a dangling link's target must not be created";
}

TEST_F(PlatformPrivateFile, MakesAnOwnerOnlyDirectoryOnlyWhereNothingIs) {
  const fs::path made = dir_ / "mcpauth";
  ASSERT_FALSE(create_private_directory(made));
  EXPECT_EQ(fs::status(made).permissions() & fs::perms::mask, fs::perms::owner_all);
  EXPECT_EQ(create_private_directory(made), std::errc::file_exists);
}

}  // namespace
}  // namespace mcpauth::platform
