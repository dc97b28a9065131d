#include "http_responses.hpp"

namespace mcpauth::gateway {
namespace {

int status_for(const Error& e) {
  switch (e.code()) {
    case ErrorCode::usage:
    case ErrorCode::insecure_url: return 400;
    case ErrorCode::connection:
    case ErrorCode::timeout:
    case ErrorCode::http_status:
    case ErrorCode::protocol:
    case ErrorCode::response_too_large:
    case ErrorCode::auth_server_unreachable: return 502;
    case ErrorCode::store: return 500;
    default: return 409;
  }
}

}  // namespace

void send_json(http::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

void send_error(http::Response& res, int status, const std::string& code, const std::string& message) {
  send_json(res, status, Json{{"error", {{"code", code}, {"message", message}}}});
}

void send_error(http::Response& res, const Error& e) {
  send_error(res, status_for(e), std::string(to_string(e.code())), e.what());
}

}  // namespace mcpauth::gateway
