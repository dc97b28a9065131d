#include "mcpauth/client.hpp"

#include <cstdlib>
#include <iostream>
#include <utility>

#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/mcp/request_authorizer.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"

namespace mcpauth {

struct Client::Parts {
  std::string url;
  std::shared_ptr<auth::Authorizer> authorizer;  // null when OAuth is off
  std::unique_ptr<mcp::Session> session;
};

namespace {

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value ? std::optional<std::string>(value) : std::nullopt;
}

}  // namespace

std::unique_ptr<Client> Client::connect(ClientOptions options) {
  auto parts = std::make_unique<Parts>();
  parts->url = options.url;
  mcp::SessionOptions session;
  session.url = options.url;
  session.transport = options.transport;
  session.http = std::make_shared<net::CurlHttpClient>();
  session.connect_timeout = options.connect_timeout;
  session.request_timeout = options.request_timeout;
  session.client_info = options.client_info;

  // A static Authorization header means the caller chose the credentials.
  if (options.oauth && !options.headers.contains("Authorization")) {
    auth::AuthorizerOptions a;
    a.server_url = options.url;
    a.http = session.http;
    a.store = options.store;
    if (!a.store) {
      const auto env = options.env ? options.env : process_env;
      a.store = store::open_sqlite_token_store(store::default_sqlite_store_options(env));
    }
    a.consent = options.consent;
    if (!a.consent) {
      auth::LoopbackConsentOptions consent;
      // The URL must reach the user: without a sink of the host's, the documented default is stderr.
      consent.notify =
          options.notify ? options.notify : [](const std::string& line) { std::cerr << line << std::endl; };
      a.consent = std::make_shared<auth::LoopbackConsent>(consent);
    }
    a.account = options.account;
    a.client = options.client;
    a.scope = options.scope;
    a.consent_timeout = options.consent_timeout;
    a.notify = options.notify;
    parts->authorizer = std::make_shared<auth::Authorizer>(std::move(a));
  }
  session.authorizer = auth::credentials(parts->authorizer, options.headers);
  parts->session = mcp::Session::connect(std::move(session));
  return std::unique_ptr<Client>(new Client(std::move(parts)));
}

Client::Client(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Client::~Client() = default;

std::vector<mcp::Tool> Client::list_tools() {
  return parts_->session->list_tools();
}

mcp::ToolCallResult Client::call_tool(const std::string& name, const mcp::Json& arguments) {
  return parts_->session->call_tool(name, arguments);
}

mcp::Json Client::request(const std::string& method, mcp::Json params) {
  return parts_->session->request(method, std::move(params));
}

std::optional<auth::AuthorizationInfo> Client::authorization() const {
  return parts_->authorizer ? parts_->authorizer->info() : std::nullopt;
}

std::string Client::access_token() {
  auto token = parts_->authorizer ? parts_->authorizer->access_token() : std::nullopt;
  if (!token) {
    throw Error(ErrorCode::authorization_required,
                "there is no access token for " + parts_->url + ": the server has not asked for authorization",
                parts_->url);
  }
  return std::move(*token);
}

mcp::Session& Client::session() {
  return *parts_->session;
}

void Client::close() {
  parts_->session->close();
}

}  // namespace mcpauth
