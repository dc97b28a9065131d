// Gateway::Impl with local users (the store's UserDirectory): each request
// but the exempt ones carries a user's API key and acts for that user, whose
// name is the account of every grant it reads or writes. The selection is
// explicit: a user's requests go to an Upstream of its own per configured
// server (user_upstream), with its own Credentials, so nothing a request
// does can reach another user's grant, session or stateless route.
#include "gateway_impl.hpp"

namespace mcpauth::gateway {
namespace {

// What changes the configured servers every user shares: an administrator's.
bool admin_only(const http::Request& req) {
  return (req.method == "POST" && req.path == "/api/servers") ||
         (req.method == "DELETE" && req.path.rfind("/api/servers/", 0) == 0);
}

}  // namespace

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
  if (admin_only(req) && !user->admin) {
    send_error(res, 403, "forbidden", "only an administrator may add or remove the gateway's servers");
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
  if (admin_only(req)) {
    send_error(res, 403, "forbidden", "a host's user may not add or remove the gateway's servers");
    return true;
  }
  req.caller = http::Request::Caller{user.name, false};
  return false;
}

std::shared_ptr<Upstream> Gateway::Impl::user_upstream(const std::shared_ptr<Upstream>& shared,
                                                       const std::string& user) {
  const std::pair<std::string, std::string> key{shared->name, user};
  {
    std::lock_guard lock(state_mutex_);
    const auto it = user_upstreams_.find(key);
    if (it != user_upstreams_.end() && it->second.shared.lock() == shared) return it->second.up;
  }
  std::lock_guard config_lock(config_mutex_);  // make_upstream reads the config (then the state lock: their order)
  auto made = make_upstream(shared->raw, user);
  std::lock_guard lock(state_mutex_);
  auto& slot = user_upstreams_[key];
  if (!slot.up || slot.shared.lock() != shared) slot = UserUpstream{shared, std::move(made)};
  return slot.up;
}

}  // namespace mcpauth::gateway
