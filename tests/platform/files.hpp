// Files for the test harness, written with std::filesystem only so that the
// tests compile on every system (no POSIX header outside src/platform/ and
// tests/platform/; see tests/portability/system_headers.sh).
#pragma once

#include <filesystem>
#include <string>

namespace mcpauth::test_platform {

// A new, empty folder in `base` (the system's temporary directory unless
// given), readable by the owner only (what mkdtemp gives), named
// <prefix>-<random>. Never an existing one: creation fails if the name is
// taken, and another name is tried.
std::filesystem::path make_temp_dir(const std::string& prefix,
                                    const std::filesystem::path& base = std::filesystem::temp_directory_path());

// The permission bits of `path` (e.g. 0600), following symlinks; 0 when it
// cannot be read (a missing file fails any assertion about its mode).
unsigned mode_of(const std::filesystem::path& path);

// Sets the permission bits of `path` to `mode` (e.g. 0644), as chmod does;
// false when that failed.
bool set_mode(const std::filesystem::path& path, unsigned mode);

// Whether `path` exists and has an execute bit (the harness's check that a
// tool is installed before it runs one).
bool is_executable(const std::filesystem::path& path);

}  // namespace mcpauth::test_platform
