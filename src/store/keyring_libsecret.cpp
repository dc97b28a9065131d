// The desktop keyring through libsecret (freedesktop Secret Service). Only
// tried when a D-Bus session bus is announced: libsecret would otherwise try
// to autolaunch one, which on a server or in a container only costs time.
//
// libsecret is loaded with dlopen() on first use rather than linked: it
// brings GLib, GIO, GObject, libgcrypt and a dozen more libraries, which
// every mcpauth process (a proxy that a host keeps running per server)
// would otherwise map and relocate at start-up even where no keyring
// exists. The headers give the types; the library is Debian's libsecret.
#include <libsecret/secret.h>

#include <cstdlib>
#include <mutex>
#include <type_traits>

#include "keyring.hpp"
#include "mcpauth_internal/platform/shared_library.hpp"

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

// The four functions used, resolved from the library (and its GLib).
struct Libsecret {
  decltype(&secret_password_lookup_sync) lookup = nullptr;
  decltype(&secret_password_store_sync) store = nullptr;
  decltype(&secret_password_free) free_password = nullptr;
  decltype(&g_error_free) free_error = nullptr;

  bool usable() const { return lookup && store && free_password && free_error; }
};

// Null when libsecret is not installed: the key file is the fallback.
const Libsecret* libsecret() {
  static Libsecret api;
  static std::once_flag once;
  std::call_once(once, [] {
    void* handle = platform::load_shared_library("libsecret-1.so.0");
    if (!handle) return;  // kept open for the life of the process, as GLib expects
    const auto resolve = [handle](auto& function, const char* name) {
      function =
          reinterpret_cast<std::remove_reference_t<decltype(function)>>(platform::shared_library_symbol(handle, name));
    };
    resolve(api.lookup, "secret_password_lookup_sync");
    resolve(api.store, "secret_password_store_sync");
    resolve(api.free_password, "secret_password_free");
    resolve(api.free_error, "g_error_free");
  });
  return api.usable() ? &api : nullptr;
}

}  // namespace

std::optional<std::string> keyring_lookup(const std::string& item) {
  if (!session_bus_announced()) return std::nullopt;
  const Libsecret* api = libsecret();
  if (!api) return std::nullopt;
  GError* error = nullptr;
  gchar* secret = api->lookup(key_schema(), nullptr, &error, "store", item.c_str(), nullptr);
  if (error) {
    api->free_error(error);  // no service, a locked keyring, ...: the key file is the fallback
    return std::nullopt;
  }
  if (!secret) return std::nullopt;
  std::string value(secret);
  api->free_password(secret);
  return value;
}

bool keyring_store(const std::string& item, const std::string& secret) {
  if (!session_bus_announced()) return false;
  const Libsecret* api = libsecret();
  if (!api) return false;
  GError* error = nullptr;
  const std::string label = "mcpauth token store key (" + item + ")";
  const gboolean stored = api->store(key_schema(), SECRET_COLLECTION_DEFAULT, label.c_str(), secret.c_str(), nullptr,
                                     &error, "store", item.c_str(), nullptr);
  if (error) {
    api->free_error(error);
    return false;
  }
  return stored != FALSE;
}

}  // namespace mcpauth::store::detail
