// What a stdio host writes to `mcpauth proxy`: its initialize (a 2025-11-25
// handshake), notifications/initialized, tools/list and tools/call, one
// JSON-RPC message per line, as the proxy tests send them.
#pragma once

#include <string>

#include "peer_process.hpp"

namespace mcpauth::testing {

inline const std::string kInitialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},)"
    R"("clientInfo":{"name":"host","version":"1"}}})"
    "\n";
inline const std::string kInitialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
                                        "\n";
inline const std::string kToolsList = R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})"
                                      "\n";

inline std::string tool_call(int id, const std::string& tool, const std::string& arguments) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"tools/call","params":{"name":")" + tool +
         R"(","arguments":)" + arguments + "}}\n";
}

// The handshake, then tools/list (id 2): the proxy's answer to it, one line.
inline std::string handshake_and_list_tools(InteractiveCommand& proxy) {
  proxy.write_stdin(kInitialize);
  proxy.wait_for_stdout(R"("id":1,)");
  proxy.write_stdin(kInitialized);
  proxy.write_stdin(kToolsList);
  return proxy.wait_for_stdout(R"((\{[^\n]*"id":2,[^\n]*\}))");
}

}  // namespace mcpauth::testing
