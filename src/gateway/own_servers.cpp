// Gateway::Impl: the servers users add for themselves (POST /api/servers by
// a user who is not an administrator). They live in the store, not the
// config file (store::UserDirectory::add_user_server, the entry sealed), and
// only their user reaches them: a request looks its server up among the
// configured (shared) servers first, whose cost is unchanged, and only then
// among the caller's own. Another user's server of that name is never
// consulted, so its answer is the 404 of a name that does not exist.
//
// Each user's own servers are cached (kOwnServerCacheTtl): another
// instance's addition or removal counts here within that time.
#include "gateway_impl.hpp"
#include "mcpauth/core/url.hpp"
#include "plain_http.hpp"

namespace mcpauth::gateway {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A user's entry as a one-server config, checked as the config file's entries are.
app::Config own_config(const store::UserServer& server) {
  const std::string document = std::string("{\"mcpServers\":{") + Json(server.name).dump() + ":" + server.entry + "}}";
  return app::parse_config(document, "the server " + server.name + " of user " + server.user);
}

}  // namespace

void Gateway::Impl::refresh_own_servers(const std::string& user) {
  if (!directory_) return;
  const std::vector<store::UserServer> stored = directory_->list_user_servers(user);
  std::map<std::string, std::string> known;  // name -> entry of what is cached now
  {
    std::lock_guard lock(state_mutex_);
    if (const auto it = own_servers_.find(user); it != own_servers_.end()) known = it->second.entries;
  }
  // New or changed entries get an upstream, made without the state lock.
  std::map<std::string, std::shared_ptr<Upstream>> made;
  for (const auto& server : stored) {
    const auto it = known.find(server.name);
    if (it != known.end() && it->second == server.entry) continue;
    std::shared_ptr<Upstream> up;
    try {
      const app::Config config = own_config(server);
      if (config.servers.size() != 1) throw Error(ErrorCode::usage, "the stored entry is not a remote server");
      up = make_upstream(config.servers.front(), user, &config);
    } catch (const Error& e) {
      up = std::make_shared<Upstream>();
      up->name = server.name;
      up->raw.name = server.name;
      up->account = user;
      up->auth_kind = "none";
      up->resolve_error = e.what();
      up->credentials = std::make_shared<Credentials>(nullptr, net::HttpHeaders{});
    }
    up->owner = user;
    made[server.name] = std::move(up);
  }
  std::vector<std::shared_ptr<Upstream>> dropped;
  {
    std::lock_guard lock(state_mutex_);
    OwnServers& slot = own_servers_[user];
    OwnServers next;
    next.fetched = SteadyClock::now();
    for (const auto& server : stored) {
      const auto cached = slot.entries.find(server.name);
      if (cached != slot.entries.end() && cached->second == server.entry) {
        next.by_name[server.name] = slot.by_name[server.name];  // unchanged (or made by a refresh meanwhile)
      } else if (const auto fresh = made.find(server.name); fresh != made.end()) {
        next.by_name[server.name] = fresh->second;
      } else {
        continue;  // a refresh meanwhile dropped what this one kept: the next refresh makes it
      }
      next.entries[server.name] = server.entry;
    }
    for (const auto& [name, up] : slot.by_name) {
      const auto kept = next.by_name.find(name);
      if (kept == next.by_name.end() || kept->second != up) dropped.push_back(up);
    }
    slot = std::move(next);
  }
  if (!dropped.empty()) {
    drop_user_upstreams(dropped, true);
    bump();
  }
}

std::shared_ptr<Upstream> Gateway::Impl::own_upstream(const std::string& user, const std::string& name) {
  if (!directory_) return nullptr;
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      std::lock_guard lock(state_mutex_);
      const auto it = own_servers_.find(user);
      if (it != own_servers_.end() && SteadyClock::now() - it->second.fetched <= kOwnServerCacheTtl) {
        const auto found = it->second.by_name.find(name);
        return found == it->second.by_name.end() ? nullptr : found->second;
      }
    }
    if (attempt == 0) refresh_own_servers(user);
  }
  return nullptr;
}

std::vector<std::shared_ptr<Upstream>> Gateway::Impl::own_upstreams(const std::string& user) {
  std::vector<std::shared_ptr<Upstream>> out;
  if (!directory_) return out;
  bool fresh = false;
  {
    std::lock_guard lock(state_mutex_);
    const auto it = own_servers_.find(user);
    fresh = it != own_servers_.end() && SteadyClock::now() - it->second.fetched <= kOwnServerCacheTtl;
  }
  if (!fresh) refresh_own_servers(user);
  std::lock_guard lock(state_mutex_);
  if (const auto it = own_servers_.find(user); it != own_servers_.end()) {
    for (const auto& [name, up] : it->second.by_name) out.push_back(up);
  }
  return out;
}

void Gateway::Impl::add_own_server(const http::Request& req, http::Response& res, const NewServer& server,
                                   bool then_authorize) {
  const std::string& user = req.caller->name;
  // The gateway's environment is not a user's to read: no ${VAR} in what a user gives.
  const auto expands = [](const std::string& text) { return text.find("${") != std::string::npos; };
  bool has_variable = expands(server.url) || (server.client_id && expands(*server.client_id));
  for (const auto& [name, value] : server.headers) has_variable = has_variable || expands(value);
  if (has_variable) {
    throw Error(ErrorCode::usage, "a server of your own takes no ${VAR}: give the values themselves");
  }
  // The gateway's own machine and network are not a user's to reach through
  // it (a name that resolves there is caught by nothing here: see docs/gateway.md).
  if (!options_.allow_private_user_servers) {
    const std::string host = core::parse_url(server.url).host;
    if (core::classify_host(host) != core::HostKind::name || core::is_private_network_host(host)) {
      throw Error(ErrorCode::usage,
                  "a server of your own may not be on localhost or on a loopback, link-local or private-network "
                  "address (the gateway's administrator can allow that with --allow-private-user-servers)");
    }
  }
  if (upstream(server.name)) {
    send_error(res, 409, "conflict",
               "a shared server named " + server.name +
                   " is configured: a server of your own may not hide it; choose another name");
    return;
  }
  store::UserServer row;
  row.user = user;
  row.name = server.name;
  row.entry = server_entry_json(server);
  if (!directory_ || !directory_->add_user_server(row)) {
    send_error(res, 409, "conflict", "you have a server named " + server.name + " already");
    return;
  }
  refresh_own_servers(user);
  auto up = own_upstream(user, server.name);
  if (!up) throw Error(ErrorCode::store, "the server was stored but could not be read back");
  bump();
  if (then_authorize && up->auth_kind == "oauth") {
    authorize(up, true, res);
    return;
  }
  spawn([this, up] { check(up); });
  send_json(res, 201, Json{{"added", up->name}, {"scope", "own"}});
}

void Gateway::Impl::remove_own_server(const std::shared_ptr<Upstream>& up, bool revoke) {
  {
    // First, so a consent completing meanwhile stores no grant after the revocation.
    std::lock_guard lock(state_mutex_);
    if (up->flow && !up->flow->done) up->flow->pending->cancel();
  }
  if (up->resolved && up->auth_kind == "oauth") {
    try {
      // The user's grant only: the discovery record may be a shared server's too.
      const auto accounts = forget_grants(*up, revoke, false);
      if (revoke && !accounts.empty()) notify_webhook("revoked", *up);
    } catch (const Error& e) {
      log(up->name + " of user " + up->owner + ": " + std::string(e.what()));
    }
  }
  if (directory_) directory_->remove_user_server(up->owner, up->name);
  {
    std::lock_guard lock(state_mutex_);
    const auto it = own_servers_.find(up->owner);
    if (it != own_servers_.end()) {
      const auto found = it->second.by_name.find(up->name);
      if (found != it->second.by_name.end() && found->second == up) {
        it->second.by_name.erase(found);
        it->second.entries.erase(up->name);
      }
    }
  }
  drop_user_upstreams({up}, true);  // its flow, sessions and stateless route end
}

void Gateway::Impl::sweep_own_servers(const std::set<std::string>& present) {
  std::vector<std::shared_ptr<Upstream>> dropped;
  {
    std::lock_guard lock(state_mutex_);
    for (auto it = own_servers_.begin(); it != own_servers_.end();) {
      if (present.count(it->first) == 0) {
        for (const auto& [name, up] : it->second.by_name) dropped.push_back(up);
        it = own_servers_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (dropped.empty()) return;
  drop_user_upstreams(dropped, true);
  bump();
}

}  // namespace mcpauth::gateway
