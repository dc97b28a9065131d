// The client the official MCP conformance suite runs (the C++ counterpart of
// the TypeScript SDK's everythingClient). It is mcpauth's real Session and
// Authorizer; only consent is replaced: the suite's authorization server
// approves at once, so "the browser" is an HTTP GET of the authorization
// URL with redirects off, and the callback parameters come from Location.
//
// Contract (see shared/conformance.md): the server URL is the last argument;
// MCP_CONFORMANCE_SCENARIO names the scenario, MCP_CONFORMANCE_CONTEXT
// carries credentials for the scenarios that hand them over. Exit 0 on
// success, 1 on any error.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"

namespace {

using mcpauth::Error;
using mcpauth::ErrorCode;
using mcpauth::mcp::Json;

// The suite's fixed Client ID Metadata Document URL (the AS never fetches it).
constexpr const char* kClientMetadataUrl = "https://conformance-test.local/client-metadata.json";
constexpr const char* kRedirectUri = "http://localhost:3000/callback";

class AutoApprovedSession final : public mcpauth::auth::ConsentSession {
 public:
  explicit AutoApprovedSession(std::shared_ptr<mcpauth::net::HttpClient> http) : http_(std::move(http)) {}
  std::string redirect_uri() const override { return kRedirectUri; }

  mcpauth::core::oauth::FormFields await(const mcpauth::auth::ConsentPrompt& prompt) override {
    mcpauth::net::HttpRequest request;
    request.url = prompt.authorization_url;
    request.follow_redirects = false;
    const auto response = http_->send(request);
    const auto location = response.headers.get("Location");
    if (response.status < 300 || response.status >= 400 || !location) {
      throw Error(ErrorCode::authorization_denied, "the authorization endpoint answered HTTP " +
                                                       std::to_string(response.status) + " without a redirect");
    }
    if (location->rfind(kRedirectUri, 0) != 0) {
      throw Error(ErrorCode::protocol, "the authorization server redirected somewhere else than the redirect URI");
    }
    const auto query = location->find('?');
    return query == std::string::npos ? mcpauth::core::oauth::FormFields{}
                                      : mcpauth::core::oauth::parse_form(location->substr(query + 1));
  }

 private:
  std::shared_ptr<mcpauth::net::HttpClient> http_;
};

class AutoApprovedConsent final : public mcpauth::auth::ConsentHandler {
 public:
  explicit AutoApprovedConsent(std::shared_ptr<mcpauth::net::HttpClient> http) : http_(std::move(http)) {}
  std::unique_ptr<mcpauth::auth::ConsentSession> begin(const std::string&) override {
    return std::make_unique<AutoApprovedSession>(http_);
  }

 private:
  std::shared_ptr<mcpauth::net::HttpClient> http_;
};

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::optional<std::string> context_string(const Json& context, const char* key) {
  if (!context.is_object() || !context.contains(key) || !context[key].is_string()) return std::nullopt;
  return context[key].get<std::string>();
}

// Fills an elicitation form with every default its schema declares (SEP-1034).
Json answer_elicitation(const Json& params) {
  Json content = Json::object();
  const Json schema = params.value("requestedSchema", Json::object());
  if (schema.is_object() && schema.contains("properties") && schema["properties"].is_object()) {
    for (const auto& [name, property] : schema["properties"].items()) {
      if (property.is_object() && property.contains("default")) content[name] = property["default"];
    }
  }
  return {{"action", "accept"}, {"content", content}};
}

// --- sep-2322-client-request-state (SEP-2322 multi round-trip requests) -----------------
// The Session answers each input-required round through on_request and sends the
// retry itself; the scenario's server checks the retries. Its four tools are called
// one after another: the call between the two input flows must carry nothing of
// theirs, and the last one's result has no resultType (complete).
bool call_input_required_tools(mcpauth::mcp::Session& session, const std::vector<mcpauth::mcp::Tool>& tools) {
  const bool offered =
      std::any_of(tools.begin(), tools.end(), [](const auto& t) { return t.name == "test_mrtr_echo_state"; });
  if (!offered) return false;
  for (const char* name :
       {"test_mrtr_echo_state", "test_mrtr_unrelated", "test_mrtr_no_state", "test_mrtr_no_result_type"}) {
    session.call_tool(name, Json::object());
  }
  return true;
}
// --- end sep-2322-client-request-state -------------------------------------------------

// The arguments of the tools the scenarios need called; a tool not named here
// is called with no arguments and may fail (no scenario looks at its answer:
// it is called so that a tool the library should have left out of the
// listing, http-invalid-tool-headers, would show up as called).
const std::map<std::string, Json> kToolArguments = {
    {"add_numbers", {{"a", 2}, {"b", 3}}},
    {"valid_tool", {{"region", "us-west1"}}},
};

// json-schema-2020-12-preservation: the echo tool gets the focal tool's
// inputSchema exactly as the library handed it over.
std::optional<Json> echo_arguments(const std::vector<mcpauth::mcp::Tool>& tools) {
  for (const auto& tool : tools) {
    if (tool.name == "json_schema_2020_12_tool") return Json{{"schema", tool.input_schema}};
  }
  return std::nullopt;
}

// What every client scenario needs: list the tools and call them (the calls
// the scenario's context hands over, http-custom-headers, as they are, for
// the tools listed), then
// one request of each kind the server's prompts and resources capabilities
// offer (http-standard-headers checks the headers of each).
void exercise(mcpauth::mcp::Session& session, const Json& context) {
  const auto tools = session.list_tools();
  if (call_input_required_tools(session, tools)) return;  // sep-2322-client-request-state: its own order
  const Json given = context.is_object() ? context.value("toolCalls", Json::array()) : Json::array();
  const auto listed = [&](const std::string& name) {
    return std::any_of(tools.begin(), tools.end(), [&](const auto& tool) { return tool.name == name; });
  };
  if (given.is_array() && !given.empty()) {
    for (const auto& call : given) {
      // Only as listed: a tool the library left out is not called behind its back.
      const std::string name = call.value("name", "");
      if (listed(name)) session.call_tool(name, call.value("arguments", Json::object()));
    }
  } else {
    for (const auto& tool : tools) {
      if (const auto it = kToolArguments.find(tool.name); it != kToolArguments.end()) {
        session.call_tool(tool.name, it->second);
      } else if (tool.name == "json_schema_echo") {
        if (const auto arguments = echo_arguments(tools)) session.call_tool(tool.name, *arguments);
      } else {
        try {
          session.call_tool(tool.name, Json::object());
        } catch (const mcpauth::mcp::RpcError&) {
          // this tool wanted arguments; see kToolArguments
        }
      }
    }
  }
  const Json& capabilities = session.server().capabilities;
  if (capabilities.contains("prompts")) {
    const Json prompts = session.request("prompts/list").value("prompts", Json::array());
    if (!prompts.empty()) session.request("prompts/get", {{"name", prompts[0].value("name", "")}});
  }
  if (capabilities.contains("resources")) {
    const Json resources = session.request("resources/list").value("resources", Json::array());
    if (!resources.empty()) session.request("resources/read", {{"uri", resources[0].value("uri", "")}});
  }
}

int run(const std::string& url) {
  const std::string scenario = env("MCP_CONFORMANCE_SCENARIO");
  const Json context =
      Json::parse(env("MCP_CONFORMANCE_CONTEXT").empty() ? "{}" : env("MCP_CONFORMANCE_CONTEXT"), nullptr, false);
  auto http = std::make_shared<mcpauth::net::CurlHttpClient>();

  mcpauth::auth::AuthorizerOptions auth;
  auth.server_url = url;
  auth.http = http;
  auth.consent = std::make_shared<AutoApprovedConsent>(http);
  auth.client.client_metadata_url = kClientMetadataUrl;
  auth.client.client_id = context_string(context, "client_id");
  auth.client.client_secret = context_string(context, "client_secret");
  auth.client.private_key_pem = context_string(context, "private_key_pem");
  auth.client.issuer = context_string(context, "issuer");
  if (scenario.rfind("auth/client-credentials", 0) == 0) auth.grant = mcpauth::auth::Grant::client_credentials;
  if (const auto assertion = context_string(context, "valid_jwt")) {
    auth.grant = mcpauth::auth::Grant::jwt_bearer;  // workload identity federation
    auth.assertion = assertion;
  }
  if (const auto id_token = context_string(context, "idp_id_token")) {
    // Enterprise-managed authorization (SEP-990): IdP token exchange, then jwt-bearer.
    auth.grant = mcpauth::auth::Grant::identity_assertion;
    auth.identity_provider = mcpauth::auth::IdentityProviderConfig{
        context_string(context, "idp_token_endpoint").value_or(""),
        context_string(context, "idp_client_id").value_or(""), std::nullopt, *id_token};
  }
  auth.notify = [](const std::string& line) { std::cerr << line << '\n'; };
  auto authorizer = std::make_shared<mcpauth::auth::Authorizer>(auth);

  mcpauth::mcp::SessionOptions options;
  options.url = url;
  options.http = http;
  options.authorizer = authorizer;
  options.request_timeout = std::chrono::seconds(20);
  options.client_info = {"mcpauth-conformance-client", "", std::nullopt};
  options.capabilities = {{"elicitation", Json::object()}};
  if (const std::string version = env("MCP_CONFORMANCE_PROTOCOL_VERSION");
      mcpauth::mcp::is_supported_version(version)) {
    options.protocol_version = version;
  }
  options.on_request = [](const std::string& method, const Json& params) -> Json {
    if (method == "elicitation/create") return answer_elicitation(params);
    throw mcpauth::mcp::RpcError("unsupported request " + method, "", -32601, nullptr);
  };

  auto session = mcpauth::mcp::Session::connect(std::move(options));
  exercise(*session, context);
  session->close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: mcp_conformance_client [...] SERVER_URL\n";
    return 2;
  }
  // The runner's own timeout is 30 s; end well before it, whatever happens.
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::seconds(25));
    std::cerr << "mcp_conformance_client: overall deadline reached\n";
    std::_Exit(3);  // at once: no exit handlers while run() may still hold the client
  }).detach();
  try {
    return run(argv[argc - 1]);
  } catch (const std::exception& e) {
    std::cerr << "mcp_conformance_client: " << e.what() << '\n';
    return 1;
  }
}
