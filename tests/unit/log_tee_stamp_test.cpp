// --log FILE: each record starts with the UTC time and the writer's pid.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "log_tee.hpp"
#include "scratch_dir.hpp"

namespace mcpauth::app {
namespace {

std::string today_utc() {
  const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
  std::ostringstream out;
  out << static_cast<int>(date.year()) << '-' << (static_cast<unsigned>(date.month()) < 10 ? "0" : "")
      << static_cast<unsigned>(date.month()) << '-' << (static_cast<unsigned>(date.day()) < 10 ? "0" : "")
      << static_cast<unsigned>(date.day());
  return out.str();
}

using LogTeeStamp = testing::ScratchDirTest;

TEST_F(LogTeeStamp, EachRecordStartsWithTheUtcTimeAndThePid) {
  const std::string before = today_utc();
  {
    LogTee tee((dir_ / "mcpauth.log").string());
    std::cerr << "stamped" << std::endl;
  }
  const std::string after = today_utc();
  std::ifstream in(dir_ / "mcpauth.log");
  std::string line;
  std::getline(in, line);

  std::smatch m;
  ASSERT_TRUE(std::regex_match(
      line, m, std::regex(R"((\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ \[[1-9]\d*\] stamped)")))
      << line;
  EXPECT_TRUE(m[1] == before || m[1] == after) << line << " is not today (UTC): " << before;
}

}  // namespace
}  // namespace mcpauth::app
