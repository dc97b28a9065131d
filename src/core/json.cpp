#include "mcpauth/core/json.hpp"

#include <string>

namespace mcpauth::core {
namespace {

struct TooDeep {};

// nlohmann's SAX parser keeps its own stack (no recursion) and its destructor
// flattens children onto a heap stack, so the only recursion left is in the
// tree it builds; refusing at object_start/array_start keeps that tree shallow.
template <class JsonType>
JsonType parse_bounded(std::string_view text, std::size_t max_depth) {
  using Event = typename JsonType::parse_event_t;
  const typename JsonType::parser_callback_t depth_guard = [max_depth](int depth, Event event, JsonType&) {
    // `depth` is the number of containers already open around this one.
    if ((event == Event::object_start || event == Event::array_start) && static_cast<std::size_t>(depth) >= max_depth) {
      throw TooDeep{};
    }
    return true;
  };
  return JsonType::parse(text.begin(), text.end(), depth_guard);
}

}  // namespace

template <class JsonType>
JsonType parse_json(std::string_view text, const JsonLimits& limits, ErrorCode code, std::string_view where) {
  const std::string subject(where);
  if (text.size() > limits.max_bytes) {
    throw Error(code, subject + " is larger than the limit of " + std::to_string(limits.max_bytes) + " bytes (" +
                          std::to_string(text.size()) + " bytes)");
  }
  try {
    return parse_bounded<JsonType>(text, limits.max_depth);
  } catch (const TooDeep&) {
    throw Error(code, subject + " is JSON nested deeper than " + std::to_string(limits.max_depth) + " levels");
  } catch (const typename JsonType::parse_error& e) {
    // nlohmann's message names the offset and what it expected; the part
    // quoting the text it last read is dropped (it may be part of a secret).
    std::string detail = e.what();
    if (const auto at = detail.find("parse error"); at != std::string::npos) detail.erase(0, at);
    if (const auto quote = detail.find("; last read"); quote != std::string::npos) detail.erase(quote);
    throw Error(code, subject + " is not valid JSON (" + detail + "; byte " + std::to_string(e.byte) + ")");
  } catch (const typename JsonType::exception&) {  // out_of_range for 1e400
    throw Error(code, subject + " is not valid JSON (a number out of range)");
  }
}

template <class JsonType>
JsonType parse_json_or_discarded(std::string_view text, const JsonLimits& limits) noexcept {
  if (text.size() > limits.max_bytes) return JsonType(JsonType::value_t::discarded);
  try {
    return parse_bounded<JsonType>(text, limits.max_depth);
  } catch (...) {
    return JsonType(JsonType::value_t::discarded);
  }
}

template Json parse_json<Json>(std::string_view, const JsonLimits&, ErrorCode, std::string_view);
template nlohmann::ordered_json parse_json<nlohmann::ordered_json>(std::string_view, const JsonLimits&, ErrorCode,
                                                                   std::string_view);
template Json parse_json_or_discarded<Json>(std::string_view, const JsonLimits&) noexcept;
template nlohmann::ordered_json parse_json_or_discarded<nlohmann::ordered_json>(std::string_view,
                                                                                const JsonLimits&) noexcept;

}  // namespace mcpauth::core
