// Whether other users may read a file (the --header-file warning), from its
// permissions as the system keeps them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mcpauth_internal/platform/file_mode.hpp"
#include "scratch_dir.hpp"

namespace mcpauth::platform {
namespace {

namespace fs = std::filesystem;

using PlatformFileMode = testing::ScratchDirTest;

TEST_F(PlatformFileMode, GroupOrOtherReadBitsMeanOthersMayRead) {
  const fs::path file = dir_ / "headers.txt";
  std::ofstream(file) << "X-Api-Key: k\n";
  const auto others_read_with = [&](fs::perms perms) {
    fs::permissions(file, perms, fs::perm_options::replace);
    return others_may_read(file.string());
  };
  EXPECT_EQ(others_read_with(fs::perms::owner_read | fs::perms::owner_write), false);
  EXPECT_EQ(others_read_with(fs::perms::owner_read | fs::perms::group_read), true);
  EXPECT_EQ(others_read_with(fs::perms::owner_read | fs::perms::others_read), true);
  EXPECT_EQ(others_read_with(fs::perms::owner_all | fs::perms::group_write | fs::perms::others_exec), false)
      << "only reading counts";
  EXPECT_EQ(others_may_read((dir_ / "missing").string()), std::nullopt);
}

}  // namespace
}  // namespace mcpauth::platform
