#include <pwd.h>
#include <unistd.h>

#include <stdexcept>

#include "platform/users.hpp"

namespace mcpauth::test_platform {

bool running_as_root() {
  return ::geteuid() == 0;
}

void give_to_user(const std::filesystem::path& path, const std::string& user) {
  const passwd* pw = ::getpwnam(user.c_str());
  if (!pw) throw std::runtime_error("there is no user " + user);
  if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    throw std::runtime_error("cannot give " + path.string() + " to " + user);
  }
}

}  // namespace mcpauth::test_platform
