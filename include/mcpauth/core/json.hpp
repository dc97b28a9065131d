// The one JSON parser for text that comes from the network or from a file.
// Bounded in bytes and in nesting depth: the depth is counted by the parser's
// callback as each object or array opens, so an over-deep document is refused
// before nlohmann builds anything deeper than the bound (a 120 KB document
// nested 60,000 levels would otherwise exhaust the stack of every recursive
// walk over the tree: copy, dump, comparison).
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mcpauth/error.hpp"

namespace mcpauth::core {

using Json = nlohmann::json;

struct JsonLimits {
  std::size_t max_bytes = 1u << 20;
  std::size_t max_depth = 64;  // objects and arrays open at once; the top level counts as 1
};

// Parses `text` or throws Error(code) saying what is wrong with `where` (a
// phrase such as "the metadata at https://..."): too large, nested too deep,
// or malformed (nlohmann's offset, never the text it last read).
// JsonType is nlohmann::json or nlohmann::ordered_json (files that are edited
// and written back keep their key order).
template <class JsonType = Json>
JsonType parse_json(std::string_view text, const JsonLimits& limits, ErrorCode code, std::string_view where);

// For callers that treat unusable input as absent: the parsed value, or a
// discarded value (is_discarded()) when the text is too large, too deep or
// malformed.
template <class JsonType = Json>
JsonType parse_json_or_discarded(std::string_view text, const JsonLimits& limits) noexcept;

extern template Json parse_json<Json>(std::string_view, const JsonLimits&, ErrorCode, std::string_view);
extern template nlohmann::ordered_json parse_json<nlohmann::ordered_json>(std::string_view, const JsonLimits&,
                                                                          ErrorCode, std::string_view);
extern template Json parse_json_or_discarded<Json>(std::string_view, const JsonLimits&) noexcept;
extern template nlohmann::ordered_json parse_json_or_discarded<nlohmann::ordered_json>(std::string_view,
                                                                                       const JsonLimits&) noexcept;

}  // namespace mcpauth::core
