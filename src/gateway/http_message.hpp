// The gateway's view of one local HTTP exchange: the request as read (head,
// body, the connection's addresses) and the response a handler builds (a
// body, or a chunked stream its source pushes). Plain types with no
// HTTP library in them: the handlers see these, http_server.cpp does the
// protocol (docs/architecture.md, "Server library and threading model").
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpauth::gateway::http {

// Header fields in order of arrival; names compare case-insensitively.
using Fields = std::vector<std::pair<std::string, std::string>>;

// Facts about a connection's peer that cannot change while it is open,
// found by a handler once and kept for the connection's later requests.
struct ConnectionMemo {
  // Whether the local account that opened the connection is the gateway's
  // own: -1 not asked yet, else the screen's answer (a platform::PeerOwner).
  // A socket's owner is fixed when it is made, so one question per
  // connection is enough (the question costs four system calls).
  std::atomic<int> peer_owner{-1};
};

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
  std::shared_ptr<ConnectionMemo> connection;  // shared by the connection's requests; never null from the server
  // Who the request acts for, set by the gateway's screen when its store has
  // users (nullopt: the gateway's one user, as before users existed).
  struct Caller {
    std::string name;  // the account of every grant the request uses
    bool admin = false;
  };
  std::optional<Caller> caller;

  bool has_header(std::string_view name) const;
  // The first value of `name`, or "".
  std::string get_header_value(std::string_view name) const;
  // The first value of the query field `name`, or "".
  std::string get_param_value(std::string_view name) const;
};

// The bytes of a streamed response (Server-Sent Events), pushed: the
// connection writes what the source has whenever the source wakes it, so an
// open stream holds a socket and this object, no thread. The connection calls
// open(), take() and closed() on its I/O thread, one call at a time; none may
// block.
class StreamSource {
 public:
  // Asks the connection to call take() soon. Callable from any thread, at any
  // time: once the stream has ended it does nothing.
  using Wake = std::function<void()>;
  struct Chunk {
    std::string data;  // to write now; empty: nothing yet
    bool end = false;  // the stream ends after `data`
  };

  virtual ~StreamSource() = default;
  // Once, when the response head is written; take() follows at once.
  virtual void open(Wake wake) = 0;
  // After open() and after each wake, once the previous bytes are written.
  virtual Chunk take() = 0;
  // What to write when the stream has been idle for the server's keep-alive
  // interval (an SSE comment), so proxies and clients do not time it out; "" for nothing.
  virtual std::string keepalive() { return {}; }
  // Once, however the stream ended: the source's end, the client gone (a
  // failed write, its FIN), the server stopping; also when the connection
  // closed before open() (then open() is never called).
  virtual void closed() = 0;
};

struct Response;

// How a handler that answers later gives its response (Response::defer()):
// called once, from any thread; later calls do nothing. Dropped without a
// call, it answers 500 (a request is never left without an answer).
class Reply {
 public:
  using Sink = std::function<void(Response&&)>;
  Reply() = default;
  explicit Reply(Sink sink);
  void operator()(Response res) const;
  explicit operator bool() const { return state_ != nullptr; }

 private:
  struct State;
  std::shared_ptr<State> state_;
};

struct Response {
  int status = 200;
  Fields headers;
  std::string body;
  std::shared_ptr<StreamSource> stream;  // set: a chunked stream instead of `body`; the connection closes after it

  // Replaces any field of that name.
  void set_header(const std::string& name, const std::string& value);
  bool has_header(std::string_view name) const;
  std::string get_header_value(std::string_view name) const;
  void set_content(std::string content, const std::string& content_type);
  void set_content(const char* data, std::size_t size, const std::string& content_type);
  void set_stream(const std::string& content_type, std::shared_ptr<StreamSource> source);

  // For a handler that answers later without holding its thread (it waits
  // for a remote answer on an event loop): the returned Reply carries the
  // response; this one is not written. The connection meanwhile holds its
  // socket and no thread.
  Reply defer();
  bool deferred() const { return deferred_; }
  // Set by the connection before the handler runs: where a deferred response goes.
  void set_reply_sink(Reply::Sink sink) { sink_ = std::move(sink); }

 private:
  Reply::Sink sink_;
  bool deferred_ = false;
};

// Field-name comparison (RFC 9110 section 5.1: case-insensitive).
bool same_field_name(std::string_view a, std::string_view b);

}  // namespace mcpauth::gateway::http
