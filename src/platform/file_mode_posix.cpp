#include <sys/stat.h>

#include "mcpauth_internal/platform/file_mode.hpp"

namespace mcpauth::platform {

std::optional<bool> others_may_read(const std::string& path) noexcept {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return (info.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

}  // namespace mcpauth::platform
