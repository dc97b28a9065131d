// LoopbackConsent writes to no stream of its own: the caller says where the
// user's progress lines (the URL to open) go.
#include <gtest/gtest.h>

#include <string>

#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::auth {
namespace {

TEST(LoopbackConsentOptions, ANotifySinkIsRequired) {
  try {
    LoopbackConsent consent{LoopbackConsentOptions{}};
    FAIL() << "constructed without a notify sink";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find("notify"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(LoopbackConsent(LoopbackConsentOptions{.notify = [](const std::string&) {}}));
}

}  // namespace
}  // namespace mcpauth::auth
