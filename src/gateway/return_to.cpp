#include "return_to.hpp"

#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::gateway {
namespace {

// Printable ASCII without spaces: what a Location header carries as it is.
bool plain_text(const std::string& text) {
  for (const unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// A URL a browser would resolve elsewhere than it reads: ".." and "."
// segments, their encoded forms, and the backslash browsers take for a slash.
bool moves_around(const std::string& url) {
  if (url.find('\\') != std::string::npos || url.find("%2e") != std::string::npos ||
      url.find("%2E") != std::string::npos || url.find("%5c") != std::string::npos ||
      url.find("%5C") != std::string::npos) {
    return true;
  }
  std::size_t start = 0;
  while (start <= url.size()) {
    const std::size_t end = std::min(url.find('/', start), url.size());
    const std::string segment = url.substr(start, end - start);
    if (segment == "." || segment == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

void check_return_url_prefixes(const std::vector<std::string>& prefixes) {
  for (const auto& prefix : prefixes) {
    bool ok = plain_text(prefix);
    if (ok) {
      try {
        const core::Url url = core::parse_url(prefix);
        ok = !url.path.empty() && url.path.front() == '/' && url.query.empty() &&
             prefix.find('#') == std::string::npos && !moves_around(prefix);
      } catch (const Error&) {
        ok = false;
      }
    }
    if (!ok) {
      throw Error(ErrorCode::usage,
                  "an allowed return URL must be an http(s) URL with a path and no query, such as "
                  "https://app.example.com/settings/ (got " +
                      (prefix.size() <= 200 && plain_text(prefix) ? prefix : std::string("an unprintable value")) +
                      ")");
    }
  }
}

bool return_to_allowed(const std::vector<std::string>& prefixes, const std::string& return_to) {
  if (return_to.size() > 2048 || !plain_text(return_to)) return false;
  core::Url target;
  try {
    target = core::parse_url(return_to);
  } catch (const Error&) {
    return false;
  }
  if (moves_around(return_to)) return false;  // as written: the parser resolves dot segments
  for (const auto& text : prefixes) {
    try {
      const core::Url prefix = core::parse_url(text);
      if (core::same_origin(prefix, target) && target.path.rfind(prefix.path, 0) == 0) return true;
    } catch (const Error&) {
      // Checked at start; nothing to match.
    }
  }
  return false;
}

}  // namespace mcpauth::gateway
