// A fresh directory under the system's temporary one for a test's files,
// removed with everything in it at the end of the test.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "mcpauth/core/random.hpp"

namespace mcpauth::testing {

class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(std::filesystem::create_directory(dir_)); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  const std::filesystem::path dir_ = std::filesystem::temp_directory_path() / ("mcpauth-test-" + core::random_token());
};

inline std::string content_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace mcpauth::testing
