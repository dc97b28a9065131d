#pragma once

// How far the gateway raises its open-file soft limit on each system, and how
// many descriptors it plans with (docs/platforms.md). Each local session holds
// a few descriptors while the soft limit is often small (1,024 on Linux, 256
// on macOS) below a far higher hard one. Pure decisions, unit-tested for every
// system; src/platform/open_files_*.cpp reads and sets the limit.

#include <cstdint>
#include <limits>
#include <optional>

#include "mcpauth_internal/core/platform/os.hpp"

namespace mcpauth::core::platform {

// A limit the system does not bound (RLIM_INFINITY).
inline constexpr std::uint64_t kUnlimitedFiles = std::numeric_limits<std::uint64_t>::max();

// The soft limit to ask for, given the current soft and hard limits; nullopt
// leaves it as it is (it is already there, or the system has no such limit).
//   Linux:   the hard limit (the kernel keeps it at or below fs.nr_open);
//            an unlimited one is capped at 1,048,576, nr_open's default.
//   macOS:   min(hard, OPEN_MAX = 10,240): setrlimit refuses a soft limit
//            above OPEN_MAX (and RLIM_INFINITY), though the hard limit is
//            usually unlimited (setrlimit(2), "COMPATIBILITY").
//   Windows: none; there is no descriptor limit on sockets to raise.
// Never lower than the soft limit in force.
std::optional<std::uint64_t> open_file_soft_target(Os os, std::uint64_t soft, std::uint64_t hard) noexcept;

// The descriptors to plan with: the soft limit in force (an unlimited one as
// 1,048,576), or, where none could be read (nullopt), 1,024 on POSIX, the
// usual soft limit, and 1,048,576 on Windows, which bounds sockets by memory
// only.
std::uint64_t open_file_budget(Os os, std::optional<std::uint64_t> soft) noexcept;

}  // namespace mcpauth::core::platform
