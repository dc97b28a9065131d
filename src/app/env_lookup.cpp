#include "env_lookup.hpp"

#include <cstdlib>

#include "mcpauth/error.hpp"

namespace mcpauth::app {

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

std::string expand_env(const std::string& text, const EnvLookup& env) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto start = text.find("${", pos);
    if (start == std::string::npos) {
      out.append(text, pos, std::string::npos);
      break;
    }
    out.append(text, pos, start - pos);
    const auto end = text.find('}', start + 2);
    if (end == std::string::npos) throw Error(ErrorCode::usage, "unterminated ${ in a --header value");
    const std::string name = text.substr(start + 2, end - start - 2);
    if (name.empty()) throw Error(ErrorCode::usage, "empty ${} in a --header value");
    const auto value = env(name);
    if (!value) {
      throw Error(ErrorCode::usage,
                  "environment variable " + name + " is not set (used as ${" + name + "} in --header)");
    }
    out += *value;
    pos = end + 1;
  }
  return out;
}

}  // namespace mcpauth::app
