// What to do when a resource server refuses a request (401 or 403), decided
// from facts alone: the challenge, which token the request carried, what the
// client holds and how many authorizations it has spent. The auth layer
// gathers the facts under its lock and carries the plan out (a retry, a
// refresh, a new authorization, an error); nothing here sends or waits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mcpauth/core/oauth/www_authenticate.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::core::oauth {

struct RejectionFacts {
  int status = 0;      // of the refused request: 401 or 403
  std::string method;  // of the refused request (a DELETE ends a session: nobody is asked)
  std::vector<Challenge> challenges;
  std::optional<std::string> dpop_nonce;       // the answer's DPoP-Nonce header
  std::optional<std::string> sent_dpop_nonce;  // the nonce the refused request's proof carried
  std::string server_url;                      // for the messages

  bool holds_dpop_key = false;
  bool holds_tokens = false;
  bool sent_current_token = false;   // the request carried the token held now
  bool holds_dpop_token = false;     // the token held is DPoP-bound
  bool may_refresh = false;          // a refresh token, not yet tried for this access token
  std::optional<std::string> scope;  // the scope asked for last (else the one granted)
  int authorizations = 0;            // new authorizations this client made
  int max_authorizations = 3;
};

enum class RejectionStep {
  give_up,                 // not a refusal new credentials fix: the caller gets the answer as it is
  retry_with_nonce,        // RFC 9449 §9: the resource wants `nonce` in the proof; nothing else changes
  retry,                   // another thread replaced the token meanwhile: send again with it
  step_up,                 // 403 insufficient_scope: authorize again for `scope`
  authorize_without_dpop,  // a DPoP-bound token at a Bearer-only resource: drop it and its key, authorize
  recover,                 // take tokens another process stored, else refresh, else authorize
  fail,                    // `failure`: nothing left to try
};
std::string_view to_string(RejectionStep step) noexcept;

struct Failure {
  ErrorCode code = ErrorCode::unauthorized;
  std::string message;
  ErrorDetail detail{};
};

struct RejectionPlan {
  RejectionStep step = RejectionStep::give_up;
  std::string nonce;                 // retry_with_nonce
  std::optional<std::string> scope;  // step_up: the scope to ask for (what was held plus what is missing)
  bool refresh_first = false;        // recover: try the refresh token before a new authorization
  // When the plan would end in a new authorization but the budget is spent:
  // raise this instead (for `fail`, always set).
  std::optional<Failure> instead_of_authorizing;
  AuthChallenge challenge;  // the summary the authorization starts from
};

RejectionPlan plan_rejection(const RejectionFacts& facts);

}  // namespace mcpauth::core::oauth
