#include "transport_factory.hpp"

#include "mcpauth/mcp/authorizing_http_client.hpp"
#include "mcpauth/mcp/legacy_sse_transport.hpp"
#include "mcpauth/mcp/streamable_http_transport.hpp"

namespace mcpauth::mcp {

TransportOptions transport_options(const SessionOptions& options) {
  TransportOptions t;
  t.url = options.url;
  t.http = with_credentials(options.http, options.authorizer);
  t.connect_timeout = options.connect_timeout;
  t.request_timeout = options.request_timeout;
  t.max_message_bytes = options.max_message_bytes;
  return t;
}

}  // namespace mcpauth::mcp

namespace mcpauth::mcp::detail {

TransportPtr TransportFactory::open(TransportKind kind, Transport::MessageHandler on_message,
                                    ErrorHandler on_error) const {
  TransportPtr transport;
  if (kind == TransportKind::sse) {
    transport = std::make_shared<LegacySseTransport>(options_);
  } else {
    transport = std::make_shared<StreamableHttpTransport>(options_);
  }
  std::weak_ptr<Transport> weak = transport;
  try {
    transport->start(std::move(on_message), [weak, on_error = std::move(on_error)](const Error& e) {
      if (on_error) on_error(weak.lock(), e);
    });
  } catch (...) {
    transport->close();
    throw;
  }
  return transport;
}

TransportPtr open_transport(Negotiator& negotiator, const std::function<TransportPtr(TransportKind)>& open) {
  for (;;) {
    if (negotiator.next().kind != Step::Kind::open) {
      throw Error(ErrorCode::protocol, "internal: no transport to open at this point of the negotiation");
    }
    try {
      TransportPtr transport = open(negotiator.next().transport);
      negotiator.opened();
      return transport;
    } catch (const Error& e) {
      if (!negotiator.failed(e)) throw;
    }
  }
}

}  // namespace mcpauth::mcp::detail
