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
//
// ClientOptions (composition.hpp) says what to connect to and how; a host
// that wants the parts without this object (its own Session, a Bridge)
// gets the same composition from mcpauth::compose().
//
// A host that asks its user itself (default_consent = false, no consent)
// gets each need for consent as an Error (authorization_required, or
// insufficient_scope for a step-up; detail() says what is needed), runs it
// with authorize() and a ConsentHandler of its own, and tries again:
//
//   std::unique_ptr<mcpauth::Client> client;
//   try { client = mcpauth::Client::connect(options); }
//   catch (const mcpauth::Error& e) {
//     if (!mcpauth::is_authorization_need(e)) throw;
//     mcpauth::Client::authorize(options, my_consent);  // before there is a Client
//     client = mcpauth::Client::connect(options);
//   }
//   try { return client->call_tool("echo", args); }
//   catch (const mcpauth::Error& e) {
//     if (!mcpauth::is_authorization_need(e)) throw;
//     client->authorize(my_consent);  // e.g. a step-up to a wider scope
//     return client->call_tool("echo", args);
//   }
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/composition.hpp"
#include "mcpauth/mcp/protocol.hpp"
#include "mcpauth/mcp/session.hpp"

namespace mcpauth {

// Whether `e` is a need a host may run with authorize() and then retry:
// authorization_required or insufficient_scope.
bool is_authorization_need(const Error& e) noexcept;

class Client {
 public:
  // Composes the connection (compose()), connects (authorizing when the
  // server asks for it) and completes the MCP handshake. Throws
  // mcpauth::Error.
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

  // Runs, with `consent`, the authorization the last refused request needed
  // (or a new one when none is pending), waiting for the user as long as
  // the consent takes; `scope` replaces the one the need named. Then send
  // the request again. Throws Error(usage) when this client uses no OAuth;
  // else as auth::Authorizer::authorize.
  auth::AuthorizationInfo authorize(auth::ConsentHandler& consent,
                                    const std::optional<std::string>& scope = std::nullopt);
  // The same for a need connect() threw, before there is a Client: a new
  // authorization for `options`' server, kept in their store (give the next
  // connect() the same store, or leave it to the user's shared one).
  static auth::AuthorizationInfo authorize(const ClientOptions& options, auth::ConsentHandler& consent,
                                           const std::optional<std::string>& scope = std::nullopt);

  mcp::Session& session();
  void close();

 private:
  struct Parts;
  explicit Client(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace mcpauth
