#include "mcpauth_internal/core/glob.hpp"

#include <optional>

namespace mcpauth::core {
namespace {

struct BracketMatch {
  bool matched = false;
  std::size_t end = 0;  // index just after the closing ']'
};

// The bracket expression starting at glob[open] == '['; nullopt when it has
// no closing ']' (the '[' is then an ordinary character).
std::optional<BracketMatch> match_bracket(std::string_view glob, std::size_t open, char c) {
  std::size_t i = open + 1;
  const bool negated = i < glob.size() && (glob[i] == '!' || glob[i] == '^');
  if (negated) ++i;
  bool matched = false;
  bool first = true;
  while (i < glob.size() && (glob[i] != ']' || first)) {
    first = false;
    char low = glob[i];
    if (low == '\\' && i + 1 < glob.size()) low = glob[++i];
    ++i;
    char high = low;
    if (i + 1 < glob.size() && glob[i] == '-' && glob[i + 1] != ']') {
      high = glob[i + 1];
      if (high == '\\' && i + 2 < glob.size()) high = glob[++i + 1];
      i += 2;
    }
    const auto u = static_cast<unsigned char>(c);
    if (static_cast<unsigned char>(low) <= u && u <= static_cast<unsigned char>(high)) matched = true;
  }
  if (i >= glob.size()) return std::nullopt;
  return BracketMatch{matched != negated, i + 1};
}

}  // namespace

bool glob_matches(std::string_view glob, std::string_view name) noexcept {
  std::size_t g = 0;
  std::size_t n = 0;
  // The last '*' seen and the name position it is tried at: on a mismatch,
  // that star takes one more character (the classic backtracking of one star
  // suffices, since a later star can absorb whatever an earlier one would).
  std::optional<std::size_t> star_glob;
  std::size_t star_name = 0;
  while (n < name.size()) {
    if (g < glob.size()) {
      const char p = glob[g];
      if (p == '*') {
        star_glob = ++g;
        star_name = n;
        continue;
      }
      if (p == '?') {
        ++g;
        ++n;
        continue;
      }
      if (p == '[') {
        if (const auto bracket = match_bracket(glob, g, name[n])) {
          if (bracket->matched) {
            g = bracket->end;
            ++n;
            continue;
          }
        } else if (name[n] == '[') {
          ++g;
          ++n;
          continue;
        }
      } else {
        const char literal = (p == '\\' && g + 1 < glob.size()) ? glob[g + 1] : p;
        if (literal == name[n]) {
          g += (p == '\\' && g + 1 < glob.size()) ? 2 : 1;
          ++n;
          continue;
        }
      }
    }
    if (!star_glob) return false;
    g = *star_glob;
    n = ++star_name;
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

}  // namespace mcpauth::core
