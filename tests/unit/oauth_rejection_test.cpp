#include "mcpauth/core/oauth/rejection.hpp"

#include <gtest/gtest.h>

namespace mcpauth::core::oauth {
namespace {

RejectionFacts facts(int status, std::string www_authenticate) {
  RejectionFacts f;
  f.status = status;
  f.method = "POST";
  f.challenges = parse_www_authenticate({std::move(www_authenticate)});
  f.server_url = "https://mcp.example/mcp";
  f.holds_tokens = true;
  f.sent_current_token = true;
  f.scope = "read";
  return f;
}

TEST(PlanRejection, OnlyRefusalsAreConsidered) {
  EXPECT_EQ(plan_rejection(facts(404, "Bearer")).step, RejectionStep::give_up);
  EXPECT_EQ(plan_rejection(facts(500, "Bearer")).step, RejectionStep::give_up);
}

TEST(PlanRejection, ADpopNonceChallengeIsRetriedWithTheNonceOnce) {
  auto f = facts(401, "DPoP error=\"use_dpop_nonce\"");
  f.holds_dpop_key = true;
  f.holds_dpop_token = true;
  f.dpop_nonce = "n-1";
  const auto plan = plan_rejection(f);
  EXPECT_EQ(plan.step, RejectionStep::retry_with_nonce);
  EXPECT_EQ(plan.nonce, "n-1");

  f.sent_dpop_nonce = "n-1";  // the same nonce again: not a nonce problem
  EXPECT_NE(plan_rejection(f).step, RejectionStep::retry_with_nonce);
}

TEST(PlanRejection, ANonceWithoutAKeyOrWithoutTheChallengeIsNoReasonToRetry) {
  auto f = facts(401, "DPoP error=\"use_dpop_nonce\"");
  f.dpop_nonce = "n-1";
  EXPECT_NE(plan_rejection(f).step, RejectionStep::retry_with_nonce);  // no key
  auto g = facts(401, "DPoP error=\"invalid_token\"");
  g.holds_dpop_key = true;
  g.dpop_nonce = "n-1";
  EXPECT_NE(plan_rejection(g).step, RejectionStep::retry_with_nonce);
}

TEST(PlanRejection, ARequestWithAnOlderTokenIsSimplyRetried) {
  auto f = facts(401, "Bearer error=\"invalid_token\"");
  f.sent_current_token = false;
  EXPECT_EQ(plan_rejection(f).step, RejectionStep::retry);
  auto g = facts(403, "Bearer error=\"insufficient_scope\", scope=\"write\"");
  g.sent_current_token = false;
  EXPECT_EQ(plan_rejection(g).step, RejectionStep::retry);
}

TEST(PlanRejection, ARefusedDeleteAsksNobody) {
  auto f = facts(401, "Bearer error=\"invalid_token\"");
  f.method = "DELETE";
  f.may_refresh = true;
  EXPECT_EQ(plan_rejection(f).step, RejectionStep::give_up);
}

TEST(PlanRejection, InsufficientScopeStepsUpWithTheUnionOfScopes) {
  const auto plan = plan_rejection(facts(403, "Bearer error=\"insufficient_scope\", scope=\"write read\""));
  EXPECT_EQ(plan.step, RejectionStep::step_up);
  EXPECT_EQ(plan.scope, "read write");
  EXPECT_FALSE(plan.instead_of_authorizing);
}

TEST(PlanRejection, AForbiddenThatIsNotAboutScopeIsNotOurs) {
  EXPECT_EQ(plan_rejection(facts(403, "")).step, RejectionStep::give_up);
  EXPECT_EQ(plan_rejection(facts(403, "Bearer error=\"invalid_token\"")).step, RejectionStep::give_up);
}

TEST(PlanRejection, StepUpFailsOnceTheBudgetIsSpentAndSaysWhatIsNeeded) {
  auto f = facts(403, "Bearer error=\"insufficient_scope\", scope=\"admin\"");
  f.authorizations = 3;
  const auto plan = plan_rejection(f);
  EXPECT_EQ(plan.step, RejectionStep::fail);
  ASSERT_TRUE(plan.instead_of_authorizing);
  EXPECT_EQ(plan.instead_of_authorizing->code, ErrorCode::insufficient_scope);
  EXPECT_NE(plan.instead_of_authorizing->message.find("\"read admin\""), std::string::npos);
  EXPECT_EQ(plan.instead_of_authorizing->detail.required_scope, "read admin");
  EXPECT_NE(plan.instead_of_authorizing->message.find("https://mcp.example/mcp"), std::string::npos);
}

TEST(PlanRejection, ABoundTokenAtABearerOnlyResourceIsDroppedForANewAuthorization) {
  auto f = facts(401, "Bearer error=\"invalid_token\"");
  f.holds_dpop_key = true;
  f.holds_dpop_token = true;
  f.may_refresh = true;
  const auto plan = plan_rejection(f);
  EXPECT_EQ(plan.step, RejectionStep::authorize_without_dpop);
  EXPECT_FALSE(plan.instead_of_authorizing);
  f.authorizations = 3;
  const auto spent = plan_rejection(f);
  EXPECT_EQ(spent.step, RejectionStep::authorize_without_dpop);
  ASSERT_TRUE(spent.instead_of_authorizing);
  EXPECT_NE(spent.instead_of_authorizing->message.find("accepts only Bearer tokens"), std::string::npos);
}

TEST(PlanRejection, ABoundTokenWhereDpopIsOfferedIsRecoveredNormally) {
  auto f = facts(401, "DPoP error=\"invalid_token\", Bearer");
  f.holds_dpop_key = true;
  f.holds_dpop_token = true;
  EXPECT_EQ(plan_rejection(f).step, RejectionStep::recover);
}

TEST(PlanRejection, AnInvalidTokenIsRefreshedFirstWhenARefreshTokenIsUntried) {
  auto f = facts(401, "Bearer error=\"invalid_token\"");
  f.may_refresh = true;
  auto plan = plan_rejection(f);
  EXPECT_EQ(plan.step, RejectionStep::recover);
  EXPECT_TRUE(plan.refresh_first);
  f.may_refresh = false;
  plan = plan_rejection(f);
  EXPECT_EQ(plan.step, RejectionStep::recover);
  EXPECT_FALSE(plan.refresh_first);
}

TEST(PlanRejection, AFirstRefusalWithoutTokensRecoversByAuthorizing) {
  auto f = facts(401, "Bearer resource_metadata=\"https://mcp.example/.well-known/oauth-protected-resource\"");
  f.holds_tokens = false;
  f.sent_current_token = false;
  const auto plan = plan_rejection(f);
  EXPECT_EQ(plan.step, RejectionStep::recover);
  EXPECT_FALSE(plan.refresh_first);
  EXPECT_EQ(plan.challenge.resource_metadata, "https://mcp.example/.well-known/oauth-protected-resource");
}

TEST(PlanRejection, RecoveryCarriesTheBudgetFailureForWhenOnlyAnAuthorizationWouldHelp) {
  auto f = facts(401, "Bearer error=\"invalid_token\"");
  f.may_refresh = true;
  f.authorizations = 3;
  const auto plan = plan_rejection(f);
  EXPECT_EQ(plan.step, RejectionStep::recover);
  EXPECT_TRUE(plan.refresh_first);
  ASSERT_TRUE(plan.instead_of_authorizing);
  EXPECT_EQ(plan.instead_of_authorizing->code, ErrorCode::unauthorized);
  EXPECT_NE(plan.instead_of_authorizing->message.find("still answers 401 after 3 authorizations"), std::string::npos);
}

TEST(PlanRejection, StepNamesAreStable) {
  EXPECT_EQ(to_string(RejectionStep::authorize_without_dpop), "authorize_without_dpop");
  EXPECT_EQ(to_string(RejectionStep::recover), "recover");
}

}  // namespace
}  // namespace mcpauth::core::oauth
