// The words of --help beyond each option's line: the examples of every
// command, and the main help's exit codes and environment variables. The man
// page (help2man) is made from the same text.
#pragma once

#include <string>
#include <string_view>

namespace mcpauth::app {

// An environment variable the command (or the library under it) reads.
struct EnvironmentVariable {
  const char* name;
  const char* meaning;
};

// Every variable the main --help lists; each is looked up by name in the
// sources (a unit test keeps the list true).
extern const EnvironmentVariable kEnvironmentVariables[];
extern const std::size_t kEnvironmentVariableCount;

// The main --help's footer: exit codes (exit_codes.hpp), environment
// variables, and where a command's own help is.
std::string main_help_footer();

// The footer of `mcpauth COMMAND --help`: "Examples:" and a few command
// lines, each with what it does; "" for a command without examples.
std::string examples_footer(std::string_view command);

}  // namespace mcpauth::app
