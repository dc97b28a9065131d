#pragma once

// This process and the others on this host, as flow claims name them: a
// claim records the host, the pid and the pid's start time, and a claim of a
// process on this host is live only while a process with that pid runs and
// started at that time (pids are reused; the start time tells a new process
// from the claim's). POSIX: getpid, gethostname, kill(pid, 0)
// (process_posix.cpp); the start time is Linux's /proc (process_linux.cpp).
// macOS's file will read proc_pidinfo(PROC_PIDTBSDINFO)'s pbi_start_tvsec/
// usec; Windows': GetCurrentProcessId, GetComputerNameExW, OpenProcess +
// GetProcessTimes (creation time).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcpauth::platform {

long long current_process_id() noexcept;

// This host's name; empty when the system does not say.
std::string host_name();

// Whether a process with this pid exists (one of another user counts).
bool process_exists(long long pid) noexcept;

// When the process started, in the system's own unit (Linux: clock ticks
// after boot), comparable only with another value of this function on this
// host; nullopt when it cannot be read (no such process).
std::optional<std::uint64_t> process_start_time(long long pid);

// Linux: field 22 (starttime) of a /proc/<pid>/stat line. The command name
// (field 2) is in parentheses and may itself hold spaces and ')': the fields
// are counted after the last ')'.
std::optional<std::uint64_t> start_time_of_proc_stat(std::string_view stat);

}  // namespace mcpauth::platform
