// The one way Session and Bridge open a transport: the kind a Negotiator's
// open step names, built from the session's options and started with the
// driver's handlers; and open_transport(), which follows the negotiator's
// open steps (legacy SSE refused, try Streamable HTTP, ...) until one opens.
#pragma once

#include <functional>
#include <memory>

#include "mcpauth/mcp/session.hpp"
#include "mcpauth/mcp/transport.hpp"
#include "negotiation.hpp"

namespace mcpauth::mcp::detail {

using TransportPtr = std::shared_ptr<Transport>;

class TransportFactory {
 public:
  // A stream of `from` died for good; `from` is null when that transport is already gone.
  using ErrorHandler = std::function<void(const TransportPtr& from, const Error&)>;

  explicit TransportFactory(TransportOptions options) : options_(std::move(options)) {}

  // Builds a transport of `kind` (streamable_http or sse) and starts it (the
  // legacy transport opens its stream and waits for `endpoint` there). Throws
  // what start() throws, the transport closed.
  TransportPtr open(TransportKind kind, Transport::MessageHandler on_message, ErrorHandler on_error) const;

  const TransportOptions& options() const noexcept { return options_; }

 private:
  TransportOptions options_;
};

// Runs `negotiator`'s open steps with `open` (the driver's: it closes the
// transport in use, then opens one through its TransportFactory and makes it
// current) until one transport opens, and returns it. Throws the last
// failure when the negotiator has nothing else to try.
TransportPtr open_transport(Negotiator& negotiator, const std::function<TransportPtr(TransportKind)>& open);

}  // namespace mcpauth::mcp::detail
