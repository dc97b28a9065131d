// The dashboard's view of Gateway::Impl: GET /api/state (one row per
// server) and the /api/events stream that sends it again on every change.
#include "gateway_impl.hpp"
#include "mcpauth/core/oauth/grant_state.hpp"

namespace mcpauth::gateway {
namespace {

long long unix_seconds(core::oauth::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// How the grant's client was obtained, from its issuer's stored registration
// (none, or another client id: one registered dynamically and since replaced).
std::string client_type(const std::optional<core::oauth::ClientRegistration>& client, const store::TokenKey& key) {
  if (!client || client->client_id != key.client_id) return "dynamic";
  return std::string(core::oauth::to_string(client->kind));
}

}  // namespace

Json Gateway::Impl::state_json(bool with_csrf) {
  // Everything read from the store is read before the state lock: a read
  // may wait for another process's transaction, and the I/O threads take
  // that lock to open streams.
  std::optional<app::StoredGrants> stored;
  std::string store_error;
  StoredClients clients;
  try {
    stored.emplace(*options_.store);
  } catch (const Error& e) {
    store_error = e.what();
  }
  if (stored) {
    for (const auto& record : stored->servers()) {
      if (clients.count(record.issuer) != 0) continue;
      try {
        clients[record.issuer] = options_.store->load_client(record.issuer);
      } catch (const Error&) {
        // A registration that cannot be read only leaves the rows' client type out.
      }
    }
  }
  Json rows = Json::array();
  std::lock_guard lock(state_mutex_);
  for (const auto& [name, up] : upstreams_) {
    rows.push_back(row_json(*up, stored ? &*stored : nullptr, clients, store_error));
  }
  Json out = Json::object();
  if (with_csrf) out["csrf"] = csrf_;
  // What an authorization server that does not register clients itself
  // must be given for a pre-registered client (the dashboard shows it).
  out["redirect_uri"] = base_url_ + "/oauth/callback";
  out["servers"] = std::move(rows);
  return out;
}

// Never a token, a secret or a header value: names, URLs as written, states.
Json Gateway::Impl::row_json(const Upstream& up, const app::StoredGrants* stored, const StoredClients& clients,
                             const std::string& store_error) {
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
    if (const auto client = clients.find(grant->key.issuer); client != clients.end()) {
      row["client_type"] = client_type(client->second, grant->key);
    }
    usable = !grant->error && core::oauth::usable(core::oauth::grant_state(grant->tokens, core::oauth::Clock::now()));
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
    // A refresh under way for a local client's request (no person asked).
    const auto authorizer = up.credentials ? up.credentials->current() : nullptr;
    row["state"] = authorizer && authorizer->refreshing() ? "refreshing"
                   : usable                               ? "authorized"
                                                          : "needs_authorization";
    // Why the last dashboard authorization failed (denied, timed out), if it did.
    if (!usable && up.flow && up.flow->error && up.flow->error->code() != ErrorCode::cancelled) {
      row["last_error"] = up.flow->error->what();
    }
  }
  return row;
}

// The /api/events stream: the whole state again after every change (bump()
// wakes it). The state reads the token store, so it is made on a worker and
// the stream written when it is ready; the I/O thread never waits for it.
class Gateway::Impl::StateStream final : public http::StreamSource, public std::enable_shared_from_this<StateStream> {
 public:
  explicit StateStream(Impl& gateway) : gateway_(gateway) {}

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
      const Json state = gateway_.state_json(false);
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
  Wake wake_;
  std::uint64_t watcher_ = 0;
  std::mutex mutex_;
  std::string ready_;  // the latest rendered event, not yet written
  bool rendering_ = false;
  std::uint64_t rendered_ = ~std::uint64_t{0};
};

void Gateway::Impl::events(const http::Request&, http::Response& res) {
  res.set_stream("text/event-stream", std::make_shared<StateStream>(*this));
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
