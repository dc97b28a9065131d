#include "tool_headers.hpp"

#include <algorithm>
#include <set>

#include "mcpauth/core/printable.hpp"
#include "mcpauth/core/text.hpp"
#include "modern_headers.hpp"

namespace mcpauth::mcp::detail {
namespace {

constexpr const char* kMark = "x-mcp-header";
constexpr std::string_view kHeaderPrefix = "Mcp-Param-";
// JavaScript's safe integers: the specification bounds mirrored integers to them.
constexpr long long kMaxSafeInteger = (1LL << 53) - 1;
constexpr std::size_t kReasonTextCap = 80;

// JSON Schema keywords whose value is one schema, an array of schemas, or a
// map of names to schemas. A mark found through any of them is not
// "statically reachable" (only `properties` chains are).
constexpr const char* kSchemaKeywords[] = {"items",
                                           "additionalProperties",
                                           "unevaluatedProperties",
                                           "unevaluatedItems",
                                           "contains",
                                           "propertyNames",
                                           "not",
                                           "if",
                                           "then",
                                           "else",
                                           "allOf",
                                           "anyOf",
                                           "oneOf",
                                           "prefixItems"};
constexpr const char* kSchemaMapKeywords[] = {"$defs", "definitions", "patternProperties", "dependentSchemas"};

std::string shown(std::string_view text) {
  return "\"" + core::printable(text, kReasonTextCap) + "\"";
}

std::string joined(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& key : path) out += (out.empty() ? "" : ".") + key;
  return out;
}

bool primitive_type(const Json& schema) {
  static const std::set<std::string> kAllowed = {"string", "integer", "boolean"};
  const auto type = schema.find("type");
  if (type == schema.end()) return false;
  if (type->is_string()) return kAllowed.count(type->get<std::string>()) > 0;
  if (!type->is_array()) return false;
  // ["string", "null"]: a nullable primitive (a null value sends no header).
  bool some = false;
  for (const auto& t : *type) {
    if (!t.is_string()) return false;
    if (t == "null") continue;
    if (!kAllowed.count(t.get<std::string>())) return false;
    some = true;
  }
  return some;
}

class Walk {
 public:
  HeaderDeclarations result;

  void schema(const Json& node, std::vector<std::string>& path, bool reachable) {
    if (!node.is_object() || !result.invalid.empty()) return;
    if (node.contains(kMark)) mark(node, path, reachable);
    if (const auto properties = node.find("properties"); properties != node.end() && properties->is_object()) {
      for (const auto& [key, sub] : properties->items()) {
        path.push_back(key);
        schema(sub, path, reachable);
        path.pop_back();
      }
    }
    std::vector<std::string> elsewhere;
    for (const char* keyword : kSchemaKeywords) {
      const auto it = node.find(keyword);
      if (it == node.end()) continue;
      if (it->is_array()) {
        for (const auto& sub : *it) schema(sub, elsewhere, false);
      } else {
        schema(*it, elsewhere, false);
      }
    }
    for (const char* keyword : kSchemaMapKeywords) {
      const auto it = node.find(keyword);
      if (it == node.end() || !it->is_object()) continue;
      for (const auto& sub : *it) schema(sub, elsewhere, false);
    }
  }

 private:
  void mark(const Json& node, const std::vector<std::string>& path, bool reachable) {
    const Json& value = node[kMark];
    if (!reachable || path.empty()) {
      return fail("an x-mcp-header is only allowed on a property reached through \"properties\" alone");
    }
    const std::string where = " (property " + shown(joined(path)) + ")";
    if (!value.is_string()) return fail("x-mcp-header is not a string" + where);
    const auto name = value.get<std::string>();
    if (name.empty()) return fail("x-mcp-header is empty" + where);
    if (!core::is_token(name)) return fail("x-mcp-header " + shown(name) + " is not an HTTP token" + where);
    if (!primitive_type(node)) {
      return fail("x-mcp-header " + shown(name) + " is on a property whose type is not string, integer or boolean" +
                  where);
    }
    if (!seen_.insert(core::lower(name)).second) {
      return fail("x-mcp-header " + shown(name) + " is declared twice (case-insensitively)");
    }
    result.headers.push_back(ParamHeader{path, name});
  }

  void fail(std::string reason) {
    result.invalid = std::move(reason);
    result.headers.clear();
  }

  std::set<std::string> seen_;
};

// The header text of a marked value, or nullopt when it sends no header.
std::optional<std::string> header_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_unsigned()) {
    const auto n = value.get<unsigned long long>();
    if (n > static_cast<unsigned long long>(kMaxSafeInteger)) return std::nullopt;
    return std::to_string(n);
  }
  if (value.is_number_integer()) {
    const auto n = value.get<long long>();
    if (n > kMaxSafeInteger || n < -kMaxSafeInteger) return std::nullopt;
    return std::to_string(n);
  }
  return std::nullopt;  // null, a float, an object or an array
}

const Json* at_path(const Json& arguments, const std::vector<std::string>& path) {
  const Json* node = &arguments;
  for (const auto& key : path) {
    if (!node->is_object()) return nullptr;
    const auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

}  // namespace

HeaderDeclarations header_declarations(const Json& input_schema) {
  Walk walk;
  std::vector<std::string> path;
  walk.schema(input_schema, path, true);
  return std::move(walk.result);
}

net::HttpHeaders param_headers(const std::vector<ParamHeader>& declared, const Json& arguments) {
  net::HttpHeaders out;
  for (const auto& header : declared) {
    const Json* value = at_path(arguments, header.path);
    if (!value) continue;
    if (auto text = header_text(*value)) out.add(std::string(kHeaderPrefix) + header.name, header_safe(*text));
  }
  return out;
}

std::vector<std::string> drop_invalid_tools(Json& result,
                                            const std::function<void(const std::string&, HeaderDeclarations)>& learn) {
  std::vector<std::string> dropped;
  if (!result.is_object()) return dropped;
  const auto tools = result.find("tools");
  if (tools == result.end() || !tools->is_array()) return dropped;
  Json kept = Json::array();
  for (auto& tool : *tools) {
    const std::string name = tool.is_object() && tool.contains("name") && tool["name"].is_string()
                                 ? tool["name"].get<std::string>()
                                 : std::string();
    static const Json kNoSchema = Json::object();
    const auto schema = tool.is_object() ? tool.find("inputSchema") : tool.end();
    HeaderDeclarations declarations = header_declarations(schema != tool.end() ? *schema : kNoSchema);
    if (!declarations.invalid.empty()) {
      dropped.push_back(core::printable(name, kReasonTextCap) + ": " + declarations.invalid);
      continue;
    }
    if (!name.empty()) learn(name, std::move(declarations));
    kept.push_back(std::move(tool));
  }
  *tools = std::move(kept);
  return dropped;
}

void ToolHeaderBook::expect_list(const core::jsonrpc::Id& id) {
  std::lock_guard lock(mutex_);
  if (expected_.size() >= kMaxExpected) expected_.erase(expected_.begin());
  expected_.push_back(id.dump());
}

std::vector<std::string> ToolHeaderBook::read(core::jsonrpc::Message& message) {
  if (!core::jsonrpc::is_response(message)) return {};
  std::lock_guard lock(mutex_);
  if (expected_.empty()) return {};  // the common case: no listing under way
  const auto it = std::find(expected_.begin(), expected_.end(), core::jsonrpc::id_of(message).dump());
  if (it == expected_.end()) return {};
  expected_.erase(it);
  auto* response = std::get_if<core::jsonrpc::Response>(&message);
  if (!response) return {};  // an error answer: nothing to learn
  return drop_invalid_tools(response->result, [this](const std::string& name, HeaderDeclarations declarations) {
    if (declarations.headers.empty()) {
      tools_.erase(name);
    } else {
      tools_[name] = std::move(declarations.headers);
    }
  });
}

net::HttpHeaders ToolHeaderBook::headers_for_call(const Json& params) const {
  if (!params.is_object()) return {};
  const auto name = params.find("name");
  const auto arguments = params.find("arguments");
  if (name == params.end() || !name->is_string() || arguments == params.end()) return {};
  std::lock_guard lock(mutex_);
  const auto it = tools_.find(name->get<std::string>());
  if (it == tools_.end()) return {};
  return param_headers(it->second, *arguments);
}

}  // namespace mcpauth::mcp::detail
