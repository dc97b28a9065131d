// `mcpauth probe` with --header, --transport and --allow-http, which mean
// what they mean for the other commands, against the peers of tests/peers.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "peer_process.hpp"

namespace mcpauth {
namespace {

using Json = nlohmann::json;
using testing::cli;
using testing::CommandResult;
using testing::PeerProcess;
using testing::run_command;

Json probe_json(const CommandResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const Json doc = Json::parse(r.out, nullptr, false);
  EXPECT_TRUE(doc.is_object()) << r.out;
  return doc.is_object() ? doc : Json::object();
}

TEST(CliProbeOptions, HeaderIsSentToTheServerAndExpandsFromTheEnvironment) {
  PeerProcess peer("streamable-server.mjs", {"--require-header", "Authorization: Bearer t0ken-42"});
  EXPECT_EQ(probe_json(run_command(cli({"probe", peer.url(), "--json"})))["needs"], "static_token");

  const Json accepted = probe_json(run_command(
      cli({"probe", peer.url(), "--json", "-H", "Authorization: Bearer ${MY_TOKEN}"}), {"MY_TOKEN=t0ken-42"}));
  EXPECT_EQ(accepted["needs"], "none") << accepted.dump();
  EXPECT_EQ(accepted["transport"], "streamable-http");

  const CommandResult wrong = run_command(cli({"probe", peer.url(), "--header", "Authorization: Bearer nope"}));
  EXPECT_EQ(wrong.exit_code, 0) << wrong.err;
  EXPECT_NE(wrong.out.find("answers HTTP 401"), std::string::npos) << wrong.out;
  EXPECT_EQ(wrong.out.find("nope"), std::string::npos) << "a header value is never printed";

  const CommandResult bad = run_command(cli({"probe", peer.url(), "-H", "no colon"}));
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

TEST(CliProbeOptions, TransportChoosesWhichRequestsAreTried) {
  PeerProcess streamable("streamable-server.mjs");
  PeerProcess sse("sse-server.mjs");

  // auto (the default) finds either.
  EXPECT_EQ(probe_json(run_command(cli({"probe", sse.url("/sse"), "--json"})))["transport"], "sse");
  // http: the legacy GET is not tried, and the error says why.
  const CommandResult http_on_sse = run_command(cli({"probe", sse.url("/sse"), "--transport", "http"}));
  EXPECT_EQ(http_on_sse.exit_code, 4) << http_on_sse.err;
  EXPECT_NE(http_on_sse.err.find("not a Streamable HTTP endpoint (--transport http"), std::string::npos)
      << http_on_sse.err;
  EXPECT_EQ(probe_json(run_command(cli({"probe", streamable.url(), "--json", "-t", "http-only"})))["transport"],
            "streamable-http");
  // sse: no POST is sent; a Streamable HTTP endpoint does not answer the legacy GET with a stream.
  EXPECT_EQ(probe_json(run_command(cli({"probe", sse.url("/sse"), "--json", "-t", "sse"})))["transport"], "sse");
  const CommandResult sse_on_streamable = run_command(cli({"probe", streamable.url(), "--transport", "sse-only"}));
  EXPECT_NE(sse_on_streamable.exit_code, 0) << sse_on_streamable.out;
  EXPECT_EQ(sse_on_streamable.err.find("the POST answered"), std::string::npos)
      << "no POST was sent: " << sse_on_streamable.err;
  EXPECT_NE(sse_on_streamable.err.find("--transport sse: no Streamable HTTP POST was sent"), std::string::npos)
      << sse_on_streamable.err;

  EXPECT_EQ(run_command(cli({"probe", streamable.url(), "--transport", "carrier-pigeon"})).exit_code, 2);
}

// Plain http off loopback would carry the probe's headers in clear: refused
// unless the user says it is a test server, as for the other commands.
TEST(CliProbeOptions, PlainHttpOffLoopbackNeedsAllowHttp) {
  CommandResult r = run_command(cli({"probe", "http://192.0.2.1:9/mcp"}));
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("--allow-http"), std::string::npos) << r.err;
  // Allowed, it gets as far as connecting (TEST-NET-1: nothing answers).
  r = run_command(cli({"probe", "http://192.0.2.1:9/mcp", "--allow-http", "--timeout", "1"}));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.err.find("--allow-http"), std::string::npos) << r.err;
  // Loopback needs no opt-in.
  PeerProcess peer("streamable-server.mjs");
  EXPECT_EQ(probe_json(run_command(cli({"probe", peer.url(), "--json"})))["needs"], "none");
}

}  // namespace
}  // namespace mcpauth
