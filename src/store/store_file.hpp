// The store's file and directory on disk, touched only once they are known
// to be mcpauth's: a directory is created (0700) only where none exists and
// an existing one is never chmod'ed; a new database appears at its path only
// fully made (written beside it, then linked into place), so a 0-byte file
// where a store was expected means its grants are gone, and is refused.
#pragma once

#include <filesystem>

namespace mcpauth::store::detail {

// SQLite's header field for the program a database belongs to ("mcpa").
inline constexpr int kApplicationId = 0x6d637061;

// Creates the missing directories of `dir`, each 0700; leaves existing ones alone.
void create_missing_directories(const std::filesystem::path& dir);

// When nothing exists at `path`: makes an empty database marked with
// kApplicationId beside it and links it into place (another process may win
// the race; its file is then used). Returns true when this call made it.
bool publish_new_store_file(const std::filesystem::path& path);

// Throws Error(store) for what cannot be a store: not a regular file, or
// 0 bytes (the grants it held are gone: says how to start afresh). Changes nothing.
void refuse_unusable_store_file(const std::filesystem::path& path);

// Once the file is known to be an mcpauth store: makes it 0600 if it is not.
void make_store_file_private(const std::filesystem::path& path);

}  // namespace mcpauth::store::detail
