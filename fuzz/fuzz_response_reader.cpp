// Drives ResponseReader like an HTTP client would. Byte 0 picks the status
// and Content-Type, byte 1 the chunk size; the rest is the body. Only
// mcpauth::Error may escape, and the documented bounds must hold.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mcp/response_reader.hpp"
#include "mcpauth/error.hpp"

namespace {

using mcpauth::mcp::detail::BodyKind;
using mcpauth::mcp::detail::ResponseReader;
namespace rpc = mcpauth::core::jsonrpc;

constexpr std::size_t kMaxBytes = 8192;

struct Shape {
  int status;
  const char* content_type;
};
constexpr Shape kShapes[] = {
    {200, "application/json"},
    {200, "text/event-stream"},
    {200, "Text/Event-Stream; charset=utf-8"},
    {200, "application/json; charset=utf-8"},
    {200, "text/html"},
    {202, nullptr},
    {400, "application/json"},
    {500, "text/plain"},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const Shape& shape = kShapes[data[0] % std::size(kShapes)];
  const std::size_t chunk = 1 + data[1];
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);

  std::size_t delivered = 0;
  ResponseReader reader(
      "https://fuzz.example/mcp", kMaxBytes, [&](rpc::Message&&) { ++delivered; },
      [&](mcpauth::core::SseEvent&& e) {
        if (e.type == "message" || e.data.size() > kMaxBytes) std::abort();
      });
  reader.stop_after_response(rpc::Id(1));

  mcpauth::net::HttpHeaders headers;
  if (shape.content_type) headers.add("Content-Type", shape.content_type);
  try {
    if (!reader.on_response_start(shape.status, headers)) return 0;
    for (std::size_t pos = 0; pos < body.size(); pos += chunk) {
      if (!reader.on_body(body.substr(pos, chunk))) break;
    }
    reader.finish();
  } catch (const mcpauth::Error& e) {
    const auto code = e.code();
    if (code != mcpauth::ErrorCode::protocol && code != mcpauth::ErrorCode::response_too_large) std::abort();
    return 0;
  }
  if (!reader.ok() && (reader.body_kind() != BodyKind::other || delivered != 0)) std::abort();
  if (reader.error_body().size() > 16 * 1024) std::abort();
  if (reader.answered() && delivered == 0) std::abort();
  return 0;
}
