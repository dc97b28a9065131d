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

namespace {

// The key file's keys: the first is the current one, the others retired.
std::vector<Key> key_file_keys(const std::string& text, const std::filesystem::path& path) {
  std::vector<Key> keys = parse_key_list(text, "the store key " + path.string());
  if (keys.empty()) {
    throw Error(ErrorCode::usage, "the store key " + path.string() + " holds no key (it is empty)");
  }
  return keys;
}

ObtainedKey with_previous(ObtainedKey obtained, const std::vector<Key>& retired, const KeyOptions& options) {
  for (const Key& key : retired) obtained.keys.add_retired(key);
  if (options.previous_keys) {
    for (const Key& key : parse_key_list(*options.previous_keys, "MCPAUTH_KEY_PREVIOUS")) {
      obtained.keys.add_retired(key);
    }
  }
  return obtained;
}

}  // namespace

ObtainedKey obtain_key(const KeyOptions& options, bool may_create) {
  if (options.key_text) {
    return with_previous({KeySet(parse_key(*options.key_text, "MCPAUTH_KEY")), "MCPAUTH_KEY"}, {}, options);
  }

  if (options.use_keyring) {
    if (auto text = keyring_lookup(options.keyring_item)) {
      return with_previous(
          {KeySet(parse_key(*text, "the key in the desktop keyring")), "the desktop keyring", /*from_keyring=*/true},
          {}, options);
    }
  }
  if (auto text = read_key_file(options.key_file)) {
    const std::vector<Key> keys = key_file_keys(*text, options.key_file);
    return with_previous({KeySet(keys.front()), options.key_file.string()}, keys, options);
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
    return with_previous({KeySet(key), "the desktop keyring", /*from_keyring=*/true}, {}, options);
  }
  const std::string text = create_exclusive_file(options.key_file, encode_key(key) + "\n");
  const std::vector<Key> keys = key_file_keys(text, options.key_file);
  return with_previous({KeySet(keys.front()), options.key_file.string()}, keys, options);
}

}  // namespace mcpauth::store::detail
