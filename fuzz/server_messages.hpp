// What the fuzz targets of the mcp layer's readers share: the input is a
// server's answer, parsed as the transport parses it (the bounded JSON-RPC
// parse at the response reader's depth); text that is not JSON-RPC is left
// to fuzz_jsonrpc. Each message goes to `each`, and any exception escaping
// it is a finding (these readers throw only what their target catches).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>
#include <vector>

#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::fuzz {

template <class Each>
void each_server_message(const std::uint8_t* data, std::size_t size, const char* target, Each each) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<core::jsonrpc::Message> messages;
  try {
    messages = core::jsonrpc::parse(text, core::jsonrpc::ParseLimits{1u << 20, 128});
  } catch (const Error&) {
    return;
  }
  try {
    for (auto& message : messages) each(message);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: an exception escaped: %s\n", target, e.what());
    std::abort();
  }
}

}  // namespace mcpauth::fuzz
