// Gateway::Impl with local users (the store's UserDirectory): each request
// but the exempt ones carries a user's API key and acts for that user, whose
// name is the account of every grant it reads or writes. The selection is
// explicit: a user's requests go to an Upstream of its own per configured
// server (user_upstream), with its own Credentials, so nothing a request
// does can reach another user's grant, session or stateless route. Those
// upstreams are bounded: a removed user's go with its sessions, idle ones
// after kUserUpstreamIdle, the least recently used past kMaxUserUpstreams.
#include <set>

#include "gateway_impl.hpp"
#include "user_upstream_bounds.hpp"

namespace mcpauth::gateway {
bool Gateway::Impl::users_mode() {
  return options_.host_key || users_->has_users();
}

bool Gateway::Impl::screen_user(http::Request& req, http::Response& res) {
  if (exempt_from_api_key(req.path)) return false;  // the static dashboard, the OAuth redirect (its state)
  const auto given = bearer_credentials(req.get_header_value("Authorization"));
  if (options_.host_key && given && constant_time_equal(*given, *options_.host_key)) return screen_host(req, res);
  // Only a key's shape is hashed and looked up; the hashes are compared in constant time.
  const auto user = given && store::looks_like_api_key(*given) ? users_->by_key(store::hash_api_key(*given))
                                                               : std::optional<store::LocalUser>();
  if (!user) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"mcpauth-gateway\"");
    send_error(res, 401, "unauthorized", "this gateway needs a user's API key: Authorization: Bearer <key>");
    return true;
  }
  req.caller = http::Request::Caller{user->name, user->admin};
  return false;
}

// A host's request: the host authenticated its user, whose name it sends.
bool Gateway::Impl::screen_host(http::Request& req, http::Response& res) {
  const std::string name = req.get_header_value(kUserHeader);
  if (!store::valid_user_name(name)) {
    send_error(res, 400, "usage",
               std::string("a host's request names its user in ") + kUserHeader +
                   ": 1 to 64 characters of letters, digits and . _ @ + -, starting with a letter or a digit");
    return true;
  }
  const store::LocalUser user = users_->host_user(name);  // made on first use
  req.caller = http::Request::Caller{user.name, false};
  return false;
}

std::shared_ptr<Upstream> Gateway::Impl::user_upstream(const std::shared_ptr<Upstream>& shared,
                                                       const std::string& user) {
  const std::pair<std::string, std::string> key{shared->name, user};
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(state_mutex_);
    const auto it = user_upstreams_.find(key);
    if (it != user_upstreams_.end() && it->second.shared.lock() == shared) {
      it->second.last_used = now;
      return it->second.up;
    }
  }
  std::unique_lock config_lock(config_mutex_);  // make_upstream reads the config (then the state lock: their order)
  auto made = make_upstream(shared->raw, user);
  std::shared_ptr<Upstream> up;
  bool over = false;
  {
    std::lock_guard lock(state_mutex_);
    auto& slot = user_upstreams_[key];
    if (!slot.up || slot.shared.lock() != shared) slot = UserUpstream{shared, std::move(made), now};
    slot.last_used = now;
    up = slot.up;
    over = user_upstreams_.size() > kMaxUserUpstreams;
  }
  config_lock.unlock();
  // Past the cap: the least recently used go, on a worker (closing may wait for servers).
  if (over && !sweep_queued_.exchange(true)) spawn([this] { sweep_user_upstreams(); });
  return up;
}

void Gateway::Impl::sweep_user_upstreams() {
  sweep_queued_ = false;
  {
    std::lock_guard lock(state_mutex_);
    if (user_upstreams_.empty() && own_servers_.empty()) return;
  }
  // The users the store still has (removed with `users remove`, on any instance: gone here too).
  std::optional<std::set<std::string>> present;
  try {
    std::set<std::string> names;
    for (const auto& user : users_->list_users()) names.insert(user.name);
    present = std::move(names);
  } catch (const Error& e) {
    log(std::string("the users could not be read: ") + e.what());
  }
  if (present) sweep_own_servers(*present);  // a removed user's own servers, sessions and flows end
  // In use: a local session's, or one with stateless requests waiting.
  std::set<const Upstream*> busy;
  {
    std::lock_guard lock(sessions_mutex_);
    for (const auto& [id, session] : sessions_) busy.insert(session->upstream.get());
  }
  {
    std::lock_guard lock(stateless_mutex_);
    for (const auto& [key, route] : stateless_) {
      std::lock_guard route_lock(route->mutex);
      if (!route->waiting.empty()) busy.insert(route->upstream.get());
    }
  }
  std::vector<std::shared_ptr<Upstream>> removed;
  std::vector<std::shared_ptr<Upstream>> idle;
  {
    std::lock_guard lock(state_mutex_);
    std::vector<UpstreamUse> uses;
    for (const auto& [key, entry] : user_upstreams_) {
      uses.push_back(UpstreamUse{key, entry.last_used,
                                 busy.count(entry.up.get()) != 0 || (entry.up->flow && !entry.up->flow->done),
                                 present && present->count(key.second) == 0, entry.shared.expired()});
    }
    const Evictions chosen =
        choose_evictions(uses, std::chrono::steady_clock::now(), kUserUpstreamIdle, kMaxUserUpstreams);
    const auto take = [this](const auto& keys, std::vector<std::shared_ptr<Upstream>>& into) {
      for (const auto& key : keys) {
        into.push_back(user_upstreams_[key].up);
        user_upstreams_.erase(key);
      }
    };
    take(chosen.removed, removed);
    take(chosen.idle, idle);
  }
  drop_user_upstreams(removed, true);
  drop_user_upstreams(idle, false);
  // `users remove` (another process) revoked and deleted the user's grants:
  // the webhook hears of those this instance had used (one event per
  // instance that served the user there).
  for (const auto& up : removed) {
    bool had_grant = false;
    {
      std::lock_guard lock(state_mutex_);
      had_grant = up->auth_kind == "oauth" && up->checked_ok;
    }
    // Named whether or not the store still has users (the last one may be gone).
    if (had_grant) post_webhook("revoked", up->name, up->account, std::nullopt);
  }
  if (!removed.empty()) bump();
}

// What the dropped upstreams still hold: a removed user's flows and sessions
// end; every dropped upstream's stateless route closes.
void Gateway::Impl::drop_user_upstreams(const std::vector<std::shared_ptr<Upstream>>& dropped, bool close_sessions) {
  if (dropped.empty()) return;
  const std::set<const Upstream*> gone = [&] {
    std::set<const Upstream*> out;
    for (const auto& up : dropped) out.insert(up.get());
    return out;
  }();
  if (close_sessions) {
    {
      std::lock_guard lock(state_mutex_);
      for (const auto& up : dropped) {
        if (up->flow && !up->flow->done) up->flow->pending->cancel();
      }
    }
    for (const auto& up : dropped) close_sessions_of(up->name, up->account);
  }
  std::vector<std::shared_ptr<StatelessRoute>> routes;
  {
    std::lock_guard lock(stateless_mutex_);
    for (auto it = stateless_.begin(); it != stateless_.end();) {
      if (gone.count(it->second->upstream.get()) != 0) {
        routes.push_back(std::move(it->second));
        it = stateless_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& route : routes) {
    route->mark_closed();
    route->bridge->close();
  }
}

}  // namespace mcpauth::gateway
