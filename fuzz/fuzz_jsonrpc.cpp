// Parses the input as JSON-RPC. Only mcpauth::Error may come out of a
// failure; on success every message must serialise, parse again, and come
// back identical.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/error.hpp"

namespace rpc = mcpauth::core::jsonrpc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const rpc::ParseLimits limits{1u << 20, 64};

  std::vector<rpc::Message> messages;
  try {
    messages = rpc::parse(text, limits);
  } catch (const mcpauth::Error& e) {
    if (e.code() != mcpauth::ErrorCode::protocol) std::abort();  // within max_bytes: never too large
    return 0;
  }
  if (messages.empty()) std::abort();

  for (const auto& message : messages) {
    const std::string serialized = rpc::serialize(message);
    std::vector<rpc::Message> again;
    try {
      again = rpc::parse(serialized, limits);
    } catch (const mcpauth::Error& e) {
      std::fprintf(stderr, "re-parse failed: %s\nserialized: %s\n", e.what(), serialized.c_str());
      std::abort();
    }
    if (again.size() != 1 || again[0].index() != message.index() || rpc::to_json(again[0]) != rpc::to_json(message) ||
        rpc::serialize(again[0]) != serialized || rpc::id_of(again[0]) != rpc::id_of(message) ||
        rpc::is_response(again[0]) != rpc::is_response(message)) {
      std::fprintf(stderr, "round trip changed the message\nserialized: %s\n", serialized.c_str());
      std::abort();
    }
  }
  return 0;
}
