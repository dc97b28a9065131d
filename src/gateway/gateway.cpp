#include "gateway.hpp"

#include <httplib.h>
#include <openssl/rand.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "assets.hpp"
#include "config_edit.hpp"
#include "gateway_consent.hpp"
#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/auth/discovery.hpp"
#include "mcpauth/auth/probe.hpp"
#include "mcpauth/auth/revocation.hpp"
#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/mcp/bridge.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "security.hpp"
#include "server_config.hpp"
#include "stored_grants.hpp"

namespace mcpauth::gateway {
namespace {

namespace rpc = core::jsonrpc;
using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kMaxMcpBodyBytes = 16u << 20;  // one local JSON-RPC message
constexpr std::size_t kMaxApiBodyBytes = 64u << 10;  // a dashboard API request
constexpr std::size_t kMaxOutboxMessages = 1000;     // undelivered server messages per local session
constexpr std::size_t kMaxOutboxBytes = 32u << 20;
constexpr auto kKeepalive = std::chrono::seconds(15);    // SSE comment interval on idle streams
constexpr auto kIdleSession = std::chrono::minutes(30);  // a Streamable HTTP session without traffic or stream
constexpr auto kFlowStartWait = std::chrono::seconds(60);
constexpr const char* kSessionHeader = "Mcp-Session-Id";

std::string random_id() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("the system's random number generator failed");
  return core::oauth::base64url(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

bool valid_server_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool is_token_char(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

void send_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  send_json(res, status, Json{{"error", {{"code", code}, {"message", message}}}});
}

int status_for(const Error& e) {
  switch (e.code()) {
    case ErrorCode::usage: return 400;
    case ErrorCode::connection:
    case ErrorCode::timeout:
    case ErrorCode::http_status:
    case ErrorCode::protocol:
    case ErrorCode::response_too_large:
    case ErrorCode::auth_server_unreachable: return 502;
    case ErrorCode::store: return 500;
    default: return 409;
  }
}

void send_error(httplib::Response& res, const Error& e) {
  send_error(res, status_for(e), std::string(to_string(e.code())), e.what());
}

// An API request body: a small JSON object, parsed with a depth bound.
Json parse_api_body(const httplib::Request& req) {
  if (req.body.size() > kMaxApiBodyBytes) throw Error(ErrorCode::usage, "the request body is too large");
  const Json::parser_callback_t guard = [](int depth, Json::parse_event_t event, Json&) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) && depth > 8) {
      throw Error(ErrorCode::usage, "the request body is nested too deeply");
    }
    return true;
  };
  Json body;
  try {
    body = Json::parse(req.body, guard);
  } catch (const Json::exception&) {
    throw Error(ErrorCode::usage, "the request body is not valid JSON");
  }
  if (!body.is_object()) throw Error(ErrorCode::usage, "the request body must be a JSON object");
  return body;
}

std::optional<std::string> string_member(const Json& body, const char* name, std::size_t max) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw Error(ErrorCode::usage, std::string(name) + " must be a string");
  auto value = it->get<std::string>();
  if (value.size() > max) throw Error(ErrorCode::usage, std::string(name) + " is too long");
  return value;
}

long long unix_seconds(core::oauth::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Connection threads: one per connection (a long-lived SSE stream holds its
// thread), created on demand up to a bound and kept for reuse; connections
// beyond the bound wait for a free thread. See docs/architecture.md.
class ConnectionPool final : public httplib::TaskQueue {
 public:
  explicit ConnectionPool(std::size_t max_threads) : max_threads_(std::max<std::size_t>(max_threads, 4)) {}
  ~ConnectionPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(fn));
    if (queue_.size() > idle_ && threads_.size() < max_threads_) {
      threads_.emplace_back([this] { run(); });
    } else {
      cv_.notify_one();
    }
  }

  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      if (shutdown_) return;
      shutdown_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      ++idle_;
      cv_.wait(lock, [this] { return shutdown_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;  // shut down, nothing left
      auto fn = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  const std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool shutdown_ = false;
};

// The credentials of one configured server, shared by all its local sessions:
// its static headers and its OAuth Authorizer (single-flight refresh for all
// of them). The Authorizer can be replaced (after a dashboard authorization,
// a logout) without touching the sessions that use it.
class Credentials final : public mcp::RequestAuthorizer {
 public:
  using Factory = std::function<std::shared_ptr<auth::Authorizer>()>;
  Credentials(Factory factory, net::HttpHeaders headers)
      : factory_(std::move(factory)), headers_(std::move(headers)), authorizer_(factory_ ? factory_() : nullptr) {}

  void apply(net::HttpRequest& request) override {
    if (auto a = current()) a->apply(request);
    headers_.apply(request);
  }
  bool on_rejected(const net::HttpRequest& request, const mcp::Rejection& rejection) override {
    auto a = current();
    return a && a->on_rejected(request, rejection);
  }
  // A fresh Authorizer: it reads the store again on its first request.
  void reset() {
    auto fresh = factory_ ? factory_() : nullptr;
    std::lock_guard lock(mutex_);
    authorizer_ = std::move(fresh);
  }
  std::shared_ptr<auth::Authorizer> current() const {
    std::lock_guard lock(mutex_);
    return authorizer_;
  }
  const net::HttpHeaders& static_headers() const { return headers_.headers(); }

 private:
  class Headers final : public mcp::RequestAuthorizer {
   public:
    explicit Headers(net::HttpHeaders headers) : headers_(std::move(headers)) {}
    void apply(net::HttpRequest& request) override {
      for (const auto& h : headers_) request.headers.set(h.name, h.value);
    }
    bool on_rejected(const net::HttpRequest&, const mcp::Rejection&) override { return false; }
    const net::HttpHeaders& headers() const { return headers_; }

   private:
    net::HttpHeaders headers_;
  };

  Factory factory_;
  Headers headers_;
  mutable std::mutex mutex_;
  std::shared_ptr<auth::Authorizer> authorizer_;
};

struct ToolInfo {
  std::string name;
  std::string description;
};

// A dashboard-started authorization.
struct Flow {
  std::shared_ptr<PendingConsent> pending = std::make_shared<PendingConsent>();
  std::optional<std::string> url;  // published when the flow waits for the user
  bool done = false;
  bool authorized = false;
  std::optional<Error> error;
  bool remove_on_failure = false;  // added by "Add & Authorize": nothing half-configured remains
};

// One configured server (and account).
struct Upstream {
  std::string name;
  app::ServerConfig raw;  // as written in the file: ${VAR} unexpanded (shown in the dashboard)
  std::optional<app::ServerConfig> resolved;
  std::string resolve_error;
  std::string url;  // canonical, expanded
  std::string account;
  std::string auth_kind;  // "none" | "static" | "oauth"
  std::shared_ptr<Credentials> credentials;

  // Guarded by Impl::state_mutex_.
  std::string transport_seen;
  std::optional<std::vector<ToolInfo>> tools;
  std::optional<std::string> last_error;
  std::optional<ErrorCode> last_error_code;
  bool checked_ok = false;
  std::shared_ptr<Flow> flow;
};

// One local client session: a Streamable HTTP session (Mcp-Session-Id) or a
// legacy SSE stream, with its own remote session (a Bridge).
class LocalSession {
 public:
  LocalSession(std::string session_id, std::shared_ptr<Upstream> server, bool legacy_sse)
      : id(std::move(session_id)), upstream(std::move(server)), legacy(legacy_sse), last_used(SteadyClock::now()) {}
  ~LocalSession() { bridge.reset(); }  // first: its threads call deliver() on this object

  const std::string id;
  const std::shared_ptr<Upstream> upstream;
  const bool legacy;

  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, std::optional<std::string>> waiting;  // serialized request id -> answer
  std::deque<std::string> outbox;                             // SSE events not yet written
  std::size_t outbox_bytes = 0;
  bool stream_open = false;
  bool closed = false;
  SteadyClock::time_point last_used;

  std::unique_ptr<mcp::Bridge> bridge;  // last member: destroyed first

  void push_event(const std::string& json) {
    std::lock_guard lock(mutex);
    if (closed) return;
    outbox.push_back("event: message\ndata: " + json + "\n\n");
    outbox_bytes += outbox.back().size();
    while (outbox.size() > kMaxOutboxMessages || outbox_bytes > kMaxOutboxBytes) {
      outbox_bytes -= outbox.front().size();
      outbox.pop_front();  // a client that never reads its stream cannot grow this without bound
    }
    cv.notify_all();
  }

  void mark_closed() {
    {
      std::lock_guard lock(mutex);
      closed = true;
    }
    cv.notify_all();
  }
};

}  // namespace

class Gateway::Impl {
 public:
  explicit Impl(GatewayOptions options) : options_(std::move(options)) {
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
    csrf_ = random_id();
    callbacks_ = std::make_shared<CallbackRegistry>();
    load_config();
  }

  ~Impl() { stop(); }

  int start() {
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
    const int port =
        options_.listen_port == 0
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
    const std::string host = is_wildcard_address(options_.listen_host) ? "127.0.0.1" : options_.listen_host;
    base_url_ =
        "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
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

  void stop() {
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

 private:
  // ---- configuration --------------------------------------------------------

  void load_config() {
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

  std::shared_ptr<Upstream> make_upstream(const app::ServerConfig& raw) {
    auto up = std::make_shared<Upstream>();
    up->name = raw.name;
    up->raw = raw;
    up->account = raw.account;
    net::HttpHeaders headers;
    try {
      up->resolved = app::resolve_server(raw.name, config_, options_.env);
      up->url = core::parse_url(up->resolved->url).text;
      for (const auto& [name, value] : up->resolved->headers) headers.set(name, value);
    } catch (const Error& e) {
      up->resolved.reset();
      up->resolve_error = e.what();
    }
    const bool static_authorization = headers.contains("Authorization");
    up->auth_kind = static_authorization ? "static" : (!raw.oauth.enabled ? "none" : "oauth");
    Credentials::Factory factory;
    if (up->auth_kind == "oauth" && up->resolved) {
      factory = [this, resolved = *up->resolved, url = up->url] { return make_authorizer(resolved, url, nullptr); };
    }
    up->credentials = std::make_shared<Credentials>(std::move(factory), std::move(headers));
    return up;
  }

  // The Authorizer of local traffic has no consent handler: a request that
  // would need consent is answered at once (authorization_required), never
  // held while a browser flow could run. The dashboard's flow has one.
  std::shared_ptr<auth::Authorizer> make_authorizer(const app::ServerConfig& server, const std::string& url,
                                                    std::shared_ptr<auth::ConsentHandler> consent) {
    auth::AuthorizerOptions a;
    a.server_url = url;
    a.http = options_.http;
    a.store = options_.store;
    a.account = server.account;
    a.client.client_id = server.oauth.client_id;
    a.client.client_secret = server.oauth.client_secret;
    a.client.client_metadata_url = server.oauth.client_metadata_url;
    a.scope = server.oauth.scope;
    a.resource = server.oauth.resource;
    a.send_resource = server.oauth.send_resource;
    a.http_timeout = std::min<std::chrono::milliseconds>(options_.request_timeout, std::chrono::seconds(30));
    if (consent) {
      a.consent = std::move(consent);
      a.consent_timeout = options_.consent_timeout;
    } else {
      // Also how long local requests wait for a consent another flow (the
      // dashboard's, another process's) is asking for: not long.
      a.consent_timeout = std::chrono::seconds(3);
      // Without consent no authorization of its own can succeed; the budget
      // must not turn "authorization required" into "still answers 401".
      a.max_authorizations = 1'000'000;
    }
    const std::string name = server.name;
    a.notify = [this, name](const std::string& line) { log(name + ": " + line); };
    return std::make_shared<auth::Authorizer>(std::move(a));
  }

  mcp::SessionOptions session_options(const Upstream& up) const {
    mcp::SessionOptions so;
    so.url = up.url;
    so.transport = mcp::parse_transport_kind(up.resolved ? up.resolved->transport : "auto");
    so.http = options_.http;
    so.authorizer = up.credentials;
    so.request_timeout = options_.request_timeout;
    so.connect_timeout = options_.connect_timeout;
    so.client_info = {"mcpauth-gateway", "", std::nullopt};
    return so;
  }

  std::shared_ptr<Upstream> upstream(const std::string& name) {
    std::lock_guard lock(state_mutex_);
    const auto it = upstreams_.find(name);
    return it == upstreams_.end() ? nullptr : it->second;
  }

  // ---- background work -------------------------------------------------------

  void spawn(std::function<void()> fn) {
    std::lock_guard lock(workers_mutex_);
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back({std::thread([fn = std::move(fn), done] {
                          try {
                            fn();
                          } catch (...) {
                          }
                          done->store(true);
                        }),
                        done});
  }

  void join_workers() {
    std::list<Worker> workers;
    {
      std::lock_guard lock(workers_mutex_);
      workers.swap(workers_);
    }
    for (auto& w : workers) w.thread.join();
  }

  void housekeeping() {
    std::unique_lock lock(events_mutex_);
    while (!events_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return stopping_; })) {
      lock.unlock();
      reap_idle_sessions();
      lock.lock();
    }
  }

  void reap_idle_sessions() {
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

  // Connects once with the local credentials: transport, tools, and whether
  // the server needs (and has) authorization.
  void check(const std::shared_ptr<Upstream>& up) {
    if (!up->resolved) {
      bump();
      return;
    }
    try {
      auto so = session_options(*up);
      so.request_timeout = std::min<std::chrono::milliseconds>(options_.request_timeout, std::chrono::seconds(30));
      auto session = mcp::Session::connect(so);
      auto tools = session->list_tools();
      const std::string transport(session->transport_kind());
      session->close();
      record_success(*up, transport, tools);
    } catch (const Error& e) {
      record_failure(*up, e);
    }
    bump();
  }

  void record_success(Upstream& up, const std::string& transport, const std::vector<mcp::Tool>& tools) {
    std::vector<ToolInfo> list;
    for (const auto& t : tools) list.push_back({t.name, t.description.value_or("")});
    std::lock_guard lock(state_mutex_);
    up.transport_seen = transport;
    up.tools = std::move(list);
    up.checked_ok = true;
    up.last_error.reset();
    up.last_error_code.reset();
  }

  void record_failure(Upstream& up, const Error& e) {
    std::lock_guard lock(state_mutex_);
    up.checked_ok = false;
    up.last_error = e.what();
    up.last_error_code = e.code();
  }

  // ---- dashboard state and events -------------------------------------------

  void bump() {
    {
      std::lock_guard lock(events_mutex_);
      ++version_;
    }
    events_cv_.notify_all();
  }

  void log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  static std::string client_type(store::TokenStore& store, const store::TokenKey& key) {
    const auto client = store.load_client(key.issuer);
    if (!client || client->client_id != key.client_id) return "dynamic";
    return std::string(core::oauth::to_string(client->kind));
  }

  Json state_json(bool with_csrf) {
    std::optional<app::StoredGrants> stored;
    std::string store_error;
    try {
      stored.emplace(*options_.store);
    } catch (const Error& e) {
      store_error = e.what();
    }
    Json rows = Json::array();
    std::lock_guard lock(state_mutex_);
    for (const auto& [name, up] : upstreams_) rows.push_back(row_json(*up, stored ? &*stored : nullptr, store_error));
    Json out = Json::object();
    if (with_csrf) out["csrf"] = csrf_;
    out["servers"] = std::move(rows);
    return out;
  }

  // Never a token, a secret or a header value: names, URLs as written, states.
  Json row_json(const Upstream& up, const app::StoredGrants* stored, const std::string& store_error) {
    Json row = {{"name", up.name},
                {"url", up.raw.url},
                {"account", up.account},
                {"transport", up.transport_seen.empty() ? up.raw.transport : up.transport_seen},
                {"auth", up.auth_kind},
                {"state", "ready"},
                {"expires_at", nullptr},
                {"issuer", nullptr},
                {"scopes", nullptr},
                {"client_type", nullptr},
                {"tools", up.tools ? Json(up.tools->size()) : Json(nullptr)},
                {"last_error", nullptr},
                {"authorization_url", nullptr}};
    if (!up.resolved) {
      row["state"] = "error";
      row["last_error"] = up.resolve_error;
      return row;
    }
    std::optional<store::GrantRecord> grant;
    bool discovered = false;
    if (up.auth_kind == "oauth" && stored) {
      const auto found = stored->for_server(up.url);
      if (found.discovery) {
        discovered = true;
        row["issuer"] = found.discovery->issuer;
      }
      for (const auto& g : found.grants) {
        if (g.key.account == up.account) grant = g;
      }
    }
    std::string auth = up.auth_kind;
    if (auth == "oauth" && !discovered && !grant && up.checked_ok) auth = "none";  // it never asked for a token
    row["auth"] = auth;
    bool usable = false;
    if (grant) {
      row["issuer"] = grant->key.issuer;
      if (grant->tokens.expires_at) row["expires_at"] = unix_seconds(*grant->tokens.expires_at);
      if (grant->tokens.scope) row["scopes"] = *grant->tokens.scope;
      try {
        row["client_type"] = client_type(*options_.store, grant->key);
      } catch (const Error&) {
      }
      const bool expired = grant->tokens.expires_at && *grant->tokens.expires_at <= core::oauth::Clock::now();
      usable = !grant->error && (!expired || grant->tokens.refresh_token);
    }
    const bool auth_problem = up.last_error_code && (*up.last_error_code == ErrorCode::authorization_required ||
                                                     *up.last_error_code == ErrorCode::consent_timeout);
    if (up.flow && !up.flow->done) {
      row["state"] = "authorizing";
      if (up.flow->url) row["authorization_url"] = *up.flow->url;
    } else if (!store_error.empty() && auth == "oauth") {
      row["state"] = "error";
      row["last_error"] = store_error;
    } else if (up.last_error && !auth_problem) {
      row["state"] = "error";
      row["last_error"] = *up.last_error;
    } else if (auth == "oauth") {
      row["state"] = usable ? "authorized" : "needs_authorization";
      // Why the last dashboard authorization failed (denied, timed out), if it did.
      if (!usable && up.flow && up.flow->error && up.flow->error->code() != ErrorCode::cancelled) {
        row["last_error"] = up.flow->error->what();
      }
    }
    return row;
  }

  // ---- HTTP ------------------------------------------------------------------

  static bool exempt_from_api_key(const std::string& path) {
    // What a browser opens by navigation (no header can be added there): the
    // static dashboard and the OAuth redirect (which its state protects).
    return path == "/oauth/callback" || find_asset(path) != nullptr;
  }

  httplib::Server::HandlerResponse screen(const httplib::Request& req, httplib::Response& res) {
    // DNS rebinding: a page on another name must not reach us through it.
    if (!policy_->host_allowed(req.get_header_value("Host"))) {
      send_error(res, 421, "forbidden", "this Host is not the gateway's address");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Origin") && !policy_->origin_allowed(req.get_header_value("Origin"))) {
      send_error(res, 403, "forbidden", "requests from other origins are refused");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (options_.api_key && !exempt_from_api_key(req.path)) {
      const auto given = bearer_credentials(req.get_header_value("Authorization"));
      if (!given || !constant_time_equal(*given, *options_.api_key)) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"mcpauth-gateway\"");
        send_error(res, 401, "unauthorized", "this gateway needs its API key: Authorization: Bearer <key>");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    if ((req.method == "POST" || req.method == "DELETE") && req.path.rfind("/api/", 0) == 0) {
      if (!constant_time_equal(req.get_header_value("X-CSRF-Token"), csrf_)) {
        send_error(res, 403, "forbidden", "missing or wrong X-CSRF-Token (GET /api/state gives it)");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  template <typename Fn>
  auto guarded(Fn fn) {
    return [this, fn](const httplib::Request& req, httplib::Response& res) {
      try {
        fn(req, res);
      } catch (const Error& e) {
        send_error(res, e);
      } catch (const std::exception& e) {
        log(std::string("internal error: ") + e.what());
        send_error(res, 500, "internal", "internal error");
      }
    };
  }

  void routes() {
    server_.set_pre_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { return screen(req, res); });
    server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) send_error(res, res.status, "not_found", "no such endpoint");
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
    server_.Post("/servers/" + name + "/mcp", guarded([this](auto& req, auto& res) { mcp_post(req, res); }));
    server_.Get("/servers/" + name + "/mcp", guarded([this](auto& req, auto& res) { mcp_get(req, res); }));
    server_.Delete("/servers/" + name + "/mcp", guarded([this](auto& req, auto& res) { mcp_delete(req, res); }));
    server_.Get("/servers/" + name + "/sse", guarded([this](auto& req, auto& res) { sse_get(req, res); }));
    server_.Post("/servers/" + name + "/messages", guarded([this](auto& req, auto& res) { sse_post(req, res); }));

    server_.Get("/api/state", guarded([this](auto&, auto& res) { send_json(res, 200, state_json(true)); }));
    server_.Get("/api/events", guarded([this](auto& req, auto& res) { events(req, res); }));
    server_.Post("/api/servers/" + name + "/authorize",
                 guarded([this](auto& req, auto& res) { api_authorize(req, res); }));
    server_.Post("/api/servers/" + name + "/logout", guarded([this](auto& req, auto& res) { api_logout(req, res); }));
    server_.Post("/api/servers/" + name + "/reconnect",
                 guarded([this](auto& req, auto& res) { api_reconnect(req, res); }));
    server_.Delete("/api/servers/" + name, guarded([this](auto& req, auto& res) { api_remove(req, res); }));
    server_.Get("/api/servers/" + name + "/tools", guarded([this](auto& req, auto& res) { api_tools(req, res); }));
    server_.Post("/api/probe", guarded([this](auto& req, auto& res) { api_probe(req, res); }));
    server_.Post("/api/servers", guarded([this](auto& req, auto& res) { api_add(req, res); }));
    server_.Get("/oauth/callback", guarded([this](auto& req, auto& res) { oauth_callback(req, res); }));
  }

  std::shared_ptr<Upstream> upstream_or_404(const httplib::Request& req, httplib::Response& res) {
    auto up = upstream(req.matches[1]);
    if (!up) send_error(res, 404, "usage", "no server named " + std::string(req.matches[1]) + " is configured");
    return up;
  }

  // ---- local MCP: Streamable HTTP ---------------------------------------------

  static void rpc_error(httplib::Response& res, int status, int code, const std::string& message,
                        const rpc::Id& id = nullptr) {
    res.status = status;
    res.set_content(rpc::serialize(rpc::ErrorResponse{id, code, message, nullptr}), "application/json");
  }

  std::optional<rpc::Message> parse_message(const httplib::Request& req, httplib::Response& res) {
    std::vector<rpc::Message> messages;
    try {
      messages = rpc::parse(req.body, {kMaxMcpBodyBytes, 128});
    } catch (const Error& e) {
      rpc_error(res, 400, rpc::kParseError, std::string("not a JSON-RPC message: ") + e.what());
      return std::nullopt;
    }
    if (messages.size() != 1 || req.body.find_first_not_of(" \t\r\n") == std::string::npos ||
        req.body[req.body.find_first_not_of(" \t\r\n")] == '[') {
      rpc_error(res, 400, rpc::kInvalidRequest, "JSON-RPC batches are not supported; send one message per POST");
      return std::nullopt;
    }
    return std::move(messages.front());
  }

  std::shared_ptr<LocalSession> new_session(const std::shared_ptr<Upstream>& up, bool legacy) {
    auto session = std::make_shared<LocalSession>(random_id(), up, legacy);
    mcp::BridgeOptions bo;
    bo.session = session_options(*up);
    const std::string name = up->name;
    bo.log = [this, name](const std::string& line) { log(name + ": " + line); };
    LocalSession* raw = session.get();
    session->bridge = std::make_unique<mcp::Bridge>(
        std::move(bo), [this, raw](rpc::Message&& message) { on_delivered(*raw, std::move(message)); });
    return session;
  }

  bool register_session(const std::shared_ptr<LocalSession>& session) {
    std::lock_guard lock(sessions_mutex_);
    if (sessions_.size() >= options_.max_sessions) return false;
    sessions_[session->id] = session;
    return true;
  }

  std::shared_ptr<LocalSession> find_session(const std::string& id, const Upstream& up, bool legacy) {
    std::lock_guard lock(sessions_mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second->upstream->name != up.name || it->second->legacy != legacy) return nullptr;
    return it->second;
  }

  void close_session(const std::shared_ptr<LocalSession>& session) {
    {
      std::lock_guard lock(sessions_mutex_);
      sessions_.erase(session->id);
    }
    session->mark_closed();
    session->bridge->close();
  }

  void close_sessions_of(const std::string& name) {
    std::vector<std::shared_ptr<LocalSession>> of;
    {
      std::lock_guard lock(sessions_mutex_);
      for (auto& [id, s] : sessions_) {
        if (s->upstream->name == name) of.push_back(s);
      }
    }
    for (auto& s : of) close_session(s);
  }

  // Messages from the remote side of one local session.
  void on_delivered(LocalSession& session, rpc::Message&& message) {
    if (auto* error = std::get_if<rpc::ErrorResponse>(&message)) explain(session, *error);
    if (!session.legacy && rpc::is_response(message)) {
      const std::string key = rpc::id_of(message).dump();
      std::lock_guard lock(session.mutex);
      const auto it = session.waiting.find(key);
      if (it != session.waiting.end() && !it->second) {
        it->second = rpc::serialize(message);
        session.cv.notify_all();
        return;
      }
    }
    session.push_event(rpc::serialize(message));
  }

  // The bridge's own errors name an ErrorCode; an authorization the gateway
  // cannot do without the user points at the dashboard.
  void explain(LocalSession& session, rpc::ErrorResponse& error) {
    if (!error.data.is_object() || !error.data.contains("mcpauth_error")) return;
    const std::string code = error.data.value("mcpauth_error", "");
    Upstream& up = *session.upstream;
    if (code == "authorization_required" || code == "consent_timeout") {
      error.data["mcpauth_error"] = "authorization_required";
      error.message = "mcpauth: the server " + up.name +
                      " needs authorization: open the mcpauth gateway dashboard at " + base_url_ +
                      "/ and press Authorize";
      bool changed = false;
      {
        std::lock_guard lock(state_mutex_);
        changed = up.last_error_code != ErrorCode::authorization_required;
        up.last_error = error.message;
        up.last_error_code = ErrorCode::authorization_required;
      }
      if (changed) bump();
    }
  }

  void mcp_post(const httplib::Request& req, httplib::Response& res) {
    auto up = upstream_or_404(req, res);
    if (!up) return;
    if (!up->resolved) {
      rpc_error(res, 503, rpc::kInternalError, "the server " + up->name + " cannot be used: " + up->resolve_error);
      return;
    }
    auto message = parse_message(req, res);
    if (!message) return;
    const auto* request = std::get_if<rpc::Request>(&*message);
    std::shared_ptr<LocalSession> session;
    bool fresh = false;
    if (req.has_header(kSessionHeader)) {
      session = find_session(req.get_header_value(kSessionHeader), *up, false);
      if (!session) {
        rpc_error(res, 404, -32001, "Session not found");
        return;
      }
    } else if (request && request->method == "initialize") {
      session = new_session(up, false);
      fresh = true;
    } else {
      rpc_error(res, 400, rpc::kInvalidRequest,
                "Bad Request: Mcp-Session-Id header is required (send initialize first)",
                request ? request->id : rpc::Id(nullptr));
      return;
    }
    {
      std::lock_guard lock(session->mutex);
      session->last_used = SteadyClock::now();
    }
    if (!request) {
      session->bridge->forward(*message);
      res.status = 202;
      return;
    }
    const std::string key = request->id.dump();
    {
      std::lock_guard lock(session->mutex);
      if (session->waiting.count(key)) {
        rpc_error(res, 400, rpc::kInvalidRequest, "a request with this id is already in progress", request->id);
        return;
      }
      session->waiting[key] = std::nullopt;
    }
    session->bridge->forward(*message);
    std::optional<std::string> answer;
    {
      std::unique_lock lock(session->mutex);
      session->cv.wait_for(lock, options_.request_timeout + std::chrono::seconds(10),
                           [&] { return session->waiting[key].has_value() || session->closed; });
      answer = std::move(session->waiting[key]);
      session->waiting.erase(key);
      session->last_used = SteadyClock::now();
    }
    if (!answer) {
      if (fresh) session->bridge->close();
      rpc_error(res, 200, mcp::kBridgeErrorCode, "mcpauth: no answer from the server in time", request->id);
      return;
    }
    if (fresh) {
      const bool ok = std::holds_alternative<rpc::Response>(rpc::parse(*answer).front());
      if (ok && !register_session(session)) {
        session->bridge->close();
        rpc_error(res, 503, rpc::kInternalError, "the gateway has too many sessions open", request->id);
        return;
      }
      if (ok) {
        res.set_header(kSessionHeader, session->id);
        note_connected(*up, *session);
      } else {
        session->bridge->close();  // a failed initialize leaves no session behind
      }
    }
    res.status = 200;
    res.set_content(*answer, "application/json");
  }

  void note_connected(Upstream& up, LocalSession& session) {
    const std::string transport = session.bridge->transport_name();
    bool changed = false;
    {
      std::lock_guard lock(state_mutex_);
      changed = up.last_error.has_value() || up.transport_seen != transport;
      if (!transport.empty()) up.transport_seen = transport;
      up.last_error.reset();
      up.last_error_code.reset();
    }
    if (changed) bump();
  }

  // Streams messages to a local client until it goes, the session ends or the gateway stops.
  void stream_events(httplib::Response& res, std::shared_ptr<LocalSession> session, std::string first,
                     bool close_when_done) {
    res.set_header("X-Accel-Buffering", "no");
    auto pending = std::make_shared<std::string>(std::move(first));
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, session, pending](std::size_t, httplib::DataSink& sink) {
          std::string chunk = std::move(*pending);
          pending->clear();
          if (chunk.empty()) {
            std::unique_lock lock(session->mutex);
            session->cv.wait_for(lock, kKeepalive, [&] { return session->closed || !session->outbox.empty(); });
            if (session->closed || stopping_flag_.load()) return false;
            while (!session->outbox.empty()) {
              chunk += session->outbox.front();
              session->outbox_bytes -= session->outbox.front().size();
              session->outbox.pop_front();
            }
            session->last_used = SteadyClock::now();
          }
          if (chunk.empty()) chunk = ": keepalive\n\n";
          return sink.write(chunk.data(), chunk.size());
        },
        [this, session, close_when_done](bool) {
          {
            std::lock_guard lock(session->mutex);
            session->stream_open = false;
          }
          if (close_when_done) close_session(session);
        });
  }

  void mcp_get(const httplib::Request& req, httplib::Response& res) {
    auto up = upstream_or_404(req, res);
    if (!up) return;
    if (req.get_header_value("Accept").find("text/event-stream") == std::string::npos) {
      rpc_error(res, 406, rpc::kInvalidRequest, "Not Acceptable: the client must accept text/event-stream");
      return;
    }
    if (!req.has_header(kSessionHeader)) {
      rpc_error(res, 400, rpc::kInvalidRequest, "Bad Request: Mcp-Session-Id header is required");
      return;
    }
    auto session = find_session(req.get_header_value(kSessionHeader), *up, false);
    if (!session) {
      rpc_error(res, 404, -32001, "Session not found");
      return;
    }
    {
      std::lock_guard lock(session->mutex);
      if (session->stream_open) {
        rpc_error(res, 409, rpc::kInvalidRequest, "Conflict: only one event stream per session");
        return;
      }
      session->stream_open = true;
    }
    stream_events(res, session, ": stream open\n\n", false);
  }

  void mcp_delete(const httplib::Request& req, httplib::Response& res) {
    auto up = upstream_or_404(req, res);
    if (!up) return;
    auto session = find_session(req.get_header_value(kSessionHeader), *up, false);
    if (!session) {
      rpc_error(res, 404, -32001, "Session not found");
      return;
    }
    close_session(session);
    res.status = 200;
  }

  // ---- local MCP: legacy HTTP+SSE ----------------------------------------------

  void sse_get(const httplib::Request& req, httplib::Response& res) {
    auto up = upstream_or_404(req, res);
    if (!up) return;
    if (!up->resolved) {
      send_error(res, 503, "usage", "the server " + up->name + " cannot be used: " + up->resolve_error);
      return;
    }
    auto session = new_session(up, true);
    session->stream_open = true;
    if (!register_session(session)) {
      session->bridge->close();
      send_error(res, 503, "usage", "the gateway has too many sessions open");
      return;
    }
    const std::string endpoint = "/servers/" + up->name + "/messages?sessionId=" + session->id;
    stream_events(res, session, "event: endpoint\ndata: " + endpoint + "\n\n", true);
  }

  void sse_post(const httplib::Request& req, httplib::Response& res) {
    auto up = upstream_or_404(req, res);
    if (!up) return;
    auto session = find_session(req.get_param_value("sessionId"), *up, true);
    if (!session) {
      send_error(res, 404, "usage", "unknown sessionId");
      return;
    }
    auto message = parse_message(req, res);
    if (!message) return;
    const auto* request = std::get_if<rpc::Request>(&*message);
    session->bridge->forward(*message);
    if (request && request->method == "initialize") note_connected(*up, *session);
    res.status = 202;
    res.set_content("Accepted", "text/plain");
  }

  // ---- dashboard API -----------------------------------------------------------

  void events(const httplib::Request&, httplib::Response& res) {
    auto last = std::make_shared<std::uint64_t>(~std::uint64_t{0});
    res.set_chunked_content_provider("text/event-stream", [this, last](std::size_t, httplib::DataSink& sink) {
      std::unique_lock lock(events_mutex_);
      events_cv_.wait_for(lock, kKeepalive, [&] { return stopping_ || version_ != *last; });
      if (stopping_) return false;
      if (version_ == *last) {
        lock.unlock();
        static constexpr std::string_view kComment = ": keepalive\n\n";
        return sink.write(kComment.data(), kComment.size());
      }
      *last = version_;
      lock.unlock();
      Json state = state_json(false);
      const std::string event =
          "event: state\ndata: " + state.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n\n";
      return sink.write(event.data(), event.size());
    });
  }

  // Starts (or joins) a dashboard authorization and answers with its URL,
  // or {"authorized": true} when no consent was needed.
  void authorize(const std::shared_ptr<Upstream>& up, bool remove_on_failure, httplib::Response& res) {
    if (up->auth_kind != "oauth" || !up->resolved) {
      send_error(res, 400, "usage",
                 up->resolved ? "the server " + up->name + " does not use OAuth here" : up->resolve_error);
      return;
    }
    std::shared_ptr<Flow> flow;
    {
      std::lock_guard lock(state_mutex_);
      if (up->flow && !up->flow->done) {
        flow = up->flow;
      } else {
        flow = std::make_shared<Flow>();
        flow->remove_on_failure = remove_on_failure;
        up->flow = flow;
        spawn([this, up, flow] { run_flow(up, flow); });
      }
    }
    bump();
    std::unique_lock lock(state_mutex_);
    flow_cv_.wait_for(lock, kFlowStartWait, [&] { return flow->url || flow->done || stopping_flag_.load(); });
    if (flow->url && !flow->done) {
      const std::string url = *flow->url;
      lock.unlock();
      send_json(res, 200, Json{{"authorization_url", url}});
    } else if (flow->done && flow->authorized) {
      lock.unlock();
      send_json(res, 200, Json{{"authorized", true}});
    } else if (flow->done && flow->error) {
      const Error error = *flow->error;
      lock.unlock();
      send_error(res, error);
    } else {
      lock.unlock();
      send_error(res, 504, "timeout", "the authorization did not start in time; see the server's row for the reason");
    }
  }

  void run_flow(const std::shared_ptr<Upstream>& up, const std::shared_ptr<Flow>& flow) {
    auto publish = [this, flow](const std::string& url) {
      {
        std::lock_guard lock(state_mutex_);
        flow->url = url;
      }
      flow_cv_.notify_all();
      bump();
    };
    auto consent = std::make_shared<GatewayConsent>(callbacks_, base_url_ + "/oauth/callback", publish, flow->pending);
    std::optional<Error> failure;
    try {
      auto authorizer = make_authorizer(*up->resolved, up->url, consent);
      auto so = session_options(*up);
      net::HttpHeaders headers = up->credentials->static_headers();
      so.authorizer = std::make_shared<auth::CompositeAuthorizer>(std::vector<std::shared_ptr<mcp::RequestAuthorizer>>{
          authorizer, std::make_shared<mcp::StaticHeaders>(headers)});
      auto session = mcp::Session::connect(so);
      auto tools = session->list_tools();
      const std::string transport(session->transport_kind());
      session->close();
      up->credentials->reset();  // local traffic reads the new grant from the store
      record_success(*up, transport, tools);
    } catch (const Error& e) {
      failure = e;
      if (e.code() != ErrorCode::cancelled) record_failure(*up, e);
      log(up->name + ": authorization failed: " + e.what());
    }
    {
      std::lock_guard lock(state_mutex_);
      flow->done = true;
      flow->authorized = !failure;
      flow->error = failure;
    }
    flow_cv_.notify_all();
    if (failure && flow->remove_on_failure) {
      try {
        remove_server(up, false);
      } catch (const Error& e) {
        log(up->name + ": could not remove the server again: " + std::string(e.what()));
      }
    }
    bump();
  }

  void api_authorize(const httplib::Request& req, httplib::Response& res) {
    auto up = upstream_or_404(req, res);
    if (!up) return;
    if (req.get_param_value("reauthorize") == "1" && up->auth_kind == "oauth" && up->resolved) {
      forget_grants(*up, false, false);
    }
    authorize(up, false, res);
  }

  // Revokes (when asked) and deletes the grants of a server: its account's,
  // or every account's with `all_accounts`.
  void forget_grants(Upstream& up, bool revoke, bool all_accounts) {
    const app::StoredGrants stored(*options_.store);
    const auto found = stored.for_server(up.url);
    for (const auto& grant : found.grants) {
      if (!all_accounts && grant.key.account != up.account) continue;
      if (revoke && !grant.error && found.discovery) {
        try {
          auth::DiscoveryOptions d;
          d.server_url = found.discovery->server_url;
          const auto discovery = auth::from_record(*found.discovery, d);
          auto client = options_.store->load_client(grant.key.issuer);
          if (!client || client->client_id != grant.key.client_id) {
            client = core::oauth::ClientRegistration{};
            client->issuer = grant.key.issuer;
            client->client_id = grant.key.client_id;
          }
          const auto outcome =
              auth::revoke_tokens(*options_.http, discovery.as, *client, grant.tokens, std::chrono::seconds(30));
          for (const auto& p : outcome.problems) log(up.name + ": revocation: " + p);
        } catch (const Error& e) {
          log(up.name + ": revocation: " + std::string(e.what()));
        }
      }
      options_.store->remove_tokens(grant.key);
    }
    up.credentials->reset();
  }

  void api_logout(const httplib::Request& req, httplib::Response& res) {
    auto up = upstream_or_404(req, res);
    if (!up) return;
    if (up->auth_kind != "oauth" || !up->resolved) {
      send_error(res, 400, "usage", "the server " + up->name + " has no OAuth grant here");
      return;
    }
    forget_grants(*up, true, false);
    {
      std::lock_guard lock(state_mutex_);
      up->last_error.reset();
      up->last_error_code.reset();
      up->tools.reset();  // unknown until it is authorized again
    }
    bump();
    send_json(res, 200, Json{{"logged_out", true}});
  }

  void api_reconnect(const httplib::Request& req, httplib::Response& res) {
    auto up = upstream_or_404(req, res);
    if (!up) return;
    close_sessions_of(up->name);
    {
      std::lock_guard lock(state_mutex_);
      up->tools.reset();
    }
    bump();
    spawn([this, up] { check(up); });
    send_json(res, 202, Json{{"reconnecting", true}});
  }

  // Ends the server's sessions and flow, deletes what the store holds for
  // it (revoking first when asked) and its config entry.
  void remove_server(const std::shared_ptr<Upstream>& up, bool revoke) {
    {
      std::lock_guard lock(state_mutex_);
      if (up->flow && !up->flow->done) up->flow->pending->cancel();
      const auto it = upstreams_.find(up->name);
      if (it != upstreams_.end() && it->second == up) upstreams_.erase(it);
    }
    close_sessions_of(up->name);
    if (up->resolved && up->auth_kind == "oauth") {
      try {
        forget_grants(*up, revoke, true);
        options_.store->remove_discovery(up->url);
      } catch (const Error& e) {
        log(up->name + ": " + std::string(e.what()));
      }
    }
    std::lock_guard lock(config_mutex_);
    remove_server_entry(options_.config_path, up->name);
    reload_config_locked();
  }

  void reload_config_locked() {
    std::error_code ec;
    if (std::filesystem::exists(options_.config_path, ec)) config_ = app::load_config(options_.config_path);
  }

  void api_remove(const httplib::Request& req, httplib::Response& res) {
    auto up = upstream_or_404(req, res);
    if (!up) return;
    remove_server(up, true);
    bump();
    send_json(res, 200, Json{{"removed", true}});
  }

  void api_tools(const httplib::Request& req, httplib::Response& res) {
    auto up = upstream_or_404(req, res);
    if (!up) return;
    bool cached = false;
    {
      std::lock_guard lock(state_mutex_);
      cached = up->tools.has_value();
    }
    if (!cached) check(up);
    std::lock_guard lock(state_mutex_);
    if (!up->tools) {
      send_error(res, up->last_error_code == ErrorCode::authorization_required ? 409 : 502,
                 up->last_error_code ? std::string(to_string(*up->last_error_code)) : "connection",
                 up->last_error.value_or("the server's tools could not be listed"));
      return;
    }
    Json tools = Json::array();
    for (const auto& t : *up->tools) tools.push_back({{"name", t.name}, {"description", t.description}});
    send_json(res, 200, Json{{"tools", tools}});
  }

  void api_probe(const httplib::Request& req, httplib::Response& res) {
    const Json body = parse_api_body(req);
    const auto url = string_member(body, "url", 2048);
    if (!url) throw Error(ErrorCode::usage, "give the server's URL as {\"url\": ...}");
    auth::ProbeOptions po;
    po.server_url = core::parse_url(*url).text;
    po.http = options_.http;
    const auto result = auth::probe(po);
    Json out = Json::object();
    std::string needs;
    std::string message;
    switch (result.needs) {
      case auth::ProbeResult::Needs::nothing:
        needs = "nothing";
        message = "The server answers without credentials.";
        break;
      case auth::ProbeResult::Needs::static_token:
      case auth::ProbeResult::Needs::forbidden:
        needs = "static_token";
        message =
            "The server wants credentials but publishes no usable OAuth metadata: give the header it needs "
            "(e.g. Authorization: Bearer <token>).";
        break;
      case auth::ProbeResult::Needs::oauth:
        if (result.registration == auth::ProbeResult::Registration::client_id_required) {
          needs = "oauth_client_id";
          message = "The server uses OAuth, and its authorization server " + result.issuer.value_or("") +
                    " needs a client registered there: give its client id.";
        } else {
          needs = "oauth";
          message = "The server uses OAuth (" + result.issuer.value_or("") + "); Add & Authorize signs you in.";
        }
        break;
    }
    if (!result.pkce_s256) message += " Its authorization server does not support PKCE S256, so mcpauth will refuse.";
    out["needs"] = needs;
    out["message"] = message;
    out["status"] = result.status;
    out["transport"] = result.transport ? Json(*result.transport) : Json(nullptr);
    out["reason"] = result.reason ? Json(*result.reason) : Json(nullptr);
    out["issuer"] = result.issuer ? Json(*result.issuer) : Json(nullptr);
    out["scope"] = result.scope ? Json(*result.scope) : Json(nullptr);
    out["registration"] = result.registration ? Json(std::string(to_string(*result.registration))) : Json(nullptr);
    out["device_grant"] = result.device_grant;
    out["pkce_s256"] = result.pkce_s256;
    send_json(res, 200, out);
  }

  void api_add(const httplib::Request& req, httplib::Response& res) {
    const Json body = parse_api_body(req);
    NewServer server;
    server.name = string_member(body, "name", 64).value_or("");
    if (!valid_server_name(server.name)) {
      throw Error(ErrorCode::usage, "the name must be 1-64 characters of A-Z a-z 0-9 . _ -");
    }
    const auto url = string_member(body, "url", 2048);
    if (!url) throw Error(ErrorCode::usage, "the server's url is missing");
    server.url = core::parse_url(*url).text;
    if (const auto it = body.find("headers"); it != body.end() && !it->is_null()) {
      if (!it->is_object() || it->size() > 32) throw Error(ErrorCode::usage, "headers must be an object of strings");
      for (const auto& [name, value] : it->items()) {
        if (name.empty() || name.size() > 256 ||
            !std::all_of(name.begin(), name.end(), [](unsigned char c) { return is_token_char(c); })) {
          throw Error(ErrorCode::usage, "a header name is not an HTTP token");
        }
        // Never echo a value: it is usually a token.
        if (!value.is_string() || value.get<std::string>().size() > 8192 ||
            value.get<std::string>().find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
          throw Error(ErrorCode::usage, "the value of header " + name + " must be one line of text");
        }
        server.headers.emplace_back(name, value.get<std::string>());
      }
    }
    server.client_id = string_member(body, "client_id", 512);
    if (server.client_id && server.client_id->empty()) server.client_id.reset();
    const auto authorize_it = body.find("authorize");
    const bool then_authorize = authorize_it != body.end() && authorize_it->is_boolean() && authorize_it->get<bool>();

    std::shared_ptr<Upstream> up;
    {
      std::lock_guard lock(config_mutex_);
      if (upstream(server.name))
        throw Error(ErrorCode::usage, "a server named " + server.name + " is already configured");
      add_server_entry(options_.config_path, server);
      reload_config_locked();
      for (const auto& s : config_.servers) {
        if (s.name == server.name) up = make_upstream(s);
      }
      if (!up) throw Error(ErrorCode::usage, "the server was written but could not be read back");
      std::lock_guard state_lock(state_mutex_);
      upstreams_[up->name] = up;
    }
    bump();
    if (then_authorize && up->auth_kind == "oauth") {
      authorize(up, true, res);
      return;
    }
    spawn([this, up] { check(up); });
    send_json(res, 201, Json{{"added", up->name}});
  }

  void oauth_callback(const httplib::Request& req, httplib::Response& res) {
    core::oauth::FormFields fields;
    std::size_t total = 0;
    for (const auto& [key, value] : req.params) {
      total += key.size() + value.size();
      if (total > 16 * 1024 || fields.size() >= 32) break;
      fields.emplace_back(key, value);
    }
    const bool expected = callbacks_->deliver(fields);
    // The flow decides (state, iss, then error or code); the page only says
    // what the browser brought back, so a refusal never reads "Authorized".
    const auto error = std::find_if(fields.begin(), fields.end(), [](const auto& f) { return f.first == "error"; });
    std::string title;
    std::string text;
    if (!expected) {
      res.status = 400;
      title = "Not expected";
      text =
          "This response does not belong to an authorization the gateway is waiting for (it may have expired or "
          "been used already).";
    } else if (error != fields.end()) {
      res.status = 200;
      title = "Not authorized";
      text = "The authorization server answered \"" + html_escape(error->second.substr(0, 64)) +
             "\". Nothing was stored; the dashboard shows what happened.";
    } else {
      res.status = 200;
      title = "Authorized";
      text = "You can close this tab and return to the mcpauth gateway dashboard.";
    }
    // No inline style: the page's policy allows none.
    res.set_header("Content-Security-Policy", "default-src 'none'");
    res.set_content(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>mcpauth gateway</title></head><body><h1>" + title +
            "</h1><p>" + text + "</p></body></html>",
        "text/html; charset=utf-8");
  }

  static std::string html_escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
      switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
      }
    }
    return out;
  }

  // ---- members -------------------------------------------------------------------

  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  GatewayOptions options_;
  std::string csrf_;
  std::shared_ptr<CallbackRegistry> callbacks_;
  httplib::Server server_;
  std::thread server_thread_;
  std::thread housekeeping_;
  int port_ = 0;
  std::unique_ptr<HostPolicy> policy_;
  std::string base_url_;

  std::mutex config_mutex_;  // config file edits
  app::Config config_;

  std::mutex state_mutex_;  // upstreams_ and every Upstream's mutable fields and flows
  std::condition_variable flow_cv_;
  std::map<std::string, std::shared_ptr<Upstream>> upstreams_;
  std::atomic<bool> stopping_flag_{false};

  std::mutex sessions_mutex_;
  std::map<std::string, std::shared_ptr<LocalSession>> sessions_;

  std::mutex events_mutex_;
  std::condition_variable events_cv_;
  std::uint64_t version_ = 0;
  bool stopping_ = false;

  std::mutex workers_mutex_;
  std::list<Worker> workers_;
};

Gateway::Gateway(GatewayOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Gateway::~Gateway() = default;
int Gateway::start() {
  return impl_->start();
}
void Gateway::stop() {
  impl_->stop();
}

}  // namespace mcpauth::gateway
