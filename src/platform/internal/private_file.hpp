#pragma once

// Files only their owner may read, published whole: the token store's
// database and its key file are created owner-only under a temporary name,
// written and flushed, then given their real name by a hard link, which
// fails when the name is taken (so two processes never both win, and nobody
// reads a half-written file). POSIX: open(O_CREAT|O_EXCL|O_NOFOLLOW|
// O_CLOEXEC, 0600), fsync, link, fstat/fchmod (private_file_posix.cpp).
// Windows' file will use CreateFileW(CREATE_NEW) with an owner-only DACL,
// FlushFileBuffers, CreateHardLinkW, and read the DACL for the owner check.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace mcpauth::platform {

// Makes the directory `dir` (its parent must exist), owner-only (0700);
// std::errc::file_exists when something is there already.
std::error_code create_private_directory(const std::filesystem::path& dir) noexcept;

// Makes the new file `path` (never following or replacing anything there),
// owner-only (0600), holding `content` flushed to the disk; on a failure
// after creating it, the file is removed again.
std::error_code create_private_file(const std::filesystem::path& path, std::string_view content) noexcept;

// Gives the file `from` the second name `to`; std::errc::file_exists when
// `to` exists (it is never replaced).
std::error_code link_new_name(const std::filesystem::path& from, const std::filesystem::path& to) noexcept;

struct PrivateFileRead {
  std::error_code error{};          // std::errc::no_such_file_or_directory when there is none
  bool others_have_access = false;  // group or others may read or write it (content is then empty)
  std::string content{};
};

// Reads at most max_bytes of the file `path`, not through a symbolic link.
PrivateFileRead read_private_file(const std::filesystem::path& path, std::size_t max_bytes);

// Takes group's and others' access away from the file `path` (not through a
// symbolic link) when it has any; nothing when it cannot be opened.
void make_owner_only(const std::filesystem::path& path) noexcept;

}  // namespace mcpauth::platform
