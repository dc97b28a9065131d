#include "cli_options.hpp"

#include <cmath>
#include <cstdlib>

#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/net/curl_http_client.hpp"

#include <iostream>
#include "mcpauth/error.hpp"

namespace mcpauth::app {
namespace {

bool is_token_char(unsigned char c) {
  // RFC 9110 tchar
  return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::chrono::milliseconds to_ms(double seconds, const char* option) {
  if (!(seconds > 0) || seconds > 86400) {
    throw Error(ErrorCode::usage, std::string(option) + " must be between 0 and 86400 seconds");
  }
  return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000)));
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

std::string expand_env(const std::string& text, const EnvLookup& env) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto start = text.find("${", pos);
    if (start == std::string::npos) {
      out.append(text, pos, std::string::npos);
      break;
    }
    out.append(text, pos, start - pos);
    const auto end = text.find('}', start + 2);
    if (end == std::string::npos) throw Error(ErrorCode::usage, "unterminated ${ in a --header value");
    const std::string name = text.substr(start + 2, end - start - 2);
    if (name.empty()) throw Error(ErrorCode::usage, "empty ${} in a --header value");
    const auto value = env(name);
    if (!value) {
      throw Error(ErrorCode::usage,
                  "environment variable " + name + " is not set (used as ${" + name + "} in --header)");
    }
    out += *value;
    pos = end + 1;
  }
  return out;
}

net::HttpHeaders parse_headers(const std::vector<std::string>& args, const EnvLookup& env) {
  net::HttpHeaders headers;
  for (std::size_t index = 0; index < args.size(); ++index) {
    const std::string& arg = args[index];
    const auto colon = arg.find(':');
    const std::string name = arg.substr(0, colon);
    if (colon == std::string::npos || name.empty() ||
        !std::all_of(name.begin(), name.end(), [](unsigned char c) { return is_token_char(c); })) {
      // Never echo the argument: with the colon missing, the value may be in it.
      throw Error(ErrorCode::usage, "--header argument " + std::to_string(index + 1) +
                                        " is not of the form \"Name: value\" (a token name, a colon, the value)");
    }
    std::string value = expand_env(arg.substr(colon + 1), env);
    const auto first = value.find_first_not_of(" \t");
    value = first == std::string::npos ? std::string() : value.substr(first);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos) {
      throw Error(ErrorCode::usage, "the value of --header " + name + " contains a line break");
    }
    headers.add(name, value);
  }
  return headers;
}

Connection connection_for(const ServerArgs& args, const EnvLookup& env) {
  Connection c;
  mcp::SessionOptions& options = c.options;
  options.url = core::parse_url(args.url).text;  // validates early, with a clear message
  options.transport = mcp::parse_transport_kind(args.transport);
  options.request_timeout = to_ms(args.timeout_seconds, "--timeout");
  options.connect_timeout = to_ms(args.connect_timeout_seconds, "--connect-timeout");
  options.http = std::make_shared<net::CurlHttpClient>();
  net::HttpHeaders headers = parse_headers(args.headers, env);
  const bool static_authorization = headers.contains("Authorization");
  std::vector<std::shared_ptr<mcp::RequestAuthorizer>> parts;
  // A static Authorization header means the user chose the credentials: no OAuth then.
  if (!args.no_auth && !static_authorization) {
    auth::AuthorizerOptions a;
    a.server_url = options.url;
    a.http = options.http;
    auth::LoopbackConsentOptions consent;
    consent.port = args.callback_port;
    consent.open_browser = !args.no_browser;
    a.consent = std::make_shared<auth::LoopbackConsent>(consent);
    if (!args.client_id.empty()) a.client.client_id = args.client_id;
    if (!args.client_secret.empty()) a.client.client_secret = expand_env(args.client_secret, env);
    if (!args.client_metadata_url.empty()) a.client.client_metadata_url = args.client_metadata_url;
    if (!args.scope.empty()) a.scope = args.scope;
    if (!args.resource.empty()) a.resource = args.resource;
    a.send_resource = !args.no_resource;
    a.consent_timeout = to_ms(args.consent_timeout_seconds, "--consent-timeout");
    a.notify = [](const std::string& line) { std::cerr << line << std::endl; };
    c.authorizer = std::make_shared<auth::Authorizer>(std::move(a));
    parts.push_back(c.authorizer);
  }
  if (!headers.empty()) parts.push_back(std::make_shared<mcp::StaticHeaders>(std::move(headers)));
  if (parts.size() == 1) {
    options.authorizer = parts.front();
  } else if (!parts.empty()) {
    options.authorizer = std::make_shared<auth::CompositeAuthorizer>(std::move(parts));
  }
  return c;
}

}  // namespace mcpauth::app
