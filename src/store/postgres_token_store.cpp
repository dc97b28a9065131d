#include "mcpauth/store/postgres_token_store.hpp"

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
#include "postgres.hpp"
#include "postgres_key_rotation.hpp"
#include "postgres_pool.hpp"
#include "postgres_schema.hpp"
#include "sealed_rows.hpp"
#include "store_file.hpp"
#include "user_rows.hpp"

// The implementation lives in detail, beside the helpers it uses unqualified.
namespace mcpauth::store::detail {
namespace {

using core::oauth::ClientRegistration;
using core::oauth::TokenSet;
using Json = nlohmann::json;
using P = PgParam;

// Lists larger than this are not a store's: refused instead of read into memory.
constexpr int kMaxRows = 100'000;

// The database's clock in the milliseconds the columns hold, so instances
// with skewed clocks agree on updated_at.
constexpr const char* kNowMillis = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

class PostgresTokenStore final : public TokenStore, public UserDirectory, public KeyRotation, public BrowserFlowRelay {
  using Pool = detail::BoundedPool<PgConnection>;

 public:
  explicit PostgresTokenStore(PostgresStoreOptions options)
      : options_(std::move(options)),
        target_(detail::pg_target(options_.url)),
        host_(detail::this_host()),
        process_(detail::this_process()),
        owner_(host_ + ":" + std::to_string(process_.pid) + ":" +
               detail::encode_key(detail::random_key()).substr(0, 12)),
        pool_([this] { return connect(); },
              {options_.max_connections, options_.max_idle_connections, options_.connection_wait},
              "the token store (" + target_.description + ")") {}

  void initialize() {
    auto connection = pool_.acquire();
    PgTransaction transaction(*connection);
    detail::migrate_postgres(*connection);
    const PgResult keys = connection->exec("SELECT key_id, key_check FROM mcpauth_keys", {}, "reading the key check");
    detail::KeyOptions key_options{options_.key, options_.previous_keys, options_.key_file, /*use_keyring=*/false,
                                   target_.description};
    auto obtained = detail::obtain_key(key_options, keys.rows() == 0);
    if (keys.rows() == 0) {
      const detail::NamedKey& current = obtained.keys.current();
      connection->exec("INSERT INTO mcpauth_keys (key_id, key_check) VALUES ($1, $2)",
                       {P::text(current.id), P::bytes(detail::seal_key_check(current.key))}, "recording the key check");
    } else {
      std::vector<detail::RecordedCheck> checks;
      for (int row = 0; row < keys.rows(); ++row) checks.push_back({keys.text(row, 0), keys.bytes(row, 1)});
      detail::verify_key_set(obtained.keys, checks, "the token store (" + target_.description + ")", obtained.source);
    }
    keys_.emplace(std::move(obtained.keys));
    transaction.commit();
    connection.give_back();
  }

  std::optional<ClientRegistration> load_client(const std::string& issuer) override {
    return first_row(
        "SELECT client_id, kind, auth_method, redirect_uris, key_id, secrets, issuer FROM mcpauth_clients "
        "WHERE issuer = $1",
        issuer, "reading a client registration", [&](const PgResult& r, int row) { return read_client(r, row); });
  }

  void save_client(const ClientRegistration& client) override {
    const detail::KeySet keys = key_set();
    const auto sealed = detail::seal_client_secrets(keys, client);
    run([&](PgConnection& c) {
      c.exec(
          "INSERT INTO mcpauth_clients (issuer, client_id, kind, auth_method, redirect_uris, key_id, secrets) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (issuer) DO UPDATE SET client_id = EXCLUDED.client_id, "
          "kind = EXCLUDED.kind, auth_method = EXCLUDED.auth_method, redirect_uris = EXCLUDED.redirect_uris, "
          "key_id = EXCLUDED.key_id, secrets = EXCLUDED.secrets",
          {P::text(client.issuer), P::text(client.client_id), P::text(std::string(core::oauth::to_string(client.kind))),
           P::text(client.token_endpoint_auth_method), P::text(Json(client.redirect_uris).dump()),
           sealed ? P::text(keys.current().id) : P::null(), sealed ? P::bytes(*sealed) : P::null()},
          "saving a client registration");
      return 0;
    });
  }

  void remove_client(const std::string& issuer) override {
    run([&](PgConnection& c) {
      c.exec("DELETE FROM mcpauth_clients WHERE issuer = $1", {P::text(issuer)}, "removing a client registration");
      return 0;
    });
  }

  std::vector<ClientRegistration> list_clients() override {
    return all_rows(
        "SELECT client_id, kind, auth_method, redirect_uris, key_id, secrets, issuer FROM mcpauth_clients "
        "ORDER BY issuer",
        "listing client registrations", [&](const PgResult& r, int row) { return read_client(r, row); });
  }

  std::optional<TokenSet> load_tokens(const TokenKey& key) override {
    return run([&](PgConnection& c) { return read_tokens(c, key, false); });
  }

  void save_tokens(const TokenKey& key, const TokenSet& tokens) override {
    run([&](PgConnection& c) {
      PgTransaction transaction(c);
      lock_grant(c, key);
      write_tokens(c, key, tokens);
      transaction.commit();
      return 0;
    });
  }

  void remove_tokens(const TokenKey& key) override {
    run([&](PgConnection& c) {
      PgTransaction transaction(c);
      lock_grant(c, key);
      delete_tokens(c, key);
      transaction.commit();
      return 0;
    });
  }

  std::vector<GrantRecord> list_grants() override {
    return all_rows(
        "SELECT resource, issuer, client_id, account, token_type, expires_at, scope, key_id, secrets, updated_at "
        "FROM mcpauth_tokens ORDER BY resource, account, issuer",
        "listing grants", [&](const PgResult& r, int row) { return grant_from_row(r, row); });
  }

  std::vector<GrantRecord> list_grants_of(const std::string& resource, const std::string& issuer,
                                          const std::optional<std::string>& account) override {
    // $3 NULL: every account's.
    return all_rows(
        "SELECT resource, issuer, client_id, account, token_type, expires_at, scope, key_id, secrets, updated_at "
        "FROM mcpauth_tokens WHERE resource = $1 AND issuer = $2 AND ($3::text IS NULL OR account = $3) "
        "ORDER BY resource, account, issuer",
        "listing a server's grants", [&](const PgResult& r, int row) { return grant_from_row(r, row); },
        {P::text(resource), P::text(issuer), P::optional_text(account)});
  }

  std::optional<TokenSet> update_tokens(const TokenKey& key, const TokenUpdate& update) override {
    // Once `update` ran (it may have used a refresh token), a lost connection
    // is reported, not retried: running it again could spend a rotated token twice.
    bool updated = false;
    return run(
        [&](PgConnection& c) {
          PgTransaction transaction(c);
          lock_grant(c, key);
          std::optional<TokenSet> current = read_tokens(c, key, true);
          updated = true;
          TokenDecision decision = update(current);
          switch (decision.action) {
            case TokenDecision::Action::keep: break;
            case TokenDecision::Action::replace:
              write_tokens(c, key, decision.tokens);
              current = decision.tokens;
              break;
            case TokenDecision::Action::remove:
              delete_tokens(c, key);
              current.reset();
              break;
          }
          transaction.commit();
          return current;
        },
        [&] { return !updated; });
  }

  std::optional<DiscoveryRecord> load_discovery(const std::string& server_url) override {
    return first_row(
        "SELECT resource, issuer, prm_url, prm_body, as_url, as_body, fetched_at, protocol_version, transport, "
        "server_url FROM mcpauth_discovery WHERE server_url = $1",
        server_url, "reading a discovery record",
        [&](const PgResult& r, int row) { return discovery_from_row(r, row); });
  }

  std::vector<DiscoveryRecord> list_discovery() override {
    return all_rows(
        "SELECT resource, issuer, prm_url, prm_body, as_url, as_body, fetched_at, protocol_version, transport, "
        "server_url FROM mcpauth_discovery ORDER BY server_url",
        "listing discovery records", [&](const PgResult& r, int row) { return discovery_from_row(r, row); });
  }

  void save_discovery(const DiscoveryRecord& d) override {
    run([&](PgConnection& c) {
      c.exec(
          "INSERT INTO mcpauth_discovery (server_url, resource, issuer, prm_url, prm_body, as_url, as_body, "
          "fetched_at, protocol_version, transport) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint, $9, $10) "
          "ON CONFLICT (server_url) DO UPDATE SET resource = EXCLUDED.resource, issuer = EXCLUDED.issuer, "
          "prm_url = EXCLUDED.prm_url, prm_body = EXCLUDED.prm_body, as_url = EXCLUDED.as_url, "
          "as_body = EXCLUDED.as_body, fetched_at = EXCLUDED.fetched_at, "
          "protocol_version = EXCLUDED.protocol_version, transport = EXCLUDED.transport",
          {P::text(d.server_url), P::optional_text(d.resource), P::text(d.issuer), P::text(d.prm_url),
           P::text(d.prm_body), P::text(d.as_url), P::text(d.as_body), P::integer(detail::to_millis(d.fetched_at)),
           P::text(d.protocol_version), P::text(d.transport)},
          "saving a discovery record");
      return 0;
    });
  }

  void remove_discovery(const std::string& server_url) override {
    run([&](PgConnection& c) {
      c.exec("DELETE FROM mcpauth_discovery WHERE server_url = $1", {P::text(server_url)},
             "removing a discovery record");
      return 0;
    });
  }

  bool claim_flow(const std::string& flow_key, std::chrono::seconds ttl) override {
    return run([&](PgConnection& c) {
      PgTransaction transaction(c);
      c.exec("SELECT pg_advisory_xact_lock($1::int, hashtext($2))",
             {P::integer(detail::kPgLockSpace), P::text("flow\n" + flow_key)}, "waiting for a flow claim's lock");
      if (live_claim(c, flow_key)) return false;
      c.exec(
          "INSERT INTO mcpauth_flows (flow_key, owner, host, pid, started, expires_at) "
          "VALUES ($1, $2, $3, $4::bigint, $5::bigint, now() + $6::bigint * interval '1 second') "
          "ON CONFLICT (flow_key) DO UPDATE SET owner = EXCLUDED.owner, host = EXCLUDED.host, pid = EXCLUDED.pid, "
          "started = EXCLUDED.started, expires_at = EXCLUDED.expires_at",
          {P::text(flow_key), P::text(owner_), P::text(host_), P::integer(process_.pid),
           P::integer(static_cast<long long>(process_.started)), P::integer(ttl.count())},
          "claiming a flow");
      transaction.commit();
      return true;
    });
  }

  void release_flow(const std::string& flow_key) override {
    run([&](PgConnection& c) {
      c.exec("DELETE FROM mcpauth_flows WHERE flow_key = $1 AND owner = $2", {P::text(flow_key), P::text(owner_)},
             "releasing a flow claim");
      return 0;
    });
  }

  bool flow_claimed(const std::string& flow_key) override {
    return run([&](PgConnection& c) { return live_claim(c, flow_key); });
  }

  bool add_user(const std::string& name, bool admin, const std::optional<ApiKeyHash>& key_hash) override {
    return run([&](PgConnection& c) { return detail::add_user(c, name, admin, key_hash); });
  }
  std::optional<LocalUser> find_user(const std::string& name) override {
    return run([&](PgConnection& c) { return detail::find_user(c, name); });
  }
  std::optional<LocalUser> find_user_by_key(const ApiKeyHash& key_hash) override {
    return run([&](PgConnection& c) { return detail::find_user_by_key(c, key_hash); });
  }
  std::vector<LocalUser> list_users() override {
    return run([&](PgConnection& c) { return detail::list_users(c); });
  }
  bool has_users() override {
    return run([&](PgConnection& c) { return detail::has_users(c); });
  }
  bool remove_user(const std::string& name) override {
    return run([&](PgConnection& c) { return detail::remove_user(c, name); });
  }
  bool add_user_server(const UserServer& server, std::size_t max_servers) override {
    const detail::KeySet current = key_set();
    return run([&](PgConnection& c) { return detail::add_user_server(c, current, server, max_servers); });
  }
  std::vector<UserServer> list_user_servers(const std::string& user) override {
    const detail::KeySet current = key_set();
    return run([&](PgConnection& c) { return detail::list_user_servers(c, current, user, target_.description); });
  }
  bool remove_user_server(const std::string& user, const std::string& name) override {
    return run([&](PgConnection& c) { return detail::remove_user_server(c, user, name); });
  }

  void open_browser_flow(const BrowserFlowStart& start) override {
    run([&](PgConnection& c) {
      detail::open_browser_flow(c, relay_identity(), start);
      return 0;
    });
  }
  std::vector<DeliveredBrowserFlow> take_delivered_browser_flows() override {
    const detail::KeySet keys = key_set();
    return run([&](PgConnection& c) { return detail::take_delivered_browser_flows(c, keys, relay_identity()); });
  }
  void heartbeat_browser_flows() override {
    run([&](PgConnection& c) {
      detail::heartbeat_browser_flows(c, relay_identity());
      return 0;
    });
  }
  void finish_browser_flow(const std::string& state_hash, const std::optional<std::string>& failure,
                           const std::optional<std::string>& return_to) override {
    run([&](PgConnection& c) {
      detail::finish_browser_flow(c, relay_identity(), state_hash, failure, return_to);
      return 0;
    });
  }
  void withdraw_browser_flow(const std::string& state_hash) override {
    run([&](PgConnection& c) {
      detail::withdraw_browser_flow(c, relay_identity(), state_hash);
      return 0;
    });
  }
  BrowserFlowHandoff deliver_browser_flow(const std::string& state_hash,
                                          const core::oauth::FormFields& fields) override {
    const detail::KeySet keys = key_set();
    return run(
        [&](PgConnection& c) { return detail::deliver_browser_flow(c, keys, relay_identity(), state_hash, fields); });
  }
  BrowserFlowOutcome browser_flow_outcome(const std::string& state_hash) override {
    return run([&](PgConnection& c) { return detail::browser_flow_outcome(c, relay_identity(), state_hash); });
  }

  // On a connection of its own, without the retry of run(): an interrupted
  // rotation is finished by running it again.
  void check_rotatable() const override {}  // the key is never in a keyring

  KeyRotationReport rotate_key(const KeyRotationOptions& rotation) override {
    auto c = pool_.acquire();  // closed at the end, not given back
    return detail::run_rotation(key_set(), rotation,
                                {[&](const detail::NamedKey& key) { detail::pg_record_key_check(*c, key); },
                                 [&](const detail::KeySet& next) { adopt(next); },
                                 [&](const detail::KeySet& next, KeyRotationReport& report) {
                                   detail::pg_reseal_rows(*c, next, rotation.batch_size, report);
                                 },
                                 [&](const detail::KeySet& next) { return detail::pg_key_status(*c, next); }});
  }

  KeyRotationReport key_status() override {
    const detail::KeySet keys = key_set();
    return run([&](PgConnection& c) { return detail::pg_key_status(c, keys); });
  }

  KeyRotationReport retire_keys() override {
    const detail::KeySet keys = key_set();
    return run([&](PgConnection& c) { return detail::pg_retire_keys(c, keys); });
  }

 private:
  detail::RelayIdentity relay_identity() const { return {owner_, host_, process_}; }

  detail::KeySet key_set() const {
    std::lock_guard lock(keys_mutex_);
    return *keys_;
  }

  // From here on, this store seals under the keys' current key.
  void adopt(const detail::KeySet& next) {
    std::lock_guard lock(keys_mutex_);
    keys_ = next;
  }

  std::unique_ptr<PgConnection> connect() {
    return std::make_unique<PgConnection>(target_, options_.connect_timeout, options_.lock_timeout);
  }

  // Runs `operation` on a pooled connection. When the server dropped the
  // connection (a restart, pg_terminate_backend, a proxy's idle cut), it is
  // re-established once and the operation runs again, if `may_retry` says
  // nothing it did can have taken effect outside the aborted transaction.
  template <typename Operation>
  std::invoke_result_t<const Operation&, PgConnection&> run(
      const Operation& operation, const std::function<bool()>& may_retry = [] { return true; }) {
    // An operation that threw leaves its connection to the lease (closed):
    // only connections known to be clean are given back.
    Pool::Lease c = pool_.acquire();
    try {
      auto result = operation(*c);
      c.give_back();
      return result;
    } catch (const detail::PgConnectionLost&) {
      if (!may_retry()) throw;
    }
    c->reset();  // throws Error(store) naming the host when the server is unreachable
    auto result = operation(*c);
    c.give_back();
    return result;
  }

  void check_rows(const PgResult& r) const {
    if (r.rows() > kMaxRows) {
      throw Error(ErrorCode::store, "the token store (" + target_.description + ") holds more than " +
                                        std::to_string(kMaxRows) + " rows in one table; refusing to read them all");
    }
  }

  // The first row `sql` selects for its one parameter, `key`, read by
  // `read(result, row)`; nullopt when there is none.
  template <class Read>
  std::optional<std::invoke_result_t<Read&, const PgResult&, int>> first_row(const char* sql, const std::string& key,
                                                                             std::string_view doing, Read read) {
    return run([&](PgConnection& c) -> std::optional<std::invoke_result_t<Read&, const PgResult&, int>> {
      const PgResult r = c.exec(sql, {P::text(key)}, doing);
      if (r.rows() == 0) return std::nullopt;
      return read(r, 0);
    });
  }

  // Every row `sql` selects with `params`, each read by `read(result, row)`;
  // `doing` names the query in a failure.
  template <class Read>
  std::vector<std::invoke_result_t<Read&, const PgResult&, int>> all_rows(const char* sql, std::string_view doing,
                                                                          Read read, std::vector<P> params = {}) {
    return run([&](PgConnection& c) {
      const PgResult r = c.exec(sql, params, doing);
      check_rows(r);
      std::vector<std::invoke_result_t<Read&, const PgResult&, int>> out;
      for (int row = 0; row < r.rows(); ++row) out.push_back(read(r, row));
      return out;
    });
  }

  // A row of mcpauth_tokens as listed: one that cannot be opened is listed with its error.
  GrantRecord grant_from_row(const PgResult& r, int row) const {
    GrantRecord grant;
    grant.key = TokenKey{r.text(row, 0), r.text(row, 1), r.text(row, 2), r.text(row, 3)};
    try {
      grant.tokens = tokens_from_row(r, row, grant.key, 4);
    } catch (const Error& e) {
      grant.error = e.what();  // listed, so status can show it and logout can remove it
    }
    grant.updated_at = detail::from_millis(r.integer(row, 9));
    return grant;
  }

  // Opens a row's sealed value with the key its key_id names: one missing
  // from this instance's key set is told apart from a damaged value.
  static void open_sealed(const detail::KeySet& keys, const std::string& row_key_id, const std::string& where,
                          const std::function<void()>& open) {
    if (!keys.find(row_key_id)) {
      throw Error(ErrorCode::store, "a row in the token store (" + where + ") was sealed with key " + row_key_id +
                                        ", not with this instance's key " + keys.current().id +
                                        " or a previous key it was given (a key rotation not every instance has "
                                        "taken up?); log in again to replace it");
    }
    open();
  }

  ClientRegistration read_client(const PgResult& r, int row) const {
    ClientRegistration client;
    client.issuer = r.text(row, 6);
    client.client_id = r.text(row, 0);
    client.kind = core::oauth::parse_client_kind(r.text(row, 1)).value_or(core::oauth::ClientKind::dynamic);
    client.token_endpoint_auth_method = r.text(row, 2);
    const Json uris = core::parse_json_or_discarded(r.text(row, 3), core::JsonLimits{});
    if (uris.is_array()) {
      for (const auto& uri : uris)
        if (uri.is_string()) client.redirect_uris.push_back(uri.get<std::string>());
    }
    if (!r.is_null(row, 5)) {
      const detail::KeySet keys = key_set();
      const std::string row_key_id = r.optional_text(row, 4).value_or("");
      open_sealed(keys, row_key_id, target_.description,
                  [&] { detail::open_client_secrets(keys, row_key_id, r.bytes(row, 5), target_.description, client); });
    }
    return client;
  }

  // token_type, expires_at, scope, key_id, secrets from column `first` on.
  TokenSet tokens_from_row(const PgResult& r, int row, const TokenKey& key, int first) const {
    TokenSet tokens;
    tokens.token_type = r.text(row, first);
    if (!r.is_null(row, first + 1)) tokens.expires_at = detail::from_millis(r.integer(row, first + 1));
    tokens.scope = r.optional_text(row, first + 2);
    const detail::KeySet keys = key_set();
    const std::string row_key_id = r.text(row, first + 3);
    open_sealed(keys, row_key_id, target_.description, [&] {
      detail::open_token_secrets(keys, row_key_id, key, r.bytes(row, first + 4), target_.description, tokens);
    });
    return tokens;
  }

  std::optional<TokenSet> read_tokens(PgConnection& c, const TokenKey& key, bool for_update) const {
    const PgResult r = c.exec(
        for_update ? "SELECT token_type, expires_at, scope, key_id, secrets FROM mcpauth_tokens "
                     "WHERE resource = $1 AND issuer = $2 AND client_id = $3 AND account = $4 "
                     "FOR UPDATE"
                   : "SELECT token_type, expires_at, scope, key_id, secrets FROM mcpauth_tokens "
                     "WHERE resource = $1 AND issuer = $2 AND client_id = $3 AND account = $4",
        {P::text(key.resource), P::text(key.issuer), P::text(key.client_id), P::text(key.account)}, "reading a grant");
    if (r.rows() == 0) return std::nullopt;
    return tokens_from_row(r, 0, key, 0);
  }

  void write_tokens(PgConnection& c, const TokenKey& key, const TokenSet& tokens) const {
    static const std::string sql =
        std::string(
            "INSERT INTO mcpauth_tokens (resource, issuer, client_id, account, token_type, expires_at, scope, "
            "key_id, secrets, updated_at) VALUES ($1, $2, $3, $4, $5, $6::bigint, $7, $8, $9, ") +
        kNowMillis +
        ") ON CONFLICT (resource, issuer, client_id, account) DO UPDATE SET token_type = EXCLUDED.token_type, "
        "expires_at = EXCLUDED.expires_at, scope = EXCLUDED.scope, key_id = EXCLUDED.key_id, "
        "secrets = EXCLUDED.secrets, updated_at = EXCLUDED.updated_at";
    const detail::KeySet keys = key_set();
    c.exec(
        sql.c_str(),
        {P::text(key.resource), P::text(key.issuer), P::text(key.client_id), P::text(key.account),
         P::text(tokens.token_type), tokens.expires_at ? P::integer(detail::to_millis(*tokens.expires_at)) : P::null(),
         P::optional_text(tokens.scope), P::text(keys.current().id),
         P::bytes(detail::seal_token_secrets(keys, key, tokens))},
        "saving a grant");
  }

  static void delete_tokens(PgConnection& c, const TokenKey& key) {
    c.exec("DELETE FROM mcpauth_tokens WHERE resource = $1 AND issuer = $2 AND client_id = $3 AND account = $4",
           {P::text(key.resource), P::text(key.issuer), P::text(key.client_id), P::text(key.account)},
           "removing a grant");
  }

  DiscoveryRecord discovery_from_row(const PgResult& r, int row) const {
    DiscoveryRecord record;
    record.resource = r.optional_text(row, 0);
    record.issuer = r.text(row, 1);
    record.prm_url = r.text(row, 2);
    record.prm_body = r.text(row, 3);
    record.as_url = r.text(row, 4);
    record.as_body = r.text(row, 5);
    record.fetched_at = detail::from_millis(r.integer(row, 6));
    record.protocol_version = r.text(row, 7);
    record.transport = r.text(row, 8);
    record.server_url = r.text(row, 9);
    return record;
  }

  // Unexpired on the database's clock, and held by this store, by a process
  // of this host that still runs, or by another host (trusted until it expires).
  bool live_claim(PgConnection& c, const std::string& flow_key) const {
    const PgResult r =
        c.exec("SELECT owner, host, pid, started FROM mcpauth_flows WHERE flow_key = $1 AND expires_at > now()",
               {P::text(flow_key)}, "reading a flow claim");
    if (r.rows() == 0) return false;
    if (r.text(0, 0) == owner_ || r.text(0, 1) != host_) return true;
    const long long pid = r.integer(0, 2);
    // This pid with another owner: a process before ours.
    return pid != process_.pid && detail::process_alive({pid, static_cast<std::uint64_t>(r.integer(0, 3))});
  }

  PostgresStoreOptions options_;
  detail::PgTarget target_;
  std::string host_;
  detail::ProcessIdentity process_;
  std::string owner_;  // host:pid:nonce, unique even where pids repeat (containers)
  mutable std::mutex keys_mutex_;
  std::optional<detail::KeySet> keys_;  // set by initialize(); rotate_key() changes the current key
  Pool pool_;                           // last: its connections use the members above
};

}  // namespace
}  // namespace mcpauth::store::detail

namespace mcpauth::store {

bool is_postgres_url(std::string_view text) {
  return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
}

PostgresStoreOptions default_postgres_store_options(
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  PostgresStoreOptions options;
  if (auto url = env("MCPAUTH_STORE_URL"); url && !url->empty()) options.url = *url;
  if (auto key = env("MCPAUTH_KEY"); key && !key->empty()) options.key = *key;
  if (auto previous = env("MCPAUTH_KEY_PREVIOUS"); previous && !previous->empty()) options.previous_keys = *previous;
  if (auto file = env("MCPAUTH_KEY_FILE"); file && !file->empty()) {
    options.key_file = *file;
  } else if (auto data = env("XDG_DATA_HOME"); data && !data->empty() && data->front() == '/') {
    options.key_file = std::filesystem::path(*data) / "mcpauth" / "postgres.key";
  } else if (auto home = env("HOME"); home && !home->empty()) {
    options.key_file = std::filesystem::path(*home) / ".local" / "share" / "mcpauth" / "postgres.key";
  }
  return options;
}

std::shared_ptr<TokenStore> open_postgres_token_store(const PostgresStoreOptions& options) {
  if (options.url.empty()) throw Error(ErrorCode::usage, "no PostgreSQL URL was given for the token store");
  if (!options.key && options.key_file.empty()) {
    throw Error(ErrorCode::store,
                "the PostgreSQL token store needs a key: set MCPAUTH_KEY (or MCPAUTH_KEY_FILE), the same on every "
                "instance");
  }
  // A new store's key file is created beside the user's other mcpauth files.
  if (!options.key && options.key_file.has_parent_path())
    detail::create_missing_directories(options.key_file.parent_path());
  auto store = std::make_shared<detail::PostgresTokenStore>(options);
  store->initialize();
  return store;
}

int postgres_store_schema_version() {
  return detail::kPostgresSchemaVersion;
}

}  // namespace mcpauth::store
