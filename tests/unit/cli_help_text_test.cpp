// What the main --help says beyond its options (exit codes, environment
// variables) is held to the code: every exit code the command can return is
// listed, and every variable listed is one the sources look up by name.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "exit_codes.hpp"
#include "help_text.hpp"

namespace mcpauth::app {
namespace {

namespace fs = std::filesystem;

// The text of every C++ source and header under src/ and include/, but the
// list itself (help_text.cpp), which would otherwise vouch for itself.
std::string all_sources() {
  std::string text;
  for (const char* dir : {"src", "include"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(MCPAUTH_SOURCE_DIR) / dir)) {
      const auto ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
      if (entry.path().filename() == "help_text.cpp") continue;
      std::ifstream file(entry.path());
      std::ostringstream content;
      content << file.rdbuf();
      text += content.str();
    }
  }
  return text;
}

TEST(HelpText, EveryListedEnvironmentVariableIsLookedUpInTheSources) {
  const std::string sources = all_sources();
  ASSERT_GT(sources.size(), 100'000u) << "the sources were not found under " << MCPAUTH_SOURCE_DIR;
  ASSERT_GT(kEnvironmentVariableCount, 5u);
  for (std::size_t i = 0; i < kEnvironmentVariableCount; ++i) {
    const std::string quoted = std::string("\"") + kEnvironmentVariables[i].name + "\"";
    EXPECT_NE(sources.find(quoted), std::string::npos)
        << kEnvironmentVariables[i].name << " is listed by --help but no source looks it up";
  }
}

TEST(HelpText, TheMainFooterListsEveryVariableAndExitCode) {
  const std::string footer = main_help_footer();
  for (std::size_t i = 0; i < kEnvironmentVariableCount; ++i) {
    EXPECT_NE(footer.find(std::string("\n  ") + kEnvironmentVariables[i].name + " "), std::string::npos)
        << kEnvironmentVariables[i].name;
  }
  for (const auto& [code, meaning] : kExitCodeMeanings) {
    EXPECT_NE(footer.find("\n  " + std::to_string(code) + " "), std::string::npos) << code;
    EXPECT_NE(footer.find(meaning), std::string::npos) << meaning;
  }
}

TEST(HelpText, EveryExitCodeTheCommandReturnsIsListed) {
  std::set<int> listed;
  for (const auto& [code, meaning] : kExitCodeMeanings) EXPECT_TRUE(listed.insert(code).second) << "twice: " << code;
  for (int code = static_cast<int>(ErrorCode::usage); code <= static_cast<int>(ErrorCode::store); ++code) {
    const int exit = exit_code_for(static_cast<ErrorCode>(code));
    EXPECT_TRUE(listed.count(exit)) << to_string(static_cast<ErrorCode>(code)) << " exits " << exit;
  }
  for (const int exit : {kExitOk, kExitToolError, kExitUsage, kExitConnection, kExitProtocol, kExitServerError,
                         kExitAuthorization, kExitStore, kExitInterrupted}) {
    EXPECT_TRUE(listed.count(exit)) << exit;
  }
}

TEST(HelpText, ExamplesStartWithTheCommandTheyAreFor) {
  for (const char* command :
       {"tools", "call", "login", "logout", "status", "probe", "doctor", "reset", "proxy", "gateway", "completion"}) {
    const std::string footer = examples_footer(command);
    ASSERT_EQ(footer.rfind("Examples:\n", 0), 0u) << command;
    std::istringstream lines(footer.substr(footer.find('\n') + 1));
    int examples = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("      ", 0) == 0) continue;  // what the example does
      EXPECT_EQ(line.rfind(std::string("  mcpauth ") + command, 0), 0u) << command << ": " << line;
      ++examples;
    }
    EXPECT_GE(examples, 1) << command;
  }
  EXPECT_EQ(examples_footer("nosuch"), "");
}

}  // namespace
}  // namespace mcpauth::app
