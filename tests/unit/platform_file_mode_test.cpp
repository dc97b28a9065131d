// Whether other users may read a file (the --header-file warning), from its
// permissions as the system keeps them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mcpauth/core/random.hpp"
#include "mcpauth_internal/platform/file_mode.hpp"

namespace mcpauth::platform {
namespace {

namespace fs = std::filesystem;

TEST(PlatformFileMode, GroupOrOtherReadBitsMeanOthersMayRead) {
  const fs::path dir = fs::temp_directory_path() / ("mcpauth-filemode-" + core::random_token());
  ASSERT_TRUE(fs::create_directory(dir));
  const fs::path file = dir / "headers.txt";
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
  EXPECT_EQ(others_may_read((dir / "missing").string()), std::nullopt);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mcpauth::platform
