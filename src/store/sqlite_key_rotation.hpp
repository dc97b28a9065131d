// SqliteTokenStore's key checks and key rotation. The store keeps no key id
// on its rows (its schema predates rotations): a row's key is the key of the
// set that opens it, current key first. Its key checks are in `meta`:
// key_check (the check the store was made with, or the current key's after
// retire_keys) and key_check:<id> for each key a rotation recorded since.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "key_set.hpp"
#include "mcpauth/store/key_rotation.hpp"
#include "sqlite.hpp"

namespace mcpauth::store::detail {

// meta values are text: a key check is kept as hex. A damaged value (not
// hex) decodes to nothing, which no key opens: the "wrong key" path.
std::string hex_blob(const std::string& bytes);
std::string unhex_blob(const std::string& text);

std::vector<RecordedCheck> sqlite_key_checks(Database& db);
// Records the check of `key` unless the store holds one that it opens; in
// the caller's transaction.
void sqlite_record_key_check(Database& db, const NamedKey& key);

// Seals every row again under the current key of `keys`, listing
// `batch_size` rows at a time, each row in its own write transaction (the
// grants' lock: a refresh in another process waits for it, or it for the
// refresh, and reads what the other wrote).
void sqlite_reseal_rows(Database& db, const KeySet& keys, std::size_t batch_size, KeyRotationReport& report);

// rows_by_key, unreadable rows and recorded keys, read in the caller's transaction (or none).
KeyRotationReport sqlite_key_status(Database& db, const KeySet& keys);

// In one write transaction: unless a row is not under the current key,
// keeps only the current key's check (as key_check).
KeyRotationReport sqlite_retire_keys(Database& db, const KeySet& keys);

}  // namespace mcpauth::store::detail
