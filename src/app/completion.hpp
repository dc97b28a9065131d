// `mcpauth completion bash|zsh`: shell completion scripts generated from the
// command's own CLI11 definitions (its subcommands and their options), so
// the completions cannot drift from what the command accepts.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace mcpauth::app {

struct CompletionOption {
  std::vector<std::string> names;  // "-H", "--header"
  std::string description;
  bool takes_value = false;
  std::vector<std::string> choices;  // the values a CLI::IsMember check allows; empty: any
};

struct CompletionCommand {
  std::string name;
  std::string description;
  std::vector<CompletionOption> options;
  std::vector<std::string> argument_choices;  // of its first positional argument, when it has a fixed set
};

struct CompletionModel {
  std::string program;                    // "mcpauth"
  std::vector<CompletionOption> options;  // the program's own (--help, --version)
  std::vector<CompletionCommand> commands;
};

// The subcommands and options `app` defines; options hidden from --help
// (no group) are left out, as are positional arguments (but the choices of
// the first). Choices are read from CLI11's own rendering of an IsMember
// check in the type name ("TEXT:{auto,http}").
CompletionModel completion_model(const CLI::App& app);

// A bash script defining _PROGRAM and `complete -o default -F _PROGRAM PROGRAM`:
// subcommands first, then the chosen subcommand's options; after an option
// with choices, its choices; after another option that takes a value, and
// for positional arguments without choices, bash's own (file names).
std::string bash_completion(const CompletionModel& model);

// A zsh script (#compdef PROGRAM) doing the same with _arguments and _describe.
std::string zsh_completion(const CompletionModel& model);

}  // namespace mcpauth::app
