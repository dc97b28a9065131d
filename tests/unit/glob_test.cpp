// core::glob_matches: the tool filters' globs, with the answers POSIX
// fnmatch(glob, name, 0) gives (each vector was checked against glibc's).

#include <gtest/gtest.h>

#include <string_view>

#include "mcpauth_internal/core/glob.hpp"

namespace {

struct Vector {
  std::string_view glob;
  std::string_view name;
  bool matches;
};

constexpr Vector kVectors[] = {
    {"exact", "exact", true},
    {"exact", "exactly", false},
    {"exact", "exac", false},
    {"", "", true},
    {"", "a", false},
    {"*", "", true},
    {"*", "anything/with.dots", true},
    {"delete_*", "delete_all", true},
    {"delete_*", "undelete_all", false},
    {"*_account", "update_account", true},
    {"*_account", "update_accounts", false},
    {"a*b*c", "aXbYbZc", true},
    {"a*b*c", "aXbYbZ", false},
    {"*a*a*a", "aaaa", true},
    {"**", "x", true},
    {"get?", "getX", true},
    {"get?", "get", false},
    {"get?", "getXY", false},
    {"[abc]x", "bx", true},
    {"[abc]x", "dx", false},
    {"[a-c]", "b", true},
    {"[a-c]", "d", false},
    {"[!a-c]", "d", true},
    {"[^a-c]", "a", false},
    {"[]]", "]", true},
    {"[!]]", "]", false},
    {"[a-]", "-", true},
    {"[", "[", true},
    {"a[b", "a[b", true},
    {"a[b", "ab", false},
    {"\\*", "*", true},
    {"\\*", "x", false},
    {"a\\?", "a?", true},
    {"a\\?", "ab", false},
    {"*[0-9]", "tool7", true},
    {"*[0-9]", "tool", false},
};

TEST(Glob, MatchesAsFnmatchWithoutFlags) {
  for (const auto& v : kVectors) {
    EXPECT_EQ(mcpauth::core::glob_matches(v.glob, v.name), v.matches) << "glob " << v.glob << " name " << v.name;
  }
}

}  // namespace
