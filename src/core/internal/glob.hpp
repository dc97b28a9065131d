#pragma once

// Shell-style wildcard matching of a whole name (the tool filters' globs),
// as POSIX fnmatch() with no flags does it, in core so that it exists on
// every system (Windows has no fnmatch) and stays sans-I/O:
//   *      any run of characters, the empty one too ('/' and '.' are not special)
//   ?      any one character
//   [...]  one character of the set: ranges a-z, [!...] or [^...] negates,
//          a ']' first is literal; a '[' without its ']' is a literal '['
//   \c     the character c itself
// Bytes, not code points: a '?' matches one byte of a UTF-8 name. Character
// classes ([:alpha:]) are not supported (tool names need none).

#include <string_view>

namespace mcpauth::core {

bool glob_matches(std::string_view glob, std::string_view name) noexcept;

}  // namespace mcpauth::core
