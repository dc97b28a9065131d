#include "mcpauth/core/sse_parser.hpp"

#include <algorithm>
#include <charconv>

#include "mcpauth/error.hpp"

namespace mcpauth::core {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool all_ascii_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void SseParser::append_to_line(std::string_view bytes) {
  if (line_.size() + bytes.size() > limits_.max_line_bytes) {
    throw Error(ErrorCode::response_too_large, "a Server-Sent Events line is longer than the limit of " +
                                                   std::to_string(limits_.max_line_bytes) + " bytes");
  }
  line_.append(bytes);
}

void SseParser::feed(std::string_view chunk, const EventHandler& on_event) {
  if (!at_stream_start_) {
    feed_lines(chunk, on_event);
    return;
  }
  // A UTF-8 BOM is skipped only at the very start, and may arrive split across chunks.
  std::string pending = std::move(bom_probe_) + std::string(chunk);
  bom_probe_.clear();
  if (pending.size() < kUtf8Bom.size() && kUtf8Bom.substr(0, pending.size()) == pending) {
    bom_probe_ = std::move(pending);
    return;
  }
  at_stream_start_ = false;
  std::string_view rest = pending;
  if (rest.substr(0, kUtf8Bom.size()) == kUtf8Bom) rest.remove_prefix(kUtf8Bom.size());
  feed_lines(rest, on_event);
}

void SseParser::feed_lines(std::string_view chunk, const EventHandler& on_event) {
  while (!chunk.empty()) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (chunk.front() == '\n') {
        chunk.remove_prefix(1);
        continue;
      }
    }
    const auto end = chunk.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      append_to_line(chunk);
      return;
    }
    std::string_view line_part = chunk.substr(0, end);
    skip_lf_ = chunk[end] == '\r';
    chunk.remove_prefix(end + 1);
    if (line_.empty()) {
      if (line_part.size() > limits_.max_line_bytes) append_to_line(line_part);  // throws
      process_line(line_part, on_event);
    } else {
      append_to_line(line_part);
      std::string line = std::move(line_);
      line_.clear();
      process_line(line, on_event);
    }
  }
}

void SseParser::process_line(std::string_view line, const EventHandler& on_event) {
  if (line.empty()) {
    dispatch(on_event);
    return;
  }
  if (line.front() == ':') return;  // comment, e.g. a keep-alive
  event_started_ = true;

  std::string_view field = line;
  std::string_view value;
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }

  if (field == "data") {
    if (data_.size() + value.size() > limits_.max_event_bytes) {  // data_ ends in the joining '\n'
      throw Error(ErrorCode::response_too_large, "a Server-Sent Event is larger than the limit of " +
                                                     std::to_string(limits_.max_event_bytes) + " bytes");
    }
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) id_buffer_.assign(value);
  } else if (field == "retry") {
    if (all_ascii_digits(value)) {
      unsigned long long ms = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
      if (ec == std::errc{})
        retry_ = std::chrono::milliseconds(static_cast<long long>(std::min<unsigned long long>(ms, 86'400'000ULL)));
    }
  }
  // Any other field name is ignored, as the standard requires.
}

void SseParser::dispatch(const EventHandler& on_event) {
  last_event_id_ = id_buffer_;
  event_started_ = false;
  if (data_.empty()) {
    type_.clear();
    return;
  }
  SseEvent event;
  data_.pop_back();  // the '\n' appended after the last data line
  event.data = std::move(data_);
  if (!type_.empty()) event.type = std::move(type_);
  event.id = last_event_id_;
  data_.clear();
  type_.clear();
  on_event(std::move(event));
}

bool SseParser::has_partial_event() const noexcept {
  return event_started_ || !line_.empty();
}

}  // namespace mcpauth::core
