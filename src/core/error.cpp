#include "mcpauth/error.hpp"

namespace mcpauth {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::usage:
      return "usage";
    case ErrorCode::connection:
      return "connection";
    case ErrorCode::timeout:
      return "timeout";
    case ErrorCode::response_too_large:
      return "response_too_large";
    case ErrorCode::http_status:
      return "http_status";
    case ErrorCode::protocol:
      return "protocol";
    case ErrorCode::unauthorized:
      return "unauthorized";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::session_expired:
      return "session_expired";
    case ErrorCode::rpc_error:
      return "rpc_error";
    case ErrorCode::cancelled:
      return "cancelled";
  }
  return "unknown";
}

}  // namespace mcpauth
