// The command's help as a user reads it: examples under each command, exit
// codes and the environment under the main help, no option a command would
// refuse, and shell completions generated from the same definitions.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "peer_process.hpp"

namespace mcpauth {
namespace {

using testing::cli;
using testing::CommandResult;
using testing::run_command;

// The subcommands `mcpauth --help` lists.
std::vector<std::string> subcommands() {
  const CommandResult r = run_command(cli({"--help"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> names;
  const std::string listing = r.out.substr(r.out.find("Subcommands:\n"));
  std::istringstream lines(listing.substr(0, listing.find("\n\n")));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex("^  ([a-z]+) "))) names.push_back(m[1]);
  }
  return names;
}

// The options a command's --help offers (every -x and --long name).
std::set<std::string> offered_options(const std::string& help) {
  std::set<std::string> names;
  const std::string options = help.substr(0, help.find("\nExamples:"));
  static const std::regex name("(^|[ ,])(--?[a-zA-Z][a-zA-Z0-9-]*)");
  std::istringstream lines(options);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  -", 0) != 0) continue;  // only the option column
    const std::string column = line.substr(0, line.find("  ", 2));
    for (std::sregex_iterator it(column.begin(), column.end(), name), end; it != end; ++it) names.insert((*it)[2]);
  }
  return names;
}

TEST(CliHelp, TheMainHelpListsExitCodesAndTheEnvironment) {
  const CommandResult r = run_command(cli({"--help"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* expected : {"Exit status:\n", "\n  0    success", "\n  6    authorization", "\n  130  interrupted",
                               "Environment:\n", "\n  MCPAUTH_STORE_URL ", "\n  BROWSER ", "\n  XDG_CONFIG_HOME "}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << " in:\n" << r.out;
  }
}

TEST(CliHelp, EveryCommandHasExamplesThatUseOnlyItsOwnOptions) {
  const auto commands = subcommands();
  ASSERT_GE(commands.size(), 11u);
  for (const auto& command : commands) {
    const CommandResult r = run_command(cli({command, "--help"}));
    ASSERT_EQ(r.exit_code, 0) << command << ": " << r.err;
    const auto at = r.out.find("\nExamples:\n");
    ASSERT_NE(at, std::string::npos) << command << " --help has no examples:\n" << r.out;
    const std::set<std::string> offered = offered_options(r.out);
    std::istringstream lines(r.out.substr(at + 11));
    int examples = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("  mcpauth " + command, 0) != 0) continue;
      ++examples;
      std::istringstream words(line);
      for (std::string word; words >> word;) {
        if (word.rfind("-", 0) != 0 || word == "-") continue;
        EXPECT_TRUE(offered.count(word.substr(0, word.find('='))))
            << command << " example uses " << word << ", which its help does not offer: " << line;
      }
    }
    EXPECT_GE(examples, 1) << command;
  }
}

// Options a command would refuse (or ignore) are not offered: not defined
// there at all, or (mcp-remote's flags the proxy does not implement yet)
// hidden and refused saying why. Either way the command exits 2 naming it.
struct NotOffered {
  const char* command;
  const char* option;
  const char* why;
  const char* value = nullptr;  // for an option that takes one
};

class CliHelpNotOffered : public ::testing::TestWithParam<NotOffered> {};

TEST_P(CliHelpNotOffered, TheHelpDoesNotOfferItAndTheParserRefusesIt) {
  const NotOffered& c = GetParam();
  const CommandResult help = run_command(cli({c.command, "--help"}));
  ASSERT_EQ(help.exit_code, 0) << help.err;
  const std::set<std::string> offered = offered_options(help.out);
  ASSERT_TRUE(offered.count("--help")) << "the option column was not read:\n" << help.out;
  EXPECT_FALSE(offered.count(c.option)) << c.command << " --help offers " << c.option << " (" << c.why << ")";
  std::vector<std::string> argv = cli({c.command, "http://127.0.0.1:1/mcp", c.option});
  if (c.value) argv.push_back(c.value);
  const CommandResult used = run_command(argv);
  EXPECT_EQ(used.exit_code, 2) << used.err;
  EXPECT_NE(used.err.find(c.option), std::string::npos) << used.err;
}

INSTANTIATE_TEST_SUITE_P(Commands, CliHelpNotOffered,
                         ::testing::Values(NotOffered{"login", "--no-auth", "logging in is OAuth", nullptr},
                                           NotOffered{"proxy", "--json", "stdout carries the host's JSON-RPC", nullptr},
                                           NotOffered{"proxy", "--use-id-token", "not implemented yet", nullptr},
                                           NotOffered{"proxy", "--token-endpoint", "not implemented yet",
                                                      "https://as.example/token"}),
                         [](const auto& info) {
                           std::string name = std::string(info.param.command) + info.param.option;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// The options each command does offer, so that the removal above stays narrow.
TEST(CliHelp, TheServerCommandsKeepTheirSharedOptions) {
  for (const char* command : {"tools", "call", "login", "proxy", "probe", "doctor"}) {
    const CommandResult r = run_command(cli({command, "--help"}));
    const std::set<std::string> offered = offered_options(r.out);
    for (const char* option : {"-H", "--header", "-t", "--transport", "--allow-http"}) {
      EXPECT_TRUE(offered.count(option)) << command << " lacks " << option;
    }
  }
  for (const char* command : {"tools", "call"}) {
    const std::set<std::string> offered = offered_options(run_command(cli({command, "--help"})).out);
    EXPECT_TRUE(offered.count("--no-auth")) << command;
    EXPECT_TRUE(offered.count("--json")) << command;
  }
}

// Completes `words` (the last one being completed) with the generated bash
// script, as bash's programmable completion would call it; one candidate a line.
std::vector<std::string> bash_complete(const std::string& script, const std::vector<std::string>& words) {
  std::string array;
  for (const auto& word : words) array += " '" + word + "'";
  const CommandResult r =
      run_command({"bash", "--norc", "--noprofile", "-c",
                   script + "\nCOMP_WORDS=(" + array + ")\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
                       "\n_mcpauth\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
                       "complete -p mcpauth >&2\n"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("complete -o default -F _mcpauth mcpauth"), std::string::npos) << r.err;
  std::vector<std::string> candidates;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) candidates.push_back(line);
  }
  return candidates;
}

TEST(CliCompletion, BashCompletesCommandsAndACommandsOptions) {
  const CommandResult generated = run_command(cli({"completion", "bash"}));
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  const std::string& script = generated.out;

  auto all = bash_complete(script, {"mcpauth", ""});
  for (const auto& command : subcommands()) {
    EXPECT_NE(std::find(all.begin(), all.end(), command), all.end()) << command;
  }
  EXPECT_EQ(bash_complete(script, {"mcpauth", "lo"}), (std::vector<std::string>{"login", "logout"}));
  EXPECT_EQ(bash_complete(script, {"mcpauth", "login", "https://x/mcp", "--dev"}),
            (std::vector<std::string>{"--device"}));
  const auto proxy = bash_complete(script, {"mcpauth", "proxy", "--"});
  EXPECT_NE(std::find(proxy.begin(), proxy.end(), "--allow-tool"), proxy.end());
  EXPECT_EQ(std::find(proxy.begin(), proxy.end(), "--json"), proxy.end()) << "proxy does not offer --json";
  EXPECT_EQ(std::find(proxy.begin(), proxy.end(), "--device"), proxy.end()) << "--device is login's";
  // A value is bash's own business (file names): no option names offered; unless the option has choices.
  EXPECT_TRUE(bash_complete(script, {"mcpauth", "tools", "--config", ""}).empty());
  EXPECT_EQ(bash_complete(script, {"mcpauth", "probe", "https://x/mcp", "-t", "sse"}),
            (std::vector<std::string>{"sse", "sse-first", "sse-only"}));
  EXPECT_EQ(bash_complete(script, {"mcpauth", "completion", ""}), (std::vector<std::string>{"bash", "zsh"}));
}

// The zsh script must at least parse (zsh -n). zsh is a test dependency
// (scripts/install-deps.sh installs it): without it this test fails, it is
// not skipped.
TEST(CliCompletion, ZshParsesTheScript) {
  ASSERT_EQ(run_command({"sh", "-c", "command -v zsh"}).exit_code, 0)
      << "zsh is not installed (scripts/install-deps.sh installs the test dependencies)";
  const CommandResult generated = run_command(cli({"completion", "zsh"}));
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  EXPECT_EQ(generated.out.rfind("#compdef mcpauth\n", 0), 0u);
  const std::string file = testing::test_home() + "/_mcpauth";
  std::ofstream(file) << generated.out;
  const CommandResult r = run_command({"zsh", "-f", "-n", file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliCompletion, AnUnknownShellIsAUsageError) {
  const CommandResult r = run_command(cli({"completion", "fish"}));
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace mcpauth
