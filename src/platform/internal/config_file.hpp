#pragma once

// Writing the config file the gateway's dashboard edits: a new owner-only
// file, flushed to the disk, which the caller then renames over the old one
// (std::filesystem::rename replaces atomically on every system). POSIX
// (config_file_posix.cpp): open(O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600),
// fsync; chmod 0700 for a directory it had to make. Windows' file will use
// CreateFileW(CREATE_NEW) with an owner-only DACL and FlushFileBuffers.

#include <filesystem>
#include <string_view>
#include <system_error>

namespace mcpauth::platform {

// Makes the new file `path` (never following or replacing anything there),
// owner-only, holding `content` flushed to the disk; on a failure after
// creating it, the file is removed again.
std::error_code write_new_config_file(const std::filesystem::path& path, std::string_view content) noexcept;

// Takes group's and others' access to the directory `dir` away (one the
// caller just made for the config file).
std::error_code make_config_directory_private(const std::filesystem::path& dir) noexcept;

}  // namespace mcpauth::platform
