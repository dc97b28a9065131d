#include "mcpauth/client.hpp"

#include <utility>

#include "mcpauth/error.hpp"

namespace mcpauth {

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

mcp::Session& Client::session() {
  return *parts_->session;
}

void Client::close() {
  parts_->session->close();
}

}  // namespace mcpauth
