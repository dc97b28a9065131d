#include "env_lookup.hpp"

#include <cstdlib>
#include <string_view>

#include "mcpauth/error.hpp"

namespace mcpauth::app {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

std::optional<std::string> scan_env_references(std::string_view text,
                                               const std::function<void(std::string_view)>& on_text,
                                               const std::function<bool(const std::string&)>& on_name) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto start = text.find("${", pos);
    if (start == std::string_view::npos) {
      on_text(text.substr(pos));
      break;
    }
    on_text(text.substr(pos, start - pos));
    const auto end = text.find('}', start + 2);
    if (end == std::string_view::npos) return "unterminated ${";
    const std::string name(text.substr(start + 2, end - start - 2));
    if (name.empty()) return "empty ${}";
    if (!on_name(name)) break;
    pos = end + 1;
  }
  return std::nullopt;
}

std::string expand_env(const std::string& text, const EnvLookup& env) {
  std::string out;
  std::optional<std::string> unset;
  const auto syntax = scan_env_references(
      text, [&](std::string_view literal) { out.append(literal); },
      [&](const std::string& name) {
        const auto value = env(name);
        if (!value)
          unset = name;
        else
          out += *value;
        return value.has_value();
      });
  if (syntax) throw Error(ErrorCode::usage, *syntax + " in a --header value");
  if (unset) {
    throw Error(ErrorCode::usage,
                "environment variable " + *unset + " is not set (used as ${" + *unset + "} in --header)");
  }
  return out;
}

}  // namespace mcpauth::app
