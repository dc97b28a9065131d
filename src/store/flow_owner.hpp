// Who holds a flow claim: this host's name, a process id and that process's
// start time. A claim of a process on this host that is gone (or whose pid
// now belongs to a process that started later) ends at once; one of another
// host is trusted until it expires (its process cannot be asked).
#pragma once

#include <cstdint>
#include <string>

namespace mcpauth::store::detail {

struct ProcessIdentity {
  long long pid = 0;
  std::uint64_t started = 0;  // 0: unknown (the pid alone then counts)
};

std::string this_host();
ProcessIdentity this_process();
bool process_alive(const ProcessIdentity& process);

}  // namespace mcpauth::store::detail
