#include "tool_signature.hpp"

#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

#include "mcpauth/core/printable.hpp"

namespace mcpauth::app {
namespace {

using Json = mcp::Json;

constexpr std::size_t kMaxNameBytes = 128;
constexpr std::size_t kMaxLiteralBytes = 40;
constexpr std::size_t kMaxDescriptionBytes = 300;
constexpr std::size_t kMaxAlternatives = 8;  // of an enum or a union, then "..."
constexpr int kMaxDepth = 8;                 // a schema nests no deeper than this in a signature
constexpr int kMaxSchemaNodes = 200;         // schemas read for one parameter's type
constexpr std::size_t kMaxParameters = 32;   // then ", ..."

std::string join_alternatives(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size() && i < kMaxAlternatives; ++i) out += (i == 0 ? "" : "|") + parts[i];
  if (parts.size() > kMaxAlternatives) out += "|...";
  return out;
}

std::string literal(const Json& value) {
  return core::printable(value.dump(-1, ' ', false, Json::error_handler_t::replace), kMaxLiteralBytes);
}

// Reads one schema within a budget of nodes: a server's schema may nest
// unions in unions or list any number of them, and a signature shows little
// of that, so the work stays bounded by what can be shown.
class SchemaReader {
 public:
  std::string type_of(const Json& schema, int depth) {
    if (!schema.is_object() || depth > kMaxDepth || --budget_ < 0) return "any";
    if (const auto constant = schema.find("const"); constant != schema.end()) return literal(*constant);
    if (const auto values = schema.find("enum"); values != schema.end() && values->is_array() && !values->empty()) {
      std::vector<std::string> parts;
      for (const auto& value : *values) {
        if (parts.size() > kMaxAlternatives) break;  // enough to show that more follow
        parts.push_back(literal(value));
      }
      return join_alternatives(parts);
    }
    for (const char* keyword : {"anyOf", "oneOf"}) {
      if (const auto options = schema.find(keyword); options != schema.end() && options->is_array()) {
        std::vector<std::string> parts;
        for (const auto& option : *options) {
          if (parts.size() > kMaxAlternatives || budget_ < 0) break;
          std::string part = type_of(option, depth + 1);
          if (std::find(parts.begin(), parts.end(), part) == parts.end()) parts.push_back(std::move(part));
        }
        if (!parts.empty()) return join_alternatives(parts);
      }
    }
    const auto type = schema.find("type");
    if (type != schema.end() && type->is_string()) return named_type(type->get<std::string>(), schema, depth);
    if (type != schema.end() && type->is_array()) {
      std::vector<std::string> parts;
      for (const auto& name : *type) {
        if (parts.size() > kMaxAlternatives || budget_ < 0) break;
        if (name.is_string()) parts.push_back(named_type(name.get<std::string>(), schema, depth));
      }
      if (!parts.empty()) return join_alternatives(parts);
    }
    // Untyped, but its shape says what it is.
    if (schema.contains("properties")) return "object";
    if (schema.contains("items")) return array_of(schema, depth);
    return "any";
  }

 private:
  // An array's element type; a union is bracketed so that [] applies to all of it.
  std::string array_of(const Json& schema, int depth) {
    const auto items = schema.find("items");
    std::string element = items != schema.end() ? type_of(*items, depth + 1) : "any";
    if (element.find('|') != std::string::npos) element = "(" + element + ")";
    return element + "[]";
  }

  std::string named_type(const std::string& name, const Json& schema, int depth) {
    if (name == "array") return array_of(schema, depth);
    if (name == "string" || name == "number" || name == "integer" || name == "boolean" || name == "null" ||
        name == "object") {
      return name;
    }
    return core::printable(name, kMaxNameBytes);
  }

  int budget_ = kMaxSchemaNodes;
};

}  // namespace

std::string schema_type(const mcp::Json& schema) {
  return SchemaReader().type_of(schema, 0);
}

std::string tool_signature(const mcp::Tool& tool) {
  std::string out = core::printable(tool.name, kMaxNameBytes) + "(";
  const Json& schema = tool.input_schema;
  const auto properties = schema.is_object() ? schema.find("properties") : schema.end();
  if (properties == schema.end() || !properties->is_object()) return out + ")";
  // Required first, in the schema's order (each once, only real properties), then the optional ones.
  std::vector<std::string> required;
  std::set<std::string> seen;
  if (const auto listed = schema.find("required"); listed != schema.end() && listed->is_array()) {
    for (const auto& name : *listed) {
      if (required.size() > kMaxParameters) break;
      if (name.is_string() && properties->contains(name.get<std::string>()) &&
          seen.insert(name.get<std::string>()).second) {
        required.push_back(name.get<std::string>());
      }
    }
  }
  std::vector<std::string> params;
  for (const auto& name : required) {
    params.push_back(core::printable(name, kMaxNameBytes) + ": " + SchemaReader().type_of(properties->at(name), 1));
  }
  for (const auto& [name, property] : properties->items()) {
    if (params.size() > kMaxParameters) break;
    if (seen.count(name)) continue;
    params.push_back(core::printable(name, kMaxNameBytes) + "?: " + SchemaReader().type_of(property, 1));
  }
  for (std::size_t i = 0; i < params.size() && i < kMaxParameters; ++i) out += (i == 0 ? "" : ", ") + params[i];
  if (params.size() > kMaxParameters) out += ", ...";
  return out + ")";
}

std::string tool_line(const mcp::Tool& tool) {
  std::string line = tool_signature(tool);
  if (tool.description && !tool.description->empty()) {
    const std::string_view text(*tool.description);
    const auto start = text.find_first_not_of(" \t\r\n");
    if (start != std::string_view::npos) {
      // Up to the first LF (a CRLF's CR too); a lone CR stays, shown escaped, so nothing is overwritten.
      std::string_view first = text.substr(start, text.find('\n', start) - start);
      if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
      line += " — " + core::printable(first, kMaxDescriptionBytes);
    }
  }
  return line;
}

}  // namespace mcpauth::app
