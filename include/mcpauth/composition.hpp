// How a connection to a remote MCP server is put together: ClientOptions
// (what the host wants) mapped to the HTTP client, the token store, the
// consent, the OAuth Authorizer and the session's credentials. This is the
// one composition root: mcpauth::Client, the `mcpauth` command, the gateway
// and the benchmark all build their connections through compose() or
// make_authorizer(), so "an Authorization header turns OAuth off", "no
// store means the user's shared one" and the Authorizer's options mean the
// same everywhere.
//
//   auto parts = mcpauth::compose({.url = "https://mcp.example.com/mcp"});
//   auto session = mcpauth::mcp::Session::connect(std::move(parts.session));
//
// Threading: compose() and make_authorizer() only build objects (opening
// the default store reads the disk); what they return is as thread-safe as
// its parts: Authorizer, store and HttpClient may be shared by any threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/auth/consent.hpp"
#include "mcpauth/mcp/protocol.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/http.hpp"
#include "mcpauth/store/token_store.hpp"

namespace mcpauth {

struct ClientOptions {
  std::string url{};  // the MCP endpoint, e.g. https://mcp.example.com/mcp
  mcp::TransportKind transport = mcp::TransportKind::automatic;

  // Static headers on every request. An Authorization header among them
  // means the caller chose the credentials: OAuth is then off.
  net::HttpHeaders headers{};
  bool oauth = true;  // false: no OAuth at all (a server without authorization, or headers only)

  // Where grants, client registrations and discovery are kept. Null: the
  // user's shared store, the one `mcpauth login` / `status` / `logout` use
  // ($XDG_DATA_HOME/mcpauth/tokens.db, MCPAUTH_STORE, MCPAUTH_KEY; PostgreSQL
  // when MCPAUTH_STORE_URL or store_url is a postgresql:// URL).
  std::shared_ptr<store::TokenStore> store{};
  // How the user is asked for consent. Null: the system browser ($BROWSER,
  // else xdg-open) with a loopback redirect on 127.0.0.1 (unless
  // default_consent is false).
  std::shared_ptr<auth::ConsentHandler> consent{};
  std::string account{};                               // a name for several grants at one server ("" the default grant)
  auth::ClientConfig client{};                         // a pre-registered client, a Client ID Metadata Document URL
  std::optional<std::string> scope{};                  // replaces the specification's scope selection
  std::chrono::milliseconds consent_timeout{300'000};  // also how long to wait for another process's consent
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{60'000};
  mcp::Implementation client_info{"mcpauth", "", std::nullopt};  // as the server sees this program
  // Progress lines for the user (the URL to open if no browser starts, a
  // device code, a refresh refused). Never a token or a code. Null: the
  // default consent's prompt goes to stderr and nothing else is said.
  std::function<void(const std::string&)> notify{};
  // The environment the default store is found from. Null: the process's.
  std::function<std::optional<std::string>(const std::string&)> env{};

  // (Fields below were added later; designated initializers of the ones
  // above keep working.)

  // The HTTP client of the session and of every OAuth exchange. Null: a
  // CurlHttpClient from the environment (proxies, CA bundle).
  std::shared_ptr<net::HttpClient> http{};
  std::optional<std::string> resource{};  // replaces the RFC 8707 resource value
  bool send_resource = true;              // false for authorization servers that reject it
  // device_code: the user approves on another device with a short code
  // (shown through notify), for a host without a browser.
  auth::Grant grant = auth::Grant::authorization_code;
  std::string client_name = "mcpauth";             // the name a dynamic registration asks for
  std::chrono::milliseconds http_timeout{30'000};  // each OAuth exchange (discovery, registration, token)
  int max_authorizations = 3;                      // per Authorizer, step-ups included
  // false: a null `consent` means nobody is asked (an authorization the
  // server needs fails at once with Error(authorization_required)) instead
  // of the system browser: for a host that authorizes elsewhere or only
  // reads the tokens a login stored.
  bool default_consent = true;
  // Called when the Authorizer starts or ends a refresh (its refreshing()
  // changes), on the refreshing thread, which holds the Authorizer's state
  // lock: wake a view, call nothing of the Authorizer but refreshing().
  std::function<void()> refreshing_changed{};
  // Extra parameters of the authorization request (e.g. audience=...,
  // access_type=offline); the ones the flow derives itself are refused.
  std::vector<std::pair<std::string, std::string>> extra_authorization_params{};
  std::chrono::seconds refresh_margin{60};  // refresh this long before expiry (at most half the token's lifetime)
  // With a null `store`: a postgresql:// (or postgres://) URL of the shared
  // store to use instead of the environment's MCPAUTH_STORE_URL.
  std::string store_url{};
  // A debug log for finding out why an authorization fails: one line per
  // HTTP exchange of the session and of OAuth (net::with_exchange_log wraps
  // the HttpClient) and one per action of each authorization or refresh
  // (AuthorizerOptions::log). Tokens, codes, verifiers, secrets and
  // assertions are never in it. Called from any thread that sends. Null: none.
  std::function<void(const std::string&)> log{};
  // Called when a refresh is refused because the grant is gone
  // (invalid_grant or invalid_client): AuthorizerOptions::grant_refused.
  std::function<void(const std::string& oauth_error)> grant_refused{};
};

// What compose() built.
struct Composition {
  // url, transport, timeouts, client_info, the HttpClient and the
  // credentials (OAuth, then the static headers): ready for
  // mcp::Session::connect, or for a host to adjust first.
  mcp::SessionOptions session;
  std::shared_ptr<auth::Authorizer> authorizer;  // null when OAuth is off
  std::shared_ptr<store::TokenStore> store;      // the Authorizer's store; null when OAuth is off
};

// Whether these options use OAuth: `oauth` is on and no static
// Authorization header chose the credentials.
bool uses_oauth(const ClientOptions& options);

// The session's options and, when uses_oauth(), the Authorizer and its
// store. Connects nothing. Throws mcpauth::Error (the default store cannot
// be opened).
Composition compose(const ClientOptions& options);

// Only the Authorizer, for a host that composes the session itself (the
// gateway shares one per server among many sessions). Built whatever
// `oauth` and `headers` say; the same defaults as compose().
std::shared_ptr<auth::Authorizer> make_authorizer(const ClientOptions& options);

}  // namespace mcpauth
