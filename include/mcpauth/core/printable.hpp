// The one sanitizer for text a server chose that mcpauth prints or logs (an
// error_description, a tool name or description, a JSON-RPC error message).
// A terminal acts on control characters (ESC sequences clear the screen or
// rewrite what was shown, CR overwrites a line, LF forges a new log line), so
// they are shown visibly escaped instead, and the text is capped in length.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mcpauth::core {

inline constexpr std::size_t kNoLengthCap = std::string_view::npos;

// keep: LF and TAB pass through (multi-line text a person asked to see, such
// as a tool's result); escape: the text stays on one line (names, messages, log lines).
enum class LineBreaks { escape, keep };

// Returns `text` with every C0 control character, DEL and every C1 control
// (U+0080..U+009F, as UTF-8) replaced by a visible escape (\n, \r, \t, \xNN,
// \u0085), cut to at most `max_bytes` of input (never inside a UTF-8
// sequence) with "..." appended when it was cut. Bytes that are not valid
// UTF-8 are escaped as \xNN so a terminal never sees a partial sequence.
std::string printable(std::string_view text, std::size_t max_bytes = kNoLengthCap,
                      LineBreaks line_breaks = LineBreaks::escape);

}  // namespace mcpauth::core
