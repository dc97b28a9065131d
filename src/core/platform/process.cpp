#include "mcpauth_internal/core/platform/process.hpp"

namespace mcpauth::core::platform {

StartTimeSource start_time_source(Os os) {
  switch (os) {
    case Os::macos: return StartTimeSource::proc_pidinfo;
    case Os::windows: return StartTimeSource::get_process_times;
    case Os::linux: break;
  }
  return StartTimeSource::proc_stat;
}

bool claim_holder_running(bool pid_exists, std::uint64_t recorded_start, std::optional<std::uint64_t> current_start) {
  if (!pid_exists) return false;
  // Either side unknown: the pid alone decides, as before start times were kept.
  if (recorded_start == 0 || !current_start) return true;
  return *current_start == recorded_start;
}

}  // namespace mcpauth::core::platform
