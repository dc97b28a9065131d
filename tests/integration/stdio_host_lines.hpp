// What a stdio host writes to `mcpauth proxy` first: its initialize (a
// 2025-11-25 handshake) and notifications/initialized, one JSON-RPC message
// per line, as the proxy tests send them.
#pragma once

#include <string>

namespace mcpauth::testing {

inline const std::string kInitialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},)"
    R"("clientInfo":{"name":"host","version":"1"}}})"
    "\n";
inline const std::string kInitialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
                                        "\n";

}  // namespace mcpauth::testing
