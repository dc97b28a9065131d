// A streaming, sans-I/O Server-Sent Events parser (WHATWG HTML "event stream
// interpretation"). Feed it bytes in chunks of any size, exactly as they come
// off the network; it calls back once per complete event. It keeps memory
// bounded: a line or an event larger than the limits is an error, not a
// growing buffer.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mcpauth::core {

struct SseEvent {
  std::string type = "message";  // the `event:` field, "message" when absent
  std::string data;              // `data:` lines joined with '\n'
  std::string id;                // the last event id in force when this event was dispatched
};

struct SseLimits {
  std::size_t max_line_bytes = 16u << 20;   // one line, field name included
  std::size_t max_event_bytes = 16u << 20;  // the data of one event
};

class SseParser {
 public:
  using EventHandler = std::function<void(SseEvent&&)>;

  explicit SseParser(SseLimits limits = {}) : limits_(limits) {}

  // Parses `chunk` and calls `on_event` for every event it completes.
  // Throws mcpauth::Error(response_too_large) when a bound is exceeded; the
  // parser must not be fed again after that.
  void feed(std::string_view chunk, const EventHandler& on_event);

  // True when bytes of an unfinished event are buffered. At the end of a
  // stream this means the stream was cut in the middle of an event (which
  // the standard says to discard).
  bool has_partial_event() const noexcept;

  // The id of the last event seen (`id:` field), for Last-Event-ID.
  const std::string& last_event_id() const noexcept { return last_event_id_; }

  // The most recent valid `retry:` field, if any.
  std::optional<std::chrono::milliseconds> retry() const noexcept { return retry_; }

 private:
  void feed_lines(std::string_view chunk, const EventHandler& on_event);
  void process_line(std::string_view line, const EventHandler& on_event);
  void dispatch(const EventHandler& on_event);
  void append_to_line(std::string_view bytes);

  SseLimits limits_;
  std::string line_;             // bytes of the current, unterminated line
  bool skip_lf_ = false;         // the previous chunk ended in CR: a leading LF belongs to it
  bool at_stream_start_ = true;  // a UTF-8 BOM is only skipped here
  std::string bom_probe_;        // first bytes, while they could still be a BOM
  bool event_started_ = false;   // some field of the current event was seen
  std::string data_;
  std::string type_;
  std::string id_buffer_;
  std::string last_event_id_;
  std::optional<std::chrono::milliseconds> retry_;
};

}  // namespace mcpauth::core
