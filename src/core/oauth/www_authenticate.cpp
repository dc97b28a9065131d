#include "mcpauth/core/oauth/www_authenticate.hpp"

#include <algorithm>

#include "mcpauth/core/text.hpp"

namespace mcpauth::core::oauth {
namespace {

// Bounds on hostile input: enough for any real server.
constexpr std::size_t kMaxFieldBytes = 16 * 1024;
constexpr std::size_t kMaxChallenges = 32;
constexpr std::size_t kMaxParams = 64;

bool is_tchar(char c) {
  return is_token_char(static_cast<unsigned char>(c));
}

bool is_token68_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || std::string_view("-._~+/").find(c) != std::string_view::npos;
}

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  std::size_t pos() const { return pos_; }
  void reset(std::size_t pos) { pos_ = pos; }
  void skip_ws() {
    while (!done() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }
  void skip_ws_and_commas() {
    while (!done() && (peek() == ' ' || peek() == '\t' || peek() == ',')) ++pos_;
  }
  template <class Pred>
  std::string_view run(Pred accept) {
    const std::size_t start = pos_;
    while (!done() && accept(peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  std::string_view token() { return run(is_tchar); }
  // After the opening quote; stops at the closing quote or the end.
  std::string quoted() {
    ++pos_;
    std::string out;
    while (!done() && peek() != '"') {
      if (peek() == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out.push_back(text_[pos_++]);
    }
    if (!done()) ++pos_;
    return out;
  }
  // Skips to the next comma (or the end): recovery from junk.
  void skip_to_comma() {
    while (!done() && peek() != ',') {
      if (peek() == '"') {
        quoted();
      } else {
        ++pos_;
      }
    }
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

void parse_field(std::string_view text, std::vector<Challenge>& out) {
  Cursor in(text.substr(0, kMaxFieldBytes));
  while (out.size() < kMaxChallenges) {
    in.skip_ws_and_commas();
    if (in.done()) return;
    const std::string_view scheme = in.token();
    if (scheme.empty()) {
      in.skip_to_comma();
      continue;
    }
    Challenge challenge;
    challenge.scheme = std::string(scheme);
    in.skip_ws();

    // token68 ("Negotiate abc==") is a run of token68 characters and '='
    // padding that ends the challenge; anything else is a parameter list.
    {
      const std::size_t start = in.pos();
      const std::string_view value = in.run(is_token68_char);
      const std::string_view padding = in.run([](char c) { return c == '='; });
      in.skip_ws();
      if (!value.empty() && (in.done() || in.peek() == ',')) {
        challenge.token68 = std::string(value) + std::string(padding);
        out.push_back(std::move(challenge));
        continue;
      }
      in.reset(start);
    }

    while (challenge.params.size() < kMaxParams) {
      in.skip_ws_and_commas();
      if (in.done()) break;
      const std::size_t start = in.pos();
      const std::string_view name = in.token();
      in.skip_ws();
      if (name.empty() || in.peek() != '=') {
        in.reset(start);  // not a parameter: the next challenge begins here
        break;
      }
      in.reset(in.pos() + 1);
      in.skip_ws();
      std::string value = in.peek() == '"' ? in.quoted() : std::string(in.token());
      challenge.params.emplace_back(lower(name), std::move(value));
      in.skip_ws();
      if (!in.done() && in.peek() != ',') in.skip_to_comma();  // junk after a value
    }
    out.push_back(std::move(challenge));
  }
}

}  // namespace

bool Challenge::is(std::string_view scheme_name) const noexcept {
  return iequals(scheme, scheme_name);
}

std::optional<std::string> Challenge::param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::vector<Challenge> parse_www_authenticate(const std::vector<std::string>& field_values) {
  std::vector<Challenge> out;
  for (const auto& value : field_values) parse_field(value, out);
  return out;
}

AuthChallenge summarize(const std::vector<Challenge>& challenges) {
  AuthChallenge out;
  const Challenge* bearer = nullptr;
  for (const auto& c : challenges) {
    if (c.is("DPoP")) out.dpop = true;
  }
  for (const auto& c : challenges) {
    if (c.is("Bearer")) {
      bearer = &c;
      break;
    }
  }
  if (bearer) {
    out.bearer = true;
    out.resource_metadata = bearer->param("resource_metadata");
    out.scope = bearer->param("scope");
    out.error = bearer->param("error");
    out.error_description = bearer->param("error_description");
  }
  if (!out.resource_metadata) {
    for (const auto& c : challenges) {
      if (auto rm = c.param("resource_metadata")) {
        out.resource_metadata = std::move(rm);
        break;
      }
    }
  }
  return out;
}

}  // namespace mcpauth::core::oauth
