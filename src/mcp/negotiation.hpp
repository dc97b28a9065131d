// How a client and a server come to agree on a transport, a protocol version
// and an era, as a sans-I/O machine: the driver (Session, Bridge) asks
// next() what to do, does it, and tells the machine how it went. Every
// fallback of the protocol is decided here, none by the drivers:
//
// - transports: `automatic` tries Streamable HTTP, then legacy HTTP+SSE when
//   the endpoint answers 400/404/405 (never 401/403: authorization, not
//   transport); `sse_first` tries legacy SSE, then Streamable HTTP on those
//   statuses; a server remembered as legacy SSE is opened that way first;
// - eras: a modern version is offered with server/discover; its result, or
//   an UnsupportedProtocolVersion error listing the server's versions,
//   settles the version (modern: discover again in it; handshake-era:
//   initialize with it); any other JSON-RPC error or a 4xx means a
//   handshake-era server, which gets initialize with the newest handshake
//   version offered; a server remembered as speaking the handshake gets it
//   at once, and is found the usual way if it changed;
// - a new session for one the server forgot repeats what was agreed;
// - the Bridge's pass-through: only the transport is the machine's, the
//   downstream client negotiates with its own messages; except that a
//   handshake-era client's initialize to a server that speaks only the
//   modern era (it refuses the initialize with UnsupportedProtocolVersion
//   naming modern versions, or is remembered as modern) leads to
//   server/discover, after which the driver answers the client's initialize
//   itself and translates (era() modern).
//
// Not thread-safe: one driver thread at a time (the drivers lock).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mcpauth/error.hpp"
#include "mcpauth/mcp/protocol.hpp"
#include "mcpauth/mcp/session.hpp"

namespace mcpauth::mcp::detail {

enum class Era { handshake, modern };

// What the driver does next.
struct Step {
  enum class Kind {
    open,         // close the transport in use (if any), open `transport`; then opened()
    discover,     // send server/discover with the modern _meta of `version`; then discovered() or failed()
    initialize,   // send initialize offering `version`; then initialize_answered() or failed()
    initialized,  // transport.on_initialized(version) and, in the handshake era,
                  // notifications/initialized; then announced() or failed()
    forward,      // pass-through: send the client's message; then forwarded() or failed()
    done,         // server() and era() hold what was agreed
  };
  Kind kind = Kind::done;
  TransportKind transport = TransportKind::streamable_http;  // open: streamable_http or sse
  std::string version;                                       // discover, initialize, initialized
};

class Negotiator {
 public:
  // A client's own connection: `asked` transport, the newest `version` to
  // offer (a supported one), what the server spoke last time.
  static Negotiator connect(std::string url, TransportKind asked, std::string version,
                            const ProtocolMemory& remembered = {});
  // A new session on `transport` (streamable_http or sse) for one the
  // server forgot: initialize with the version agreed before, or in the
  // modern era server/discover (which may negotiate again).
  static Negotiator renew(std::string url, TransportKind transport, const ServerInfo& before);
  // The Bridge: opens the transport `asked` says; the client's first message
  // may still make `automatic` fall back to legacy SSE. `offer` is the newest
  // version the driver may speak to the server itself (a modern one lets it
  // translate for a handshake-era client; "" or a handshake-era one never
  // does), `remembered` what the server spoke last time.
  static Negotiator pass_through(std::string url, TransportKind asked, std::string offer = {},
                                 const ProtocolMemory& remembered = {});

  const Step& next() const noexcept { return step_; }

  void opened();
  // Throws Error(protocol) when a renewal finds no modern server any more.
  void discovered(const Json& result);
  // Throws Error(protocol) for a result that is not an acceptable answer,
  // unless that means "try again another way" here.
  void initialize_answered(const Json& result);
  void announced();
  void forwarded();
  // Pass-through, at the forward step: the client's message is its own
  // initialize offering `version`. A handshake-era offer may be translated
  // (see pass_through): to a server remembered as modern the next step is
  // server/discover at once; otherwise the initialize is forwarded, and
  // failed() with the server's UnsupportedProtocolVersion answer to it leads
  // to server/discover. A server discovered this way ends with era() modern
  // and server() its discover result. Elsewhere: no effect.
  void client_initializes(std::string_view version);

  // The current step failed with `e` (an RpcError for a JSON-RPC error
  // answer). True: next() says what to try instead. False: nothing else to
  // try, the driver rethrows `e`. Throws Error(protocol) when the answer
  // settles that there is no common version, and `e` with the first
  // transport's refusal prepended when both transports refused the endpoint.
  [[nodiscard]] bool failed(const Error& e);

  // What was agreed, once next() is done (pass-through: nothing).
  const ServerInfo& server() const noexcept { return server_; }
  Era era() const noexcept { return era_; }
  // The transport opened last.
  TransportKind transport() const noexcept { return transport_; }

  static constexpr int kMaxDiscoverAttempts = 2;

 private:
  // What a failure of the current transport may still lead to.
  enum class Phase {
    sse_only,     // legacy SSE, nothing after it
    sse_first,    // legacy SSE; Streamable HTTP when its stream is refused with 400/404/405
    remembered,   // Streamable HTTP with initialize at once; the usual way afresh if the server changed
    streamable,   // Streamable HTTP; `automatic` falls back to legacy SSE on 400/404/405
    last_resort,  // nothing else to try
  };

  Negotiator(std::string url, TransportKind asked, std::string version);

  void open(TransportKind transport, Phase phase);
  void discover(const std::string& version);
  void not_modern();
  bool refused_handshake(const Error& e);
  bool failed_to_discover(const Error& e);
  bool failed_at(const Error& e);
  void refused_by_both(const Error& e) const;
  std::string legacy_offer() const;

  // The first transport's refusal that made `automatic` try the other one.
  struct Refusal {
    std::string what;
    std::string tried_next;
  };

  std::string url_;
  TransportKind asked_;
  std::string version_;  // the newest version asked for (renewal: the one agreed before)
  bool renewal_ = false;
  bool pass_through_ = false;
  bool remembered_modern_ = false;   // pass-through: the server spoke the modern era last time
  bool translatable_ = false;        // pass-through: the client's initialize may be answered from a discover
  bool initialize_refused_ = false;  // pass-through: the server refused the client's initialize
  Phase phase_ = Phase::last_resort;
  Step step_;
  TransportKind transport_ = TransportKind::streamable_http;
  int discover_attempts_ = 0;
  std::optional<Refusal> refused_before_;
  ServerInfo server_;
  Era era_ = Era::handshake;
};

// Every version this client speaks, for messages: "2024-11-05, ...".
std::string supported_list();

// Whether an error answering the initialize sent to a server remembered as
// speaking the handshake means the server is not what it was (it moved to
// another revision or transport) rather than a failure to report: any
// JSON-RPC error, a version unusable over initialize, or a 4xx other than
// 401/403.
bool server_changed(const Error& e);

// The version a server chose in its initialize answer, for a driver that
// forwards a client's initialize (the Bridge); nullopt when the answer names
// none.
std::optional<std::string> agreed_version(const Json& initialize_result);

}  // namespace mcpauth::mcp::detail
