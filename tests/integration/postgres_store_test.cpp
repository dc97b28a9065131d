// PostgresTokenStore against a real PostgreSQL 15 started by the test
// (postgres_fixture.hpp): every TokenStore operation, the single flight of
// update_tokens() across processes (store_race_client --increment), flow
// claims across processes (--claim) and their expiry on the database's
// clock, sealing (a damaged or foreign row is GrantRecord.error, a wrong key
// is refused, nothing in clear), migrations (twice, racing, newer refused),
// the password never in a message, and a dropped connection recovered once.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <optional>
#include <random>
#include <regex>
#include <thread>

#include "../unit/error_of.hpp"
#include "../unit/grants_of_expectations.hpp"
#include "mcpauth/store/local_users.hpp"
#include "mcpauth/store/postgres_token_store.hpp"
#include "mcpauth/store/user_store.hpp"
#include "peer_process.hpp"
#include "postgres_fixture.hpp"

namespace mcpauth {
namespace {

using core::oauth::TokenSet;
using store::TokenDecision;
using store::TokenKey;
using testing::error_of;
using testing::InteractiveCommand;

std::string random_key() {
  std::random_device rd;
  const char* hex = "0123456789abcdef";
  std::string key;
  for (int i = 0; i < 32; ++i) {
    const unsigned b = rd() & 0xff;
    key += hex[b >> 4];
    key += hex[b & 15];
  }
  return key;
}

std::shared_ptr<store::TokenStore> open_store(const std::string& url, const std::string& key) {
  store::PostgresStoreOptions options;
  options.url = url;
  options.key = key;
  return store::open_postgres_token_store(options);
}

TokenSet tokens(const std::string& access, const std::string& refresh) {
  TokenSet t;
  t.access_token = access;
  t.refresh_token = refresh;
  t.expires_at = store::Clock::time_point(std::chrono::seconds(2'000'000'000));
  t.issued_at = store::Clock::time_point(std::chrono::seconds(1'999'996'400));
  t.scope = "mcp:tools";
  return t;
}

const TokenKey kGrant{"https://mcp.example/mcp", "https://as.example", "client-1", ""};

std::vector<std::string> race_client(const std::string& url, const std::string& key,
                                     std::initializer_list<std::string> more) {
  std::vector<std::string> argv = {MCPAUTH_RACE_CLIENT_PATH, "--store", url, "--key", key};
  argv.insert(argv.end(), more);
  return argv;
}

class PostgresStore : public ::testing::Test {
 protected:
  testing::PostgresServer server;
  std::string key = random_key();
  std::string url = server.create_database("store");
};

TEST_F(PostgresStore, EveryOperationRoundTrips) {
  auto s = open_store(url, key);

  core::oauth::ClientRegistration client;
  client.issuer = "https://as.example";
  client.client_id = "client-1";
  client.client_secret = "client-secret-value";
  client.token_endpoint_auth_method = "client_secret_basic";
  client.redirect_uris = {"http://127.0.0.1:1234/callback"};
  client.kind = core::oauth::ClientKind::pre_registered;
  s->save_client(client);
  const auto loaded = s->load_client("https://as.example");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->client_id, "client-1");
  EXPECT_EQ(loaded->client_secret, "client-secret-value");
  EXPECT_EQ(loaded->token_endpoint_auth_method, "client_secret_basic");
  EXPECT_EQ(loaded->redirect_uris, client.redirect_uris);
  EXPECT_EQ(loaded->kind, core::oauth::ClientKind::pre_registered);
  client.client_secret.reset();
  client.issuer = "https://other.example";
  s->save_client(client);
  ASSERT_EQ(s->list_clients().size(), 2u);
  EXPECT_FALSE(s->load_client("https://other.example")->client_secret);
  s->remove_client("https://other.example");
  EXPECT_FALSE(s->load_client("https://other.example"));

  EXPECT_FALSE(s->load_tokens(kGrant));
  s->save_tokens(kGrant, tokens("access-1", "refresh-1"));
  auto t = s->load_tokens(kGrant);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->access_token, "access-1");
  EXPECT_EQ(t->refresh_token, "refresh-1");
  EXPECT_EQ(t->expires_at, tokens("", "").expires_at);
  EXPECT_EQ(t->issued_at, tokens("", "").issued_at);
  EXPECT_EQ(t->scope, "mcp:tools");
  TokenKey work = kGrant;
  work.account = "work";
  s->save_tokens(work, tokens("access-w", "refresh-w"));
  const auto grants = s->list_grants();
  ASSERT_EQ(grants.size(), 2u);
  for (const auto& g : grants) {
    EXPECT_FALSE(g.error);
    EXPECT_GT(g.updated_at.time_since_epoch().count(), 0);
  }
  s->remove_tokens(work);
  EXPECT_FALSE(s->load_tokens(work));

  // update_tokens: keep, replace, an exception (rolled back), remove.
  EXPECT_EQ(s->update_tokens(kGrant,
                             [](const auto& current) {
                               EXPECT_EQ(current->access_token, "access-1");
                               return TokenDecision::keep();
                             })
                ->access_token,
            "access-1");
  EXPECT_EQ(s->update_tokens(kGrant, [](const auto&) { return TokenDecision::replace(tokens("access-2", "r2")); })
                ->refresh_token,
            "r2");
  EXPECT_THROW(
      s->update_tokens(kGrant,
                       [&](const auto&) -> TokenDecision { throw Error(ErrorCode::unauthorized, "refresh refused"); }),
      Error);
  EXPECT_EQ(s->load_tokens(kGrant)->access_token, "access-2");
  EXPECT_FALSE(s->update_tokens(kGrant, [](const auto&) { return TokenDecision::remove(); }));
  EXPECT_FALSE(s->load_tokens(kGrant));
  // A grant with no row yet: update_tokens sees nothing and may create it.
  EXPECT_EQ(s->update_tokens(kGrant,
                             [](const auto& current) {
                               EXPECT_FALSE(current);
                               return TokenDecision::replace(tokens("access-3", "r3"));
                             })
                ->access_token,
            "access-3");

  store::DiscoveryRecord d;
  d.server_url = "https://mcp.example/mcp";
  d.resource = "https://mcp.example/mcp";
  d.issuer = "https://as.example";
  d.prm_url = "https://mcp.example/.well-known/oauth-protected-resource";
  d.prm_body = R"({"resource":"https://mcp.example/mcp"})";
  d.as_body = R"({"issuer":"https://as.example"})";
  d.fetched_at = store::Clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  d.protocol_version = "2025-11-25";
  d.transport = "streamable-http";
  s->save_discovery(d);
  d.transport = "sse";
  s->save_discovery(d);  // replaces
  const auto rd = s->load_discovery(d.server_url);
  ASSERT_TRUE(rd);
  EXPECT_EQ(rd->resource, d.resource);
  EXPECT_EQ(rd->prm_body, d.prm_body);
  EXPECT_EQ(rd->as_url, "");
  EXPECT_EQ(rd->fetched_at, d.fetched_at);
  EXPECT_EQ(rd->transport, "sse");
  EXPECT_EQ(s->list_discovery().size(), 1u);
  s->remove_discovery(d.server_url);
  EXPECT_FALSE(s->load_discovery(d.server_url));

  EXPECT_FALSE(s->flow_claimed("flow"));
  EXPECT_TRUE(s->claim_flow("flow", std::chrono::seconds(60)));
  EXPECT_TRUE(s->flow_claimed("flow"));
  EXPECT_FALSE(s->claim_flow("flow", std::chrono::seconds(60)));  // held, by this very process
  s->release_flow("flow");
  EXPECT_FALSE(s->flow_claimed("flow"));

  // A second instance (its own connections) sees all of it.
  auto other = open_store(url, key);
  EXPECT_EQ(other->load_tokens(kGrant)->access_token, "access-3");
  EXPECT_EQ(other->load_client("https://as.example")->client_secret, "client-secret-value");
}

TEST_F(PostgresStore, NothingIsStoredInClearAndEachRowNamesItsKey) {
  auto s = open_store(url, key);
  s->save_tokens(kGrant, tokens("access-token-in-the-clear-test", "refresh-token-in-the-clear-test"));
  core::oauth::ClientRegistration client;
  client.issuer = "https://as.example";
  client.client_id = "c";
  client.client_secret = "client-secret-in-the-clear-test";
  s->save_client(client);
  const std::string dump = server.psql("store", "SELECT t::text FROM mcpauth_tokens t") +
                           server.psql("store", "SELECT c::text FROM mcpauth_clients c") +
                           server.psql("store", "SELECT encode(secrets, 'escape') FROM mcpauth_tokens");
  for (const char* secret : {"access-token-in-the-clear", "refresh-token-in-the-clear", "client-secret-in-the-clear"}) {
    EXPECT_EQ(dump.find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(dump.find(key), std::string::npos) << "the key is never in the database";
  const std::string ids = server.psql("store",
                                      "SELECT DISTINCT key_id FROM mcpauth_tokens UNION SELECT key_id FROM "
                                      "mcpauth_clients UNION SELECT key_id FROM mcpauth_keys");
  EXPECT_TRUE(std::regex_match(ids, std::regex("[0-9a-f]{16}\n"))) << ids;
}

// Users: the key's hash finds the user, the table holds no key, a second
// instance sees them, and removing a user removes its grants and no others.
TEST_F(PostgresStore, UsersAreFoundByTheirKeysHashAndRemovedWithTheirGrants) {
  auto s = open_store(url, key);
  auto users = store::user_directory(s);
  ASSERT_TRUE(users);
  EXPECT_FALSE(users->has_users());
  const std::string alice_key = store::new_api_key();
  ASSERT_TRUE(users->add_user("alice", true, store::hash_api_key(alice_key)));
  ASSERT_TRUE(users->add_user("bob", false, std::nullopt));
  EXPECT_FALSE(users->add_user("alice", false, std::nullopt));
  EXPECT_EQ(error_of([&] { users->add_user("no spaces", false, std::nullopt); }).code(), ErrorCode::usage);
  auto other = store::user_directory(open_store(url, key));
  const auto found = other->find_user_by_key(store::hash_api_key(alice_key));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "alice");
  EXPECT_TRUE(found->admin);
  EXPECT_FALSE(other->find_user_by_key(store::hash_api_key(store::new_api_key())));
  const auto list = other->list_users();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].name, "bob");
  EXPECT_FALSE(list[1].has_key);
  const std::string dump = server.psql("store", "SELECT u::text FROM mcpauth_users u") +
                           server.psql("store", "SELECT encode(key_hash, 'escape') FROM mcpauth_users");
  EXPECT_EQ(dump.find(alice_key.substr(5)), std::string::npos) << "the key is never in the database";
  TokenKey alices = kGrant;
  alices.account = "alice";
  s->save_tokens(alices, tokens("alice-access", "alice-refresh"));
  s->save_tokens(kGrant, tokens("default-access", "default-refresh"));
  EXPECT_TRUE(other->remove_user("alice"));
  EXPECT_FALSE(s->load_tokens(alices));
  EXPECT_TRUE(s->load_tokens(kGrant));
  EXPECT_FALSE(users->find_user("alice"));
  EXPECT_FALSE(users->remove_user("alice"));
}

TEST_F(PostgresStore, ARowThatDoesNotOpenIsAGrantErrorNotACrash) {
  auto s = open_store(url, key);
  s->save_tokens(kGrant, tokens("access-a", "refresh-a"));
  TokenKey moved = kGrant;
  moved.account = "moved";
  TokenKey foreign = kGrant;
  foreign.account = "foreign";
  s->save_tokens(moved, tokens("access-b", "refresh-b"));
  s->save_tokens(foreign, tokens("access-c", "refresh-c"));
  // A value moved from another row (bound to its row: does not open), and
  // one sealed under a key this instance lacks (a rotation in progress).
  server.psql("store",
              "UPDATE mcpauth_tokens SET secrets = (SELECT secrets FROM mcpauth_tokens WHERE account = '') WHERE "
              "account = 'moved'");
  server.psql("store", "UPDATE mcpauth_tokens SET key_id = '00000000000000aa' WHERE account = 'foreign'");

  int errors = 0;
  for (const auto& g : s->list_grants()) {
    if (g.key.account.empty()) {
      EXPECT_FALSE(g.error);
      EXPECT_EQ(g.tokens.access_token, "access-a");
    } else {
      ASSERT_TRUE(g.error) << g.key.account;
      EXPECT_TRUE(g.tokens.access_token.empty());
      EXPECT_EQ(g.error->find(server.password()), std::string::npos);
      ++errors;
    }
  }
  EXPECT_EQ(errors, 2);
  EXPECT_EQ(error_of([&] { s->load_tokens(moved); }).code(), ErrorCode::store);
  const Error e = error_of([&] { s->load_tokens(foreign); });
  EXPECT_NE(std::string(e.what()).find("00000000000000aa"), std::string::npos) << e.what();
  // Removable (logout of a damaged grant).
  s->remove_tokens(moved);
  EXPECT_FALSE(s->load_tokens(moved));
}

TEST_F(PostgresStore, AnotherKeyIsRefusedAndTheDatabaseLeftAsItIs) {
  open_store(url, key)->save_tokens(kGrant, tokens("access-a", "refresh-a"));
  const Error e = error_of([&] { open_store(url, random_key()); });
  EXPECT_EQ(e.code(), ErrorCode::store);
  EXPECT_NE(std::string(e.what()).find("another key"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find(server.password()), std::string::npos) << e.what();
  EXPECT_EQ(server.psql("store", "SELECT count(*) FROM mcpauth_keys"), "1\n");
  EXPECT_EQ(open_store(url, key)->load_tokens(kGrant)->access_token, "access-a");
}

TEST_F(PostgresStore, ThePasswordNeverAppearsInAnErrorMessage) {
  // A wrong password: libpq's refusal names the user and host, never the password.
  const std::string wrong_password = "pw-wrong-" + random_key().substr(0, 12);
  std::string wrong = url;
  wrong.replace(wrong.find(server.password()), server.password().size(), wrong_password);
  const Error refused = error_of([&] { open_store(wrong, key); });
  EXPECT_EQ(refused.code(), ErrorCode::store);
  EXPECT_NE(std::string(refused.what()).find("127.0.0.1"), std::string::npos) << refused.what();
  EXPECT_EQ(std::string(refused.what()).find(wrong_password), std::string::npos) << refused.what();

  // A database that does not exist, and a port nothing listens on.
  std::string missing = url;
  missing.replace(missing.rfind("/store"), 6, "/nosuchdb");
  std::string closed = url;
  closed.replace(closed.find(":" + std::to_string(server.port())), std::to_string(server.port()).size() + 1, ":1");
  for (const std::string& bad : {missing, closed}) {
    const Error e = error_of([&] { open_store(bad, key); });
    EXPECT_EQ(e.code(), ErrorCode::store);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(server.password()), std::string::npos) << e.what();
  }
  // A URL that is not PostgreSQL's, given as the store URL: refused without being repeated.
  const std::string not_pg = "mysql://root:" + server.password() + "@127.0.0.1/x";
  const Error usage = error_of([&] {
    store::open_user_token_store([&](const std::string& name) -> std::optional<std::string> {
      if (name == "MCPAUTH_STORE_URL") return not_pg;
      return std::nullopt;
    });
  });
  EXPECT_EQ(usage.code(), ErrorCode::usage);
  EXPECT_EQ(std::string(usage.what()).find(server.password()), std::string::npos) << usage.what();
}

TEST_F(PostgresStore, MigrationsAreIdempotentAndRacingOpensMigrateOnce) {
  open_store(url, key);
  open_store(url, key);
  std::string versions;  // each migration recorded once: "1,2,..."
  for (int v = 1; v <= store::postgres_store_schema_version(); ++v) versions += (v > 1 ? "," : "") + std::to_string(v);
  EXPECT_EQ(server.psql("store", "SELECT string_agg(version::text, ',' ORDER BY version) FROM mcpauth_schema_version"),
            versions + "\n");

  // Eight instances open a fresh database at once.
  const std::string fresh = server.create_database("fresh");
  std::atomic<int> opened{0};
  std::vector<std::string> failures(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      try {
        open_store(fresh, key)->save_tokens(TokenKey{"r" + std::to_string(i), "i", "c", ""}, tokens("a", "r"));
        ++opened;
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& f : failures) EXPECT_EQ(f, "");
  EXPECT_EQ(opened, 8);
  EXPECT_EQ(server.psql("fresh", "SELECT count(*) FROM mcpauth_schema_version"),
            std::to_string(store::postgres_store_schema_version()) + "\n");
  EXPECT_EQ(server.psql("fresh", "SELECT count(*) FROM mcpauth_keys"), "1\n");
  EXPECT_EQ(server.psql("fresh", "SELECT count(*) FROM mcpauth_tokens"), "8\n");

  // A schema from a newer mcpauth is refused and left alone.
  server.psql("fresh", "INSERT INTO mcpauth_schema_version (version) VALUES (99)");
  const Error e = error_of([&] { open_store(fresh, key); });
  EXPECT_EQ(e.code(), ErrorCode::store);
  EXPECT_NE(std::string(e.what()).find("newer mcpauth"), std::string::npos) << e.what();
  EXPECT_EQ(server.psql("fresh", "SELECT count(*) FROM mcpauth_tokens"), "8\n");
}

TEST_F(PostgresStore, ADroppedConnectionIsRecoveredOnceThenTheErrorNamesTheHost) {
  auto s = open_store(url, key);
  s->save_tokens(kGrant, tokens("access-a", "refresh-a"));  // the pool now holds a connection
  const std::string terminated = server.psql(
      "store",
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'mcpauth' AND datname "
      "= 'store'");
  ASSERT_NE(terminated, "0\n") << "no store connection was open to drop";
  EXPECT_EQ(s->load_tokens(kGrant)->access_token, "access-a");
  // update_tokens too, when the drop is found before `update` ran.
  server.psql("store",
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mcpauth' AND datname "
              "= 'store'");
  int calls = 0;
  const auto after = s->update_tokens(kGrant, [&](const auto& current) {
    ++calls;
    return TokenDecision::replace(tokens(current->access_token + "+", "refresh-b"));
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(after->access_token, "access-a+");
  EXPECT_EQ(s->load_tokens(kGrant)->access_token, "access-a+");

  // The server itself gone: one reconnect fails, and the message says where, not how to log in.
  server.stop();
  const Error e = error_of([&] { s->load_tokens(kGrant); });
  EXPECT_EQ(e.code(), ErrorCode::store);
  EXPECT_NE(std::string(e.what()).find("127.0.0.1"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find(server.password()), std::string::npos) << e.what();
}

// N processes x T threads x M increments of one counter, each a read, a
// decision and a write in update_tokens(): any lost update shows in the total.
TEST_F(PostgresStore, UpdateTokensIsSingleFlightAcrossProcesses) {
  constexpr int kProcesses = 4, kThreads = 4, kIncrements = 40;
  open_store(url, key);  // migrated before the race, so the race is about the grant
  std::vector<std::unique_ptr<InteractiveCommand>> clients;
  for (int i = 0; i < kProcesses; ++i) {
    clients.push_back(std::make_unique<InteractiveCommand>(
        race_client(url, key, {"--threads", std::to_string(kThreads), "--increment", std::to_string(kIncrements)})));
  }
  for (auto& c : clients) {
    const testing::CommandResult r = c->finish(std::chrono::seconds(120));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("ok=" + std::to_string(kThreads * kIncrements) + " failed=0"), std::string::npos)
        << r.out << r.err;
  }
  const auto counter = open_store(url, key)->load_tokens(TokenKey{"race:counter", "race", "race", ""});
  ASSERT_TRUE(counter);
  EXPECT_EQ(counter->access_token, std::to_string(kProcesses * kThreads * kIncrements));
}

TEST_F(PostgresStore, FlowClaimsAreSeenAcrossProcessesAndExpireOnTheDatabaseClock) {
  auto s = open_store(url, key);
  // Another process holds the claim: this one cannot take it.
  InteractiveCommand holder(race_client(url, key, {"--claim", "consent:A", "--ttl", "300"}));
  holder.wait_for_stdout("claimed=1");
  EXPECT_TRUE(s->flow_claimed("consent:A"));
  EXPECT_FALSE(s->claim_flow("consent:A", std::chrono::seconds(60)));
  // A second process cannot either.
  {
    InteractiveCommand second(race_client(url, key, {"--claim", "consent:A"}));
    second.wait_for_stdout("claimed=0");
    second.close_stdin();
    EXPECT_EQ(second.finish().exit_code, 0);
  }
  // Its pid taken by a process that started at another time (the claim's
  // start time changed here): no longer the holder's claim; put back, it is.
  EXPECT_NE(server.psql("store", "SELECT started FROM mcpauth_flows WHERE flow_key = 'consent:A'"), "0\n");
  server.psql("store", "UPDATE mcpauth_flows SET started = started + 1 WHERE flow_key = 'consent:A'");
  EXPECT_FALSE(s->flow_claimed("consent:A"));
  server.psql("store", "UPDATE mcpauth_flows SET started = started - 1 WHERE flow_key = 'consent:A'");
  EXPECT_TRUE(s->flow_claimed("consent:A"));
  // Released: free again.
  holder.close_stdin();
  holder.wait_for_stdout("released");
  EXPECT_EQ(holder.finish().exit_code, 0);
  EXPECT_FALSE(s->flow_claimed("consent:A"));

  // A claim of a process that died (killed, never released) is free at once.
  {
    InteractiveCommand dying(race_client(url, key, {"--claim", "consent:B", "--ttl", "300"}));
    dying.wait_for_stdout("claimed=1");
    EXPECT_TRUE(s->flow_claimed("consent:B"));
    dying.send_signal(SIGKILL);
    dying.finish();
  }
  EXPECT_FALSE(s->flow_claimed("consent:B"));
  EXPECT_TRUE(s->claim_flow("consent:B", std::chrono::seconds(60)));
  s->release_flow("consent:B");

  // An instance on another host: trusted until its claim expires by the database's clock.
  server.psql("store",
              "INSERT INTO mcpauth_flows (flow_key, owner, host, pid, expires_at) VALUES ('consent:C', "
              "'elsewhere:1:x', 'elsewhere', 1, now() + interval '300 seconds')");
  EXPECT_TRUE(s->flow_claimed("consent:C"));
  EXPECT_FALSE(s->claim_flow("consent:C", std::chrono::seconds(60)));
  server.psql("store",
              "UPDATE mcpauth_flows SET expires_at = now() - interval '1 second' WHERE flow_key = "
              "'consent:C'");
  EXPECT_FALSE(s->flow_claimed("consent:C"));
  EXPECT_TRUE(s->claim_flow("consent:C", std::chrono::seconds(60)));
  EXPECT_EQ(server.psql("store", "SELECT host = 'elsewhere' FROM mcpauth_flows WHERE flow_key = 'consent:C'"), "f\n");
}

// The pool is bounded: with one connection allowed, an operation started
// while the other holds it (here: inside update_tokens, which holds its
// connection and the grant's lock) waits connection_wait, then fails with
// Error(store) naming the database, never its password; the store then goes on.
TEST_F(PostgresStore, AnOperationThatFindsEveryConnectionInUseFailsAfterTheWait) {
  store::PostgresStoreOptions options;
  options.url = url;
  options.key = key;
  options.max_connections = 1;
  options.connection_wait = std::chrono::milliseconds(100);
  auto s = store::open_postgres_token_store(options);
  s->save_tokens(kGrant, tokens("access-1", "refresh-1"));

  std::optional<Error> refused;
  s->update_tokens(kGrant, [&](const std::optional<TokenSet>& current) {
    EXPECT_TRUE(current);
    refused.emplace(error_of([&] { (void)s->list_grants(); }));
    return TokenDecision::keep();
  });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code(), ErrorCode::store);
  const std::string message = refused->what();
  EXPECT_NE(message.find("all 1 connections to the token store ("), std::string::npos) << message;
  EXPECT_NE(message.find("stayed in use"), std::string::npos) << message;
  EXPECT_EQ(message.find(server.password()), std::string::npos) << message;
  // The connection came back: the next operation gets it.
  EXPECT_EQ(s->list_grants().size(), 1u);
}

TEST_F(PostgresStore, GrantsOfOneServerAreListedByResourceIssuerAndAccount) {
  auto s = open_store(url, key);
  testing::expect_grants_of_filters(*s);
}

}  // namespace

}  // namespace mcpauth
