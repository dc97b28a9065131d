#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "mcpauth_internal/platform/private_file.hpp"

namespace mcpauth::platform {
namespace {

std::error_code last_error() noexcept {
  return {errno, std::generic_category()};
}

bool group_or_others_may_access(int fd) noexcept {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0;
}

}  // namespace

std::error_code create_private_directory(const std::filesystem::path& dir) noexcept {
  return ::mkdir(dir.c_str(), 0700) == 0 ? std::error_code() : last_error();
}

std::error_code create_private_file(const std::filesystem::path& path, std::string_view content) noexcept {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return last_error();
  std::error_code error;
  for (std::size_t done = 0; done < content.size() && !error;) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno != EINTR) error = last_error();
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  if (!error && ::fsync(fd) != 0) error = last_error();
  ::close(fd);
  if (error) ::unlink(path.c_str());  // ours (O_EXCL made it), and incomplete
  return error;
}

std::error_code link_new_name(const std::filesystem::path& from, const std::filesystem::path& to) noexcept {
  return ::link(from.c_str(), to.c_str()) == 0 ? std::error_code() : last_error();
}

PrivateFileRead read_private_file(const std::filesystem::path& path, std::size_t max_bytes) {
  PrivateFileRead out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    out.error = last_error();
    return out;
  }
  if (group_or_others_may_access(fd)) {
    ::close(fd);
    out.others_have_access = true;
    return out;
  }
  std::vector<char> buffer(max_bytes);
  const ssize_t n = ::read(fd, buffer.data(), buffer.size());
  if (n < 0) {
    out.error = last_error();
  } else {
    out.content.assign(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

void make_owner_only(const std::filesystem::path& path) noexcept {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  if (group_or_others_may_access(fd)) ::fchmod(fd, 0600);
  ::close(fd);
}

}  // namespace mcpauth::platform
