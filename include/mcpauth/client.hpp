// One object for a program that wants a remote MCP server's tools: the URL
// given once, and OAuth (discovery, registration, consent in the system
// browser, refresh, step-up) wired as the `mcpauth` command wires it,
// sharing its logins through the user's token store.
//
//   auto client = mcpauth::Client::connect({.url = "https://mcp.example.com/mcp"});
//   for (const auto& tool : client->list_tools()) std::cout << tool.name << '\n';
//   auto result = client->call_tool("echo", {{"text", "hi"}});
//
// Threading: a Client may be used from several threads at once (requests are
// independent; one authorization or refresh runs at a time, the others wait
// for its tokens). Errors: mcpauth::Error, and mcp::RpcError for a JSON-RPC
// error answer.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
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
  // ($XDG_DATA_HOME/mcpauth/tokens.db, MCPAUTH_STORE, MCPAUTH_KEY).
  std::shared_ptr<store::TokenStore> store{};
  // How the user is asked for consent. Null: the system browser ($BROWSER,
  // else xdg-open) with a loopback redirect on 127.0.0.1.
  std::shared_ptr<auth::ConsentHandler> consent{};
  std::string account{};               // a name for several grants at one server ("" the default grant)
  auth::ClientConfig client{};         // a pre-registered client, a Client ID Metadata Document URL
  std::optional<std::string> scope{};  // replaces the specification's scope selection
  std::chrono::milliseconds consent_timeout{300'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{60'000};
  mcp::Implementation client_info{"mcpauth", "", std::nullopt};  // as the server sees this program
  // Progress lines for the user (the URL to open if no browser starts, a
  // refresh refused). Never a token or a code. Null: the default consent's
  // prompt goes to stderr and nothing else is said.
  std::function<void(const std::string&)> notify{};
  // The environment the default store is found from. Null: the process's.
  std::function<std::optional<std::string>(const std::string&)> env{};
};

class Client {
 public:
  // Connects (authorizing when the server asks for it) and completes the
  // MCP handshake. Throws mcpauth::Error.
  static std::unique_ptr<Client> connect(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  std::vector<mcp::Tool> list_tools();
  mcp::ToolCallResult call_tool(const std::string& name, const mcp::Json& arguments = mcp::Json::object());
  // Any other request (resources/list, prompts/get, ...).
  mcp::Json request(const std::string& method, mcp::Json params = mcp::Json::object());

  // The OAuth grant in use (issuer, client, scope, expiry; never a token),
  // or nullopt when no authorization was needed.
  std::optional<auth::AuthorizationInfo> authorization() const;
  // The access token requests carry now, refreshed first when it is about
  // to expire, for a program that calls the same resource server's other
  // APIs. Throws Error(authorization_required) when the server needed none.
  std::string access_token();

  mcp::Session& session();
  void close();

 private:
  struct Parts;
  explicit Client(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace mcpauth
