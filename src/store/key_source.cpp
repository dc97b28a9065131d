#include "key_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "keyring.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::store::detail {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 1024;

Error store_error(const std::string& message) {
  return Error(ErrorCode::store, message);
}

std::optional<std::string> read_key_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw store_error("cannot open the store key " + path.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  std::string content;
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
    ::close(fd);
    throw store_error("the store key " + path.string() + " is readable by other users; run `chmod 600 " +
                      path.string() + "` (and consider the key " + "compromised: log out and in again)");
  }
  char buffer[kMaxKeyFileBytes];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (n < 0) throw store_error("cannot read the store key " + path.string() + ": " + std::strerror(errno));
  content.assign(buffer, static_cast<std::size_t>(n));
  return content;
}

}  // namespace

std::string create_exclusive_file(const std::filesystem::path& path, const std::string& content) {
  // Written under a temporary name, then hard-linked into place: link()
  // fails if the name exists, so two processes never both win and nobody
  // ever reads a half-written key.
  const std::filesystem::path temporary = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw store_error("cannot create " + temporary.string() + ": " + std::strerror(errno));
  const bool written =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(temporary.c_str());
    throw store_error("cannot write " + temporary.string() + ": " + std::strerror(errno));
  }
  const int linked = ::link(temporary.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(temporary.c_str());
  if (linked == 0) return content;
  if (link_errno != EEXIST) throw store_error("cannot create " + path.string() + ": " + std::strerror(link_errno));
  if (auto existing = read_key_file(path)) return *existing;
  throw store_error(path.string() + " vanished while it was being created; try again");
}

ObtainedKey obtain_key(const KeyOptions& options, bool may_create) {
  if (options.key_text) return {parse_key(*options.key_text, "MCPAUTH_KEY"), "MCPAUTH_KEY"};

  if (options.use_keyring) {
    if (auto text = keyring_lookup(options.keyring_item)) {
      return {parse_key(*text, "the key in the desktop keyring"), "the desktop keyring"};
    }
  }
  if (auto text = read_key_file(options.key_file)) {
    return {parse_key(*text, "the store key " + options.key_file.string()), options.key_file.string()};
  }
  if (!may_create) {
    throw store_error(
        "the token store exists but its key was not found (not in MCPAUTH_KEY, not in the desktop "
        "keyring, no " +
        options.key_file.string() +
        "); restore the key, or move the store aside to start over (stored tokens are then lost)");
  }
  const Key key = random_key();
  if (options.use_keyring && keyring_store(options.keyring_item, encode_key(key))) {
    return {key, "the desktop keyring"};
  }
  const std::string text = create_exclusive_file(options.key_file, encode_key(key) + "\n");
  return {parse_key(text, "the store key " + options.key_file.string()), options.key_file.string()};
}

}  // namespace mcpauth::store::detail
