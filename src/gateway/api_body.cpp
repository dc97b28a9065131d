#include "api_body.hpp"

#include "gateway_impl.hpp"  // kMaxApiBodyBytes
#include "mcpauth/core/json.hpp"

namespace mcpauth::gateway {

nlohmann::json parse_api_body(const http::Request& req) {
  if (req.body.size() > kMaxApiBodyBytes) throw Error(ErrorCode::usage, "the request body is too large");
  // No body at all (curl -X POST): nothing to say, as {} would.
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  const Json body =
      core::parse_json(req.body, core::JsonLimits{kMaxApiBodyBytes, 8}, ErrorCode::usage, "the request body");
  if (!body.is_object()) throw Error(ErrorCode::usage, "the request body must be a JSON object");
  return body;
}

std::optional<std::string> string_member(const nlohmann::json& body, const char* name, std::size_t max) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw Error(ErrorCode::usage, std::string(name) + " must be a string");
  auto value = it->get<std::string>();
  if (value.size() > max) throw Error(ErrorCode::usage, std::string(name) + " is too long");
  return value;
}

}  // namespace mcpauth::gateway
