#include "mcpauth/client.hpp"

#include <utility>

#include "mcpauth/error.hpp"

namespace mcpauth {
namespace {

Error no_oauth(const std::string& url) {
  return Error(ErrorCode::usage, "the connection to " + url + " uses no OAuth: there is nothing to authorize", url);
}

}  // namespace

struct Client::Parts {
  std::string url;
  std::shared_ptr<auth::Authorizer> authorizer;  // null when OAuth is off
  std::unique_ptr<mcp::Session> session;
};

std::unique_ptr<Client> Client::connect(ClientOptions options) {
  Composition composed = compose(options);
  auto parts = std::make_unique<Parts>();
  parts->url = options.url;
  parts->authorizer = std::move(composed.authorizer);
  parts->session = mcp::Session::connect(std::move(composed.session));
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

bool is_authorization_need(const Error& e) noexcept {
  return e.code() == ErrorCode::authorization_required || e.code() == ErrorCode::insufficient_scope;
}

auth::AuthorizationInfo Client::authorize(auth::ConsentHandler& consent, const std::optional<std::string>& scope) {
  if (!parts_->authorizer) {
    throw no_oauth(parts_->url);
  }
  return parts_->authorizer->authorize(consent, scope);
}

auth::AuthorizationInfo Client::authorize(const ClientOptions& options, auth::ConsentHandler& consent,
                                          const std::optional<std::string>& scope) {
  if (!uses_oauth(options)) {
    throw no_oauth(options.url);
  }
  ClientOptions without_default = options;
  without_default.default_consent = false;  // `consent` asks; nothing else is opened
  return make_authorizer(without_default)->authorize(consent, scope);
}

mcp::Session& Client::session() {
  return *parts_->session;
}

void Client::close() {
  parts_->session->close();
}

}  // namespace mcpauth
