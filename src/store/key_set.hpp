// The keys a store opens rows with: the current key, which seals every new
// value, and retired keys, which only open values sealed under them while a
// key rotation is under way (every instance of a shared store keeps running
// through it). Each key is known by its id (cipher.hpp's key_id), which the
// PostgreSQL store keeps on each row and both stores keep beside each key
// check, so a wrong key is refused when the store opens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cipher.hpp"

namespace mcpauth::store::detail {

struct NamedKey {
  Key key{};
  std::string id;
};

class KeySet {
 public:
  explicit KeySet(const Key& current);

  // A retired key; one already in the set is not added twice.
  void add_retired(const Key& key);
  // Makes `key` the current key; the current one becomes retired.
  void make_current(const Key& key);

  const NamedKey& current() const { return keys_.front(); }
  // The current key first, then the retired ones in the order given.
  const std::vector<NamedKey>& all() const { return keys_; }
  // The key with this id, or nullptr.
  const NamedKey* find(std::string_view id) const;

 private:
  std::vector<NamedKey> keys_;
};

// The keys of a list as users write one (MCPAUTH_KEY_PREVIOUS, a key file's
// lines): separated by commas, spaces or line breaks; empty entries and
// lines starting with '#' are skipped. Throws Error(usage) naming `source`
// and the entry's position, never its text.
std::vector<Key> parse_key_list(std::string_view text, std::string_view source);

// A key check a store holds: a value sealed under one key when that key was
// first recorded (sealed_rows.hpp). `key_id` is empty for the SQLite store's
// original check, made before key ids were recorded beside checks.
struct RecordedCheck {
  std::string key_id;
  std::string sealed;
};

// Whether `keys` may open the store holding `checks`: the current key opens
// one of them (so new rows are sealed under a key every instance was given
// on purpose), and every retired key whose id has a check opens it. Throws
// Error(store) saying which key failed, naming `where` (the store) and
// `source` (where the key came from), never a key.
void verify_key_set(const KeySet& keys, const std::vector<RecordedCheck>& checks, const std::string& where,
                    const std::string& source);

}  // namespace mcpauth::store::detail
