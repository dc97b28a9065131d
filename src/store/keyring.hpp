// The desktop keyring (freedesktop Secret Service) through libsecret, when
// mcpauth was built with it. Every call returns "not available" rather than
// failing when no service answers (no D-Bus session, a locked or absent
// keyring): the key file is the fallback then.
#pragma once

#include <optional>
#include <string>

namespace mcpauth::store::detail {

// The key stored for `item`, or nullopt (none stored, or no keyring).
std::optional<std::string> keyring_lookup(const std::string& item);
// Stores the key; false when no keyring took it.
bool keyring_store(const std::string& item, const std::string& secret);

}  // namespace mcpauth::store::detail
