// What every TokenStore's list_grants_of() must do, checked the same way
// against each store (memory, SQLite, PostgreSQL): grants of one resource at
// one issuer, of one account or of all, each opened, nothing else.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "mcpauth/store/token_store.hpp"

namespace mcpauth::testing {

inline void expect_grants_of_filters(store::TokenStore& store) {
  const auto save = [&](const std::string& resource, const std::string& issuer, const std::string& account) {
    core::oauth::TokenSet tokens;
    tokens.access_token = "access-of-" + account + "-at-" + resource + "-from-" + issuer;
    store.save_tokens(store::TokenKey{resource, issuer, "client-1", account}, tokens);
  };
  save("https://a.example/mcp", "https://as1.example", "alice");
  save("https://a.example/mcp", "https://as1.example", "bob");
  save("https://a.example/mcp", "https://as2.example", "alice");
  save("https://b.example/mcp", "https://as1.example", "alice");
  const auto accounts = [](const std::vector<store::GrantRecord>& grants) {
    std::vector<std::string> out;
    for (const auto& grant : grants) out.push_back(grant.key.account);
    std::sort(out.begin(), out.end());
    return out;
  };

  const auto alice = store.list_grants_of("https://a.example/mcp", "https://as1.example", std::string("alice"));
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(alice[0].key.account, "alice");
  EXPECT_EQ(alice[0].key.client_id, "client-1");
  EXPECT_FALSE(alice[0].error);
  EXPECT_EQ(alice[0].tokens.access_token, "access-of-alice-at-https://a.example/mcp-from-https://as1.example");

  EXPECT_EQ(accounts(store.list_grants_of("https://a.example/mcp", "https://as1.example", std::nullopt)),
            (std::vector<std::string>{"alice", "bob"}));
  EXPECT_TRUE(store.list_grants_of("https://a.example/mcp", "https://as1.example", std::string("carol")).empty());
  EXPECT_TRUE(store.list_grants_of("https://c.example/mcp", "https://as1.example", std::nullopt).empty());
  EXPECT_EQ(accounts(store.list_grants_of("https://a.example/mcp", "https://as2.example", std::nullopt)),
            (std::vector<std::string>{"alice"}));
  EXPECT_EQ(store.list_grants().size(), 4u);
}

}  // namespace mcpauth::testing
