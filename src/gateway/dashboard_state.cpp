// The dashboard's view of Gateway::Impl: GET /api/state (one row per
// server, and with users per user: the caller's own, an administrator's
// every user's), the /api/events stream that sends it again on every
// change, and GET /api/servers/NAME/status (one row as a host's chip).
#include "gateway_impl.hpp"
#include "mcpauth/core/oauth/grant_state.hpp"

namespace mcpauth::gateway {
namespace {

long long unix_seconds(core::oauth::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// How the grant's client was obtained, from its issuer's stored registration
// (none, or another client id: one registered dynamically and since replaced;
// or a Client ID Metadata Document, never stored, whose client id is its URL).
std::string client_type(const std::optional<core::oauth::ClientRegistration>& client, const store::TokenKey& key) {
  if (!client || client->client_id != key.client_id) {
    const bool url = key.client_id.rfind("https://", 0) == 0 || key.client_id.rfind("http://", 0) == 0;
    return url ? "metadata_document" : "dynamic";
  }
  return std::string(core::oauth::to_string(client->kind));
}

}  // namespace

// What the rows read from the store, before the state lock: a read may wait
// for another process's transaction, and the I/O threads take that lock to
// open streams. Either every grant of the store (an administrator's rows,
// every user's) or the grants of one account on the servers shown (a user's
// own rows, a status): a user's request never opens another user's grants,
// and its cost does not grow with the number of users.
struct Gateway::Impl::StoreView {
  std::map<std::string, app::ServerGrants> by_url;  // only the servers discovered
  std::string error;
  StoredClients clients;

  // Every account's grants on `server_urls`.
  StoreView(store::TokenStore& store, const std::vector<std::string>& server_urls) {
    try {
      const app::StoredGrants stored(store);
      for (const auto& url : server_urls) {
        auto grants = stored.for_server(url);
        if (grants.discovery) by_url.emplace(url, std::move(grants));
      }
    } catch (const Error& e) {
      error = e.what();
    }
    load_clients(store);
  }

  // Each server's grants of one account: (server URL, account) pairs.
  StoreView(store::TokenStore& store, const std::vector<std::pair<std::string, std::string>>& accounts) {
    try {
      for (const auto& [url, account] : accounts) {
        auto discovery = store.load_discovery(url);
        if (!discovery) continue;
        app::ServerGrants grants;
        grants.url = url;
        grants.grants = store.list_grants_of(discovery->resource.value_or(url), discovery->issuer, account);
        grants.discovery = std::move(discovery);
        by_url.emplace(url, std::move(grants));
      }
    } catch (const Error& e) {
      error = e.what();
      by_url.clear();
    }
    load_clients(store);
  }

  const app::ServerGrants* for_server(const std::string& url) const {
    const auto it = by_url.find(url);
    return it == by_url.end() ? nullptr : &it->second;
  }

 private:
  void load_clients(store::TokenStore& store) {
    if (!error.empty()) return;
    for (const auto& [url, grants] : by_url) {
      const std::string& issuer = grants.discovery->issuer;
      if (clients.count(issuer) != 0) continue;
      try {
        clients[issuer] = store.load_client(issuer);
      } catch (const Error&) {
        // A registration that cannot be read only leaves the rows' client type out.
      }
    }
  }
};

// Each configured server's URL with the account whose rows `caller` sees
// (none: the server's own; a user: the user's; an administrator: every
// account, so the account is left empty).
std::vector<std::pair<std::string, std::string>> Gateway::Impl::upstream_accounts(
    const std::optional<http::Request::Caller>& caller) {
  std::vector<std::pair<std::string, std::string>> out;
  std::lock_guard lock(state_mutex_);
  for (const auto& [name, up] : upstreams_) out.emplace_back(up->url, caller ? caller->name : up->account);
  return out;
}

const Upstream* Gateway::Impl::live_upstream_locked(const std::shared_ptr<Upstream>& shared,
                                                    const std::string& user) const {
  const auto it = user_upstreams_.find({shared->name, user});
  if (it != user_upstreams_.end() && it->second.shared.lock() == shared) return it->second.up.get();
  // Without OAuth every user's requests carry the same credentials: the server's own check is theirs too.
  return shared->auth_kind == "oauth" ? nullptr : shared.get();
}

Json Gateway::Impl::state_json(bool with_csrf, const std::optional<http::Request::Caller>& caller) {
  // Whose rows: without users the configured servers' own; a user's own; an administrator's, every user's.
  std::vector<std::string> users;
  if (caller && caller->admin) {
    for (const auto& user : users_->list_users()) users.push_back(user.name);
  } else if (caller) {
    users.push_back(caller->name);
  }
  // Read before the state lock (the store, when the cache is stale). A
  // store that cannot be read leaves them out; the shared rows still show.
  std::vector<std::shared_ptr<Upstream>> own;
  try {
    if (caller) own = own_upstreams(caller->name);
  } catch (const Error& e) {
    log("the servers of user " + caller->name + " could not be read: " + e.what());
  }
  auto accounts = upstream_accounts(caller);
  for (const auto& up : own) accounts.emplace_back(up->url, caller->name);
  std::vector<std::string> urls;
  for (const auto& [url, account] : accounts) urls.push_back(url);
  const StoreView view =
      caller && caller->admin ? StoreView(*options_.store, urls) : StoreView(*options_.store, accounts);
  Json rows = Json::array();
  std::lock_guard lock(state_mutex_);
  for (const auto& [name, up] : upstreams_) {
    if (!caller) {
      rows.push_back(row_json(*up, up.get(), up->account, view));
      continue;
    }
    for (const auto& user : users) {
      Json row = row_json(*up, live_upstream_locked(up, user), user, view);
      row["user"] = user;
      // Another user's consent page is that user's to open: whoever completed
      // it would store their own grant under that user's name.
      if (user != caller->name) row["authorization_url"] = nullptr;
      row["scope"] = "shared";
      rows.push_back(std::move(row));
    }
  }
  // The caller's own servers (an administrator's too, never another user's).
  if (caller) {
    for (const auto& up : own) {
      Json row = row_json(*up, up.get(), caller->name, view);
      row["user"] = caller->name;
      row["scope"] = "own";
      rows.push_back(std::move(row));
    }
  }
  Json out = Json::object();
  if (with_csrf) out["csrf"] = csrf_;
  if (caller) {
    out["user"] = caller->name;
    out["admin"] = caller->admin;
  }
  // What an authorization server that does not register clients itself
  // must be given for a pre-registered client (the dashboard shows it).
  out["redirect_uri"] = redirect_uri();
  // The gateway's client id at authorization servers that fetch client metadata documents.
  out["client_metadata_url"] = client_metadata_url() ? Json(*client_metadata_url()) : Json(nullptr);
  out["servers"] = std::move(rows);
  return out;
}

// GET /api/servers/NAME/status: the caller's row of the server as a host's chip.
void Gateway::Impl::api_status(const http::Request& req, http::Response& res) {
  auto shared = upstream(req.matches[1]);
  // Not shared: the caller's own (the same 404 as a name no one has).
  const auto own = !shared && req.caller ? own_upstream(req.caller->name, req.matches[1]) : nullptr;
  if (own) shared = own;
  if (!shared) {
    send_error(res, 404, "usage", "no server named " + std::string(req.matches[1]) + " is configured");
    return;
  }
  const std::vector<std::pair<std::string, std::string>> account = {
      {shared->url, req.caller ? req.caller->name : shared->account}};
  const StoreView view(*options_.store, account);
  RowFacts facts;
  Json row;
  {
    std::lock_guard lock(state_mutex_);
    const Upstream* live = req.caller && !own ? live_upstream_locked(shared, req.caller->name) : shared.get();
    row = row_json(*shared, live, req.caller ? req.caller->name : shared->account, view, &facts);
  }
  Json out = server_status(row, facts);
  out["server"] = shared->name;
  if (req.caller) out["user"] = req.caller->name;
  send_json(res, 200, out);
}

// Never a token, a secret or a header value: names, URLs as written, states.
Json Gateway::Impl::row_json(const Upstream& up, const Upstream* live, const std::string& account,
                             const StoreView& view, RowFacts* facts) {
  // A user without an upstream yet: no connection, error or flow of its own.
  static const Upstream kNone{};
  const Upstream& seen = live ? *live : kNone;
  const std::string transport = !seen.transport_seen.empty() ? seen.transport_seen
                                : !up.transport_seen.empty() ? up.transport_seen
                                                             : up.raw.transport;
  Json row = {{"name", up.name},
              {"url", up.raw.url},
              {"account", account},
              {"transport", transport},
              {"auth", up.auth_kind},
              {"state", "ready"},
              {"expires_at", nullptr},
              {"issuer", nullptr},
              {"scopes", nullptr},
              {"client_type", nullptr},
              {"tools", seen.tools ? Json(seen.tools->size()) : Json(nullptr)},
              {"last_error", nullptr},
              {"authorization_url", nullptr}};
  if (!up.resolved) {
    row["state"] = "error";
    row["last_error"] = up.resolve_error;
    return row;
  }
  std::optional<store::GrantRecord> grant;
  bool discovered = false;
  if (up.auth_kind == "oauth") {
    if (const auto* found = view.for_server(up.url)) {
      discovered = true;
      row["issuer"] = found->discovery->issuer;
      for (const auto& g : found->grants) {
        if (g.key.account == account) grant = g;
      }
    }
  }
  std::string auth = up.auth_kind;
  // It never asked for a token.
  if (auth == "oauth" && !discovered && !grant && (seen.checked_ok || up.checked_ok)) auth = "none";
  row["auth"] = auth;
  bool usable = false;
  if (grant) {
    row["issuer"] = grant->key.issuer;
    if (grant->tokens.expires_at) row["expires_at"] = unix_seconds(*grant->tokens.expires_at);
    if (grant->tokens.scope) row["scopes"] = *grant->tokens.scope;
    if (const auto client = view.clients.find(grant->key.issuer); client != view.clients.end()) {
      row["client_type"] = client_type(client->second, grant->key);
    }
    usable = !grant->error && core::oauth::usable(core::oauth::grant_state(grant->tokens, core::oauth::Clock::now()));
    if (facts) facts->grant_expired = !grant->error && !usable;
  }
  const bool auth_problem = seen.last_error_code && (*seen.last_error_code == ErrorCode::authorization_required ||
                                                     *seen.last_error_code == ErrorCode::consent_timeout);
  if (seen.flow && !seen.flow->done) {
    row["state"] = "authorizing";
    if (seen.flow->url) row["authorization_url"] = *seen.flow->url;
  } else if (!view.error.empty() && auth == "oauth") {
    row["state"] = "error";
    row["last_error"] = view.error;
    if (facts) facts->error_code = ErrorCode::store;
  } else if (seen.last_error && !auth_problem) {
    row["state"] = "error";
    row["last_error"] = *seen.last_error;
    if (facts) facts->error_code = seen.last_error_code;
  } else if (auth == "oauth") {
    // A refresh under way for a local client's request (no person asked).
    const auto authorizer = seen.credentials ? seen.credentials->current() : nullptr;
    row["state"] = authorizer && authorizer->refreshing() ? "refreshing"
                   : usable                               ? "authorized"
                                                          : "needs_authorization";
    // Why the last dashboard authorization failed (denied, timed out), if it did.
    if (!usable && seen.flow && seen.flow->error && seen.flow->error->code() != ErrorCode::cancelled) {
      row["last_error"] = seen.flow->error->what();
    }
  }
  return row;
}

// The /api/events stream: the whole state again after every change (bump()
// wakes it). The state reads the token store, so it is made on a worker and
// the stream written when it is ready; the I/O thread never waits for it.
class Gateway::Impl::StateStream final : public http::StreamSource, public std::enable_shared_from_this<StateStream> {
 public:
  StateStream(Impl& gateway, std::optional<http::Request::Caller> caller)
      : gateway_(gateway), caller_(std::move(caller)) {}

  void open(Wake wake) override {
    wake_ = wake;
    std::lock_guard lock(gateway_.events_mutex_);
    watcher_ = gateway_.next_state_watcher_++;
    gateway_.state_watchers_[watcher_] = std::move(wake);
  }

  Chunk take() override {
    Chunk chunk;
    std::uint64_t version = 0;
    {
      std::lock_guard lock(gateway_.events_mutex_);
      if (gateway_.stopping_) {
        chunk.end = true;
        return chunk;
      }
      version = gateway_.version_;
    }
    std::lock_guard lock(mutex_);
    chunk.data = std::move(ready_);
    ready_.clear();
    if (!rendering_ && version != rendered_) {
      rendering_ = true;
      rendered_ = version;
      gateway_.spawn([self = shared_from_this(), version] { self->render(version); });
    }
    return chunk;
  }

  std::string keepalive() override { return ": keepalive\n\n"; }

  void closed() override {
    std::lock_guard lock(gateway_.events_mutex_);
    gateway_.state_watchers_.erase(watcher_);
  }

 private:
  void render(std::uint64_t version) {
    std::string event;
    try {
      const Json state = gateway_.state_json(false, caller_);
      event = "id: " + std::to_string(version) +
              "\nevent: state\ndata: " + state.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n\n";
    } catch (const std::exception&) {
      // The next change renders again.
    }
    {
      std::lock_guard lock(mutex_);
      ready_ = std::move(event);  // only the latest state matters
      rendering_ = false;
    }
    wake_();  // also renders again if the state changed meanwhile
  }

  Impl& gateway_;
  const std::optional<http::Request::Caller> caller_;  // whose rows the stream sends
  Wake wake_;
  std::uint64_t watcher_ = 0;
  std::mutex mutex_;
  std::string ready_;  // the latest rendered event, not yet written
  bool rendering_ = false;
  std::uint64_t rendered_ = ~std::uint64_t{0};
};

void Gateway::Impl::events(const http::Request& req, http::Response& res) {
  res.set_stream("text/event-stream", std::make_shared<StateStream>(*this, req.caller));
}

void Gateway::Impl::wake_state_streams() {
  std::vector<http::StreamSource::Wake> wakes;
  {
    std::lock_guard lock(events_mutex_);
    for (const auto& [id, wake] : state_watchers_) wakes.push_back(wake);
  }
  for (const auto& wake : wakes) wake();
}

}  // namespace mcpauth::gateway
