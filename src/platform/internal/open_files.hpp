#pragma once

// The process's open-file limits (the gateway raises its soft limit; how far
// is core/platform/open_files.hpp's decision). POSIX: getrlimit/setrlimit
// (RLIMIT_NOFILE). Windows' file will answer std::errc::not_supported to
// both: sockets there have no per-process descriptor limit.

#include <cstdint>
#include <limits>
#include <optional>
#include <system_error>

namespace mcpauth::platform {

// RLIM_INFINITY, as these functions give and take it.
inline constexpr std::uint64_t kNoFileLimit = std::numeric_limits<std::uint64_t>::max();

struct FileLimits {
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

// The soft and hard limits now; nullopt where they cannot be read (or the
// system has none).
std::optional<FileLimits> open_file_limits() noexcept;

// Sets the soft limit (the hard one stays).
std::error_code set_open_file_soft_limit(std::uint64_t soft) noexcept;

}  // namespace mcpauth::platform
