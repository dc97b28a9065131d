#include "mcpauth/mcp/request_authorizer.hpp"

namespace mcpauth::mcp {

void StaticHeaders::apply(net::HttpRequest& request) {
  // A configured header replaces the transport's own of the same name, so a
  // user can override e.g. User-Agent, but never duplicates it.
  for (const auto& h : headers_) request.headers.set(h.name, h.value);
}

}  // namespace mcpauth::mcp
