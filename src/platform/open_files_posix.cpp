#include <sys/resource.h>

#include <cerrno>

#include "mcpauth_internal/platform/open_files.hpp"

namespace mcpauth::platform {
namespace {

std::uint64_t from_rlim(rlim_t value) noexcept {
  return value == RLIM_INFINITY ? kNoFileLimit : static_cast<std::uint64_t>(value);
}

}  // namespace

std::optional<FileLimits> open_file_limits() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  return FileLimits{from_rlim(limit.rlim_cur), from_rlim(limit.rlim_max)};
}

std::error_code set_open_file_soft_limit(std::uint64_t soft) noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {errno, std::generic_category()};
  limit.rlim_cur = soft == kNoFileLimit ? RLIM_INFINITY : static_cast<rlim_t>(soft);
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return {errno, std::generic_category()};
  return {};
}

}  // namespace mcpauth::platform
