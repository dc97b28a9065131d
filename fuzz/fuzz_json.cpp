// core::parse_json under libFuzzer. Only mcpauth::Error with the caller's code
// may escape; an accepted value is never nested deeper than the bound, its
// dump parses back to the same value, and the discarding variant agrees.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpauth/core/json.hpp"
#include "mcpauth/error.hpp"

using mcpauth::core::Json;
using mcpauth::core::JsonLimits;

namespace {

constexpr JsonLimits kLimits{64 * 1024, 16};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_json: %s\n", what);
  std::abort();
}

// Iterative, so the oracle itself cannot overflow on a wrong answer.
std::size_t depth_of(const Json& root) {
  std::size_t deepest = 0;
  std::vector<std::pair<const Json*, std::size_t>> pending{{&root, root.is_structured() ? 1 : 0}};
  while (!pending.empty()) {
    const auto [value, depth] = pending.back();
    pending.pop_back();
    deepest = std::max(deepest, depth);
    if (!value->is_structured()) continue;
    for (const auto& child : *value) pending.emplace_back(&child, child.is_structured() ? depth + 1 : depth);
  }
  return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Json discarded_or_value = mcpauth::core::parse_json_or_discarded(text, kLimits);
  try {
    const Json value = mcpauth::core::parse_json(text, kLimits, mcpauth::ErrorCode::protocol, "the input");
    if (discarded_or_value.is_discarded()) fail("the discarding variant refused what parse_json accepted");
    if (depth_of(value) > kLimits.max_depth) fail("accepted a value nested deeper than the bound");
    if (Json::parse(value.dump()) != value) fail("the dump does not parse back to the same value");
  } catch (const mcpauth::Error& e) {
    if (e.code() != mcpauth::ErrorCode::protocol) fail("an Error with another code than the caller's");
    if (!discarded_or_value.is_discarded()) fail("the discarding variant accepted what parse_json refused");
  }
  return 0;
}
