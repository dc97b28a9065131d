#pragma once

// Whether a file's permissions let other users read it (the command warns
// about a credentials file that they do). POSIX (file_mode_posix.cpp): the
// group and other read bits of stat(). Windows' file will read the file's
// DACL (GetNamedSecurityInfoW) for an allow-read entry beyond the owner,
// SYSTEM and Administrators; mode bits mean nothing there.

#include <optional>
#include <string>

namespace mcpauth::platform {

// True when users other than the owner may read `path`; nullopt when that
// cannot be told (no such file, or no answer from the system).
std::optional<bool> others_may_read(const std::string& path) noexcept;

}  // namespace mcpauth::platform
