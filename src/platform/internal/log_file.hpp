#pragma once

// The command's --log file, which several processes may append to at once
// (a host starts one proxy per server). POSIX (log_file_posix.cpp): open()
// with O_APPEND, created 0600, a symbolic link refused, not inherited; one
// write() per record, which O_APPEND keeps whole and unmixed. Windows' file
// will open with FILE_APPEND_DATA only (CreateFileW, OPEN_ALWAYS, an
// owner-only DACL, a reparse point refused) and WriteFile once per record.

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace mcpauth::platform {

// A file opened by open_log_file (a descriptor on POSIX, a HANDLE on
// Windows; both fit); kNoLogFile when it could not be opened.
using LogFile = std::intptr_t;
inline constexpr LogFile kNoLogFile = -1;

// Opens `path` for appending, creating it readable by its owner only.
LogFile open_log_file(const std::string& path, std::error_code& error) noexcept;

// Appends `record` with one write. Best effort: a full disk is not an error
// the caller could do anything about.
void append_to_log_file(LogFile file, std::string_view record) noexcept;

void close_log_file(LogFile file) noexcept;

}  // namespace mcpauth::platform
