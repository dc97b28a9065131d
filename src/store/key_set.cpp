#include "key_set.hpp"

#include <algorithm>

#include "mcpauth/error.hpp"
#include "sealed_rows.hpp"

namespace mcpauth::store::detail {

KeySet::KeySet(const Key& current) {
  keys_.push_back({current, key_id(current)});
}

void KeySet::add_retired(const Key& key) {
  const std::string id = key_id(key);
  if (!find(id)) keys_.push_back({key, id});
}

void KeySet::make_current(const Key& key) {
  const std::string id = key_id(key);
  std::erase_if(keys_, [&](const NamedKey& k) { return k.id == id; });
  keys_.insert(keys_.begin(), {key, id});
}

const NamedKey* KeySet::find(std::string_view id) const {
  const auto it = std::find_if(keys_.begin(), keys_.end(), [&](const NamedKey& k) { return k.id == id; });
  return it == keys_.end() ? nullptr : &*it;
}

std::vector<Key> parse_key_list(std::string_view text, std::string_view source) {
  std::vector<Key> keys;
  std::size_t line_start = 0;
  while (line_start <= text.size()) {
    const std::size_t line_end = std::min(text.find('\n', line_start), text.size());
    std::string_view line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    std::size_t at = 0;
    while (at < line.size()) {
      const std::size_t end = std::min(line.find_first_of(", \t\r", at), line.size());
      if (end > at) {
        const std::string position = keys.empty() ? "" : " (key " + std::to_string(keys.size() + 1) + ")";
        keys.push_back(parse_key(line.substr(at, end - at), std::string(source) + position));
      }
      at = end + 1;
    }
  }
  return keys;
}

void verify_key_set(const KeySet& keys, const std::vector<RecordedCheck>& checks, const std::string& where,
                    const std::string& source) {
  const auto opens = [&](const NamedKey& key) {
    return std::any_of(checks.begin(), checks.end(), [&](const RecordedCheck& c) {
      return (c.key_id.empty() || c.key_id == key.id) && key_check_opens(key.key, c.sealed);
    });
  };
  if (!opens(keys.current())) {
    throw Error(ErrorCode::store, where + " cannot be opened with the key from " + source +
                                      " (another key encrypted it, or the key is one a rotation retired: every "
                                      "instance sharing the store needs its current key); it was left as it is");
  }
  for (const NamedKey& key : keys.all()) {
    const bool recorded =
        std::any_of(checks.begin(), checks.end(), [&](const RecordedCheck& c) { return c.key_id == key.id; });
    if (recorded && !opens(key)) {
      throw Error(ErrorCode::store, where + " records a key check for key " + key.id +
                                        " that the previous key given with that id does not open (damaged); it "
                                        "was left as it is");
    }
  }
}

}  // namespace mcpauth::store::detail
