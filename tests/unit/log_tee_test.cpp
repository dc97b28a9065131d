// --log FILE: one record per line, and nothing a server put into a line
// (ESC sequences, CR, LF, NUL) reaches the file raw.
#include "log_tee.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "platform/files.hpp"

namespace mcpauth::app {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

TEST(LogTee, ControlCharactersInALineAreEscapedInTheFile) {
  const fs::path dir = test_platform::make_temp_dir("mcpauth-logtee");
  const fs::path log = dir / "mcpauth.log";
  {
    LogTee tee(log.string());
    std::cerr << "mcpauth: denied \x1b[2J\rcleared\0 end"s << '\n';
    std::cerr << "second line" << std::endl;
  }
  std::ifstream in(log, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  const std::string text = content.str();
  fs::remove_all(dir);

  EXPECT_NE(text.find("] mcpauth: denied \\x1b[2J\\rcleared\\x00 end\n"), std::string::npos) << text;
  EXPECT_NE(text.find("] second line\n"), std::string::npos) << text;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_FALSE((byte < 0x20 && c != '\n') || byte == 0x7f) << "raw control character " << int(byte);
  }
  std::size_t lines = 0;
  for (const char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 2u);
}

}  // namespace
}  // namespace mcpauth::app
