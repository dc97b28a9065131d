// One configured server as the gateway holds it: its configuration, its
// credentials (shared by all its local sessions), what the last connection
// check saw, and the dashboard authorization in progress.
#pragma once

#include <functional>
#include <memory>

#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include "mcpauth/net/async_http.hpp"

#include "gateway_consent.hpp"
#include "mcpauth/auth/authorizer.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/mcp/request_authorizer.hpp"
#include "mcpauth/net/http.hpp"
#include "server_config.hpp"

namespace mcpauth::gateway {

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
  std::string owner;      // a user's own server (in the store): that user; empty for a configured (shared) one
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

}  // namespace mcpauth::gateway
