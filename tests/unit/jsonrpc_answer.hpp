// A scripted MCP server's answer: JSON-RPC `result` for whatever request
// arrives, keeping its id (for ScriptedHttpClient::then).
#pragma once

#include <nlohmann/json.hpp>

#include "scripted_http_client.hpp"

namespace mcpauth::test_support {

inline ScriptedHttpClient::Responder answer(nlohmann::json result, net::HttpHeaders headers = {}) {
  return [result = std::move(result), headers = std::move(headers)](const net::HttpRequest& request) {
    net::HttpResponse response;
    response.status = 200;
    response.headers = headers;
    response.headers.set("Content-Type", "application/json");
    const nlohmann::json sent = nlohmann::json::parse(request.body);
    const nlohmann::json id = sent.value("id", nlohmann::json());  // null for a notification
    response.body = nlohmann::json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}.dump();
    return response;
  };
}

}  // namespace mcpauth::test_support
