// What the mcpauth command adds to a library error: a hint in the command's
// own words (its options and commands), rendered from the error's code and
// typed detail. The library's messages stay neutral (include/mcpauth/error.hpp);
// the exit code comes from exit_codes.hpp beside this.
#pragma once

#include <string>

#include "mcpauth/error.hpp"

namespace mcpauth::app {

// What the hint may refer to: the command line as the user typed it.
struct HintContext {
  std::string target;   // the server as the user named it (a config name or a URL); "" when unknown
  bool device = false;  // the command ran the device authorization grant (--device)
};

// The hint for `error`: what to do, in the command's words (one sentence,
// its parts joined by "; "), or "" when the command has nothing to add to the
// library's message.
std::string error_hint(const Error& error, const HintContext& context = {});

// How the command reports an error on stderr: "mcpauth: MESSAGE\n", then
// "mcpauth: hint: HINT\n" when there is one. Each line terminal-safe (what
// servers sent is quoted without control characters or line breaks).
std::string error_report(const Error& error, const HintContext& context = {});

// The same on one line, "MESSAGE (hint: HINT)", where one line is all there
// is (the message of a JSON-RPC error the proxy answers its host with).
std::string error_with_hint(const Error& error, const HintContext& context = {});

}  // namespace mcpauth::app
