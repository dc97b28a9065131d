// The command's exit codes: scripts branch on these, so they never change.
#pragma once

#include "mcpauth/error.hpp"

namespace mcpauth::app {

enum ExitCode : int {
  kExitOk = 0,
  kExitToolError = 1,      // `call`: the tool ran and reported isError
  kExitUsage = 2,          // bad arguments or options
  kExitConnection = 3,     // could not reach the server (DNS, TCP, TLS, timeout)
  kExitProtocol = 4,       // the server answered, but not as MCP allows
  kExitServerError = 5,    // the server answered a request with a JSON-RPC error
  kExitAuthorization = 6,  // 401/403: credentials missing or insufficient
  kExitStore = 7,          // the local token store cannot be used (corrupted, foreign, wrong key)
  kExitInterrupted = 130,  // cancelled
};

// What each exit code means, as the main --help lists it (help_text.cpp).
struct ExitCodeMeaning {
  int code;
  const char* meaning;
};
inline constexpr ExitCodeMeaning kExitCodeMeanings[] = {
    {kExitOk, "success"},
    {kExitToolError, "call: the tool ran and reported an error (isError)"},
    {kExitUsage, "bad arguments or options"},
    {kExitConnection, "the server could not be reached (DNS, TCP, TLS, timeout)"},
    {kExitProtocol, "the server answered, but not as MCP allows (or an HTTP error status)"},
    {kExitServerError, "the server answered a request with a JSON-RPC error"},
    {kExitAuthorization, "authorization is missing, refused or insufficient (401/403, OAuth errors)"},
    {kExitStore, "the local token store cannot be used (corrupted, foreign, wrong key)"},
    {kExitInterrupted, "interrupted (Ctrl-C)"},
};

inline int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::usage: return kExitUsage;
    case ErrorCode::connection:
    case ErrorCode::timeout: return kExitConnection;
    case ErrorCode::response_too_large:
    case ErrorCode::http_status:
    case ErrorCode::protocol:
    case ErrorCode::session_expired: return kExitProtocol;
    case ErrorCode::rpc_error: return kExitServerError;
    case ErrorCode::unauthorized:
    case ErrorCode::forbidden:
    case ErrorCode::authorization_required:
    case ErrorCode::consent_timeout:
    case ErrorCode::authorization_denied:
    case ErrorCode::registration_rejected:
    case ErrorCode::invalid_metadata:
    case ErrorCode::resource_mismatch:
    case ErrorCode::issuer_mismatch:
    case ErrorCode::state_mismatch:
    case ErrorCode::pkce_unsupported:
    case ErrorCode::insecure_url:
    case ErrorCode::token_rejected:
    case ErrorCode::insufficient_scope:
    case ErrorCode::auth_server_unreachable: return kExitAuthorization;
    case ErrorCode::store: return kExitStore;
    case ErrorCode::cancelled: return kExitInterrupted;
  }
  return kExitProtocol;
}

}  // namespace mcpauth::app
