// The gateway's JSON answers: a body, or {"error": {"code", "message"}} with
// the HTTP status an Error maps to.
#pragma once

#include "http_message.hpp"

#include <nlohmann/json.hpp>
#include <string>

#include "mcpauth/error.hpp"

namespace mcpauth::gateway {

using Json = nlohmann::json;

void send_json(http::Response& res, int status, const Json& body);
void send_error(http::Response& res, int status, const std::string& code, const std::string& message);
// The status follows the error's code: usage 400, upstream trouble 502, store 500, otherwise 409.
void send_error(http::Response& res, const Error& e);

}  // namespace mcpauth::gateway
