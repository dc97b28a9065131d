// `mcpauth proxy` between a stdio host of the handshake era (2025-11-25:
// initialize, server requests) and the v2 TypeScript SDK's server speaking
// only 2026-07-28: the proxy discovers the server, answers the host's
// initialize, unpacks the server's input-required results (SEP-2322)
// into elicitation and roots requests to the host, carries the server's
// subscriptions/listen notifications to the host as list_changed, and turns
// the host's cancellations into the modern era's (a closed POST).
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "mcpauth/core/jsonrpc.hpp"
#include "peer_process.hpp"
#include "stdio_host_lines.hpp"

namespace mcpauth {
namespace {

using testing::cli;
using testing::InteractiveCommand;
using testing::kInitialized;
using testing::PeerProcess;
using testing::tool_call;

const std::string kHostInitialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{"elicitation":{},"roots":{}},"clientInfo":{"name":"host","version":"1"}}})"
    "\n";

// The host's answer to the proxy's request that `pattern` finds on stdout (its id captured).
void answer_request(InteractiveCommand& proxy, const std::string& method, const std::string& result) {
  const std::string id = proxy.wait_for_stdout(R"(\{"id":("[^"]+"),"jsonrpc":"2.0","method":")" + method + "\"");
  proxy.write_stdin(R"({"jsonrpc":"2.0","id":)" + id + R"(,"result":)" + result + "}\n");
}

TEST(ProxyEras, AHandshakeHostUsesAServerThatSpeaksOnly20260728) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  InteractiveCommand proxy(cli({"proxy", peer.url()}));
  proxy.write_stdin(kHostInitialize);
  const std::string initialized = proxy.wait_for_stdout(R"((\{[^\n]*"id":1,[^\n]*\}))");
  const auto answer = std::get<core::jsonrpc::Response>(core::jsonrpc::parse(initialized).at(0));
  EXPECT_EQ(answer.result["protocolVersion"], "2025-11-25") << initialized;
  EXPECT_EQ(answer.result["serverInfo"]["name"], "mcpauth-modern-peer") << initialized;
  EXPECT_EQ(answer.result["instructions"], "mcpauth modern test peer") << initialized;
  EXPECT_TRUE(answer.result["capabilities"].contains("tools")) << initialized;
  proxy.write_stdin(kInitialized);

  proxy.write_stdin(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})"
                    "\n");
  const std::string listed = proxy.wait_for_stdout(R"((\{[^\n]*"id":2,[^\n]*\}))");
  EXPECT_NE(listed.find(R"("name":"greet")"), std::string::npos) << listed;
  EXPECT_EQ(listed.find("resultType"), std::string::npos) << listed;

  proxy.write_stdin(R"({"jsonrpc":"2.0","id":"p","method":"ping"})"
                    "\n");
  proxy.wait_for_stdout(R"(\{"id":"p","jsonrpc":"2.0","result":\{\}\})");

  proxy.write_stdin(tool_call(3, "add", R"({"a":2,"b":3})"));
  proxy.wait_for_stdout(R"("id":3,"jsonrpc":"2.0","result":\{[^\n]*"content":\[\{"text":"5")");

  // Two rounds of input (a name, then the roots), each a request to the host.
  proxy.write_stdin(tool_call(4, "greet", "{}"));
  answer_request(proxy, "elicitation/create", R"({"action":"accept","content":{"name":"Ada"}})");
  answer_request(proxy, "roots/list", R"({"roots":[{"uri":"file:///work","name":"work"}]})");
  proxy.wait_for_stdout(R"("id":4,[^\n]*hello Ada in file:///work)");

  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) EXPECT_NO_THROW(core::jsonrpc::parse(line)) << line;
  EXPECT_EQ(r.out.find("input_required"), std::string::npos) << r.out;
}

TEST(ProxyEras, AHostThatRefusesTheInputGetsTheCallFailed) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  InteractiveCommand proxy(cli({"proxy", peer.url()}));
  proxy.write_stdin(kHostInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(tool_call(2, "greet", "{}"));
  const std::string id = proxy.wait_for_stdout(R"(\{"id":("[^"]+"),"jsonrpc":"2.0","method":"elicitation/create")");
  proxy.write_stdin(R"({"jsonrpc":"2.0","id":)" + id +
                    R"(,"error":{"code":-32601,"message":"not here"}})"
                    "\n");
  proxy.wait_for_stdout(R"(\{"error":\{"code":-32601,[^\n]*"id":2)");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(ProxyEras, TheServersListChangedReachesTheHostFromTheListenStream) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  InteractiveCommand proxy(cli({"proxy", peer.url()}));
  proxy.write_stdin(kHostInitialize);
  proxy.wait_for_stdout(R"("id":1,[^\n]*"tools":\{"listChanged":true\})");
  proxy.write_stdin(kInitialized);  // the proxy opens subscriptions/listen before it reads on
  proxy.write_stdin(tool_call(2, "touch-tools", "{}"));
  proxy.wait_for_stdout(R"(\{"jsonrpc":"2.0","method":"notifications/tools/list_changed"(,"params":\{\})?\})");
  proxy.wait_for_stdout(R"("id":2,[^\n]*touched)");
  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("subscriptions/"), std::string::npos) << "the listen stream's own messages stay in the proxy";
  EXPECT_EQ(r.out.find("subscriptionId"), std::string::npos) << r.out;
}

TEST(ProxyEras, AHostsCancellationClosesThePostAndEndsAWaitForInput) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  InteractiveCommand proxy(cli({"proxy", peer.url()}));
  proxy.write_stdin(kHostInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  proxy.write_stdin(kInitialized);

  // A call the server is working on: the POST is closed, which the server sees as its cancellation.
  proxy.write_stdin(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"wait","arguments":{"ms":60000},)"
                    R"("_meta":{"progressToken":"w"}}})"
                    "\n");
  proxy.wait_for_stdout(R"("method":"notifications/progress","params":\{[^\n]*"progressToken":"w")");
  proxy.write_stdin(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}})"
                    "\n");
  proxy.write_stdin(tool_call(3, "cancelled-waits", R"({"atLeast":1})"));
  proxy.wait_for_stdout(R"("id":3,[^\n]*cancelled 1)");

  // A call waiting for the host's input: the wait ends, and the input request is cancelled too.
  proxy.write_stdin(tool_call(4, "greet", "{}"));
  const std::string asked = proxy.wait_for_stdout(R"(\{"id":("[^"]+"),"jsonrpc":"2.0","method":"elicitation/create")");
  proxy.write_stdin(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4,"reason":"no"}})"
                    "\n");
  proxy.wait_for_stdout(R"("method":"notifications/cancelled","params":\{"reason":"no","requestId":)" + asked + "\\}");
  proxy.write_stdin(tool_call(5, "add", R"({"a":1,"b":1})"));
  proxy.wait_for_stdout(R"("id":5,[^\n]*"text":"2")");

  const auto r = proxy.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(R"("id":2,)"), std::string::npos) << "a cancelled request is not answered: " << r.out;
  EXPECT_EQ(r.out.find(R"("id":4,)"), std::string::npos) << r.out;
}

// --protocol legacy: the host's handshake passes through as it is, refusal included.
TEST(ProxyEras, LegacyNeverTranslates) {
  PeerProcess peer("modern/modern-server.mjs", {"--modern-only"});
  InteractiveCommand proxy(cli({"proxy", peer.url(), "--protocol", "legacy"}));
  proxy.write_stdin(kHostInitialize);
  proxy.wait_for_stdout(R"(\{"error":\{"code":-32022,[^\n]*"id":1)");
  EXPECT_EQ(proxy.finish().exit_code, 0);
}

}  // namespace
}  // namespace mcpauth
