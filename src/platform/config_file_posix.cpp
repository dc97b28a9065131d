#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "mcpauth_internal/platform/config_file.hpp"

namespace mcpauth::platform {
namespace {

std::error_code last_error() noexcept {
  return {errno, std::generic_category()};
}

}  // namespace

std::error_code write_new_config_file(const std::filesystem::path& path, std::string_view content) noexcept {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return last_error();
  std::error_code error;
  for (std::size_t done = 0; done < content.size() && !error;) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno != EINTR) error = last_error();
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  if (!error && ::fsync(fd) != 0) error = last_error();
  if (::close(fd) != 0 && !error) error = last_error();
  if (error) ::unlink(path.c_str());  // ours (O_EXCL made it), and incomplete
  return error;
}

std::error_code make_config_directory_private(const std::filesystem::path& dir) noexcept {
  return ::chmod(dir.c_str(), 0700) == 0 ? std::error_code() : last_error();
}

}  // namespace mcpauth::platform
