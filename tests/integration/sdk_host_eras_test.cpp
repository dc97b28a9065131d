// A real host of the handshake era — the 1.x TypeScript SDK's Client
// (tests/peers/sdk-host.mjs, offering 2025-11-25) — to the v2 SDK's server
// speaking only 2026-07-28 (tests/peers/modern), through `mcpauth proxy`
// (the host spawns it as its stdio server) and through the gateway (the
// host's Streamable HTTP transport at the gateway's local endpoint). The
// host prints what it saw as one JSON object; the tests read it.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gateway_harness.hpp"
#include "peer_process.hpp"

namespace mcpauth {
namespace {

using testing::cli;
using testing::CommandResult;
using testing::GatewayProcess;
using testing::node_binary;
using testing::PeerProcess;
using testing::run_command;
using testing::write_config;

// Runs the SDK host with `target` (its --stdio command or its --http URL) and returns its report.
nlohmann::json run_sdk_host(std::vector<std::string> target) {
  std::vector<std::string> argv = {node_binary(), std::string(MCPAUTH_PEERS_DIR) + "/sdk-host.mjs"};
  argv.insert(argv.end(), target.begin(), target.end());
  const CommandResult r = run_command(argv, {}, std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 0) << r.out << "\n" << r.err;
  const auto line = r.out.find('{');
  if (line == std::string::npos) {
    ADD_FAILURE() << "the host printed no report: " << r.out << "\n" << r.err;
    return nlohmann::json::object();
  }
  try {
    return nlohmann::json::parse(r.out.substr(line));
  } catch (const nlohmann::json::exception& e) {
    ADD_FAILURE() << "the host's report is not JSON (" << e.what() << "): " << r.out;
    return nlohmann::json::object();
  }
}

// What the host must have seen, whichever way it reached the server.
void expect_everything_translated(const nlohmann::json& report) {
  EXPECT_EQ(report.value("errors", nlohmann::json::array()), nlohmann::json::array()) << report.dump();
  EXPECT_EQ(report.value("server", ""), "mcpauth-modern-peer") << report.dump();
  EXPECT_EQ(report.value("toolsListChanged", false), true) << report.dump();
  const nlohmann::json tools = report.value("tools", nlohmann::json::array());
  for (const char* name : {"add", "greet", "sample", "progress", "wait", "touch-tools"}) {
    EXPECT_NE(std::find(tools.begin(), tools.end(), name), tools.end()) << name << " in " << tools.dump();
  }
  EXPECT_EQ(report.value("sample", ""), "sampled: model says hi") << report.dump();
  EXPECT_EQ(report.value("greet", ""), "hello Ada in file:///work") << report.dump();
  EXPECT_EQ(report["progress"].value("text", ""), "done 3") << report.dump();
  EXPECT_EQ(report["progress"].value("seen", nlohmann::json::array()), (nlohmann::json{1, 2, 3})) << report.dump();
  EXPECT_EQ(report["cancel"].value("outcome", ""), "aborted") << report.dump();
  EXPECT_EQ(report["cancel"].value("waits", ""), "cancelled 1")
      << "the server saw the call cancelled: " << report.dump();
  EXPECT_EQ(report.value("listChanged", false), true) << report.dump();
  EXPECT_EQ(report.value("asked", nlohmann::json::array()),
            (nlohmann::json{"sampling/createMessage", "elicitation/create", "roots/list"}))
      << report.dump();
}

TEST(SdkHostEras, The1xClientThroughTheProxyUsesAServerThatSpeaksOnly20260728) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  std::vector<std::string> target = {"--stdio"};
  for (const auto& arg : cli({"proxy", peer.url()})) target.push_back(arg);
  const nlohmann::json report = run_sdk_host(target);
  EXPECT_EQ(report.value("protocolVersion", nlohmann::json()), nlohmann::json()) << "stdio has no version header";
  expect_everything_translated(report);
}

TEST(SdkHostEras, The1xClientThroughTheGatewayUsesAServerThatSpeaksOnly20260728) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  GatewayProcess gw(write_config("eras-sdk-host", {{"modern", {{"url", peer.url()}}}}));
  const nlohmann::json report = run_sdk_host({"--http", gw.url("/servers/modern/mcp")});
  EXPECT_EQ(report.value("protocolVersion", ""), "2025-11-25") << report.dump();
  expect_everything_translated(report);
}

}  // namespace
}  // namespace mcpauth
