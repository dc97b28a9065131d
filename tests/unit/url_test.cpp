// URL parsing, origins, reference resolution and loopback detection (core/url).
#include "mcpauth/core/url.hpp"

#include <gtest/gtest.h>

#include <string>

#include "error_of.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core {
namespace {

ErrorCode parse_error_code(std::string_view text) {
  try {
    parse_url(text);
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "parse_url accepted " << text;
  return ErrorCode::protocol;
}

ErrorCode resolve_error_code(std::string_view base, std::string_view ref) {
  try {
    const auto resolved = resolve_reference(parse_url(base), ref);
    ADD_FAILURE() << "resolve_reference accepted " << ref << " as " << resolved;
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::usage;
}

TEST(ParseUrl, AcceptsHttpAndHttps) {
  const auto a = parse_url("http://example.com/mcp");
  EXPECT_EQ(a.scheme, "http");
  EXPECT_EQ(a.host, "example.com");
  EXPECT_EQ(a.path, "/mcp");
  const auto b = parse_url("https://example.com/mcp");
  EXPECT_EQ(b.scheme, "https");
}

TEST(ParseUrl, SchemeIsLowerCased) {
  EXPECT_EQ(parse_url("HTTPS://example.com/").scheme, "https");
}

TEST(ParseUrl, TextIsTrimmed) {
  EXPECT_EQ(parse_url("  https://example.com/mcp \n").text, "https://example.com/mcp");
}

TEST(ParseUrl, RejectsOtherSchemesRelativeAndGarbage) {
  for (const char* text : {"ftp://example.com/file", "file:///etc/passwd", "/mcp", "mcp", "example.com/mcp",
                           "not a url at all", "", "https://", "https://exa mple.com/", "https://example.com:99999/"}) {
    EXPECT_EQ(parse_error_code(text), ErrorCode::usage) << text;
  }
}

TEST(ParseUrl, RejectsUserInfo) {
  EXPECT_EQ(parse_error_code("https://user:pass@example.com/mcp"), ErrorCode::usage);
  EXPECT_EQ(parse_error_code("https://user@example.com/mcp"), ErrorCode::usage);
}

TEST(ParseUrl, RejectsPasswordWithEmptyUser) {
  EXPECT_EQ(parse_error_code("https://:secret@example.com/mcp"), ErrorCode::usage);
}

// The refusal of a URL with a user and password in it.
Error user_info_refusal() {
  return testing::error_of([] { parse_url("https://user:hunter2@example.com/mcp"); });
}

TEST(ParseUrl, UserInfoErrorDoesNotEchoThePassword) {
  const Error e = user_info_refusal();
  EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
}

TEST(ParseUrl, UserInfoErrorSaysWhereCredentialsGoInNeutralWords) {
  const Error e = user_info_refusal();
  EXPECT_NE(std::string(e.what()).find("Authorization header"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find("--header"), std::string::npos) << "the CLI adds its own hint";
  EXPECT_TRUE(e.remedies().has(mcpauth::Remedy::static_token));
}

TEST(ParseUrl, HostIsLowerCased) {
  EXPECT_EQ(parse_url("https://EXAMPLE.Com/mcp").host, "example.com");
}

TEST(ParseUrl, Ipv6HostKeepsBrackets) {
  const auto u = parse_url("http://[::1]:8080/mcp");
  EXPECT_EQ(u.host, "[::1]");
  EXPECT_EQ(u.port, 8080);
}

TEST(ParseUrl, EffectivePort) {
  EXPECT_EQ(parse_url("http://example.com/").port, 80);
  EXPECT_EQ(parse_url("https://example.com/").port, 443);
  EXPECT_EQ(parse_url("https://example.com:8443/").port, 8443);
  EXPECT_EQ(parse_url("http://example.com:443/").port, 443);
}

TEST(ParseUrl, PathIsKeptExactly) {
  EXPECT_EQ(parse_url("https://h").path, "");
  EXPECT_EQ(parse_url("https://h/").path, "/");
  EXPECT_EQ(parse_url("https://h/mcp").path, "/mcp");
  EXPECT_EQ(parse_url("https://h/mcp/").path, "/mcp/");
  EXPECT_EQ(parse_url("https://h:8080").path, "");
  EXPECT_EQ(parse_url("https://h?x=1").path, "");
  EXPECT_EQ(parse_url("https://h/?x=1").path, "/");
}

TEST(ParseUrl, QueryIsKeptWithoutQuestionMark) {
  const auto u = parse_url("https://h/mcp?a=1&b=two");
  EXPECT_EQ(u.query, "a=1&b=two");
  EXPECT_EQ(u.path, "/mcp");
  EXPECT_EQ(parse_url("https://h/mcp").query, "");
}

TEST(OriginOf, OmitsDefaultPortOnly) {
  EXPECT_EQ(origin_of(parse_url("https://example.com/mcp")), "https://example.com");
  EXPECT_EQ(origin_of(parse_url("https://example.com:443/mcp")), "https://example.com");
  EXPECT_EQ(origin_of(parse_url("http://example.com:80/mcp")), "http://example.com");
  EXPECT_EQ(origin_of(parse_url("http://example.com:443/mcp")), "http://example.com:443");
  EXPECT_EQ(origin_of(parse_url("https://example.com:8443/mcp?x=1")), "https://example.com:8443");
  EXPECT_EQ(origin_of(parse_url("http://127.0.0.1:3000")), "http://127.0.0.1:3000");
}

TEST(SameOrigin, Cases) {
  EXPECT_TRUE(same_origin(parse_url("https://a.example/x"), parse_url("https://a.example/y?z")));
  EXPECT_TRUE(same_origin(parse_url("https://a.example/"), parse_url("https://a.example:443/")));
  EXPECT_TRUE(same_origin(parse_url("https://A.EXAMPLE/"), parse_url("https://a.example/")));
  EXPECT_FALSE(same_origin(parse_url("https://a.example/"), parse_url("https://a.example:8443/")));
  EXPECT_FALSE(same_origin(parse_url("http://a.example/"), parse_url("https://a.example/")));
  EXPECT_FALSE(same_origin(parse_url("http://a.example:443/"), parse_url("https://a.example/")));
  EXPECT_FALSE(same_origin(parse_url("https://a.example/"), parse_url("https://b.example/")));
  EXPECT_FALSE(same_origin(parse_url("https://a.example/"), parse_url("https://sub.a.example/")));
}

TEST(ResolveReference, AbsolutePathWithQuery) {
  EXPECT_EQ(resolve_reference(parse_url("http://127.0.0.1:8080/sse"), "/messages?sessionId=1"),
            "http://127.0.0.1:8080/messages?sessionId=1");
}

TEST(ResolveReference, RelativePath) {
  EXPECT_EQ(resolve_reference(parse_url("http://127.0.0.1:8080/sse"), "messages"), "http://127.0.0.1:8080/messages");
  EXPECT_EQ(resolve_reference(parse_url("http://127.0.0.1:8080/api/sse"), "messages?s=2"),
            "http://127.0.0.1:8080/api/messages?s=2");
}

TEST(ResolveReference, AbsoluteUrl) {
  EXPECT_EQ(resolve_reference(parse_url("http://127.0.0.1:8080/sse"), "https://other.example/post"),
            "https://other.example/post");
}

TEST(ResolveReference, SchemeRelative) {
  EXPECT_EQ(resolve_reference(parse_url("https://a.example/sse"), "//other.example/x"), "https://other.example/x");
}

TEST(ResolveReference, NonHttpSchemesAreRejected) {
  EXPECT_EQ(resolve_error_code("http://127.0.0.1:8080/sse", "javascript:alert(1)"), ErrorCode::protocol);
  EXPECT_EQ(resolve_error_code("http://127.0.0.1:8080/sse", "ftp://example.com/x"), ErrorCode::protocol);
  EXPECT_EQ(resolve_error_code("http://127.0.0.1:8080/sse", "file:///etc/passwd"), ErrorCode::protocol);
}

TEST(IsLoopbackHost, LoopbackHosts) {
  for (const char* host : {"localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "127.255.255.255", "[::1]", "::1"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  EXPECT_TRUE(is_loopback_host(parse_url("http://[::1]:8080/").host));
  EXPECT_TRUE(is_loopback_host(parse_url("http://LocalHost:8080/").host));
}

TEST(IsLoopbackHost, NonLoopbackHosts) {
  // foo.localhost: not trusted to resolve to loopback. ::ffff:127.0.0.1: a
  // decision, the IPv4-mapped form is not treated as loopback; only the
  // literal forms the documentation lists (127.0.0.0/8 and ::1) are.
  for (const char* host : {"128.0.0.1", "126.255.255.255", "example.com", "foo.localhost", "localhost.example.com",
                           "0.0.0.0", "::", "[::2]", "", "::ffff:127.0.0.1", "[::ffff:127.0.0.1]"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

}  // namespace
}  // namespace mcpauth::core
