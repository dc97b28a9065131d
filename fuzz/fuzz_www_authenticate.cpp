// Parses the input as WWW-Authenticate field values: split at '\n' into at
// most three fields (the third keeps any further newlines). Nothing may be
// thrown. The result must be well formed (non-empty token schemes, lower-case
// parameter names, token68 or parameters, never both), parsing several fields
// must give a prefix of the fields parsed one by one, and summarize() must
// agree with the challenges it summarizes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/core/oauth/www_authenticate.hpp"

namespace oauth = mcpauth::core::oauth;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_www_authenticate: %s\n", what);
  std::abort();
}

bool is_tchar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool same(const oauth::Challenge& a, const oauth::Challenge& b) {
  return a.scheme == b.scheme && a.params == b.params && a.token68 == b.token68;
}

std::vector<oauth::Challenge> parse(const std::vector<std::string>& fields) {
  try {
    return oauth::parse_www_authenticate(fields);
  } catch (...) {
    fail("parse_www_authenticate threw");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (fields.size() < 2) {
    const auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) break;
    fields.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  fields.emplace_back(text.substr(start));

  const auto challenges = parse(fields);
  bool any_bearer = false;
  bool any_resource_metadata = false;
  for (const auto& c : challenges) {
    if (c.scheme.empty()) fail("empty scheme");
    for (char ch : c.scheme) {
      if (!is_tchar(ch)) fail("scheme is not a token");
    }
    if (c.token68 && !c.params.empty()) fail("token68 and parameters in one challenge");
    if (c.token68 && c.token68->empty()) fail("empty token68");
    for (const auto& [name, value] : c.params) {
      if (name.empty()) fail("empty parameter name");
      for (char ch : name) {
        if (ch >= 'A' && ch <= 'Z') fail("parameter name not lower-cased");
        if (!is_tchar(ch)) fail("parameter name is not a token");
      }
      if (value.size() > size) fail("a value longer than the input");
      if (name == "resource_metadata") any_resource_metadata = true;
    }
    any_bearer = any_bearer || c.is("Bearer");
  }

  // Several fields: a prefix of the fields parsed one by one, in order.
  std::vector<oauth::Challenge> one_by_one;
  for (const auto& field : fields) {
    for (auto& c : parse({field})) one_by_one.push_back(std::move(c));
  }
  if (challenges.size() > one_by_one.size()) fail("more challenges from all fields than from each");
  for (std::size_t i = 0; i < challenges.size(); ++i) {
    if (!same(challenges[i], one_by_one[i])) fail("fields parsed together differ from fields parsed alone");
  }

  oauth::AuthChallenge summary;
  try {
    summary = oauth::summarize(challenges);
  } catch (...) {
    fail("summarize threw");
  }
  if (summary.bearer != any_bearer) fail("summary.bearer disagrees with the challenges");
  if (summary.resource_metadata.has_value() != any_resource_metadata) fail("resource_metadata lost or invented");
  if (!summary.bearer && (summary.scope || summary.error || summary.error_description)) {
    fail("Bearer fields without a Bearer challenge");
  }
  return 0;
}
