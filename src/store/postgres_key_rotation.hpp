// PostgresTokenStore's key rotation: each sealed row names its key
// (key_id), and mcpauth_keys holds a key check per key the store accepts
// as current. Re-sealing takes the same locks as the refresh path: the
// grant's transaction-scoped advisory lock, then the row FOR UPDATE.
#pragma once

#include <cstddef>

#include "key_set.hpp"
#include "mcpauth/store/key_rotation.hpp"
#include "postgres.hpp"

namespace mcpauth::store::detail {

// The grant's lock, across instances, until the transaction ends: also for
// a grant with no row yet (a first login racing a refresh).
void lock_grant(PgConnection& c, const TokenKey& key);

// Records the current key's check unless mcpauth_keys has one for its id
// (which must then open with it), in its own transaction.
void pg_record_key_check(PgConnection& c, const NamedKey& key);

// Seals every row again under the current key of `keys`, listing
// `batch_size` rows at a time, each row in its own transaction under the
// grant's lock.
void pg_reseal_rows(PgConnection& c, const KeySet& keys, std::size_t batch_size, KeyRotationReport& report);

// rows_by_key (from the rows' key ids) and the recorded keys.
KeyRotationReport pg_key_status(PgConnection& c, const KeySet& keys);

// Unless a row is under another key than the current one, deletes every
// other key's check, in one transaction.
KeyRotationReport pg_retire_keys(PgConnection& c, const KeySet& keys);

}  // namespace mcpauth::store::detail
