// The gateway's view of one local HTTP exchange: the request as read (head,
// body, the connection's addresses) and the response a handler builds (a
// body, or a chunked stream written through a sink). Plain types with no
// HTTP library in them: the handlers see these, http_server.cpp does the
// protocol (docs/architecture.md, "Server library and threading model").
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpauth::gateway::http {

// Header fields in order of arrival; names compare case-insensitively.
using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;                // "GET", "POST", ...
  std::string target;                // as sent: path and query
  std::string path;                  // the target without its query
  Fields params;                     // the query's fields, decoded
  Fields headers;                    //
  std::string body;                  // read whole, within the route's cap
  std::vector<std::string> matches;  // the route's regex: [0] the path, then its groups
  std::string remote_addr;           // numeric
  int remote_port = 0;
  std::string local_addr;
  int local_port = 0;

  bool has_header(std::string_view name) const;
  // The first value of `name`, or "".
  std::string get_header_value(std::string_view name) const;
  // The first value of the query field `name`, or "".
  std::string get_param_value(std::string_view name) const;
};

// Where a streamed response's chunks go; write() is false once the client is gone.
class DataSink {
 public:
  virtual ~DataSink() = default;
  virtual bool write(const char* data, std::size_t size) = 0;
};

// Called again and again; writes through the sink and returns true to go on,
// false to end the stream.
using ContentProvider = std::function<bool(DataSink&)>;
// Called once when a stream ends, however it ended.
using StreamDone = std::function<void()>;

struct Response {
  int status = 200;
  Fields headers;
  std::string body;
  ContentProvider provider;  // set: a chunked stream instead of `body`
  StreamDone stream_done;

  // Replaces any field of that name.
  void set_header(const std::string& name, const std::string& value);
  bool has_header(std::string_view name) const;
  std::string get_header_value(std::string_view name) const;
  void set_content(std::string content, const std::string& content_type);
  void set_content(const char* data, std::size_t size, const std::string& content_type);
  void set_chunked_content_provider(const std::string& content_type, ContentProvider content,
                                    StreamDone done = nullptr);
};

// Field-name comparison (RFC 9110 section 5.1: case-insensitive).
bool same_field_name(std::string_view a, std::string_view b);

}  // namespace mcpauth::gateway::http
