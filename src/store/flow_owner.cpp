#include "flow_owner.hpp"

#include "mcpauth_internal/core/platform/process.hpp"
#include "mcpauth_internal/platform/process.hpp"

namespace mcpauth::store::detail {

std::string this_host() {
  std::string name = platform::host_name();
  return name.empty() ? "?" : name;
}

ProcessIdentity this_process() {
  const long long pid = platform::current_process_id();
  return {pid, platform::process_start_time(pid).value_or(0)};
}

bool process_alive(const ProcessIdentity& process) {
  const bool exists = platform::process_exists(process.pid);
  return core::platform::claim_holder_running(exists, process.started,
                                              exists ? platform::process_start_time(process.pid) : std::nullopt);
}

}  // namespace mcpauth::store::detail
