// `mcpauth doctor SERVER`: gathers the facts of the whole chain with the
// library's own code (auth::probe, auth::discover, the store, a connection
// with the stored grant that never asks the user), has doctor_steps.cpp
// judge them, and prints the steps. Never a token, code, secret or header value.
#include <filesystem>
#include <iostream>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "debug_log.hpp"
#include "doctor_steps.hpp"
#include "mcpauth/auth/discovery.hpp"
#include "mcpauth/auth/probe.hpp"
#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/core/printable.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "plain_http.hpp"
#include "server_config.hpp"
#include "server_headers.hpp"
#include "stored_grants.hpp"

namespace mcpauth::app {
namespace {

namespace fs = std::filesystem;
using doctor::Facts;

// What the probe and discovery exchanged: each request's URL and status (or
// the transport's failure) and, of a refusal, its WWW-Authenticate values
// (a challenge, no secret). No other header value and no body is kept.
class RecordingHttpClient final : public net::HttpClient {
 public:
  struct Exchange {
    std::string method;
    std::string url;
    int status = 0;
    std::string error;
    std::vector<std::string> www_authenticate;
  };

  explicit RecordingHttpClient(std::shared_ptr<net::HttpClient> inner) : inner_(std::move(inner)) {}

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
    try {
      net::HttpResponse response = inner_->send(request, cancel);
      record(request, response.status, "", response.headers);
      return response;
    } catch (const Error& e) {
      record(request, 0, e.what(), {});
      throw;
    }
  }

  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* cancel) override {
    Observer observer(handler);
    try {
      inner_->stream(request, observer, cancel);
    } catch (const Error& e) {
      record(request, observer.status, e.what(), observer.headers);
      throw;
    }
    record(request, observer.status, "", observer.headers);
  }

  std::vector<Exchange> exchanges() const {
    std::lock_guard lock(mutex_);
    return exchanges_;
  }

 private:
  struct Observer final : net::HttpStreamHandler {
    explicit Observer(net::HttpStreamHandler& wrapped) : inner(wrapped) {}
    bool on_response_start(int s, const net::HttpHeaders& h) override {
      status = s;
      headers = h;
      return inner.on_response_start(s, h);
    }
    bool on_body(std::string_view chunk) override { return inner.on_body(chunk); }
    net::HttpStreamHandler& inner;
    int status = 0;
    net::HttpHeaders headers;
  };

  void record(const net::HttpRequest& request, int status, std::string error, const net::HttpHeaders& headers) {
    std::lock_guard lock(mutex_);
    exchanges_.push_back(
        {request.method, request.url, status, std::move(error),
         status == 401 || status == 403 ? headers.get_all("WWW-Authenticate") : std::vector<std::string>{}});
  }

  std::shared_ptr<net::HttpClient> inner_;
  mutable std::mutex mutex_;
  std::vector<Exchange> exchanges_;
};

bool has_header(const net::HttpHeaders& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (core::iequals(header.name, name)) return true;
  }
  return false;
}

// 1. The probe: reachability, transport, and the refusal with its challenge.
void probe_server(Facts& f, const std::shared_ptr<net::HttpClient>& curl, const net::HttpHeaders& headers,
                  std::chrono::milliseconds timeout) {
  // The static headers go on the requests to the server URL, as the session would send them.
  auto recorder = std::make_shared<RecordingHttpClient>(with_server_headers(curl, f.url, headers));
  auth::ProbeOptions options;
  options.server_url = f.url;
  options.http = recorder;
  options.timeout = timeout;
  try {
    f.probe = auth::probe(options);
  } catch (const Error& e) {
    f.probe_error = e;
  }
  for (const auto& exchange : recorder->exchanges()) {
    if (exchange.url == f.url && (exchange.status == 401 || exchange.status == 403)) {
      f.refusal_status = exchange.status;
      f.challenge = core::oauth::summarize(core::oauth::parse_www_authenticate(exchange.www_authenticate));
      break;
    }
  }
}

// 2. Discovery, as the Authorizer runs it, with where each document was (not) found.
void discover(Facts& f, const std::shared_ptr<net::HttpClient>& curl, const ServerConfig& server,
              const ServerArgs& args, std::chrono::milliseconds timeout) {
  f.discovery_ran = true;
  auto recorder = std::make_shared<RecordingHttpClient>(curl);
  auth::DiscoveryOptions options;
  options.server_url = f.url;
  options.http = recorder;
  options.http_timeout = timeout;
  options.resource = args.resource.empty() ? server.oauth.resource : std::optional<std::string>(args.resource);
  options.send_resource = server.oauth.send_resource && !args.no_resource;
  const auto challenge = f.challenge.value_or(core::oauth::AuthChallenge{});
  try {
    f.discovery = auth::discover(options, challenge);
  } catch (const Error& e) {
    f.discovery_error = e;
  }
  // Which documents were Protected Resource Metadata: the challenge's URL or the well-known ones.
  std::set<std::string> prm_urls;
  if (challenge.resource_metadata) prm_urls.insert(*challenge.resource_metadata);
  for (auto& url : core::oauth::protected_resource_metadata_urls(f.url)) prm_urls.insert(std::move(url));
  for (const auto& exchange : recorder->exchanges()) {
    doctor::MetadataFetch fetch{exchange.url, exchange.status, exchange.error};
    (prm_urls.count(exchange.url) ? f.resource_metadata_fetches : f.server_metadata_fetches).push_back(fetch);
  }
}

std::string key_source(const store::SqliteStoreOptions& options, const EnvLookup& env) {
  if (options.key) return "MCPAUTH_KEY";
  const fs::path key_file = options.key_file.empty() ? fs::path(options.path.string() + ".key") : options.key_file;
  const bool bus = env("DBUS_SESSION_BUS_ADDRESS").has_value();
  std::error_code ec;
  if (!fs::exists(key_file, ec)) return "the desktop keyring";
  if (options.use_keyring && bus) return "the desktop keyring, else " + key_file.string();
  return key_file.string();
}

// 3. The store, the client and the grant. The store is opened only when it exists: doctor creates nothing.
std::shared_ptr<store::TokenStore> read_store(Facts& f, const EnvLookup& env) {
  try {
    const store::SqliteStoreOptions options = store::default_sqlite_store_options(env);
    f.store.path = options.path.string();
    f.store.key_source = key_source(options, env);
    std::error_code ec;
    f.store.exists = fs::exists(options.path, ec);
    if (!f.store.exists) return nullptr;
    return store::open_sqlite_token_store(options);
  } catch (const Error& e) {
    f.store.error = e;
    return nullptr;
  }
}

std::optional<doctor::GrantFacts> stored_grant(store::TokenStore& store, const std::string& url,
                                               const std::string& account) {
  const ServerGrants found = StoredGrants(store).for_server(url);
  for (const auto& grant : found.grants) {
    if (grant.key.account != account) continue;
    doctor::GrantFacts g;
    g.issuer = grant.key.issuer;
    g.client_id = grant.key.client_id;
    g.error = grant.error;
    g.state = core::oauth::grant_state(grant.tokens, store::Clock::now());
    if (grant.tokens.expires_at) {
      g.expires_in_seconds =
          std::chrono::duration_cast<std::chrono::seconds>(*grant.tokens.expires_at - store::Clock::now()).count();
    }
    g.refreshable = grant.tokens.refresh_token.has_value();
    g.scope = grant.tokens.scope.value_or("");
    return g;
  }
  return std::nullopt;
}

void read_stored(Facts& f, store::TokenStore& store) {
  f.grant = stored_grant(store, f.url, f.account);
  std::string issuer = f.discovery ? f.discovery->as.issuer : "";
  if (issuer.empty() && f.grant) issuer = f.grant->issuer;
  if (issuer.empty()) return;
  if (const auto client = store.load_client(issuer)) f.client = doctor::ClientFacts{client->client_id, client->kind};
}

// 4. A connection as the other commands make it, except that nobody is
// asked: a refresh runs, an authorization that needs the user fails.
void connect(Facts& f, const ServerArgs& given, const EnvLookup& env) {
  ServerArgs args = given;
  args.no_consent = true;
  // A server that needs nothing is connected without OAuth: no store is created for it.
  if (f.probe && f.probe->needs == auth::ProbeResult::Needs::nothing) args.no_auth = true;
  doctor::ConnectFacts c;
  std::shared_ptr<store::TokenStore> store;
  try {
    const Connection connection = connection_for(args, env);
    store = connection.store;
    auto session = mcp::Session::connect(connection.options);
    c.tool_count = session->list_tools().size();
    const auto memory = session->protocol_memory();
    c.protocol_version = memory.protocol_version;
    c.transport = memory.transport;
    session->close();
  } catch (const Error& e) {
    c.error = e;
    if (f.grant && store) {
      try {
        c.grant_removed = !stored_grant(*store, f.url, f.account);
      } catch (const Error&) {
      }
    }
  }
  f.connect = std::move(c);
}

Facts gather(const ServerArgs& args, const EnvLookup& env) {
  const std::optional<Config> config = load_config_option(args.config_path, env);
  const ServerConfig server = resolve_server(args.target, config, env);
  const core::Url url = core::parse_url(server.url);
  require_https_off_loopback(url, args.allow_http);
  const auto timeout = seconds_option(args.timeout_seconds, "--timeout");

  Facts f;
  f.target = args.target;
  f.url = url.text;
  f.account = args.account.empty() ? server.account : args.account;
  net::HttpHeaders headers;
  for (const auto& [name, value] : server.headers) headers.set(name, value);
  for (const auto& header : parse_headers(args.headers, env)) headers.set(header.name, header.value);
  f.static_authorization = has_header(headers, "Authorization");
  f.oauth = server.oauth.enabled && !args.no_auth && !f.static_authorization;
  f.client_id_configured = !args.client_id.empty() || server.oauth.client_id.has_value();
  f.client_metadata_url_configured = !args.client_metadata_url.empty() || server.oauth.client_metadata_url.has_value();

  auto curl = logged_curl_client(env);
  probe_server(f, curl, headers, timeout);
  const bool probed = f.probe || (f.probe_error && f.probe_error->code() == ErrorCode::auth_server_unreachable);
  if (probed && f.refusal_status == 401 && f.oauth) discover(f, curl, server, args, timeout);

  const auto store = read_store(f, env);
  if (store) {
    try {
      read_stored(f, *store);
    } catch (const Error& e) {
      f.store.error = e;
    }
  }
  const bool needs_nothing = f.probe && f.probe->needs == auth::ProbeResult::Needs::nothing;
  const bool with_grant = f.oauth && f.grant && !f.grant->error && !f.store.error;
  const bool headers_accepted = f.static_authorization && f.refusal_status == 0;
  if (f.probe && (needs_nothing || headers_accepted || with_grant)) connect(f, args, env);
  return f;
}

void print_text(std::ostream& out, const Facts& f, const doctor::Report& report) {
  out << "mcpauth doctor " << core::printable(f.url)
      << (f.account.empty() ? "" : " (account " + core::printable(f.account) + ")") << '\n';
  for (const auto& s : report.steps) {
    std::string verdict(doctor::to_string(s.verdict));
    verdict.resize(6, ' ');
    std::string id = s.id;
    id.resize(22, ' ');
    out << verdict << id << core::printable(s.summary) << '\n';
    for (const auto& detail : s.details) out << std::string(28, ' ') << core::printable(detail) << '\n';
  }
  out << "Next: " << core::printable(report.next) << '\n';
}

void print_json(std::ostream& out, const Facts& f, const doctor::Report& report) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : report.steps) {
    steps.push_back({{"id", s.id},
                     {"status", std::string(doctor::to_string(s.verdict))},
                     {"summary", s.summary},
                     {"details", s.details}});
  }
  const nlohmann::json doc = {{"server", f.target},
                              {"url", f.url},
                              {"account", f.account},
                              {"ok", report.exit_code == 0},
                              {"exit_code", report.exit_code},
                              {"steps", steps},
                              {"next", report.next}};
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace

int run_doctor(const ServerArgs& args) {
  const EnvLookup env = process_environment();
  const Facts facts = gather(args, env);
  const doctor::Report report = doctor::judge(facts);
  if (args.json) {
    print_json(std::cout, facts, report);
  } else {
    print_text(std::cout, facts, report);
  }
  return report.exit_code;
}

}  // namespace mcpauth::app
