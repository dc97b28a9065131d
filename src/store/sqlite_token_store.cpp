#include "mcpauth/store/sqlite_token_store.hpp"

#include <cstring>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <vector>

#include "browser_flow_rows.hpp"
#include "cipher.hpp"
#include "flow_owner.hpp"
#include "key_source.hpp"
#include "mcpauth/core/json.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/store/browser_flows.hpp"
#include "mcpauth/store/key_rotation.hpp"
#include "mcpauth/store/local_users.hpp"
#include "mcpauth_internal/core/platform/paths.hpp"
#include "schema.hpp"
#include "sealed_rows.hpp"
#include "sqlite.hpp"
#include "sqlite_key_rotation.hpp"
#include "store_file.hpp"
#include "user_rows.hpp"

// The implementation lives in detail, beside the helpers it uses unqualified.
namespace mcpauth::store::detail {
namespace {

using core::oauth::ClientRegistration;
using core::oauth::TokenSet;
using Json = nlohmann::json;

class SqliteTokenStore final : public TokenStore, public UserDirectory, public KeyRotation, public BrowserFlowRelay {
 public:
  explicit SqliteTokenStore(SqliteStoreOptions options)
      : options_(std::move(options)),
        host_(detail::this_host()),
        process_(detail::this_process()),
        relay_{
            host_ + ":" + std::to_string(process_.pid) + ":" + detail::encode_key(detail::random_key()).substr(0, 12),
            host_, process_} {}

  void refuse_newer(int version) const {
    if (version > detail::kSchemaVersion) {
      throw Error(ErrorCode::store, "the token store " + options_.path.string() + " was written by a newer mcpauth " +
                                        "(schema " + std::to_string(version) + ", this one knows up to " +
                                        std::to_string(detail::kSchemaVersion) +
                                        "); it was left as it is: use the newer mcpauth");
    }
  }

  // Closes the pooled connections (the next request opens one).
  void close_idle_connections() {
    std::vector<std::unique_ptr<Database>> closing;
    std::lock_guard lock(pool_mutex_);
    closing.swap(idle_);
  }

  void initialize() {
    auto db = std::make_unique<Database>(options_.path, options_.busy_timeout);
    // Read-only checks first: a foreign or newer file must not even get its header touched by WAL mode.
    refuse_newer(detail::schema_version(*db));
    db->exec("PRAGMA journal_mode = WAL", "opening");
    Transaction transaction(*db);
    const int version = detail::schema_version(*db);  // again under the lock: another process may have created it
    refuse_newer(version);
    detail::KeyOptions key_options{options_.key, options_.previous_keys, options_.key_file, options_.use_keyring,
                                   options_.path.string()};
    auto obtained = detail::obtain_key(key_options, version == 0);
    if (version == 0) {
      detail::migrate(*db, 0, detail::kSchemaVersion);
      detail::write_meta(*db, "key_check", detail::hex_blob(detail::seal_key_check(obtained.keys.current().key)));
    } else {
      detail::verify_key_set(obtained.keys, detail::sqlite_key_checks(*db), "the token store " + options_.path.string(),
                             obtained.source);
      if (version < detail::kSchemaVersion) detail::migrate(*db, version, detail::kSchemaVersion);
    }
    keys_.emplace(std::move(obtained.keys));
    key_in_keyring_ = obtained.from_keyring;
    transaction.commit();
    idle_.push_back(std::move(db));
  }

  std::optional<ClientRegistration> load_client(const std::string& issuer) override {
    auto db = acquire();
    Statement s(*db, "SELECT client_id, kind, auth_method, redirect_uris, secrets FROM clients WHERE issuer = ?");
    s.bind(1, issuer);
    if (!s.step()) return std::nullopt;
    return read_client(s, issuer);
  }

  void save_client(const ClientRegistration& client) override {
    auto db = acquire();
    write_client(*db, client);
  }

  void remove_client(const std::string& issuer) override {
    auto db = acquire();
    Statement(*db, "DELETE FROM clients WHERE issuer = ?").bind(1, issuer).run();
  }

  std::vector<ClientRegistration> list_clients() override {
    return all_rows("SELECT client_id, kind, auth_method, redirect_uris, secrets, issuer FROM clients ORDER BY issuer",
                    [&](Statement& s) { return read_client(s, s.text(5)); });
  }

  std::optional<TokenSet> load_tokens(const TokenKey& key) override {
    auto db = acquire();
    return read_tokens(*db, key);
  }

  void save_tokens(const TokenKey& key, const TokenSet& tokens) override {
    auto db = acquire();
    Transaction transaction(*db);
    write_tokens(*db, key, tokens);
    transaction.commit();
  }

  void remove_tokens(const TokenKey& key) override {
    auto db = acquire();
    delete_tokens(*db, key);
  }

  std::vector<GrantRecord> list_grants() override {
    return all_rows(
        "SELECT resource, issuer, client_id, account, token_type, expires_at, scope, secrets, updated_at "
        "FROM tokens ORDER BY resource, account, issuer",
        [&](Statement& s) { return grant_from_row(s); });
  }

  std::vector<GrantRecord> list_grants_of(const std::string& resource, const std::string& issuer,
                                          const std::optional<std::string>& account) override {
    const char* sql = account ? "SELECT resource, issuer, client_id, account, token_type, expires_at, scope, secrets, "
                                "updated_at FROM tokens WHERE resource = ? AND issuer = ? AND account = ? "
                                "ORDER BY resource, account, issuer"
                              : "SELECT resource, issuer, client_id, account, token_type, expires_at, scope, secrets, "
                                "updated_at FROM tokens WHERE resource = ? AND issuer = ? "
                                "ORDER BY resource, account, issuer";
    return all_rows(
        sql, [&](Statement& s) { return grant_from_row(s); },
        [&](Statement& s) {
          s.bind(1, resource).bind(2, issuer);
          if (account) s.bind(3, *account);
        });
  }

  std::optional<TokenSet> update_tokens(const TokenKey& key, const TokenUpdate& update) override {
    auto db = acquire();
    Transaction transaction(*db);  // the grant's lock, across processes
    std::optional<TokenSet> current = read_tokens(*db, key);
    TokenDecision decision = update(current);
    switch (decision.action) {
      case TokenDecision::Action::keep: break;
      case TokenDecision::Action::replace:
        write_tokens(*db, key, decision.tokens);
        current = decision.tokens;
        break;
      case TokenDecision::Action::remove:
        delete_tokens(*db, key);
        current.reset();
        break;
    }
    transaction.commit();
    return current;
  }

  std::optional<DiscoveryRecord> load_discovery(const std::string& server_url) override {
    auto db = acquire();
    Statement s(*db,
                "SELECT resource, issuer, prm_url, prm_body, as_url, as_body, fetched_at, protocol_version, transport "
                "FROM discovery WHERE server_url = ?");
    s.bind(1, server_url);
    if (!s.step()) return std::nullopt;
    return discovery_from_row(s, server_url);
  }

  std::vector<DiscoveryRecord> list_discovery() override {
    return all_rows(
        "SELECT resource, issuer, prm_url, prm_body, as_url, as_body, fetched_at, protocol_version, transport, "
        "server_url FROM discovery ORDER BY server_url",
        [](Statement& s) { return discovery_from_row(s, s.text(9)); });
  }

  static DiscoveryRecord discovery_from_row(Statement& s, const std::string& server_url) {
    DiscoveryRecord record;
    record.server_url = server_url;
    record.resource = s.optional_text(0);
    record.issuer = s.text(1);
    record.prm_url = s.text(2);
    record.prm_body = s.text(3);
    record.as_url = s.text(4);
    record.as_body = s.text(5);
    record.fetched_at = detail::from_millis(s.integer(6));
    record.protocol_version = s.text(7);
    record.transport = s.text(8);
    return record;
  }

  void save_discovery(const DiscoveryRecord& r) override {
    auto db = acquire();
    Statement s(*db,
                "INSERT OR REPLACE INTO discovery (server_url, resource, issuer, prm_url, prm_body, as_url, as_body, "
                "fetched_at, protocol_version, transport) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, r.server_url).bind(2, r.resource).bind(3, r.issuer).bind(4, r.prm_url).bind(5, r.prm_body);
    s.bind(6, r.as_url).bind(7, r.as_body).bind(8, detail::to_millis(r.fetched_at)).bind(9, r.protocol_version);
    s.bind(10, r.transport).run();
  }

  void remove_discovery(const std::string& server_url) override {
    auto db = acquire();
    Statement(*db, "DELETE FROM discovery WHERE server_url = ?").bind(1, server_url).run();
  }

  bool claim_flow(const std::string& flow_key, std::chrono::seconds ttl) override {
    auto db = acquire();
    Transaction transaction(*db);
    if (live_claim(*db, flow_key)) return false;
    Statement s(*db, "INSERT OR REPLACE INTO flows (flow_key, host, pid, started, expires_at) VALUES (?, ?, ?, ?, ?)");
    s.bind(1, flow_key).bind(2, host_).bind(3, process_.pid).bind(4, static_cast<long long>(process_.started));
    s.bind(5, detail::to_millis(Clock::now() + ttl)).run();
    transaction.commit();
    return true;
  }

  void release_flow(const std::string& flow_key) override {
    auto db = acquire();
    Statement s(*db, "DELETE FROM flows WHERE flow_key = ? AND host = ? AND pid = ?");
    s.bind(1, flow_key).bind(2, host_).bind(3, process_.pid).run();
  }

  bool flow_claimed(const std::string& flow_key) override {
    auto db = acquire();
    return live_claim(*db, flow_key);
  }

  bool add_user(const std::string& name, bool admin, const std::optional<ApiKeyHash>& key_hash) override {
    auto db = acquire();
    return detail::add_user(*db, name, admin, key_hash);
  }
  std::optional<LocalUser> find_user(const std::string& name) override {
    auto db = acquire();
    return detail::find_user(*db, name);
  }
  std::optional<LocalUser> find_user_by_key(const ApiKeyHash& key_hash) override {
    auto db = acquire();
    return detail::find_user_by_key(*db, key_hash);
  }
  std::vector<LocalUser> list_users() override {
    auto db = acquire();
    return detail::list_users(*db);
  }
  bool has_users() override {
    auto db = acquire();
    return detail::has_users(*db);
  }
  bool remove_user(const std::string& name) override {
    auto db = acquire();
    return detail::remove_user(*db, name);
  }
  bool add_user_server(const UserServer& server, std::size_t max_servers) override {
    auto db = acquire();
    return detail::add_user_server(*db, keys(), server, max_servers);
  }
  std::vector<UserServer> list_user_servers(const std::string& user) override {
    auto db = acquire();
    return detail::list_user_servers(*db, keys(), user, "the token store " + options_.path.string());
  }
  bool remove_user_server(const std::string& user, const std::string& name) override {
    auto db = acquire();
    return detail::remove_user_server(*db, user, name);
  }

  void open_browser_flow(const BrowserFlowStart& start) override {
    auto db = acquire();
    detail::open_browser_flow(*db, relay_, start);
  }
  std::vector<DeliveredBrowserFlow> take_delivered_browser_flows() override {
    auto db = acquire();
    return detail::take_delivered_browser_flows(*db, keys(), relay_);
  }
  void heartbeat_browser_flows() override {
    auto db = acquire();
    detail::heartbeat_browser_flows(*db, relay_);
  }
  void finish_browser_flow(const std::string& state_hash, const std::optional<std::string>& failure,
                           const std::optional<std::string>& return_to) override {
    auto db = acquire();
    detail::finish_browser_flow(*db, relay_, state_hash, failure, return_to);
  }
  void withdraw_browser_flow(const std::string& state_hash) override {
    auto db = acquire();
    detail::withdraw_browser_flow(*db, relay_, state_hash);
  }
  BrowserFlowHandoff deliver_browser_flow(const std::string& state_hash,
                                          const core::oauth::FormFields& fields) override {
    auto db = acquire();
    return detail::deliver_browser_flow(*db, keys(), relay_, state_hash, fields);
  }
  BrowserFlowOutcome browser_flow_outcome(const std::string& state_hash) override {
    auto db = acquire();
    return detail::browser_flow_outcome(*db, relay_, state_hash);
  }

  void check_rotatable() const override {
    if (key_in_keyring_) {
      throw Error(ErrorCode::store,
                  "the key of the token store " + options_.path.string() +
                      " is kept in the desktop keyring, which a key rotation does not change (the keyring holds one "
                      "key per store: processes reading it during the rotation would find rows they cannot open); "
                      "it was left as it is. Give the keyring's key as MCPAUTH_KEY to rotate it, then keep the new "
                      "key in MCPAUTH_KEY, a key file or the keyring");
    }
  }

  KeyRotationReport rotate_key(const KeyRotationOptions& rotation) override {
    check_rotatable();
    auto db = acquire();
    return detail::run_rotation(keys(), rotation,
                                {[&](const detail::NamedKey& key) {
                                   Transaction transaction(*db);
                                   detail::sqlite_record_key_check(*db, key);
                                   transaction.commit();
                                 },
                                 [&](const detail::KeySet& next) { adopt(next); },
                                 [&](const detail::KeySet& next, KeyRotationReport& report) {
                                   detail::sqlite_reseal_rows(*db, next, rotation.batch_size, report);
                                 },
                                 [&](const detail::KeySet& next) { return detail::sqlite_key_status(*db, next); }});
  }

  KeyRotationReport key_status() override {
    auto db = acquire();
    return detail::sqlite_key_status(*db, keys());
  }

  KeyRotationReport retire_keys() override {
    auto db = acquire();
    return detail::sqlite_retire_keys(*db, keys());
  }

 private:
  detail::KeySet keys() const {
    std::lock_guard lock(keys_mutex_);
    return *keys_;
  }

  // From here on, this store seals under the keys' current key.
  void adopt(const detail::KeySet& next) {
    std::lock_guard lock(keys_mutex_);
    keys_ = next;
  }

  // A pooled connection, returned when the lease ends. One connection per
  // concurrent caller: SQLite transactions belong to a connection, not a thread.
  class Lease {
   public:
    Lease(SqliteTokenStore& store, std::unique_ptr<Database> db) : store_(store), db_(std::move(db)) {}
    ~Lease() { store_.release(std::move(db_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Database& operator*() { return *db_; }
    Database* operator->() { return db_.get(); }

   private:
    SqliteTokenStore& store_;
    std::unique_ptr<Database> db_;
  };

  Lease acquire() {
    {
      std::lock_guard lock(pool_mutex_);
      if (!idle_.empty()) {
        auto db = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(db));
      }
    }
    return Lease(*this, std::make_unique<Database>(options_.path, options_.busy_timeout));
  }

  // Every row `sql` (without parameters) selects, each read by `read`.
  // Every row `sql` selects, each read by `read(statement)`; `bind` binds its parameters.
  template <class Read>
  std::vector<std::invoke_result_t<Read&, Statement&>> all_rows(
      const char* sql, Read read, const std::function<void(Statement&)>& bind = [](Statement&) {}) {
    auto db = acquire();
    Statement s(*db, sql);
    bind(s);
    std::vector<std::invoke_result_t<Read&, Statement&>> out;
    while (s.step()) out.push_back(read(s));
    return out;
  }

  // A row of `tokens` as listed: one that cannot be opened is listed with its error.
  GrantRecord grant_from_row(Statement& s) const {
    GrantRecord grant;
    grant.key = TokenKey{s.text(0), s.text(1), s.text(2), s.text(3)};
    try {
      grant.tokens = tokens_from_row(s, grant.key, 4);
    } catch (const Error& e) {
      grant.error = e.what();  // listed, so status can show it and logout can remove it
    }
    grant.updated_at = detail::from_millis(s.integer(8));
    return grant;
  }

  void release(std::unique_ptr<Database> db) {
    constexpr std::size_t kMaxIdle = 8;
    std::lock_guard lock(pool_mutex_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(db));
  }

  ClientRegistration read_client(Statement& s, const std::string& issuer) const {
    ClientRegistration client;
    client.issuer = issuer;
    client.client_id = s.text(0);
    client.kind = core::oauth::parse_client_kind(s.text(1)).value_or(core::oauth::ClientKind::dynamic);
    client.token_endpoint_auth_method = s.text(2);
    const Json uris = core::parse_json_or_discarded(s.text(3), core::JsonLimits{});
    if (uris.is_array()) {
      for (const auto& uri : uris)
        if (uri.is_string()) client.redirect_uris.push_back(uri.get<std::string>());
    }
    if (!s.is_null(4)) detail::open_client_secrets(keys(), std::nullopt, s.blob(4), options_.path.string(), client);
    return client;
  }

  void write_client(Database& db, const ClientRegistration& client) const {
    Statement s(db,
                "INSERT OR REPLACE INTO clients (issuer, client_id, kind, auth_method, redirect_uris, secrets) "
                "VALUES (?, ?, ?, ?, ?, ?)");
    s.bind(1, client.issuer).bind(2, client.client_id).bind(3, std::string(core::oauth::to_string(client.kind)));
    s.bind(4, client.token_endpoint_auth_method).bind(5, Json(client.redirect_uris).dump());
    if (const auto sealed = detail::seal_client_secrets(keys(), client)) {
      s.bind_blob(6, *sealed);
    } else {
      s.bind(6, std::optional<std::string>());
    }
    s.run();
  }

  TokenSet tokens_from_row(Statement& s, const TokenKey& key, int first) const {
    TokenSet tokens;
    tokens.token_type = s.text(first);
    if (!s.is_null(first + 1)) tokens.expires_at = detail::from_millis(s.integer(first + 1));
    tokens.scope = s.optional_text(first + 2);
    detail::open_token_secrets(keys(), std::nullopt, key, s.blob(first + 3), options_.path.string(), tokens);
    return tokens;
  }

  std::optional<TokenSet> read_tokens(Database& db, const TokenKey& key) const {
    Statement s(db,
                "SELECT token_type, expires_at, scope, secrets FROM tokens "
                "WHERE resource = ? AND issuer = ? AND client_id = ? AND account = ?");
    s.bind(1, key.resource).bind(2, key.issuer).bind(3, key.client_id).bind(4, key.account);
    if (!s.step()) return std::nullopt;
    return tokens_from_row(s, key, 0);
  }

  void write_tokens(Database& db, const TokenKey& key, const TokenSet& tokens) const {
    Statement s(db,
                "INSERT OR REPLACE INTO tokens (resource, issuer, client_id, account, token_type, expires_at, scope, "
                "secrets, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, key.resource).bind(2, key.issuer).bind(3, key.client_id).bind(4, key.account);
    s.bind(5, tokens.token_type);
    if (tokens.expires_at) {
      s.bind(6, detail::to_millis(*tokens.expires_at));
    } else {
      s.bind(6, std::optional<std::string>());
    }
    s.bind(7, tokens.scope)
        .bind_blob(8, detail::seal_token_secrets(keys(), key, tokens))
        .bind(9, detail::to_millis(Clock::now()));
    s.run();
  }

  static void delete_tokens(Database& db, const TokenKey& key) {
    Statement s(db, "DELETE FROM tokens WHERE resource = ? AND issuer = ? AND client_id = ? AND account = ?");
    s.bind(1, key.resource).bind(2, key.issuer).bind(3, key.client_id).bind(4, key.account).run();
  }

  // A claim by a process that still runs (or on another host: trusted until it expires).
  bool live_claim(Database& db, const std::string& flow_key) const {
    Statement s(db, "SELECT host, pid, started, expires_at FROM flows WHERE flow_key = ?");
    s.bind(1, flow_key);
    if (!s.step()) return false;
    if (detail::from_millis(s.integer(3)) <= Clock::now()) return false;
    return s.text(0) != host_ || detail::process_alive({s.integer(1), static_cast<std::uint64_t>(s.integer(2))});
  }

  SqliteStoreOptions options_;
  std::string host_;
  detail::ProcessIdentity process_;
  detail::RelayIdentity relay_;  // host:pid:nonce owns this store's browser flows
  mutable std::mutex keys_mutex_;
  std::optional<detail::KeySet> keys_;  // set by initialize(); rotate_key() changes the current key
  bool key_in_keyring_ = false;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Database>> idle_;
};

}  // namespace
}  // namespace mcpauth::store::detail

namespace mcpauth::store {

SqliteStoreOptions default_sqlite_store_options(
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  namespace platform = core::platform;
  SqliteStoreOptions options;
  const auto path = platform::token_store_path(platform::current_os(), env);
  if (!path) {
    throw Error(ErrorCode::store,
                "cannot place the token store: " + platform::token_store_path_unset(platform::current_os()) +
                    " (set MCPAUTH_STORE)");
  }
  options.path = *path;
  if (auto key = env("MCPAUTH_KEY"); key && !key->empty()) options.key = *key;
  if (auto previous = env("MCPAUTH_KEY_PREVIOUS"); previous && !previous->empty()) options.previous_keys = *previous;
  if (auto keyring = env("MCPAUTH_KEYRING"); keyring && (*keyring == "off" || *keyring == "0"))
    options.use_keyring = false;
  return options;
}

std::shared_ptr<TokenStore> open_sqlite_token_store(const SqliteStoreOptions& given) {
  SqliteStoreOptions options = given;
  if (options.key_file.empty()) options.key_file = options.path.string() + ".key";
  // Nothing is created or changed until the file is known to be ours.
  detail::create_missing_directories(options.path.parent_path());
  detail::publish_new_store_file(options.path);
  detail::refuse_unusable_store_file(options.path);
  const auto path = options.path;
  auto store = std::make_shared<detail::SqliteTokenStore>(std::move(options));
  store->initialize();
  detail::make_store_file_private(path);  // its -wal and -shm files follow the database's mode
  // That took a descriptor of the file, and closing it dropped every POSIX
  // lock this process held on it, SQLite's shared lock included: another
  // process closing its last connection would then take this one for gone
  // and delete the WAL and its index under it (this process reading a stale
  // or damaged store from then on: a gateway never saw users added later).
  // Connections opened from here on take their locks again.
  store->close_idle_connections();
  return store;
}

int sqlite_store_schema_version() {
  return detail::kSchemaVersion;
}

}  // namespace mcpauth::store
