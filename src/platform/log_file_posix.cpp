#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "mcpauth_internal/platform/log_file.hpp"

namespace mcpauth::platform {

LogFile open_log_file(const std::string& path, std::error_code& error) noexcept {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  error = fd < 0 ? std::error_code(errno, std::generic_category()) : std::error_code{};
  return fd < 0 ? kNoLogFile : fd;
}

void append_to_log_file(LogFile file, std::string_view record) noexcept {
  [[maybe_unused]] const ssize_t written = ::write(static_cast<int>(file), record.data(), record.size());
}

void close_log_file(LogFile file) noexcept {
  if (file != kNoLogFile) ::close(static_cast<int>(file));
}

}  // namespace mcpauth::platform
