// The static headers the user gave (--header, a config entry's headers) on
// the requests the probe and `doctor` send to the server URL itself, as a
// session sends them; never on requests to other URLs (the OAuth metadata
// and authorization server's endpoints).
#pragma once

#include <memory>
#include <string>

#include "mcpauth/net/http.hpp"

namespace mcpauth::app {

// `inner` itself when there are no headers. Each header replaces one of the
// same name the request has.
std::shared_ptr<net::HttpClient> with_server_headers(std::shared_ptr<net::HttpClient> inner, std::string server_url,
                                                     net::HttpHeaders headers);

}  // namespace mcpauth::app
