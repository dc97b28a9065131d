#include "mcpauth/core/oauth/redirect.hpp"

#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth {
namespace {

constexpr const char* kPasteHint = "paste the whole address from the browser's address bar after you approved";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// Whitespace goes everywhere (terminals wrap long lines when copying; a URL
// never holds a raw space), then any wrapping "...", '...', `...` or <...>.
std::string unwrap(std::string_view pasted) {
  std::string text;
  for (char c : pasted) {
    if (!is_space(c)) text += c;
  }
  while (text.size() >= 2) {
    const char first = text.front();
    const char last = text.back();
    const bool wrapped = (first == '"' && last == '"') || (first == '\'' && last == '\'') ||
                         (first == '`' && last == '`') || (first == '<' && last == '>');
    if (!wrapped) break;
    text = text.substr(1, text.size() - 2);
  }
  return text;
}

// RFC 3986 §6.2.3: for http(s) an empty path is "/" (browsers show it so).
std::string normalized_path(const std::string& path) {
  return path.empty() ? "/" : path;
}

// The query of a pasted address, once it is known to be for `redirect_uri`.
std::string query_of_address(const std::string& address, const std::string& redirect_uri) {
  const Url expected = parse_url(redirect_uri);
  Url got;
  try {
    got = parse_url(address);
  } catch (const Error&) {
    // parse_url's message would quote the text, and with it the code.
    throw Error(ErrorCode::usage, "the pasted text is not a valid address; " + std::string(kPasteHint) +
                                      " (it starts with " + redirect_uri + ")");
  }
  const char* differs = got.scheme != expected.scheme                                 ? "scheme"
                        : got.host != expected.host                                   ? "host"
                        : got.port != expected.port                                   ? "port"
                        : normalized_path(got.path) != normalized_path(expected.path) ? "path"
                                                                                      : nullptr;
  if (differs) {
    throw Error(ErrorCode::usage, "the pasted address is not for this login: its " + std::string(differs) +
                                      " differs from the expected redirect URI " + redirect_uri + "; " + kPasteHint);
  }
  if (got.query.empty()) {
    throw Error(ErrorCode::usage,
                "the pasted address has no query (the part after '?' with code and state); " + std::string(kPasteHint));
  }
  return got.query;
}

}  // namespace

FormFields parse_pasted_redirect(std::string_view pasted, const std::string& redirect_uri) {
  if (pasted.size() > kMaxPastedRedirectBytes) {
    throw Error(ErrorCode::usage, "the pasted text is longer than " + std::to_string(kMaxPastedRedirectBytes / 1024) +
                                      " KiB, so it is not a browser address; " + kPasteHint);
  }
  std::string text = unwrap(pasted);
  if (const auto hash = text.find('#'); hash != std::string::npos) text.erase(hash);  // a fragment is never sent
  if (text.empty()) throw Error(ErrorCode::usage, std::string("nothing was pasted; ") + kPasteHint);

  const auto parameters = text.find_first_of("=&");
  const auto question = text.find('?');
  const auto scheme_end = text.find("://");
  std::string query;
  if (question == 0) {
    query = text.substr(1);
  } else if (scheme_end != std::string::npos && scheme_end < parameters && scheme_end < question) {
    query = query_of_address(text, redirect_uri);
  } else if (question != std::string::npos && question < parameters) {
    // "127.0.0.1:8765/callback?code=..." with the scheme left out.
    query = query_of_address(parse_url(redirect_uri).scheme + "://" + text, redirect_uri);
  } else if (parameters != std::string::npos) {
    query = text;
  } else {
    throw Error(ErrorCode::usage, std::string("the pasted text is not an address; ") + kPasteHint +
                                      " (it starts with " + redirect_uri + "?)");
  }
  FormFields fields;
  try {
    fields = parse_form(query);
  } catch (const Error& e) {
    throw Error(ErrorCode::usage, std::string("the pasted address cannot be decoded: ") + e.what() + "; " + kPasteHint);
  }
  if (fields.empty()) {
    throw Error(ErrorCode::usage,
                std::string("the pasted text has no query parameters (code and state); ") + kPasteHint);
  }
  return fields;
}

}  // namespace mcpauth::core::oauth
