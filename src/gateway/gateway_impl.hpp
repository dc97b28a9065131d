// Gateway::Impl, the service behind `mcpauth gateway`: its state and the
// declarations of its parts. The member functions are defined one concern per
// file: gateway.cpp (lifecycle, routes, background work), request_screen.cpp,
// upstream.cpp, local_session.cpp, local_endpoints.cpp, local_batch.cpp,
// local_stateless.cpp, dashboard_state.cpp,
// dashboard_authorize.cpp and dashboard_api.cpp. Internal to the gateway.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config_edit.hpp"
#include "gateway.hpp"
#include "gateway_consent.hpp"
#include "http_responses.hpp"
#include "http_server.hpp"
#include "local_session.hpp"
#include "local_stateless.hpp"
#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/store/local_users.hpp"
#include "security.hpp"
#include "server_config.hpp"
#include "server_status.hpp"
#include "stop_gate.hpp"
#include "stored_grants.hpp"
#include "upstream.hpp"
#include "user_cache.hpp"
#include "webhook.hpp"
#include "worker_pool.hpp"

namespace mcpauth::gateway {

namespace rpc = core::jsonrpc;

inline constexpr std::size_t kMaxMcpBodyBytes = 16u << 20;      // one local JSON-RPC message
inline constexpr std::size_t kMaxApiBodyBytes = 64u << 10;      // a dashboard API request
inline constexpr auto kKeepalive = std::chrono::seconds(15);    // SSE comment interval on idle streams
inline constexpr auto kIdleSession = std::chrono::minutes(30);  // a Streamable HTTP session without traffic or stream
inline constexpr auto kFlowStartWait = std::chrono::seconds(60);
inline constexpr auto kCallbackPageWait = std::chrono::seconds(60);  // the callback page waits for the flow's end
// How long closing the sessions may wait for their servers on SIGTERM (their DELETEs).
inline constexpr auto kStopDeadline = std::chrono::milliseconds(200);
inline constexpr const char* kSessionHeader = "Mcp-Session-Id";
// How many users' upstreams (one per user and server) the gateway keeps, and
// how long one without a session stays after its last request: a host with
// many users costs what its recent ones use.
inline constexpr std::size_t kMaxUserUpstreams = 4'096;
inline constexpr auto kUserUpstreamIdle = std::chrono::minutes(30);
inline constexpr const char* kUserHeader = "Mcpauth-User";  // host mode: whom a host's request acts for
// How long a user's own servers are taken from memory before the store is
// read again: a server added or removed on another instance counts there
// within this time (on the instance that took the request, at once).
inline constexpr auto kOwnServerCacheTtl = std::chrono::seconds(2);

class Gateway::Impl {
 public:
  explicit Impl(GatewayOptions options);
  ~Impl();

  int start();
  void stop();

 private:
  // ---- configuration (gateway.cpp, upstream.cpp) ------------------------------

  void load_config();
  // `account`: another account than the entry's (a local user's upstream).
  // `own`: the one-entry config of a user's own server (resolved without ${VAR}).
  std::shared_ptr<Upstream> make_upstream(const app::ServerConfig& raw,
                                          const std::optional<std::string>& account = std::nullopt,
                                          const app::Config* own = nullptr);
  std::shared_ptr<auth::Authorizer> make_authorizer(const app::ServerConfig& server, const std::string& url,
                                                    std::shared_ptr<auth::ConsentHandler> consent);
  mcp::SessionOptions session_options(const Upstream& up) const;
  std::shared_ptr<Upstream> upstream(const std::string& name);

  // ---- the public address and the webhook (hosted.cpp) -------------------------

  // Where browsers come back after a consent: the public URL's
  // /oauth/callback when there is one, else the listen address's.
  std::string redirect_uri() const;
  // Where people open the dashboard (the public URL, else the listen address), with a trailing slash.
  std::string dashboard_url() const;
  // The gateway's Client ID Metadata Document URL (none without --public-url).
  std::optional<std::string> client_metadata_url() const;
  void client_metadata(const http::Request& req, http::Response& res) const;
  // Queues a webhook event about `up`'s grant (nothing without --webhook).
  void notify_webhook(const char* event, const Upstream& up, std::optional<std::string> reason = std::nullopt);
  // The same for an account of a server (a removal forgets every account's
  // grants): with users, the account is its user's name.
  void notify_webhook(const char* event, const std::string& server, const std::string& account,
                      std::optional<std::string> reason = std::nullopt);
  // The event as given: `user` named or not.
  void post_webhook(const char* event, const std::string& server, std::optional<std::string> user,
                    std::optional<std::string> reason);

  // ---- background work (gateway.cpp) ------------------------------------------

  void spawn(std::function<void()> fn);
  void join_workers();
  void housekeeping();
  void reap_idle_sessions();

  // ---- connection checks (upstream.cpp) ---------------------------------------

  void check(const std::shared_ptr<Upstream>& up);
  void record_success(Upstream& up, const std::string& transport, const std::vector<mcp::Tool>& tools);
  void record_failure(Upstream& up, const Error& e);

  // ---- dashboard state and events (gateway.cpp, dashboard_state.cpp) ---------

  void bump();
  void log(const std::string& line) const;
  // The debug log's lines about server `name` (null without a debug log);
  // with_debug_log(): options_.http logging to it.
  std::function<void(const std::string&)> debug_log(const std::string& name) const;
  std::shared_ptr<net::HttpClient> with_debug_log(const std::string& name) const;
  // The state `caller` sees (none: no users, the configured servers' own
  // rows): a user's own rows, an administrator's every user's.
  Json state_json(bool with_csrf, const std::optional<http::Request::Caller>& caller);
  // Each issuer's stored client registration (nullopt: none), read with the grants.
  using StoredClients = std::map<std::string, std::optional<core::oauth::ClientRegistration>>;
  struct StoreView;  // what the rows read from the store (dashboard_state.cpp)
  std::vector<std::pair<std::string, std::string>> upstream_accounts(
      const std::optional<http::Request::Caller>& caller);
  // The row of configured server `config` for `account`, showing `live`'s
  // connection, errors and flow (null: that user has no upstream yet).
  Json row_json(const Upstream& config, const Upstream* live, const std::string& account, const StoreView& view,
                RowFacts* facts = nullptr);
  // The upstream whose traffic a user's row of `shared` shows (state lock held).
  const Upstream* live_upstream_locked(const std::shared_ptr<Upstream>& shared, const std::string& user) const;
  void api_status(const http::Request& req, http::Response& res);
  class StateStream;  // the /api/events stream's source
  void events(const http::Request& req, http::Response& res);
  // Tells every /api/events stream to look at the version again.
  void wake_state_streams();

  // ---- HTTP (gateway.cpp, request_screen.cpp) ---------------------------------

  static bool exempt_from_api_key(const std::string& path);
  // True when it answered (the request goes no further). With users, sets req.caller.
  bool screen(http::Request& req, http::Response& res);
  bool refuse_without_csrf(const http::Request& req, http::Response& res) const;

  // ---- local users (local_users.cpp) ------------------------------------------

  // Whether the store has users: then every request but the exempt ones acts for one.
  bool users_mode();
  // The users-mode screen: the caller from its API key (req.caller), or a 401/403 answered.
  bool screen_user(http::Request& req, http::Response& res);
  // Host mode: the request carries the host key; its user is named in Mcpauth-User (made on first use).
  bool screen_host(http::Request& req, http::Response& res);
  // The upstream of configured server `shared` for `user`: its own
  // Credentials, whose grants are the user's account, made on first use and
  // again when the configured server was replaced.
  std::shared_ptr<Upstream> user_upstream(const std::shared_ptr<Upstream>& shared, const std::string& user);
  // Bounds user_upstreams_ (housekeeping, and when it grows past its cap):
  // drops the upstreams, sessions and stateless routes of users no longer in
  // the store, then user upstreams without sessions idle for
  // kUserUpstreamIdle, then the least recently used idle ones past kMaxUserUpstreams.
  void sweep_user_upstreams();
  void drop_user_upstreams(const std::vector<std::shared_ptr<Upstream>>& dropped, bool close_sessions);

  // ---- users' own servers (own_servers.cpp) -----------------------------------

  // User `user`'s own server `name` (null: none), from the cache of the
  // user's servers, read again from the store when older than kOwnServerCacheTtl.
  std::shared_ptr<Upstream> own_upstream(const std::string& user, const std::string& name);
  // All of the user's own servers, by name (the same cache).
  std::vector<std::shared_ptr<Upstream>> own_upstreams(const std::string& user);
  // Reads the user's servers from the store now: new entries get an
  // upstream, changed ones a new one, gone ones are dropped (their
  // sessions, flows and stateless routes end).
  void refresh_own_servers(const std::string& user);
  // POST /api/servers for a user's own server (api_add decided the scope).
  void add_own_server(const http::Request& req, http::Response& res, const NewServer& server, bool then_authorize);
  // Revokes (when asked) and deletes the user's grant, ends its sessions and
  // deletes the entry from the store.
  void remove_own_server(const std::shared_ptr<Upstream>& up, bool revoke);
  // Drops the cached servers of users the store no longer has (housekeeping).
  void sweep_own_servers(const std::set<std::string>& present);

  template <typename Fn>
  auto guarded(Fn fn) {
    return [this, fn](const http::Request& req, http::Response& res) {
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

  http::Router routes();
  static http::Handler with_body(bool required, http::Handler handler);
  std::shared_ptr<Upstream> upstream_or_404(const http::Request& req, http::Response& res);

  // ---- local sessions (local_session.cpp) -------------------------------------

  static void rpc_error(http::Response& res, int status, int code, const std::string& message,
                        const rpc::Id& id = nullptr);
  std::optional<rpc::Message> parse_message(const http::Request& req, http::Response& res);
  // How long a local request waits for its remote answer: the request
  // timeout, plus a margin for the Bridge's own renewal and retry, so the
  // Bridge's error (not this wait) is what a slow server produces.
  std::chrono::milliseconds answer_wait() const { return options_.request_timeout + std::chrono::seconds(10); }
  std::shared_ptr<LocalSession> new_session(const std::shared_ptr<Upstream>& up, bool legacy);
  // Why a new session of `peer` is refused (over the overall or the
  // per-address budget), or nullopt when it fits.
  std::optional<std::string> session_budget_refusal(const std::string& peer);
  std::optional<std::string> session_budget_refusal_locked(const std::string& peer) const;
  // Adds the session unless it is over budget; the refusal otherwise.
  std::optional<std::string> register_session(const std::shared_ptr<LocalSession>& session);
  std::shared_ptr<LocalSession> find_session(const std::string& id, const Upstream& up, bool legacy);
  void close_session(const std::shared_ptr<LocalSession>& session);
  // The sessions of server `name` (of one account only when given).
  void close_sessions_of(const std::string& name, const std::optional<std::string>& account = std::nullopt);
  // Closes the sessions' Bridges, several at a time.
  static void close_bridges(const std::vector<std::shared_ptr<LocalSession>>& sessions);
  void on_delivered(LocalSession& session, rpc::Message&& message);
  void explain(Upstream& up, const Error& e, rpc::ErrorResponse& answer);
  void note_connected(Upstream& up, LocalSession& session);
  void stream_events(http::Response& res, std::shared_ptr<LocalSession> session, std::string first,
                     bool close_when_done);

  // ---- local MCP endpoints (local_endpoints.cpp) ------------------------------

  void mcp_post(const http::Request& req, http::Response& res);
  void mcp_initialize(const std::shared_ptr<Upstream>& up, const http::Request& req, const rpc::Request& request,
                      http::Response& res);
  void forward_later(const std::shared_ptr<LocalSession>& session, rpc::Message message, std::function<void()> then);
  void offload(const http::Request& req, http::Response& res, http::Handler handler);
  void mcp_get(const http::Request& req, http::Response& res);
  void mcp_delete(const http::Request& req, http::Response& res);
  void sse_get(const http::Request& req, http::Response& res);
  void sse_post(const http::Request& req, http::Response& res);

  // ---- JSON-RPC batches (local_batch.cpp) -------------------------------------

  static bool is_batch(const std::string& body);
  void mcp_batch(const std::shared_ptr<Upstream>& up, const http::Request& req, http::Response& res);
  // The version an initialize answer names ("" when none), for the batch rule.
  static std::string agreed_version(const std::string& initialize_answer);

  // ---- stateless 2026-07-28 clients (local_stateless.cpp) ---------------------

  // The options of every Bridge to `up` (a local session's or the stateless one).
  mcp::BridgeOptions bridge_options(const std::shared_ptr<Upstream>& up);
  // A POST without Mcp-Session-Id that is not initialize: served (or refused)
  // when it is a 2026-07-28 message; false leaves it to the caller.
  bool serve_stateless(const std::shared_ptr<Upstream>& up, const http::Request& req, const rpc::Message& message,
                       http::Response& res);
  std::shared_ptr<StatelessRoute> stateless_route(const std::shared_ptr<Upstream>& up);
  void end_stateless();    // wakes the waiting requests (stop, first)
  void close_stateless();  // closes the bridges (stop, once the handlers are done)

  // ---- dashboard authorization (dashboard_authorize.cpp) ----------------------

  void authorize(const std::shared_ptr<Upstream>& up, bool remove_on_failure, http::Response& res,
                 const std::optional<std::string>& return_to = std::nullopt);
  void run_flow(const std::shared_ptr<Upstream>& up, const std::shared_ptr<Flow>& flow);
  void api_authorize(const http::Request& req, http::Response& res);
  void oauth_callback(const http::Request& req, http::Response& res);
  void relayed_callback(const core::oauth::FormFields& fields, http::Response& res);
  static void ended_page(http::Response& res, const std::optional<std::string>& failure);
  static void see_other(http::Response& res, const std::string& location);
  static void callback_page(http::Response& res, int status, const std::string& title, const std::string& text);
  static std::optional<std::string> redirect_after(PendingConsent& pending);
  static std::string html_escape(const std::string& text);

  // ---- dashboard API (dashboard_api.cpp) --------------------------------------

  // Returns the accounts whose grants it deleted.
  std::vector<std::string> forget_grants(Upstream& up, bool revoke, bool all_accounts);
  void api_logout(const http::Request& req, http::Response& res);
  void api_reconnect(const http::Request& req, http::Response& res);
  void remove_server(const std::shared_ptr<Upstream>& up, bool revoke);
  void reload_config_locked();
  void api_remove(const http::Request& req, http::Response& res);
  void api_tools(const http::Request& req, http::Response& res);
  void api_probe(const http::Request& req, http::Response& res);
  void api_add(const http::Request& req, http::Response& res);

  // ---- members -------------------------------------------------------------------

  GatewayOptions options_;
  std::string csrf_;
  std::shared_ptr<CallbackRegistry> callbacks_;
  std::unique_ptr<http::Server> server_;
  StopGate stop_gate_;  // the Bridges' blocking requests (their closing DELETEs) while stopping
  std::thread housekeeping_;
  int port_ = 0;
  bool loopback_listener_ = false;  // requests without the API key must come from this user
  std::unique_ptr<HostPolicy> policy_;
  std::string base_url_;
  std::string public_url_;                  // normalized --public-url; empty without one
  std::unique_ptr<WebhookSender> webhook_;  // null without --webhook

  std::mutex config_mutex_;  // config file edits
  app::Config config_;

  std::mutex state_mutex_;  // upstreams_ and every Upstream's mutable fields and flows
  std::condition_variable flow_cv_;
  std::map<std::string, std::shared_ptr<Upstream>> upstreams_;
  struct UserUpstream {
    std::weak_ptr<Upstream> shared;  // the configured server's upstream it was made from
    std::shared_ptr<Upstream> up;
    std::chrono::steady_clock::time_point last_used{};  // the last request that asked for it
  };
  std::map<std::pair<std::string, std::string>, UserUpstream> user_upstreams_;  // by (server, user)
  std::atomic<bool> sweep_queued_{false};  // a sweep for user_upstreams_ over its cap is on its way
  struct OwnServers {
    std::chrono::steady_clock::time_point fetched{};
    std::map<std::string, std::shared_ptr<Upstream>> by_name;
    std::map<std::string, std::string> entries;  // by name: the stored entry each upstream was made from
  };
  std::map<std::string, OwnServers> own_servers_;    // by user; guarded by state_mutex_
  std::shared_ptr<store::UserDirectory> directory_;  // the store's users (null: a store without users)
  std::unique_ptr<UserCache> users_;  // the store's users, cached briefly (never null; empty for a store without users)
  std::atomic<bool> stopping_flag_{false};

  std::mutex sessions_mutex_;
  std::map<std::string, std::shared_ptr<LocalSession>> sessions_;
  std::atomic<std::uint64_t> next_session_serial_{1};
  std::size_t session_limit_ = 0;  // options_.max_sessions, lowered to what the open-file limit allows

  std::mutex stateless_mutex_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<StatelessRoute>> stateless_;  // by server, account

  std::mutex events_mutex_;
  std::condition_variable events_cv_;
  std::uint64_t version_ = 0;
  bool stopping_ = false;
  std::map<std::uint64_t, http::StreamSource::Wake> state_watchers_;  // the open /api/events streams
  std::uint64_t next_state_watcher_ = 0;

  app::WorkerPool workers_;  // last member: its threads end before the rest goes
};

}  // namespace mcpauth::gateway
