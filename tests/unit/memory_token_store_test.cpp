// The in-memory TokenStore: each kind of record by its own key, and
// update_tokens' three decisions.
#include <gtest/gtest.h>

#include "grants_of_expectations.hpp"
#include "mcpauth/store/token_store.hpp"

namespace mcpauth::store {
namespace {

const TokenKey kKey{"https://mcp.example.com/mcp", "https://as.example.com", "client-1", ""};

core::oauth::TokenSet tokens(const std::string& access) {
  core::oauth::TokenSet t;
  t.access_token = access;
  return t;
}

TEST(MemoryTokenStore, ClientsGrantsAndDiscoveryAreKeptApartByTheirKeys) {
  auto store = make_memory_token_store();
  core::oauth::ClientRegistration client;
  client.issuer = "https://as.example.com";
  client.client_id = "client-1";
  store->save_client(client);
  store->save_tokens(kKey, tokens("a1"));
  DiscoveryRecord record;
  record.server_url = "https://mcp.example.com/mcp";
  record.issuer = "https://as.example.com";
  store->save_discovery(record);

  ASSERT_TRUE(store->load_client("https://as.example.com"));
  EXPECT_EQ(store->load_client("https://as.example.com")->client_id, "client-1");
  EXPECT_FALSE(store->load_client("https://other.example.com"));
  ASSERT_TRUE(store->load_tokens(kKey));
  EXPECT_EQ(store->load_tokens(kKey)->access_token, "a1");
  TokenKey other_account = kKey;
  other_account.account = "work";
  EXPECT_FALSE(store->load_tokens(other_account));
  ASSERT_EQ(store->list_grants().size(), 1u);
  EXPECT_EQ(store->list_grants()[0].key.client_id, "client-1");
  ASSERT_EQ(store->list_discovery().size(), 1u);
  EXPECT_EQ(store->load_discovery(record.server_url)->issuer, "https://as.example.com");
  EXPECT_EQ(store->list_clients().size(), 1u);

  store->remove_client("https://as.example.com");
  EXPECT_FALSE(store->load_client("https://as.example.com"));
  EXPECT_TRUE(store->load_tokens(kKey)) << "removing a client keeps its grants (revoke_grant does both)";
  store->remove_tokens(kKey);
  EXPECT_TRUE(store->list_grants().empty());
  store->remove_discovery(record.server_url);
  EXPECT_FALSE(store->load_discovery(record.server_url));
}

TEST(MemoryTokenStore, UpdateTokensKeepsReplacesOrRemoves) {
  auto store = make_memory_token_store();
  EXPECT_FALSE(store->update_tokens(kKey, [](const auto& current) {
    EXPECT_FALSE(current);
    return TokenDecision::keep();
  }));
  const auto replaced = store->update_tokens(kKey, [](const auto&) { return TokenDecision::replace(tokens("a2")); });
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->access_token, "a2");
  const auto kept = store->update_tokens(kKey, [](const auto& current) {
    EXPECT_EQ(current->access_token, "a2");
    return TokenDecision::keep();
  });
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->access_token, "a2");
  EXPECT_FALSE(store->update_tokens(kKey, [](const auto&) { return TokenDecision::remove(); }));
  EXPECT_FALSE(store->load_tokens(kKey));
}

TEST(MemoryTokenStore, AFlowClaimIsHeldUntilReleased) {
  auto store = make_memory_token_store();
  EXPECT_TRUE(store->claim_flow("flow", std::chrono::seconds(60)));
  EXPECT_FALSE(store->claim_flow("flow", std::chrono::seconds(60)));
  EXPECT_TRUE(store->flow_claimed("flow"));
  store->release_flow("flow");
  EXPECT_FALSE(store->flow_claimed("flow"));
  EXPECT_TRUE(store->claim_flow("flow", std::chrono::seconds(60)));
}

TEST(MemoryTokenStore, GrantsOfOneServerAreListedByResourceIssuerAndAccount) {
  auto store = make_memory_token_store();
  testing::expect_grants_of_filters(*store);
}

}  // namespace

}  // namespace mcpauth::store
