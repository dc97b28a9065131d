// Gateway::Impl's lifecycle and wiring: options and config, the HTTP server
// and its routes, start/stop, background workers and housekeeping. The
// handlers live in the files gateway_impl.hpp lists.
#include <algorithm>
#include <filesystem>

#include "assets.hpp"
#include "file_limit.hpp"
#include "gateway_impl.hpp"
#include "mcpauth/core/random.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "mcpauth/net/logging_http_client.hpp"
#include "public_url.hpp"
#include "remote_loops.hpp"
#include "return_to.hpp"

namespace mcpauth::gateway {

using SteadyClock = std::chrono::steady_clock;

Gateway::Impl::Impl(GatewayOptions options) : options_(std::move(options)) {
  if (!options_.store) throw Error(ErrorCode::usage, "the gateway needs a token store");
  if (!options_.http) options_.http = std::make_shared<net::CurlHttpClient>();
  if (!options_.env) options_.env = app::process_environment();
  if (options_.api_key && options_.api_key->size() < 16) {
    throw Error(ErrorCode::usage, "the API key must be at least 16 characters");
  }
  directory_ = store::user_directory(options_.store);
  users_ = std::make_unique<UserCache>(directory_);
  if (options_.host_key && options_.host_key->size() < 32) {
    throw Error(ErrorCode::usage, "the host key must be at least 32 characters");
  }
  if (options_.host_key && !users_->available())
    throw Error(ErrorCode::usage, "host mode needs a token store that keeps users");
  if (!core::is_loopback_host(options_.listen_host) && !options_.api_key && !users_mode()) {
    throw Error(ErrorCode::usage, "listening on " + options_.listen_host +
                                      " (not loopback) needs an API key: put one in an environment variable and "
                                      "pass its name with --api-key-env, or give the gateway users");
  }
  check_return_url_prefixes(options_.allowed_return_urls);
  if (options_.public_url) public_url_ = normalize_public_url(*options_.public_url);
  if (options_.webhook_url) {
    check_webhook_url(*options_.webhook_url);
    if (!options_.webhook_secret || options_.webhook_secret->size() < kMinWebhookSecretBytes) {
      throw Error(ErrorCode::usage, "--webhook needs its signing key (--webhook-secret-env), at least " +
                                        std::to_string(kMinWebhookSecretBytes) + " bytes");
    }
    WebhookOptions webhook;
    webhook.url = *options_.webhook_url;
    webhook.secret = *options_.webhook_secret;
    webhook.http = options_.http;
    webhook.log = [this](const std::string& line) { log(line); };
    webhook_ = std::make_unique<WebhookSender>(std::move(webhook));
  }
  csrf_ = core::random_token();
  // With a store shared by several instances, a callback may reach any of them (browser_flows.hpp).
  callbacks_ = std::make_shared<CallbackRegistry>(store::browser_flow_relay(options_.store),
                                                  [log = options_.log](const std::string& line) {
                                                    if (log) log(line);
                                                  });
  load_config();
}

Gateway::Impl::~Impl() {
  stop();
}

int Gateway::Impl::start() {
  // Each local session holds a few descriptors (the local connection, the
  // upstream connection, the bridge's): sessions stay below what the
  // descriptors allow, with room for the listener, connections without a
  // session, the store and the logs.
  const std::size_t files = raise_open_file_limit();
  // A session holding its event stream has two descriptors for good: the
  // local stream's connection and the remote stream's. Its requests borrow
  // pooled ones (the remote event loop's, or a local client's keep-alive
  // connection), which the reserve covers.
  constexpr std::size_t kReservedFiles = 256;
  constexpr std::size_t kFilesPerSession = 2;
  session_limit_ =
      std::min(options_.max_sessions, files > kReservedFiles ? (files - kReservedFiles) / kFilesPerSession : 1);
  if (options_.max_connections + kReservedFiles > files) {
    log("the open-file limit (" + std::to_string(files) + ") is below what --max-connections (" +
        std::to_string(options_.max_connections) +
        ") needs: connections past it wait until others close; raise the hard limit (ulimit -Hn) to hold that many");
  }
  http::ServerOptions server;
  server.host = options_.listen_host;
  server.port = options_.listen_port;
  server.max_connections = options_.max_connections;
  server.max_connections_per_client = options_.max_connections_per_peer;
  server.head_timeout = options_.head_timeout;
  server.stream_keepalive = kKeepalive;
  server.default_headers = {{"Cache-Control", "no-store"},
                            {"X-Content-Type-Options", "nosniff"},
                            {"Referrer-Policy", "no-referrer"},
                            {"X-Frame-Options", "DENY"}};
  server.io_thread_companion = io_thread_remote_loop();  // a forwarded request stays on its thread
  server_ = std::make_unique<http::Server>(std::move(server), routes());
  int port = 0;
  try {
    port = server_->bind();
  } catch (const std::exception& e) {
    server_.reset();
    throw Error(ErrorCode::usage, "cannot listen on " + options_.listen_host + ":" +
                                      std::to_string(options_.listen_port) + " (" + e.what() +
                                      "); is another program using the port?");
  }
  port_ = port;
  policy_ = std::make_unique<HostPolicy>(options_.listen_host, port);
  loopback_listener_ = core::is_loopback_host(options_.listen_host);
  const std::string host = is_wildcard_address(options_.listen_host) ? "127.0.0.1" : options_.listen_host;
  base_url_ = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  server_->serve();  // the screen needs policy_
  housekeeping_ = std::thread([this] { housekeeping(); });
  std::vector<std::shared_ptr<Upstream>> all;
  {
    std::lock_guard lock(state_mutex_);
    for (auto& [name, up] : upstreams_) all.push_back(up);
  }
  // With users, an OAuth server's rows are each user's: a check with the
  // default account's grant would be no user's request.
  const bool per_user = users_mode();
  for (auto& up : all) {
    if (!per_user || up->auth_kind != "oauth") spawn([this, up] { check(up); });
  }
  return port;
}

void Gateway::Impl::stop() {
  {
    std::lock_guard lock(events_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  events_cv_.notify_all();
  wake_state_streams();  // they end
  callbacks_->cancel_all();
  {
    std::lock_guard lock(state_mutex_);
    stopping_flag_ = true;
    for (auto& [name, up] : upstreams_) {
      if (up->flow) up->flow->pending->cancel();
    }
  }
  flow_cv_.notify_all();
  std::vector<std::shared_ptr<LocalSession>> sessions;
  {
    std::lock_guard lock(sessions_mutex_);
    for (auto& [id, s] : sessions_) sessions.push_back(s);
  }
  // Oldest first: their remote streams end fastest in that order (LocalSession::serial).
  std::sort(sessions.begin(), sessions.end(), [](const auto& a, const auto& b) { return a->serial < b->serial; });
  for (auto& s : sessions) s->mark_closed();  // ends their event streams and waiting POSTs
  end_stateless();                            // and the stateless clients' waiting POSTs
  if (server_) server_->stop();               // closes every connection; every stream has ended
  if (housekeeping_.joinable()) housekeeping_.join();
  join_workers();
  // Each Bridge's DELETE is a courtesy: a server that does not answer
  // gets until kStopDeadline, then the gate ends what is left.
  stop_gate_.run_with_deadline(kStopDeadline, [&] { close_bridges(sessions); });
  close_stateless();
  if (webhook_) webhook_->stop();
  std::lock_guard lock(sessions_mutex_);
  sessions_.clear();
}

// ---- configuration ------------------------------------------------------------

void Gateway::Impl::load_config() {
  std::error_code ec;
  if (std::filesystem::exists(options_.config_path, ec)) {
    config_ = app::load_config(options_.config_path);
    for (const auto& w : config_.warnings) log(options_.config_path + ": " + w);
  } else {
    config_ = app::Config{};
    config_.path = options_.config_path;
  }
  for (const auto& server : config_.servers) upstreams_[server.name] = make_upstream(server);
}

std::shared_ptr<Upstream> Gateway::Impl::upstream(const std::string& name) {
  std::lock_guard lock(state_mutex_);
  const auto it = upstreams_.find(name);
  return it == upstreams_.end() ? nullptr : it->second;
}

// ---- background work -------------------------------------------------------------

void Gateway::Impl::spawn(std::function<void()> fn) {
  workers_.submit([fn = std::move(fn)] {
    try {
      fn();
    } catch (...) {
    }
  });
}

void Gateway::Impl::join_workers() {
  workers_.join();
}

void Gateway::Impl::housekeeping() {
  std::unique_lock lock(events_mutex_);
  while (!events_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return stopping_; })) {
    lock.unlock();
    reap_idle_sessions();
    sweep_user_upstreams();
    lock.lock();
  }
}

void Gateway::Impl::reap_idle_sessions() {
  std::vector<std::shared_ptr<LocalSession>> idle;
  const auto now = SteadyClock::now();
  {
    std::lock_guard lock(sessions_mutex_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      bool expired = false;
      {
        std::lock_guard session_lock(it->second->mutex);
        expired = !it->second->legacy && !it->second->stream_open && it->second->waiting.empty() &&
                  it->second->pending.empty() && now - it->second->last_used > kIdleSession;
      }
      if (expired) {
        idle.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : idle) close_session(s);
}

// ---- dashboard events ------------------------------------------------------------

void Gateway::Impl::bump() {
  {
    std::lock_guard lock(events_mutex_);
    ++version_;
  }
  wake_state_streams();
}

void Gateway::Impl::log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

std::function<void(const std::string&)> Gateway::Impl::debug_log(const std::string& name) const {
  if (!options_.debug) return nullptr;
  return [debug = options_.debug, name](const std::string& line) { debug(name + ": " + line); };
}

std::shared_ptr<net::HttpClient> Gateway::Impl::with_debug_log(const std::string& name) const {
  return net::with_exchange_log(options_.http, debug_log(name));
}

// ---- HTTP ------------------------------------------------------------------------

http::Router Gateway::Impl::routes() {
  http::Router router;
  router.set_screen([this](http::Request& req, http::Response& res) { return screen(req, res); });
  // The statuses the server answers itself (no route, a body over the cap,
  // too many connections, ...): say which, not always "no such endpoint".
  router.set_error_page([](int status, const std::string& reason, http::Response& res) {
    const char* code = status == 404   ? "not_found"
                       : status == 503 ? "unavailable"
                       : status >= 500 ? "internal"
                                       : "usage";
    send_error(res, status, code, reason);
  });
  router.set_default_body_limit(kMaxApiBodyBytes);
  for (const char* path : {"/", "/dashboard.js", "/dashboard.css", "/favicon.ico"}) {
    router.add("GET", path, kMaxApiBodyBytes, [](const http::Request& req, http::Response& res) {
      const Asset* asset = find_asset(req.path);
      if (!asset) {
        send_error(res, 404, "not_found", "no such file");
        return;
      }
      if (req.path == "/") {
        res.set_header("Content-Security-Policy",
                       "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
      }
      res.set_content(reinterpret_cast<const char*>(asset->data), asset->size, std::string(asset->content_type));
    });
  }
  const std::string name = "([A-Za-z0-9._-]{1,64})";
  const auto mcp = kMaxMcpBodyBytes;
  const auto api = kMaxApiBodyBytes;
  // Opening an event stream never blocks: on the I/O thread (http::Runs).
  // Nor does a POST: it forwards on the remote event loop and answers later,
  // or hands what must block to the handler pool (local_endpoints.cpp).
  const auto loop = http::Runs::on_loop;
  router.add("POST", "/servers/" + name + "/mcp", mcp,
             with_body(true, guarded([this](auto& req, auto& res) { mcp_post(req, res); })), loop);
  router.add("GET", "/servers/" + name + "/mcp", api, guarded([this](auto& req, auto& res) { mcp_get(req, res); }),
             loop);
  router.add("DELETE", "/servers/" + name + "/mcp", api,
             guarded([this](auto& req, auto& res) { mcp_delete(req, res); }));
  router.add("GET", "/servers/" + name + "/sse", api, guarded([this](auto& req, auto& res) { sse_get(req, res); }),
             loop);
  router.add("POST", "/servers/" + name + "/messages", mcp,
             with_body(true, guarded([this](auto& req, auto& res) { sse_post(req, res); })));

  router.add("GET", "/api/state", api,
             guarded([this](auto& req, auto& res) { send_json(res, 200, state_json(true, req.caller)); }));
  router.add("GET", "/api/events", api, guarded([this](auto& req, auto& res) { events(req, res); }), loop);
  router.add("POST", "/api/servers/" + name + "/authorize", api,
             with_body(false, guarded([this](auto& req, auto& res) { api_authorize(req, res); })));
  router.add("GET", "/api/servers/" + name + "/status", api,
             guarded([this](auto& req, auto& res) { api_status(req, res); }));
  router.add("POST", "/api/servers/" + name + "/logout", api,
             with_body(false, guarded([this](auto& req, auto& res) { api_logout(req, res); })));
  router.add("POST", "/api/servers/" + name + "/reconnect", api,
             with_body(false, guarded([this](auto& req, auto& res) { api_reconnect(req, res); })));
  router.add("DELETE", "/api/servers/" + name, api, guarded([this](auto& req, auto& res) { api_remove(req, res); }));
  router.add("GET", "/api/servers/" + name + "/tools", api,
             guarded([this](auto& req, auto& res) { api_tools(req, res); }));
  router.add("POST", "/api/probe", api,
             with_body(false, guarded([this](auto& req, auto& res) { api_probe(req, res); })));
  router.add("POST", "/api/servers", api,
             with_body(false, guarded([this](auto& req, auto& res) { api_add(req, res); })));
  router.add("GET", "/oauth/callback", api, guarded([this](auto& req, auto& res) { oauth_callback(req, res); }));
  router.add("GET", kClientMetadataPath, api, guarded([this](auto& req, auto& res) { client_metadata(req, res); }));
  return router;
}

// A POST route with a body. The server has read it whole within the route's
// cap, whatever the framing (over it: 413 and the connection closes). No
// Content-Length and no Transfer-Encoding means an empty body in HTTP/1.1
// (RFC 9112 section 6.3), the same as Content-Length: 0: fine where the body
// is optional; on the MCP endpoints, whose body is a JSON-RPC message, a 400
// with a JSON-RPC Parse error saying what to send.
http::Handler Gateway::Impl::with_body(bool required, http::Handler handler) {
  return [required, handler = std::move(handler)](const http::Request& req, http::Response& res) {
    if (required && req.body.find_first_not_of(" \t\r\n") == std::string::npos) {
      rpc_error(res, 400, rpc::kParseError,
                "Parse error: the POST has no body; send one JSON-RPC message as the request body (e.g. curl -d "
                "'{...}')");
      return;
    }
    handler(req, res);
  };
}

std::shared_ptr<Upstream> Gateway::Impl::upstream_or_404(const http::Request& req, http::Response& res) {
  const std::string name(req.matches[1]);
  auto up = upstream(name);
  // A local user's request goes to that user's upstream: its grants, never another's.
  if (up) return req.caller ? user_upstream(up, req.caller->name) : up;
  // Not a shared server: the caller's own, if it has one of that name. The
  // answer without is the same whoever else has one (no existence oracle).
  if (req.caller) up = own_upstream(req.caller->name, name);
  if (!up) send_error(res, 404, "usage", "no server named " + name + " is configured");
  return up;
}

Gateway::Gateway(GatewayOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Gateway::~Gateway() = default;
int Gateway::start() {
  return impl_->start();
}
void Gateway::stop() {
  impl_->stop();
}

}  // namespace mcpauth::gateway
