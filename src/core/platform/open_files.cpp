#include "mcpauth_internal/core/platform/open_files.hpp"

#include <algorithm>

namespace mcpauth::core::platform {
namespace {

constexpr std::uint64_t kNrOpenDefault = 1u << 20;  // Linux's fs.nr_open out of the box
constexpr std::uint64_t kMacosOpenMax = 10'240;     // <sys/syslimits.h> OPEN_MAX
constexpr std::uint64_t kPosixUsualSoft = 1'024;

}  // namespace

std::optional<std::uint64_t> open_file_soft_target(Os os, std::uint64_t soft, std::uint64_t hard) noexcept {
  std::uint64_t target = 0;
  switch (os) {
    case Os::linux: target = hard == kUnlimitedFiles ? kNrOpenDefault : hard; break;
    case Os::macos: target = std::min(hard, kMacosOpenMax); break;
    case Os::windows: return std::nullopt;
  }
  if (target <= soft) return std::nullopt;
  return target;
}

std::uint64_t open_file_budget(Os os, std::optional<std::uint64_t> soft) noexcept {
  if (soft) return *soft == kUnlimitedFiles ? kNrOpenDefault : *soft;
  return os == Os::windows ? kNrOpenDefault : kPosixUsualSoft;
}

}  // namespace mcpauth::core::platform
