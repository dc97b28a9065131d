#include "cli_options.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "debug_log.hpp"
#include "http_policy.hpp"
#include "mcpauth/auth/loopback_consent.hpp"
#include "mcpauth/core/json.hpp"
#include "mcpauth/core/oauth/authorization_params.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "mcpauth/store/user_store.hpp"
#include "mcpauth_internal/core/platform/browser.hpp"
#include "mcpauth_internal/platform/file_mode.hpp"
#include "mcpauth_internal/platform/terminal.hpp"
#include "plain_http.hpp"
#include "server_config.hpp"

namespace mcpauth::app {
namespace {

using Json = nlohmann::json;

// The controlling terminal, for a paste when standard input is a protocol
// channel (the proxy); -1 without one. Opened once and kept for the life of
// the process: a consent may come at any time.
int paste_terminal() {
  static const int fd = platform::open_controlling_terminal();
  return fd;
}

// Where no browser can be opened: says what to do instead of waiting for a
// consent that can never arrive.
class UnavailableConsent final : public auth::ConsentHandler {
 public:
  explicit UnavailableConsent(std::string message) : message_(std::move(message)) {}
  std::unique_ptr<auth::ConsentSession> begin(const std::string&) override {
    throw Error(ErrorCode::authorization_required, message_);
  }

 private:
  std::string message_;
};

// A JSON object given inline or as @file (mcp-remote's convention).
Json json_argument(const std::string& value, const char* option) {
  std::string text = value;
  if (!value.empty() && value.front() == '@') {
    std::ifstream file(value.substr(1));
    if (!file) throw Error(ErrorCode::usage, std::string(option) + ": cannot read " + value.substr(1));
    std::ostringstream content;
    content << file.rdbuf();
    text = content.str();
  }
  Json parsed = core::parse_json_or_discarded(text, core::JsonLimits{});
  // Never echoed: it may hold a client secret.
  if (!parsed.is_object()) throw Error(ErrorCode::usage, std::string(option) + " must be a JSON object (or @file)");
  return parsed;
}

std::optional<std::string> string_field(const Json& object, const char* name, const char* option) {
  const auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (!it->is_string()) throw Error(ErrorCode::usage, std::string(option) + ": " + name + " must be a string");
  return it->get<std::string>();
}

// A --header-file's text, bounded; a file others may read is worth a word
// (it holds credentials), but it is the user's to decide, as with mcp-remote.
std::string read_header_file(const std::string& path, const std::function<void(const std::string&)>& say) {
  constexpr std::size_t kMaxHeaderFileBytes = 64 * 1024;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(ErrorCode::usage, "--header-file: cannot read " + path);
  std::string text(kMaxHeaderFileBytes + 1, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(file.gcount()));
  if (text.size() > kMaxHeaderFileBytes) {
    throw Error(ErrorCode::usage, "--header-file: " + path + " is larger than 64 KiB");
  }
  if (platform::others_may_read(path).value_or(false) && say) {
    say("mcpauth: warning: " + path +
        " (--header-file) can be read by other users; chmod 600 it if it holds "
        "credentials");
  }
  return text;
}

// Seconds of an optional duration option that may be 0 ("no limit").
std::chrono::milliseconds seconds_or_zero(double seconds, const char* option) {
  if (seconds == 0) return std::chrono::milliseconds(0);
  return seconds_option(seconds, option);
}

// The command's HTTP client: the library's, with the command's address
// family, cookie jar (as mcp-remote: on unless --disable-cookies, for load
// balancers that pin a session with a cookie) and timeouts.
std::shared_ptr<net::HttpClient> http_client_for(const ServerArgs& args) {
  net::CurlHttpClientOptions curl = net::CurlHttpClientOptions::from_environment();
  curl.ipv4_only = args.ipv4;
  curl.cookies = !args.disable_cookies;
  HttpPolicy policy;
  if (args.headers_timeout_seconds) {
    policy.headers_timeout = seconds_or_zero(*args.headers_timeout_seconds, "--headers-timeout");
  }
  if (args.body_timeout_seconds) policy.body_timeout = seconds_or_zero(*args.body_timeout_seconds, "--body-timeout");
  return with_http_policy(std::make_shared<net::CurlHttpClient>(std::move(curl)), std::move(policy));
}

}  // namespace

std::chrono::milliseconds seconds_option(double seconds, const char* option) {
  if (!(seconds > 0) || seconds > 86400) {
    throw Error(ErrorCode::usage, std::string(option) + " must be between 0 and 86400 seconds");
  }
  return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000)));
}

namespace {

// One "Name: value" (${VAR} expanded, the value trimmed) added to `headers`;
// `where` names it in an error ("--header argument 2"), which never echoes it.
void add_header_line(std::string_view line, const std::string& where, const EnvLookup& env, net::HttpHeaders& headers) {
  const auto colon = line.find(':');
  const std::string name(line.substr(0, colon));
  if (colon == std::string_view::npos || !core::is_token(name)) {
    // Never echo the argument: with the colon missing, the value may be in it.
    throw Error(ErrorCode::usage, where + " is not of the form \"Name: value\" (a token name, a colon, the value)");
  }
  std::string value = expand_env(std::string(line.substr(colon + 1)), env);
  const auto first = value.find_first_not_of(" \t");
  value = first == std::string::npos ? std::string() : value.substr(first);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos) {
    throw Error(ErrorCode::usage, "the value of header " + name + " (" + where + ") contains a line break");
  }
  headers.add(name, value);
}

}  // namespace

net::HttpHeaders parse_headers(const std::vector<std::string>& args, const EnvLookup& env) {
  net::HttpHeaders headers;
  for (std::size_t index = 0; index < args.size(); ++index) {
    add_header_line(args[index], "--header argument " + std::to_string(index + 1), env, headers);
  }
  return headers;
}

net::HttpHeaders parse_header_file(std::string_view text, const std::string& file, const EnvLookup& env) {
  net::HttpHeaders headers;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    add_header_line(line.substr(first), "line " + std::to_string(number) + " of " + file, env, headers);
  }
  return headers;
}

std::vector<std::pair<std::string, std::string>> parse_authorize_params(const std::vector<std::string>& args) {
  core::oauth::FormFields params;
  for (std::size_t index = 0; index < args.size(); ++index) {
    const std::string& arg = args[index];
    const auto equals = arg.find('=');
    std::string key = equals == std::string::npos ? std::string() : arg.substr(0, equals);
    const auto first = key.find_first_not_of(" \t");
    key = first == std::string::npos ? std::string() : key.substr(first, key.find_last_not_of(" \t") - first + 1);
    if (key.empty()) {
      // Not echoed: a value (a login hint, an audience) is the user's business.
      throw Error(ErrorCode::usage, "--authorize-param " + std::to_string(index + 1) +
                                        " is not of the form key=value (e.g. audience=https://api.example.com)");
    }
    params.emplace_back(std::move(key), arg.substr(equals + 1));
  }
  try {
    core::oauth::check_extra_authorization_params(params);
  } catch (const Error& e) {
    throw Error(ErrorCode::usage, std::string("--authorize-param: ") + e.what());
  }
  return params;
}

std::shared_ptr<store::TokenStore> open_user_store(const EnvLookup& env) {
  return store::open_user_token_store(env);
}

bool can_open_browser(const EnvLookup& env) {
  return core::platform::can_open_browser(core::platform::current_os(), env);
}

// The protocol memory is an optimisation: a store that cannot be read or
// written here costs the probes it would have saved, never the command.
void recall_protocol(Connection& c) {
  if (!c.store) return;
  try {
    if (const auto record = c.store->load_discovery(c.options.url)) {
      c.options.remembered = mcp::ProtocolMemory{record->protocol_version, record->transport};
    }
  } catch (const Error&) {
    c.options.remembered = {};
  }
}

void remember_protocol(const Connection& c, const mcp::Session& session) {
  const mcp::ProtocolMemory now = session.protocol_memory();
  if (!c.store || now == c.options.remembered) return;
  try {
    // Only beside a discovery record: the servers mcpauth authorizes with.
    auto record = c.store->load_discovery(c.options.url);
    if (!record) return;
    record->protocol_version = now.protocol_version;
    record->transport = now.transport;
    c.store->save_discovery(*record);
  } catch (const Error&) {
    // see recall_protocol
  }
}

ClientOptions client_options(const ServerConfig& server, const std::string& url) {
  ClientOptions o;
  o.url = url;
  o.transport = mcp::parse_transport_kind(server.transport);
  for (const auto& [name, value] : server.headers) o.headers.set(name, value);
  o.oauth = server.oauth.enabled;
  o.account = server.account;
  o.client.client_id = server.oauth.client_id;
  o.client.client_secret = server.oauth.client_secret;
  o.client.client_metadata_url = server.oauth.client_metadata_url;
  o.scope = server.oauth.scope;
  o.resource = server.oauth.resource;
  o.send_resource = server.oauth.send_resource;
  return o;
}

Connection connection_for(const ServerArgs& args, const EnvLookup& env) {
  // Diagnostics (warnings, the proxy's log): nothing with --silent unless --debug asks.
  std::function<void(const std::string&)> say;
  if (!args.silent || args.debug) say = [](const std::string& line) { std::cerr << line << std::endl; };
  if (args.use_id_token) {
    throw Error(ErrorCode::usage,
                "--use-id-token is not supported yet: mcpauth does not keep ID tokens, so it cannot send one");
  }
  if (!args.token_endpoint.empty()) {
    throw Error(ErrorCode::usage,
                "--token-endpoint is not supported yet: mcpauth discovers the token endpoint (RFC 9728, RFC 8414)");
  }
  if (args.client_credentials && args.device) {
    throw Error(ErrorCode::usage, "--client-credentials and --device-code are two different grants; choose one");
  }
  const std::optional<Config> config = load_config_option(args.config_path, env);
  if (config && say) {
    for (const auto& warning : config->warnings) say("mcpauth: " + config->path + ": " + warning);
  }
  const ServerConfig server = resolve_server(args.target, config, env);

  const core::Url url = core::parse_url(server.url);  // validates early, with a clear message
  require_https_off_loopback(url, args.allow_http);
  ClientOptions o = client_options(server, url.text);
  o.env = env;  // finds the user's store
  // The command line wins over the config file.
  if (args.transport != "auto") o.transport = mcp::parse_transport_kind(args.transport);
  o.request_timeout = seconds_option(args.timeout_seconds, "--timeout");
  o.connect_timeout = seconds_option(args.connect_timeout_seconds, "--connect-timeout");
  // --header-file, then --header: each replaces the headers of the same name before it (the config's first).
  std::vector<net::HttpHeaders> given;
  for (const auto& file : args.header_files) given.push_back(parse_header_file(read_header_file(file, say), file, env));
  given.push_back(parse_headers(args.headers, env));
  for (const auto& layer : given) {
    for (const auto& header : layer) o.headers.remove(header.name);
    for (const auto& header : layer) o.headers.add(header.name, header.value);
  }
  o.http = http_client_for(args);
  o.log = debug_log(env, args.debug);  // compose() logs the exchanges and the authorization's steps
  if (args.no_auth) o.oauth = false;
  if (!args.account.empty()) o.account = args.account;
  if (uses_oauth(o)) {
    // The command's user reads progress (the URL to open, the device code) on stderr.
    const auto to_stderr = [](const std::string& line) { std::cerr << line << std::endl; };
    auth::LoopbackConsentOptions consent;
    consent.notify = to_stderr;
    consent.port = args.callback_port != 0 ? args.callback_port : server.oauth.callback_port.value_or(0);
    if (!args.callback_path.empty()) consent.callback_path = args.callback_path;
    if (!args.redirect_host.empty()) consent.redirect_host = args.redirect_host;
    consent.success_url = args.auth_success_url;  // checked by LoopbackConsent
    consent.open_browser = !args.no_browser;
    std::optional<std::string> no_paste;  // why the user cannot paste here
    if (args.no_browser) {
      if (!args.stdin_is_protocol) {
        consent.paste_fd = 0;  // the user may paste the redirect on stdin
      } else if (const int tty = paste_terminal(); tty >= 0) {
        consent.paste_fd = tty;  // stdin carries the host's messages: the paste comes from the terminal only
      } else {
        no_paste =
            "authorization is needed and --no-browser has no terminal to read the pasted address from (standard "
            "input carries the host's messages); run `mcpauth login --no-browser " +
            args.target + "` in a terminal first, then start the proxy again";
      }
    }
    if (no_paste) {
      o.consent = std::make_shared<UnavailableConsent>(*no_paste);
    } else if (args.no_browser || can_open_browser(env)) {
      o.consent = std::make_shared<auth::LoopbackConsent>(consent);
    } else {
      const std::string target = args.target;
      o.consent = std::make_shared<UnavailableConsent>(
          "authorization is needed and no browser can be opened here (no display, or an SSH session); run `mcpauth "
          "login --device " +
          target + "` (approve with a code on any device) or `mcpauth login --no-browser " + target +
          "` (paste the address the browser ends on), or set $BROWSER");
    }
    if (!args.client_id.empty()) o.client.client_id = args.client_id;
    if (!args.client_secret.empty()) o.client.client_secret = expand_env(args.client_secret, env);
    if (!args.client_metadata_url.empty()) o.client.client_metadata_url = args.client_metadata_url;
    if (!args.scope.empty()) o.scope = args.scope;
    if (!args.static_client_info.empty()) {
      const Json info = json_argument(args.static_client_info, "--static-oauth-client-info");
      // ${VAR} expands, as in mcp-remote: the secret need not be in argv or in the file.
      if (auto id = string_field(info, "client_id", "--static-oauth-client-info")) {
        o.client.client_id = expand_env(*id, env);
      }
      if (auto secret = string_field(info, "client_secret", "--static-oauth-client-info")) {
        o.client.client_secret = expand_env(*secret, env);
      }
    }
    if (!args.static_client_metadata.empty()) {
      const Json metadata = json_argument(args.static_client_metadata, "--static-oauth-client-metadata");
      if (auto name = string_field(metadata, "client_name", "--static-oauth-client-metadata")) o.client_name = *name;
      if (auto scope = string_field(metadata, "scope", "--static-oauth-client-metadata"); scope && !o.scope) {
        o.scope = scope;
      }
    }
    if (!args.resource.empty()) o.resource = args.resource;
    if (args.no_resource) o.send_resource = false;
    if (args.device) o.grant = auth::Grant::device_code;
    if (args.client_credentials) o.grant = auth::Grant::client_credentials;
    o.consent_timeout = seconds_option(args.consent_timeout_seconds, "--consent-timeout");
    // --silent keeps what the user must act on: the consent's URL (above) and a device code (shown through notify).
    if (say || args.device) o.notify = to_stderr;
    if (args.no_consent) {
      o.consent.reset();
      o.default_consent = false;
    }
    o.extra_authorization_params = parse_authorize_params(args.authorize_params);
    if (args.refresh_margin_seconds) {
      const double margin = *args.refresh_margin_seconds;
      if (!(margin >= 0) || margin > 86400)
        throw Error(ErrorCode::usage, "--refresh-margin must be 0 to 86400 seconds");
      o.refresh_margin = std::chrono::seconds(static_cast<long long>(std::llround(margin)));
    }
  } else if (!args.authorize_params.empty() || args.client_credentials) {
    throw Error(ErrorCode::usage,
                "--authorize-param and --client-credentials need OAuth: drop --no-auth and any static Authorization "
                "header");
  }

  Composition composed = compose(o);
  Connection c;
  c.name = server.name;
  c.account = o.account;
  c.options = std::move(composed.session);
  c.authorizer = std::move(composed.authorizer);
  c.store = std::move(composed.store);
  c.allowed_tools = args.allowed_tools.empty() ? server.allowed_tools : args.allowed_tools;
  c.ignored_tools = args.ignored_tools.empty() ? server.ignored_tools : args.ignored_tools;
  c.diagnostics = say;
  recall_protocol(c);
  return c;
}

}  // namespace mcpauth::app
