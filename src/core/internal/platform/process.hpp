#pragma once

// Whether a flow claim's process still runs. A claim records the pid and the
// process's start time; pids are reused (a container restarted, a busy host
// wrapping around), so a running process with the claim's pid is the claim's
// holder only if it started when the claim says. Where each system reads a
// start time from is a decision too (src/platform/process_<system>.cpp).

#include <cstdint>
#include <optional>

#include "mcpauth_internal/core/platform/os.hpp"

namespace mcpauth::core::platform {

enum class StartTimeSource {
  proc_stat,          // Linux: field 22 of /proc/<pid>/stat (clock ticks after boot)
  proc_pidinfo,       // macOS: proc_pidinfo(PROC_PIDTBSDINFO), pbi_start_tvsec and _tvusec
  get_process_times,  // Windows: OpenProcess + GetProcessTimes, the creation time
};
StartTimeSource start_time_source(Os os);

// The claim recorded `recorded_start` (0: unknown, a claim written before
// start times were kept, or where none could be read); `current_start` is
// the start time of the process that has the pid now (nullopt: unreadable).
// A known start time that differs means the pid was reused: not the holder.
bool claim_holder_running(bool pid_exists, std::uint64_t recorded_start, std::optional<std::uint64_t> current_start);

}  // namespace mcpauth::core::platform
