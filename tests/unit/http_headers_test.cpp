// net::HttpHeaders (case-insensitive header list) and net::CancelToken.
#include "mcpauth/net/http.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

using mcpauth::net::CancelToken;
using mcpauth::net::HttpHeaders;
using mcpauth::net::iequals;

std::vector<std::string> names_of(const HttpHeaders& headers) {
  std::vector<std::string> names;
  for (const auto& h : headers) names.push_back(h.name);
  return names;
}

TEST(HttpHeaders, GetIsCaseInsensitiveAndReturnsFirst) {
  HttpHeaders h{{"Content-Type", "application/json"}, {"X-Dup", "1"}, {"x-dup", "2"}};
  EXPECT_EQ(h.get("content-type"), "application/json");
  EXPECT_EQ(h.get("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(h.get("X-DUP"), "1");
  EXPECT_EQ(h.get("Missing"), std::nullopt);
  EXPECT_TRUE(h.contains("x-Dup"));
  EXPECT_FALSE(h.contains("Content"));
}

TEST(HttpHeaders, GetAllReturnsEveryValueInOrder) {
  HttpHeaders h;
  h.add("WWW-Authenticate", "Bearer realm=\"a\"");
  h.add("Other", "x");
  h.add("www-authenticate", "Basic");
  EXPECT_EQ(h.get_all("Www-Authenticate"), (std::vector<std::string>{"Bearer realm=\"a\"", "Basic"}));
  EXPECT_TRUE(h.get_all("nope").empty());
}

TEST(HttpHeaders, SetReplacesEveryValueOfThatName) {
  HttpHeaders h{{"Accept", "a"}, {"X-Keep", "k"}, {"ACCEPT", "b"}};
  h.set("accept", "c");
  EXPECT_EQ(h.get_all("Accept"), (std::vector<std::string>{"c"}));
  EXPECT_EQ(h.get("X-Keep"), "k");
  EXPECT_EQ(names_of(h), (std::vector<std::string>{"X-Keep", "accept"}));
}

TEST(HttpHeaders, SetAddsWhenAbsent) {
  HttpHeaders h;
  EXPECT_TRUE(h.empty());
  h.set("Mcp-Session-Id", "s");
  EXPECT_FALSE(h.empty());
  EXPECT_EQ(h.get("mcp-session-id"), "s");
}

TEST(HttpHeaders, RemoveIsCaseInsensitiveAndRemovesAll) {
  HttpHeaders h{{"Authorization", "a"}, {"X-Other", "o"}, {"authorization", "b"}};
  h.remove("AUTHORIZATION");
  EXPECT_FALSE(h.contains("Authorization"));
  EXPECT_EQ(names_of(h), (std::vector<std::string>{"X-Other"}));
  h.remove("not-there");
  EXPECT_EQ(names_of(h), (std::vector<std::string>{"X-Other"}));
}

TEST(HttpHeaders, ValuesAreCaseSensitive) {
  HttpHeaders h{{"X-Token", "AbC"}};
  EXPECT_EQ(h.get("x-token"), "AbC");
}

TEST(Iequals, ComparesAsciiCaseInsensitively) {
  using Pair = std::pair<std::string, std::string>;
  for (const auto& [a, b] : {Pair{"Content-Length", "content-length"}, Pair{"", ""}}) {
    EXPECT_TRUE(iequals(a, b)) << a << " / " << b;
  }
  for (const auto& [a, b] : {Pair{"Content-Length", "Content-Lengt"}, Pair{"a", "b"}, Pair{"a-b", "a_b"}}) {
    EXPECT_FALSE(iequals(a, b)) << a << " / " << b;
  }
}

TEST(CancelToken, StartsNotCancelledAndCancelIsSticky) {
  CancelToken token;
  EXPECT_FALSE(token.cancelled());
  token.cancel();
  EXPECT_TRUE(token.cancelled());
  token.cancel();
  EXPECT_TRUE(token.cancelled());
}

TEST(CancelToken, WakerIsCalledOnCancel) {
  CancelToken token;
  int woken = 0;
  EXPECT_TRUE(token.set_waker([&] { ++woken; }));
  EXPECT_EQ(woken, 0);
  token.cancel();
  EXPECT_EQ(woken, 1);
  EXPECT_TRUE(token.cancelled());
}

TEST(CancelToken, ClearedWakerIsNotCalled) {
  CancelToken token;
  int woken = 0;
  token.set_waker([&] { ++woken; });
  token.clear_waker();
  token.cancel();
  EXPECT_EQ(woken, 0);
  EXPECT_TRUE(token.cancelled());
}

TEST(CancelToken, SetWakerReturnsFalseAfterCancel) {
  CancelToken token;
  token.cancel();
  int woken = 0;
  EXPECT_FALSE(token.set_waker([&] { ++woken; }));
  EXPECT_EQ(woken, 0) << "setting a waker does not call it";
}

TEST(CancelToken, ReplacingTheWakerCallsOnlyTheNewOne) {
  CancelToken token;
  int first = 0, second = 0;
  token.set_waker([&] { ++first; });
  token.set_waker([&] { ++second; });
  token.cancel();
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
}

}  // namespace
