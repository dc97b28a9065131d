#include "gateway_consent.hpp"

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::gateway {
namespace {

std::string hash_of(const std::string& state) {
  return core::oauth::base64url(core::oauth::sha256(state));
}

class Session final : public auth::ConsentSession {
 public:
  Session(std::shared_ptr<CallbackRegistry> registry, std::string redirect_uri,
          std::function<void(const std::string&)> publish, std::shared_ptr<PendingConsent> pending)
      : registry_(std::move(registry)),
        redirect_uri_(std::move(redirect_uri)),
        publish_(std::move(publish)),
        pending_(std::move(pending)) {}

  ~Session() override {
    if (!state_.empty()) registry_->remove(state_);
  }

  std::string redirect_uri() const override { return redirect_uri_; }

  core::oauth::FormFields await(const auth::ConsentPrompt& prompt) override {
    {
      std::lock_guard lock(pending_->mutex);
      if (pending_->cancelled) throw Error(ErrorCode::cancelled, "the authorization was cancelled");
      pending_->result.reset();
    }
    state_ = prompt.state;
    registry_->add(state_, pending_, prompt.timeout);
    publish_(prompt.authorization_url);
    std::unique_lock lock(pending_->mutex);
    if (!pending_->cv.wait_for(lock, prompt.timeout, [this] { return pending_->result || pending_->cancelled; })) {
      throw Error(ErrorCode::consent_timeout,
                  "the authorization was not completed within " + std::to_string(prompt.timeout.count() / 1000) +
                      " s; press Authorize in the dashboard to try again",
                  prompt.server_url);
    }
    if (!pending_->result) throw Error(ErrorCode::cancelled, "the authorization was cancelled", prompt.server_url);
    return *pending_->result;
  }

  void cancel() override { pending_->cancel(); }

 private:
  std::shared_ptr<CallbackRegistry> registry_;
  std::string redirect_uri_;
  std::function<void(const std::string&)> publish_;
  std::shared_ptr<PendingConsent> pending_;
  std::string state_;
};

}  // namespace

void PendingConsent::cancel() {
  {
    std::lock_guard lock(mutex);
    cancelled = true;
  }
  cv.notify_all();
}

void PendingConsent::finish(std::optional<std::string> failure_reason) {
  {
    std::lock_guard lock(mutex);
    finished = true;
    failure = std::move(failure_reason);
  }
  cv.notify_all();
}

bool PendingConsent::wait_finished(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex);
  return cv.wait_for(lock, limit, [this] { return finished; });
}

void CallbackRegistry::add(const std::string& state, std::shared_ptr<PendingConsent> pending,
                           std::chrono::milliseconds ttl) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    it = it->second.expires <= now ? by_hash_.erase(it) : std::next(it);
  }
  by_hash_[hash_of(state)] = {std::move(pending), now + ttl};
}

void CallbackRegistry::remove(const std::string& state) {
  std::lock_guard lock(mutex_);
  by_hash_.erase(hash_of(state));
}

std::shared_ptr<PendingConsent> CallbackRegistry::deliver(const core::oauth::FormFields& fields) {
  const std::string* state = core::oauth::find_field(fields, "state");
  if (!state || state->empty() || state->size() > 1024) return nullptr;
  std::shared_ptr<PendingConsent> pending;
  {
    std::lock_guard lock(mutex_);
    const auto it = by_hash_.find(hash_of(*state));
    if (it == by_hash_.end()) return nullptr;
    const bool live = it->second.expires > std::chrono::steady_clock::now();
    pending = std::move(it->second.pending);
    by_hash_.erase(it);  // single use, expired or not
    if (!live) return nullptr;
  }
  {
    std::lock_guard lock(pending->mutex);
    if (pending->result || pending->cancelled) return nullptr;
    pending->result = fields;
  }
  pending->cv.notify_all();
  return pending;
}

void CallbackRegistry::cancel_all() {
  std::map<std::string, Entry> entries;
  {
    std::lock_guard lock(mutex_);
    entries.swap(by_hash_);
  }
  for (auto& [hash, entry] : entries) entry.pending->cancel();
}

std::unique_ptr<auth::ConsentSession> GatewayConsent::begin(const std::string&) {
  return std::make_unique<Session>(registry_, redirect_uri_, publish_, pending_);
}

}  // namespace mcpauth::gateway
