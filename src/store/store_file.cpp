#include "store_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "mcpauth/error.hpp"
#include "sqlite.hpp"

namespace mcpauth::store::detail {
namespace {

namespace fs = std::filesystem;

Error store_error(const std::string& message) {
  return Error(ErrorCode::store, message);
}

bool exists_no_follow(const fs::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

void create_missing_directories(const fs::path& dir) {
  std::vector<fs::path> missing;
  for (fs::path p = dir; !p.empty() && !exists_no_follow(p); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      throw store_error("cannot create the store directory " + it->string() + ": " + std::strerror(errno));
    }
  }
}

bool publish_new_store_file(const fs::path& path) {
  if (exists_no_follow(path)) return false;
  const fs::path temporary = path.string() + ".new-" + std::to_string(::getpid());
  ::unlink(temporary.c_str());  // a leftover of this pid's predecessor, never another process's
  const int fd = ::open(temporary.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw store_error("cannot create the token store " + path.string() + ": " + std::strerror(errno));
  ::close(fd);
  try {
    Database db(temporary, std::chrono::milliseconds(1000));
    db.exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str(), "creating the token store");
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  const bool made = ::link(temporary.c_str(), path.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(temporary.c_str());
  if (!made && link_errno != EEXIST) {
    throw store_error("cannot create the token store " + path.string() + ": " + std::strerror(link_errno));
  }
  return made;
}

void refuse_unusable_store_file(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    throw store_error("cannot open the token store " + path.string() + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw store_error("the token store " + path.string() +
                      " is not a regular file (a symbolic link, a directory or a device); it was left as it is: "
                      "set MCPAUTH_STORE to a file path of mcpauth's own");
  }
  if (st.st_size == 0) {
    throw store_error("the token store " + path.string() +
                      " is empty (0 bytes): the grants it held are gone (the file was truncated or replaced). It "
                      "was left as it is; to start afresh, delete it and log in to each server again");
  }
}

void make_store_file_private(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) ::fchmod(fd, 0600);
  ::close(fd);
}

}  // namespace mcpauth::store::detail
