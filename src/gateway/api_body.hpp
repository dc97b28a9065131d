// The dashboard API's request bodies: a small JSON object, and its string members.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http_message.hpp"

namespace mcpauth::gateway {

// The body as a JSON object (none at all, as curl -X POST sends: {}), parsed
// with a depth bound. Throws Error(usage).
nlohmann::json parse_api_body(const http::Request& req);

// Member `name` as a string of at most `max` bytes; nullopt when absent or
// null. Throws Error(usage) for another type or a longer value.
std::optional<std::string> string_member(const nlohmann::json& body, const char* name, std::size_t max);

}  // namespace mcpauth::gateway
