#include "mcpauth/core/jsonrpc.hpp"

#include <cstdint>

#include "mcpauth/core/json.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core::jsonrpc {
namespace {

[[noreturn]] void invalid(const std::string& what) {
  throw Error(ErrorCode::protocol, "invalid JSON-RPC message: " + what);
}

bool valid_id(const Json& id) {
  return id.is_string() || id.is_number_integer() || id.is_number_unsigned();
}

Json params_of(const Json& value) {
  const auto it = value.find("params");
  if (it == value.end()) return nullptr;
  if (!it->is_object() && !it->is_array()) invalid("\"params\" must be an object or an array");
  return *it;
}

Json parse_bounded(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes) {
    throw Error(ErrorCode::response_too_large, "a JSON-RPC message of " + std::to_string(text.size()) +
                                                   " bytes is larger than the limit of " +
                                                   std::to_string(limits.max_bytes) + " bytes");
  }
  // The one bounded parser refuses over-deep text before building it.
  return parse_json(text, JsonLimits{limits.max_bytes, limits.max_depth}, ErrorCode::protocol,
                    "the JSON-RPC message the server sent");
}

}  // namespace

Message from_json(const Json& value) {
  if (!value.is_object()) invalid("expected an object, got " + std::string(value.type_name()));
  const auto version = value.find("jsonrpc");
  if (version == value.end() || *version != "2.0") invalid("\"jsonrpc\" must be \"2.0\"");

  const auto method = value.find("method");
  const auto id = value.find("id");
  if (method != value.end()) {
    if (!method->is_string()) invalid("\"method\" must be a string");
    if (id == value.end()) return Notification{method->get<std::string>(), params_of(value)};
    if (!valid_id(*id)) invalid("a request id must be a string or an integer");
    return Request{*id, method->get<std::string>(), params_of(value)};
  }

  if (id == value.end()) invalid("a message needs a \"method\" or an \"id\"");
  const auto result = value.find("result");
  const auto error = value.find("error");
  if ((result == value.end()) == (error == value.end()))
    invalid("a response needs exactly one of \"result\" and \"error\"");
  if (result != value.end()) {
    if (!valid_id(*id)) invalid("a response id must be a string or an integer");
    return Response{*id, *result};
  }
  if (!id->is_null() && !valid_id(*id)) invalid("an error response id must be a string, an integer or null");
  if (!error->is_object()) invalid("\"error\" must be an object");
  const auto code = error->find("code");
  const auto message = error->find("message");
  if (code == error->end() || !code->is_number_integer() || code->get<long long>() < INT32_MIN ||
      code->get<long long>() > INT32_MAX) {
    invalid("\"error.code\" must be a 32-bit integer");
  }
  if (message == error->end() || !message->is_string()) invalid("\"error.message\" must be a string");
  ErrorResponse response{*id, code->get<int>(), message->get<std::string>(), nullptr};
  if (const auto data = error->find("data"); data != error->end()) response.data = *data;
  return response;
}

std::vector<Message> parse(std::string_view text, const ParseLimits& limits) {
  const Json value = parse_bounded(text, limits);
  std::vector<Message> messages;
  if (value.is_array()) {
    if (value.empty()) invalid("an empty batch");
    messages.reserve(value.size());
    for (const auto& element : value) messages.push_back(from_json(element));
  } else {
    messages.push_back(from_json(value));
  }
  return messages;
}

Json to_json(const Message& message) {
  return std::visit(
      [](const auto& m) -> Json {
        using T = std::decay_t<decltype(m)>;
        Json out = {{"jsonrpc", "2.0"}};
        if constexpr (std::is_same_v<T, Request>) {
          out["id"] = m.id;
          out["method"] = m.method;
          if (!m.params.is_null()) out["params"] = m.params;
        } else if constexpr (std::is_same_v<T, Notification>) {
          out["method"] = m.method;
          if (!m.params.is_null()) out["params"] = m.params;
        } else if constexpr (std::is_same_v<T, Response>) {
          out["id"] = m.id;
          out["result"] = m.result;
        } else {
          out["id"] = m.id;
          Json error = {{"code", m.code}, {"message", m.message}};
          if (!m.data.is_null()) error["data"] = m.data;
          out["error"] = std::move(error);
        }
        return out;
      },
      message);
}

std::string serialize(const Message& message) {
  // Replace invalid UTF-8 instead of throwing: a tool argument typed by a
  // user must not crash the client.
  return to_json(message).dump(-1, ' ', false, Json::error_handler_t::replace);
}

const Id& id_of(const Message& message) {
  static const Id null_id = nullptr;
  return std::visit(
      [](const auto& m) -> const Id& {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Notification>) {
          return null_id;
        } else {
          return m.id;
        }
      },
      message);
}

bool is_response(const Message& message) noexcept {
  return std::holds_alternative<Response>(message) || std::holds_alternative<ErrorResponse>(message);
}

}  // namespace mcpauth::core::jsonrpc
