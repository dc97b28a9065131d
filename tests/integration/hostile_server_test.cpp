// The mcpauth command against a server that attacks its client
// (tests/peers/hostile-server.mjs, issue 11): it must end with a clear error
// and the right exit code, never a crash, and never pass control characters a
// server chose to the terminal.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "peer_process.hpp"

namespace mcpauth {
namespace {

using testing::cli;
using testing::CommandResult;
using testing::PeerProcess;
using testing::run_command;

// Where a test's commands keep their (empty) store and config, and a
// $BROWSER that does nothing: no test here may get as far as consent.
std::vector<std::string> isolated_env(const std::string& name) {
  const std::string home = testing::test_home() + "/hostile-" + name;
  return {"XDG_DATA_HOME=" + home + "/data", "XDG_CONFIG_HOME=" + home + "/config", "BROWSER=/bin/true"};
}

bool has_raw_control(const std::string& text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n') || byte == 0x7f) return true;
  }
  return false;
}

// 120,000 bytes nested 60,000 levels: under the 256 KiB metadata cap, so only
// the depth bound stands between it and a stack overflow.
TEST(HostileServer, DeeplyNestedMetadataIsAClearErrorForProbeAndTools) {
  PeerProcess peer("hostile-server.mjs", {"--mode", "deep-metadata"});
  for (const char* command : {"probe", "tools"}) {
    const CommandResult r = run_command(cli({command, peer.url()}), isolated_env(command));
    EXPECT_GE(r.exit_code, 1) << command << " crashed or hung: " << r.err;
    EXPECT_LE(r.exit_code, 7) << command << ": " << r.err;
    EXPECT_NE((r.out + r.err).find("nested deeper than"), std::string::npos) << command << ": " << r.out << r.err;
  }
}

TEST(HostileServer, AOneMegabyteHeaderIsReportedAsTooLargeWithExitFour) {
  PeerProcess peer("hostile-server.mjs", {"--mode", "huge-header"});
  const CommandResult r = run_command(cli({"tools", peer.url()}), isolated_env("huge-header"));
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("response headers"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Out of memory"), std::string::npos) << r.err;
}

TEST(HostileServer, ToolNamesDescriptionsAndErrorsReachTheTerminalEscaped) {
  PeerProcess peer("hostile-server.mjs", {"--mode", "control-chars"});
  const CommandResult listed = run_command(cli({"tools", "--no-auth", peer.url()}), isolated_env("tools"));
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_FALSE(has_raw_control(listed.out)) << listed.out;
  EXPECT_FALSE(has_raw_control(listed.err)) << listed.err;
  EXPECT_NE(listed.out.find("evil\\x1b[2J\\r\\nname\\x00"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("Clears\\x1b[2J\\x1b]0;pwned\\x07 the screen\\r2026"), std::string::npos) << listed.out;

  const CommandResult called = run_command(cli({"call", "--no-auth", peer.url(), "anything"}), isolated_env("call"));
  EXPECT_EQ(called.exit_code, 5) << called.err;
  EXPECT_FALSE(has_raw_control(called.out)) << called.out;
  EXPECT_FALSE(has_raw_control(called.err)) << called.err;
  EXPECT_NE(called.err.find("denied\\x1b[31m\\r\\n2026"), std::string::npos) << called.err;
}

TEST(HostileServer, JsonOutputStaysExactJson) {
  PeerProcess peer("hostile-server.mjs", {"--mode", "control-chars"});
  const CommandResult r = run_command(cli({"tools", "--json", "--no-auth", peer.url()}), isolated_env("json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(has_raw_control(r.out)) << "nlohmann escapes control characters itself";
  const auto tools = nlohmann::json::parse(r.out);
  EXPECT_EQ(tools.at(0).at("name"), std::string("evil\x1b[2J\r\nname\0", 15));
}

}  // namespace
}  // namespace mcpauth
