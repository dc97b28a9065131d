// The README against the binary. QuickStartRunsAsPrinted walks the README's
// "Quick start" literally: every ```sh block there is one command, run by
// /bin/sh as printed (with `mcpauth` on PATH being the binary under test)
// against a local OAuth-protected peer whose URL replaces the example URL;
// the ```text block after it is what the command must print. Each shown line
// must match one printed line (stdout or stderr), in order; `…` matches
// anything (a line of `…` alone is lines left out), and the example
// authorization server's URL matches any origin (the peer's issuer port is
// not known in advance). EveryCommandAndFlagExists holds every
// `mcpauth SUBCOMMAND --flag` in the README's code to SUBCOMMAND's --help,
// and every other --flag to some --help of mcpauth.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "peer_process.hpp"

namespace {

using mcpauth::testing::cli;
using mcpauth::testing::CommandResult;
using mcpauth::testing::follow_browser_env;
using mcpauth::testing::PeerProcess;
using mcpauth::testing::run_command;
using mcpauth::testing::test_home;

constexpr std::string_view kExampleServer = "https://mcp.example.com/mcp";
constexpr std::string_view kExampleIssuer = "https://auth.example.com/";
constexpr std::string_view kAnything = "…";

std::string readme() {
  std::ifstream in(std::string(MCPAUTH_PEERS_DIR) + "/../../README.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// One fenced block: its language and its lines.
struct Fence {
  std::string language;
  std::vector<std::string> lines;
};

// The README's fenced blocks, and (in `prose`) everything outside them.
std::vector<Fence> fences(const std::string& markdown, std::string* prose = nullptr) {
  std::vector<Fence> found;
  bool inside = false;
  for (const auto& line : split_lines(markdown)) {
    if (line.rfind("```", 0) == 0) {
      if (!inside) found.push_back({line.substr(3), {}});
      inside = !inside;
    } else if (inside) {
      found.back().lines.push_back(line);
    } else if (prose) {
      *prose += line + "\n";
    }
  }
  return found;
}

// The text of a "## " section, up to the next one.
std::string section(const std::string& markdown, const std::string& heading) {
  const auto begin = markdown.find("\n## " + heading + "\n");
  if (begin == std::string::npos) return {};
  const auto end = markdown.find("\n## ", begin + 1);
  return markdown.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

struct Step {
  std::string command;
  std::vector<std::string> shown;
};

// Each ```sh block is one command; a ```text block shows what the command before it prints.
std::vector<Step> quick_start_steps(const std::string& markdown) {
  std::vector<Step> steps;
  for (const auto& fence : fences(section(markdown, "Quick start"))) {
    if (fence.language == "sh") {
      EXPECT_EQ(fence.lines.size(), 1u) << "one command per block in the quick start";
      steps.push_back({fence.lines.empty() ? "" : fence.lines.front(), {}});
    } else if (fence.language == "text" && !steps.empty()) {
      steps.back().shown = fence.lines;
    } else {
      ADD_FAILURE() << "a ```" << fence.language << " block in the quick start";
    }
  }
  return steps;
}

std::string regex_escape(std::string_view text) {
  static const std::string kSpecial = R"(\^$.|?*+()[]{}/)";
  std::string out;
  for (const char c : text) {
    if (kSpecial.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

// A shown line as a pattern over one printed line: the example URL is the
// peer's, the example issuer any origin, `…` anything.
std::string line_pattern(const std::string& shown, const std::string& server) {
  const std::vector<std::pair<std::string_view, std::string>> placeholders = {
      {kExampleServer, regex_escape(server)}, {kExampleIssuer, R"(https?://[^\s/]+/)"}, {kAnything, ".*"}};
  std::string pattern;
  std::size_t at = 0;
  while (at < shown.size()) {
    std::size_t next = std::string::npos;
    const std::pair<std::string_view, std::string>* which = nullptr;
    for (const auto& placeholder : placeholders) {
      const auto found = shown.find(placeholder.first, at);
      if (found < next) {
        next = found;
        which = &placeholder;
      }
    }
    pattern += regex_escape(std::string_view(shown).substr(at, next - at));
    if (!which) break;
    pattern += which->second;
    at = next + which->first.size();
  }
  return pattern;
}

// Every shown line, in order, in stdout or in stderr (each stream in its own order).
void expect_printed(const Step& step, const CommandResult& result, const std::string& server) {
  const std::vector<std::string> streams[] = {split_lines(result.out), split_lines(result.err)};
  std::size_t cursor[] = {0, 0};
  for (const auto& shown : step.shown) {
    if (shown == kAnything) continue;
    const std::regex pattern(line_pattern(shown, server));
    bool found = false;
    for (int s = 0; s < 2 && !found; ++s) {
      for (std::size_t i = cursor[s]; i < streams[s].size() && !found; ++i) {
        if (std::regex_match(streams[s][i], pattern)) {
          cursor[s] = i + 1;
          found = true;
        }
      }
    }
    EXPECT_TRUE(found) << "`" << step.command << "` did not print the README's line\n  " << shown << "\nstdout:\n"
                       << result.out << "stderr:\n"
                       << result.err;
  }
}

std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A throwaway HOME (0700) with its own store and config, and a bin/ whose `mcpauth` is the binary under test.
std::string throwaway_home() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(test_home()) / "readme";
  fs::remove_all(dir);
  fs::create_directories(dir / "bin");
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  fs::create_symlink(MCPAUTH_CLI_PATH, dir / "bin" / "mcpauth");
  return dir.string();
}

TEST(Readme, QuickStartRunsAsPrinted) {
  const auto steps = quick_start_steps(readme());
  ASSERT_GE(steps.size(), 4u) << "the README's quick start has no ```sh commands";
  PeerProcess peer("oauth-server.mjs");
  const std::string server = peer.url("/mcp");
  const std::string home = throwaway_home();
  const char* path = std::getenv("PATH");
  const std::vector<std::string> env = {"HOME=" + home,
                                        "PATH=" + home + "/bin:" + (path ? path : "/usr/bin:/bin"),
                                        "XDG_DATA_HOME=" + home + "/data",
                                        "XDG_CONFIG_HOME=" + home + "/config",
                                        "MCPAUTH_KEYRING=off",
                                        follow_browser_env()};
  for (const auto& step : steps) {
    ASSERT_EQ(step.command.rfind("mcpauth ", 0), 0u) << "not an mcpauth command: " << step.command;
    ASSERT_NE(step.command.find(kExampleServer), std::string::npos)
        << "not against the example server: " << step.command;
    const auto result = run_command({"/bin/sh", "-c", replace_all(step.command, kExampleServer, server)}, env);
    ASSERT_EQ(result.exit_code, 0) << step.command << "\nstdout:\n" << result.out << "stderr:\n" << result.err;
    expect_printed(step, result, server);
  }
}

std::set<std::string> long_options(const std::string& text) {
  static const std::regex kOption(R"((?:^|[\s\[|(,`])(--[a-z][a-z0-9-]*))");
  std::set<std::string> found;
  for (std::sregex_iterator it(text.begin(), text.end(), kOption), end; it != end; ++it) found.insert((*it)[1]);
  return found;
}

// Subcommand -> its --help's long options; "" -> the main help's.
std::map<std::string, std::set<std::string>> help_options() {
  const auto main_help = run_command(cli({"--help"}));
  EXPECT_EQ(main_help.exit_code, 0);
  std::map<std::string, std::set<std::string>> options = {{"", long_options(main_help.out)}};
  const auto body = main_help.out.substr(main_help.out.find("Subcommands:"));
  static const std::regex kSubcommand(R"(\n  ([a-z]+) )");
  for (std::sregex_iterator it(body.begin(), body.end(), kSubcommand), end; it != end; ++it) {
    const std::string name = (*it)[1];
    const auto help = run_command(cli({name, "--help"}));
    EXPECT_EQ(help.exit_code, 0) << name;
    options[name] = long_options(help.out);
  }
  return options;
}

// The code the README shows: the lines of ```sh blocks (without their
// comments), which are commands, and inline code spans, which may also quote
// a message ("... so mcpauth will not authorize ...").
struct Snippet {
  std::string text;
  bool is_command = false;
};
std::vector<Snippet> code_snippets(const std::string& markdown) {
  std::string prose;
  std::vector<Snippet> snippets;
  for (const auto& fence : fences(markdown, &prose)) {
    if (fence.language != "sh") continue;
    for (const auto& line : fence.lines) snippets.push_back({line.substr(0, line.find(" #")), true});
  }
  static const std::regex kSpan("`([^`\n]+)`");
  for (std::sregex_iterator it(prose.begin(), prose.end(), kSpan), end; it != end; ++it) {
    snippets.push_back({(*it)[1], false});
  }
  return snippets;
}

TEST(Readme, EveryCommandAndFlagExists) {
  const std::string text = readme();
  const auto options = help_options();
  ASSERT_GT(options.size(), 5u) << "no subcommands found in `mcpauth --help`";
  // Each `mcpauth SUBCOMMAND ...`: the subcommand exists and takes each --flag after it.
  static const std::regex kCommand(R"((?:^|[\s"'(])mcpauth\s+([a-z]+|--?[a-z-]+))");
  int commands = 0;
  for (const auto& [snippet, is_command] : code_snippets(text)) {
    std::vector<std::pair<std::size_t, std::string>> starts;
    for (std::sregex_iterator it(snippet.begin(), snippet.end(), kCommand), end; it != end; ++it) {
      starts.emplace_back(it->position(1), (*it)[1]);
    }
    for (std::size_t i = 0; i < starts.size(); ++i) {
      const auto& [at, word] = starts[i];
      const bool is_option = word[0] == '-';
      const auto help = options.find(is_option ? "" : word);
      if (help == options.end()) {
        if (!is_command && at > std::string_view("mcpauth ").size()) continue;  // prose quoted in a span
        ADD_FAILURE() << "the README shows `mcpauth " << word << "`, which is no subcommand: " << snippet;
        continue;
      }
      ++commands;
      const auto until = i + 1 < starts.size() ? starts[i + 1].first : std::string::npos;
      for (const auto& flag : long_options(snippet.substr(at, until == std::string::npos ? until : until - at))) {
        EXPECT_TRUE(help->second.count(flag))
            << "`mcpauth " << (is_option ? "" : word) << " --help` has no " << flag << " (README: " << snippet << ")";
      }
    }
  }
  EXPECT_GT(commands, 20);
  // Every other --flag belongs to some mcpauth command, or to the named other program.
  std::set<std::string> known = {
      "--user",           "--prefix",      "--no-demo",   // scripts/setup.sh
      "--install",        "--strip",       "--test-dir",  // cmake, ctest
      "--cflags",         "--libs",                       // pkg-config
      "--token-endpoint", "--use-id-token"};              // proxy: hidden, accepted and refused with a message
  for (const auto& [name, flags] : options) known.insert(flags.begin(), flags.end());
  for (const auto& flag : long_options(text)) {
    EXPECT_TRUE(known.count(flag)) << "the README names " << flag << ", which no `mcpauth ... --help` lists";
  }
}

}  // namespace
