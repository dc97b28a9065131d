// The load driver's upstream: a minimal stateful Streamable HTTP MCP server
// (2025-03-26 / 2025-06-18 / 2025-11-25 sessions) on Boost.Beast, one thread.
//
//   POST /mcp    initialize (a new Mcp-Session-Id), notifications (202),
//                tools/call "echo" (answers at once) and "notify" (first
//                pushes a notifications/message carrying "bench-notify" on
//                the session's GET stream; the result says whether there was
//                one), tools/list, ping
//   GET /mcp     the session's event stream, held open (one per session)
//   DELETE /mcp  ends the session and its stream
//   GET /stats   {"sessions", "streams", "requests"}: how many event streams
//                the client side (a gateway's bridges) holds open right now
//
// It answers as fast as it can, so what a run through the gateway adds is
// the gateway's.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace gateway_load {

inline constexpr const char* kNotifyMarker = "bench-notify";

class Peer;

class Upstream {
 public:
  explicit Upstream(boost::asio::io_context& io);
  ~Upstream();
  std::uint16_t listen(const std::string& host);  // port 0: any free port

  // Peer's side: routing and the session table.
  struct Answer;
  Answer handle(const std::string& method, const std::string& target, const std::string& session,
                const std::string& body, const std::shared_ptr<Peer>& peer);
  void stream_closed(const std::string& session, const Peer* peer);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct Upstream::Answer {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string session;  // Mcp-Session-Id to send
  bool stream = false;  // the request became this session's event stream
};

}  // namespace gateway_load
