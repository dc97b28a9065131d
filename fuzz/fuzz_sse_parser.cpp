// Feeds an event stream whole, split in two at a position taken from the
// first input byte, and (for short inputs) byte by byte. Every way of
// chunking must give the same events, the same final state, and the same
// error: the parser must not depend on how the network cut the stream.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/core/sse_parser.hpp"
#include "mcpauth/error.hpp"

namespace {

using mcpauth::core::SseEvent;
using mcpauth::core::SseLimits;
using mcpauth::core::SseParser;

// Small limits so that the bounds are reached too.
constexpr SseLimits kLimits{2048, 4096};

struct Outcome {
  std::vector<SseEvent> events;
  std::optional<mcpauth::ErrorCode> error;
  std::string last_event_id;
  std::optional<long long> retry_ms;
  bool partial = false;
};

bool same(const Outcome& a, const Outcome& b) {
  if (a.events.size() != b.events.size()) return false;
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const auto& x = a.events[i];
    const auto& y = b.events[i];
    if (x.type != y.type || x.data != y.data || x.id != y.id) return false;
  }
  if (a.error != b.error) return false;
  if (a.error) return true;  // the parser must not be used after an error
  return a.last_event_id == b.last_event_id && a.retry_ms == b.retry_ms && a.partial == b.partial;
}

Outcome run(const std::vector<std::string_view>& chunks) {
  Outcome out;
  SseParser parser(kLimits);
  try {
    for (auto chunk : chunks) {
      parser.feed(chunk, [&](SseEvent&& e) {
        if (e.data.size() > kLimits.max_event_bytes) std::abort();
        out.events.push_back(std::move(e));
      });
    }
  } catch (const mcpauth::Error& e) {
    if (e.code() != mcpauth::ErrorCode::response_too_large) std::abort();
    out.error = e.code();
    return out;
  }
  out.last_event_id = parser.last_event_id();
  if (parser.retry()) out.retry_ms = parser.retry()->count();
  out.partial = parser.has_partial_event();
  return out;
}

void check(const Outcome& whole, const Outcome& other, const char* how) {
  if (!same(whole, other)) {
    std::fprintf(stderr, "SSE parser: feeding %s differs from feeding whole (%zu vs %zu events)\n", how,
                 whole.events.size(), other.events.size());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t cut = stream.size() * data[0] / 255;

  const Outcome whole = run({stream});
  check(whole, run({stream.substr(0, cut), stream.substr(cut)}), "in two chunks");
  if (stream.size() <= 512) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < stream.size(); ++i) bytes.push_back(stream.substr(i, 1));
    check(whole, run(bytes), "byte by byte");
  }
  return 0;
}
