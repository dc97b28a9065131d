#include "mcpauth/core/oauth/rejection.hpp"

#include "mcpauth/core/oauth/flow.hpp"

namespace mcpauth::core::oauth {
namespace {

// RFC 9449 §9: a DPoP challenge with use_dpop_nonce and a nonce not yet tried.
std::optional<std::string> fresh_resource_nonce(const RejectionFacts& facts) {
  if (facts.status != 401 || !facts.holds_dpop_key || !facts.dpop_nonce || facts.dpop_nonce == facts.sent_dpop_nonce) {
    return std::nullopt;
  }
  for (const auto& c : facts.challenges) {
    if (c.is("DPoP") && c.param("error") == "use_dpop_nonce") return facts.dpop_nonce;
  }
  return std::nullopt;
}

std::optional<Failure> budget_failure(const RejectionFacts& facts, Failure failure) {
  if (facts.authorizations < facts.max_authorizations) return std::nullopt;
  return failure;
}

}  // namespace

std::string_view to_string(RejectionStep step) noexcept {
  switch (step) {
    case RejectionStep::give_up: return "give_up";
    case RejectionStep::retry_with_nonce: return "retry_with_nonce";
    case RejectionStep::retry: return "retry";
    case RejectionStep::step_up: return "step_up";
    case RejectionStep::authorize_without_dpop: return "authorize_without_dpop";
    case RejectionStep::recover: return "recover";
    case RejectionStep::fail: return "fail";
  }
  return "unknown";
}

RejectionPlan plan_rejection(const RejectionFacts& facts) {
  RejectionPlan plan;
  plan.challenge = summarize(facts.challenges);
  if (facts.status != 401 && facts.status != 403) return plan;
  if (auto nonce = fresh_resource_nonce(facts)) {
    plan.step = RejectionStep::retry_with_nonce;
    plan.nonce = std::move(*nonce);
    return plan;
  }
  // Another thread already replaced the token this request carried.
  if (facts.holds_tokens && !facts.sent_current_token) {
    plan.step = RejectionStep::retry;
    return plan;
  }
  // Ending a session is not worth asking anybody for anything.
  if (facts.method == "DELETE") return plan;

  const AuthChallenge& challenge = plan.challenge;
  if (facts.status == 403) {
    if (challenge.error != "insufficient_scope") return plan;  // e.g. a refused Origin: not credentials
    const std::string needed = scope_union(facts.scope.value_or(""), challenge.scope.value_or(""));
    plan.scope = needed;
    plan.instead_of_authorizing = budget_failure(
        facts, {ErrorCode::insufficient_scope,
                "the server at " + facts.server_url + " still refuses with insufficient_scope (needs \"" + needed +
                    "\") after " + std::to_string(facts.authorizations) +
                    " authorizations; its administrator must grant these permissions",
                {.required_scope = needed}});
    plan.step = plan.instead_of_authorizing ? RejectionStep::fail : RejectionStep::step_up;
    return plan;
  }

  if (facts.holds_tokens && facts.holds_dpop_token && challenge.bearer && !challenge.dpop) {
    // A bound token cannot be sent as a Bearer token, and a resource that
    // offers only Bearer will never take a bound one.
    plan.step = RejectionStep::authorize_without_dpop;
    plan.instead_of_authorizing = budget_failure(
        facts, {ErrorCode::unauthorized,
                "the server at " + facts.server_url + " refused a DPoP-bound token and accepts only Bearer tokens"});
    return plan;
  }
  plan.step = RejectionStep::recover;
  // invalid_token on a token held: one refresh per token first (RFC 6750 §3.1).
  plan.refresh_first = facts.holds_tokens && facts.may_refresh;
  plan.instead_of_authorizing = budget_failure(
      facts, {ErrorCode::unauthorized, "the server at " + facts.server_url + " still answers 401 after " +
                                           std::to_string(facts.authorizations) +
                                           " authorizations; its authorization server issues tokens "
                                           "it does not accept"});
  return plan;
}

}  // namespace mcpauth::core::oauth
