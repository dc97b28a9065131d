// Gateway::Impl's lifecycle and wiring: options and config, the HTTP server
// and its routes, start/stop, background workers and housekeeping. The
// handlers live in the files gateway_impl.hpp lists.
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <filesystem>

#include "assets.hpp"
#include "auth/random.hpp"
#include "connection_pool.hpp"
#include "gateway_impl.hpp"
#include "mcpauth/net/curl_http_client.hpp"

namespace mcpauth::gateway {

using SteadyClock = std::chrono::steady_clock;

Gateway::Impl::Impl(GatewayOptions options) : options_(std::move(options)) {
  if (!options_.store) throw Error(ErrorCode::usage, "the gateway needs a token store");
  if (!options_.http) options_.http = std::make_shared<net::CurlHttpClient>();
  if (!options_.env) options_.env = app::process_environment();
  if (options_.api_key && options_.api_key->size() < 16) {
    throw Error(ErrorCode::usage, "the API key must be at least 16 characters");
  }
  if (!is_loopback_address(options_.listen_host) && !options_.api_key) {
    throw Error(ErrorCode::usage, "listening on " + options_.listen_host +
                                      " (not loopback) needs an API key: put one in an environment variable and "
                                      "pass its name with --api-key-env");
  }
  csrf_ = auth::detail::random_token();
  callbacks_ = std::make_shared<CallbackRegistry>();
  load_config();
}

Gateway::Impl::~Impl() {
  stop();
}

namespace {

// Each local session holds a few descriptors (the local connection, the
// upstream connection, the bridge's); the soft limit is often 1,024 while the
// hard one is far higher. Raises the soft limit to the hard one and returns
// the result.
std::size_t raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : static_cast<std::size_t>(limit.rlim_cur);
}

}  // namespace

int Gateway::Impl::start() {
  // Sessions stay below what the descriptors allow, with room for the
  // listener, connections without a session, the store and the logs.
  const std::size_t files = raise_open_file_limit();
  constexpr std::size_t kReservedFiles = 256;
  constexpr std::size_t kFilesPerSession = 3;
  session_limit_ =
      std::min(options_.max_sessions, files > kReservedFiles ? (files - kReservedFiles) / kFilesPerSession : 1);
  server_.new_task_queue = [this] { return new ConnectionPool(options_.max_connections); };
  server_.set_tcp_nodelay(true);
  server_.set_keep_alive_max_count(100'000);
  server_.set_keep_alive_timeout(10);
  server_.set_read_timeout(30);
  server_.set_write_timeout(30);
  server_.set_payload_max_length(kMaxMcpBodyBytes);
  server_.set_default_headers({{"Cache-Control", "no-store"},
                               {"X-Content-Type-Options", "nosniff"},
                               {"Referrer-Policy", "no-referrer"},
                               {"X-Frame-Options", "DENY"}});
  int listen_fd = -1;
  server_.set_socket_options([&listen_fd](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = sock;
  });
  routes();
  const int port = options_.listen_port == 0
                       ? server_.bind_to_any_port(options_.listen_host)
                       : (server_.bind_to_port(options_.listen_host, options_.listen_port) ? options_.listen_port : -1);
  if (port <= 0) {
    throw Error(ErrorCode::usage, "cannot listen on " + options_.listen_host + ":" +
                                      std::to_string(options_.listen_port) + "; is another program using the port?");
  }
  // cpp-httplib listens with a backlog of 5: a burst of connections would
  // wait for SYN retransmits (1 s). The same socket, a deep queue.
  if (listen_fd >= 0) ::listen(listen_fd, 4096);
  port_ = port;
  policy_ = std::make_unique<HostPolicy>(options_.listen_host, port);
  loopback_listener_ = is_loopback_address(options_.listen_host);
  const std::string host = is_wildcard_address(options_.listen_host) ? "127.0.0.1" : options_.listen_host;
  base_url_ = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  server_thread_ = std::thread([this] { server_.listen_after_bind(); });
  housekeeping_ = std::thread([this] { housekeeping(); });
  std::vector<std::shared_ptr<Upstream>> all;
  {
    std::lock_guard lock(state_mutex_);
    for (auto& [name, up] : upstreams_) all.push_back(up);
  }
  for (auto& up : all) spawn([this, up] { check(up); });
  return port;
}

void Gateway::Impl::stop() {
  {
    std::lock_guard lock(events_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  events_cv_.notify_all();
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
  for (auto& s : sessions) s->mark_closed();  // ends SSE streams and waiting POSTs
  server_.stop();
  if (server_thread_.joinable()) server_thread_.join();
  if (housekeeping_.joinable()) housekeeping_.join();
  join_workers();
  for (auto& s : sessions) s->bridge->close();
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
                  now - it->second->last_used > kIdleSession;
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
  events_cv_.notify_all();
}

void Gateway::Impl::log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

// ---- HTTP ------------------------------------------------------------------------

void Gateway::Impl::routes() {
  server_.set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return screen(req, res); });
  // cpp-httplib ends here for every status it sets itself (no route, a body
  // it could not read, ...): say which, not always "no such endpoint".
  server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 404: send_error(res, 404, "not_found", "no such endpoint"); break;
      case 411:
        send_error(res, 411, "usage",
                   "this request needs a body with a Content-Length (e.g. curl -d '{}'); send {} when there is "
                   "nothing to say");
        break;
      case 413: send_error(res, 413, "usage", "the request body is larger than the gateway accepts"); break;
      default: send_error(res, res.status, "usage", "the gateway could not read this request");
    }
  });
  for (const char* path : {"/", "/dashboard.js", "/dashboard.css", "/favicon.ico"}) {
    server_.Get(path, [](const httplib::Request& req, httplib::Response& res) {
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
  server_.Post("/servers/" + name + "/mcp",
               with_body(kMaxMcpBodyBytes, true, guarded([this](auto& req, auto& res) { mcp_post(req, res); })));
  server_.Get("/servers/" + name + "/mcp", guarded([this](auto& req, auto& res) { mcp_get(req, res); }));
  server_.Delete("/servers/" + name + "/mcp", guarded([this](auto& req, auto& res) { mcp_delete(req, res); }));
  server_.Get("/servers/" + name + "/sse", guarded([this](auto& req, auto& res) { sse_get(req, res); }));
  server_.Post("/servers/" + name + "/messages",
               with_body(kMaxMcpBodyBytes, true, guarded([this](auto& req, auto& res) { sse_post(req, res); })));

  server_.Get("/api/state", guarded([this](auto&, auto& res) { send_json(res, 200, state_json(true)); }));
  server_.Get("/api/events", guarded([this](auto& req, auto& res) { events(req, res); }));
  server_.Post("/api/servers/" + name + "/authorize",
               with_body(kMaxApiBodyBytes, false, guarded([this](auto& req, auto& res) { api_authorize(req, res); })));
  server_.Post("/api/servers/" + name + "/logout",
               with_body(kMaxApiBodyBytes, false, guarded([this](auto& req, auto& res) { api_logout(req, res); })));
  server_.Post("/api/servers/" + name + "/reconnect",
               with_body(kMaxApiBodyBytes, false, guarded([this](auto& req, auto& res) { api_reconnect(req, res); })));
  server_.Delete("/api/servers/" + name, guarded([this](auto& req, auto& res) { api_remove(req, res); }));
  server_.Get("/api/servers/" + name + "/tools", guarded([this](auto& req, auto& res) { api_tools(req, res); }));
  server_.Post("/api/probe",
               with_body(kMaxApiBodyBytes, false, guarded([this](auto& req, auto& res) { api_probe(req, res); })));
  server_.Post("/api/servers",
               with_body(kMaxApiBodyBytes, false, guarded([this](auto& req, auto& res) { api_add(req, res); })));
  server_.Get("/oauth/callback", guarded([this](auto& req, auto& res) { oauth_callback(req, res); }));
}

// A POST route whose body is read here, not by cpp-httplib: its own reading
// has no bound for chunked bodies and waits for EOF when a request has no
// framing at all. Over `limit` (whatever the framing): 413 and no more is
// kept. No Content-Length and no Transfer-Encoding means an empty body in
// HTTP/1.1: fine where the body is optional, else 411 saying what to send.
httplib::Server::HandlerWithContentReader Gateway::Impl::with_body(std::size_t limit, bool required,
                                                                   httplib::Server::Handler handler) {
  return [limit, required, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res,
                                                         const httplib::ContentReader& reader) {
    const bool framed = req.has_header("Content-Length") || req.has_header("Transfer-Encoding");
    if (!framed && required) {
      send_error(res, 411, "usage",
                 "send the JSON-RPC message as the request body, with a Content-Length (e.g. curl -d '{...}')");
      return;
    }
    std::string body;
    bool too_large = false;
    if (framed) {
      reader([&](const char* data, std::size_t size) {
        if (body.size() + size > limit) {
          too_large = true;
          return false;
        }
        body.append(data, size);
        return true;
      });
    }
    if (too_large) {
      res.set_header("Connection", "close");
      send_error(res, 413, "usage",
                 "the request body is larger than the gateway accepts here (" + std::to_string(limit) + " bytes)");
      return;
    }
    httplib::Request with = req;
    with.body = std::move(body);
    handler(with, res);
  };
}

std::shared_ptr<Upstream> Gateway::Impl::upstream_or_404(const httplib::Request& req, httplib::Response& res) {
  auto up = upstream(req.matches[1]);
  if (!up) send_error(res, 404, "usage", "no server named " + std::string(req.matches[1]) + " is configured");
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
