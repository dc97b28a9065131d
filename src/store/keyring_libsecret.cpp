// The desktop keyring through libsecret (freedesktop Secret Service). Only
// tried when a D-Bus session bus is announced: libsecret would otherwise try
// to autolaunch one, which on a server or in a container only costs time.
#include <libsecret/secret.h>

#include <cstdlib>

#include "keyring.hpp"

namespace mcpauth::store::detail {
namespace {

const SecretSchema* key_schema() {
  static const SecretSchema schema = {
      "dev.mcpauth.StoreKey",
      SECRET_SCHEMA_NONE,
      {{"store", SECRET_SCHEMA_ATTRIBUTE_STRING}, {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING}},
      0,
      nullptr,
      nullptr,
      nullptr,
      nullptr,
      nullptr,
      nullptr,
      nullptr};
  return &schema;
}

bool session_bus_announced() {
  const char* address = std::getenv("DBUS_SESSION_BUS_ADDRESS");
  return address && *address;
}

}  // namespace

std::optional<std::string> keyring_lookup(const std::string& item) {
  if (!session_bus_announced()) return std::nullopt;
  GError* error = nullptr;
  gchar* secret = secret_password_lookup_sync(key_schema(), nullptr, &error, "store", item.c_str(), nullptr);
  if (error) {
    g_error_free(error);  // no service, a locked keyring, ...: the key file is the fallback
    return std::nullopt;
  }
  if (!secret) return std::nullopt;
  std::string value(secret);
  secret_password_free(secret);
  return value;
}

bool keyring_store(const std::string& item, const std::string& secret) {
  if (!session_bus_announced()) return false;
  GError* error = nullptr;
  const std::string label = "mcpauth token store key (" + item + ")";
  const gboolean stored = secret_password_store_sync(key_schema(), SECRET_COLLECTION_DEFAULT, label.c_str(),
                                                     secret.c_str(), nullptr, &error, "store", item.c_str(), nullptr);
  if (error) {
    g_error_free(error);
    return false;
  }
  return stored != FALSE;
}

}  // namespace mcpauth::store::detail
