#include "file_limit.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "mcpauth_internal/core/platform/open_files.hpp"
#include "mcpauth_internal/platform/open_files.hpp"

namespace mcpauth::gateway {

std::size_t raise_open_file_limit() {
  namespace decide = core::platform;
  const decide::Os os = decide::current_os();
  std::optional<std::uint64_t> soft;
  if (const auto limits = platform::open_file_limits()) {
    soft = limits->soft;
    const auto target = decide::open_file_soft_target(os, limits->soft, limits->hard);
    if (target && !platform::set_open_file_soft_limit(*target)) soft = target;
  }
  const std::uint64_t budget = decide::open_file_budget(os, soft);
  return static_cast<std::size_t>(std::min<std::uint64_t>(budget, std::numeric_limits<std::size_t>::max()));
}

}  // namespace mcpauth::gateway
