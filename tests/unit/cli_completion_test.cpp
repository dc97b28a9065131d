// The completion scripts are made from the CLI11 definitions: what is read
// from them (tests/integration/cli_help_test.cpp runs the bash script).
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "completion.hpp"

namespace mcpauth::app {
namespace {

struct Definitions {
  CLI::App app{"test", "prog"};
  std::string value;
  std::vector<std::string> values;
  bool flag = false;
  std::string positional;
  int number = 0;

  Definitions() {
    auto* sub = app.add_subcommand("fetch", "Fetch a thing; more words");
    sub->add_option("target", positional, "What to fetch")->required()->check(CLI::IsMember({"one", "two"}));
    sub->add_option("--mode", value, "A mode")->check(CLI::IsMember({"fast", "slow"}));
    sub->add_option("--port", number, "A port")->check(CLI::Range(0, 65535));
    sub->add_option("-H,--header", values, "A header [repeatable]: Name: value");
    sub->add_option("--name", value, "The name")->group("Other");
    sub->add_flag("--json", flag, "Print JSON");
    sub->add_flag("--secret-flag", flag, "Hidden")->group("");
    app.add_subcommand("other", "Something else's");
  }
};

const CompletionOption* find(const CompletionCommand& command, const std::string& name) {
  for (const auto& option : command.options) {
    for (const auto& n : option.names) {
      if (n == name) return &option;
    }
  }
  return nullptr;
}

TEST(Completion, TheModelHasTheSubcommandsAndTheirOptions) {
  Definitions d;
  const CompletionModel model = completion_model(d.app);
  EXPECT_EQ(model.program, "prog");
  ASSERT_EQ(model.commands.size(), 2u);
  const auto& fetch = model.commands[0];
  EXPECT_EQ(fetch.name, "fetch");
  const auto* header = find(fetch, "--header");
  ASSERT_NE(header, nullptr);
  EXPECT_EQ(header->names, (std::vector<std::string>{"-H", "--header"}));
  EXPECT_TRUE(header->takes_value);
  ASSERT_NE(find(fetch, "--name"), nullptr);
  EXPECT_TRUE(find(fetch, "--name")->takes_value);
  ASSERT_NE(find(fetch, "--json"), nullptr);
  EXPECT_FALSE(find(fetch, "--json")->takes_value);
  EXPECT_NE(find(fetch, "--help"), nullptr);
  EXPECT_EQ(find(fetch, "--secret-flag"), nullptr) << "hidden from --help, so not offered";
  ASSERT_NE(find(fetch, "--mode"), nullptr);
  EXPECT_EQ(find(fetch, "--mode")->choices, (std::vector<std::string>{"fast", "slow"}));
  ASSERT_NE(find(fetch, "--port"), nullptr);
  EXPECT_TRUE(find(fetch, "--port")->choices.empty()) << "a range is no list of choices";
  EXPECT_TRUE(header->choices.empty());
  EXPECT_EQ(fetch.argument_choices, (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(model.commands[1].argument_choices.empty());
  for (const auto& option : fetch.options) EXPECT_NE(option.names.front(), "target") << "positionals are no option";
}

TEST(Completion, TheBashScriptNamesEveryCommandAndOptionAndWhichTakeValues) {
  Definitions d;
  const std::string bash = bash_completion(completion_model(d.app));
  EXPECT_NE(bash.find("compgen -W 'fetch other -h --help'"), std::string::npos) << bash;
  EXPECT_NE(bash.find("options='-h --help --mode --port -H --header --name --json'"), std::string::npos) << bash;
  EXPECT_NE(bash.find("valued='--mode --port -H --header --name'"), std::string::npos) << bash;
  EXPECT_NE(bash.find("arguments='one two'"), std::string::npos) << bash;
  EXPECT_NE(bash.find("        --mode)\n          COMPREPLY=($(compgen -W 'fast slow' -- \"$cur\"))"),
            std::string::npos)
      << bash;
  EXPECT_NE(bash.find("complete -o default -F _prog prog\n"), std::string::npos) << bash;
}

TEST(Completion, TheZshScriptEscapesWhatZshReads) {
  Definitions d;
  const std::string zsh = zsh_completion(completion_model(d.app));
  EXPECT_EQ(zsh.rfind("#compdef prog\n", 0), 0u) << zsh;
  // _describe: a colon ends the name; single quotes are closed and reopened.
  EXPECT_NE(zsh.find(R"('fetch:Fetch a thing')"), std::string::npos) << zsh;
  EXPECT_NE(zsh.find(R"('other:Something else'\''s')"), std::string::npos) << zsh;
  // _arguments: brackets escaped, a value after an option that takes one.
  EXPECT_NE(zsh.find(R"('*--header[A header \[repeatable\]: Name: value]:value:_default')"), std::string::npos) << zsh;
  EXPECT_NE(zsh.find(R"('*--json[Print JSON]' \)"), std::string::npos) << zsh;
  EXPECT_NE(zsh.find(R"('*--mode[A mode]:value:(fast slow)')"), std::string::npos) << zsh;
  EXPECT_NE(zsh.find(R"('1:argument:(one two)')"), std::string::npos) << zsh;
  EXPECT_EQ(zsh.find("secret-flag"), std::string::npos) << zsh;
}

}  // namespace
}  // namespace mcpauth::app
