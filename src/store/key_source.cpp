#include "key_source.hpp"

#include "keyring.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/platform/private_file.hpp"
#include "mcpauth_internal/platform/process.hpp"

namespace mcpauth::store::detail {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 1024;

Error store_error(const std::string& message) {
  return Error(ErrorCode::store, message);
}

std::optional<std::string> read_key_file(const std::filesystem::path& path) {
  platform::PrivateFileRead read = platform::read_private_file(path, kMaxKeyFileBytes);
  if (read.others_have_access) {
    throw store_error("the store key " + path.string() + " is readable by other users; run `chmod 600 " +
                      path.string() + "` (and consider the key " + "compromised: log out and in again)");
  }
  if (read.error == std::errc::no_such_file_or_directory) return std::nullopt;
  if (read.error) throw store_error("cannot read the store key " + path.string() + ": " + read.error.message());
  return std::move(read.content);
}

}  // namespace

std::string create_exclusive_file(const std::filesystem::path& path, const std::string& content) {
  // Written under a temporary name, then hard-linked into place: link()
  // fails if the name exists, so two processes never both win and nobody
  // ever reads a half-written key.
  const std::filesystem::path temporary = path.string() + ".tmp." + std::to_string(platform::current_process_id());
  if (const auto error = platform::create_private_file(temporary, content)) {
    throw store_error("cannot write " + temporary.string() + ": " + error.message());
  }
  const std::error_code link_error = platform::link_new_name(temporary, path);
  std::error_code ignored;
  std::filesystem::remove(temporary, ignored);
  if (!link_error) return content;
  if (link_error != std::errc::file_exists) {
    throw store_error("cannot create " + path.string() + ": " + link_error.message());
  }
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
