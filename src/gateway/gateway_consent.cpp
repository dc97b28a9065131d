#include "gateway_consent.hpp"

#include <vector>

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::gateway {
namespace {

constexpr std::size_t kMaxState = 1024;
constexpr const char* kNoLongerWaiting =
    "the gateway instance that started this authorization was no longer waiting for its response (it timed out, "
    "was cancelled, or came back to that instance already)";

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
  std::function<void(const std::optional<std::string>&, const std::optional<std::string>&)> tell_store;
  std::optional<std::string> back;
  {
    std::lock_guard lock(mutex);
    finished = true;
    failure = failure_reason;
    tell_store = std::move(relayed_finish);
    relayed_finish = nullptr;
    back = return_to;
  }
  cv.notify_all();
  if (tell_store) tell_store(failure_reason, back);
}

bool PendingConsent::wait_finished(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex);
  return cv.wait_for(lock, limit, [this] { return finished; });
}

CallbackRegistry::CallbackRegistry(std::shared_ptr<store::BrowserFlowRelay> relay,
                                   std::function<void(const std::string&)> log)
    : relay_(std::move(relay)), log_(std::move(log)) {}

CallbackRegistry::~CallbackRegistry() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (poller_.joinable()) poller_.join();
}

void CallbackRegistry::add(const std::string& state, std::shared_ptr<PendingConsent> pending,
                           std::chrono::milliseconds ttl) {
  const std::string hash = hash_of(state);
  store::BrowserFlowStart start{hash, "", "", std::nullopt, ttl};
  if (relay_) {
    std::lock_guard lock(pending->mutex);
    start.account = pending->account;
    start.server = pending->server;
    start.return_to = pending->return_to;
  }
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = by_hash_.begin(); it != by_hash_.end();) {
      it = it->second.expires <= now ? by_hash_.erase(it) : std::next(it);
    }
    by_hash_[hash] = {std::move(pending), now + ttl};
  }
  if (!relay_) return;
  // Without its row, the flow still completes through a callback to this instance.
  try {
    relay_->open_browser_flow(start);
  } catch (const std::exception& e) {
    relay_failed("opening a flow's row", e);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    rows_[hash] = false;
    if (!poller_.joinable()) poller_ = std::thread([this] { poll(); });
  }
  cv_.notify_all();
}

void CallbackRegistry::remove(const std::string& state) {
  const std::string hash = hash_of(state);
  bool withdrawn = false;
  {
    std::lock_guard lock(mutex_);
    by_hash_.erase(hash);
    const auto row = rows_.find(hash);
    if (row != rows_.end() && !row->second) {
      rows_.erase(row);
      withdrawn = true;
    }
  }
  if (withdrawn) withdraw(hash);
}

std::shared_ptr<PendingConsent> CallbackRegistry::deliver(const core::oauth::FormFields& fields) {
  const std::string* state = core::oauth::find_field(fields, "state");
  if (!state || state->empty() || state->size() > kMaxState) return nullptr;
  const std::string hash = hash_of(*state);
  std::shared_ptr<PendingConsent> pending;
  bool withdrawn = false;
  {
    std::lock_guard lock(mutex_);
    const auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return nullptr;
    const bool live = it->second.expires > std::chrono::steady_clock::now();
    pending = std::move(it->second.pending);
    by_hash_.erase(it);  // single use, expired or not
    const auto row = rows_.find(hash);
    if (row != rows_.end() && !row->second) {
      rows_.erase(row);
      withdrawn = true;
    }
    if (!live) pending.reset();
  }
  // Used here: a replay to another instance finds no row.
  if (withdrawn) withdraw(hash);
  if (!pending) return nullptr;
  {
    std::lock_guard lock(pending->mutex);
    if (pending->result || pending->cancelled) return nullptr;
    pending->result = fields;
  }
  pending->cv.notify_all();
  return pending;
}

RelayedCallback CallbackRegistry::deliver_elsewhere(const core::oauth::FormFields& fields) {
  const std::string* state = core::oauth::find_field(fields, "state");
  if (!relay_ || !state || state->empty() || state->size() > kMaxState) return {};
  RelayedCallback out;
  out.state_hash = hash_of(*state);
  const auto handoff = relay_->deliver_browser_flow(out.state_hash, fields);
  out.delivery = handoff.result;
  out.return_to = handoff.return_to;
  return out;
}

store::BrowserFlowOutcome CallbackRegistry::wait_relayed(const std::string& state_hash,
                                                         std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto outcome = relay_->browser_flow_outcome(state_hash);
    if (outcome.state != store::BrowserFlowOutcome::State::running) return outcome;
    const auto now = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    if (now >= deadline || cv_.wait_until(lock, std::min(deadline, now + kRelayPoll), [this] { return stopping_; }))
      return outcome;
  }
}

void CallbackRegistry::cancel_all() {
  std::map<std::string, Entry> entries;
  {
    std::lock_guard lock(mutex_);
    entries.swap(by_hash_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (poller_.joinable()) poller_.join();
  for (auto& [hash, entry] : entries) entry.pending->cancel();
}

void CallbackRegistry::withdraw(const std::string& hash) {
  try {
    relay_->withdraw_browser_flow(hash);
  } catch (const std::exception& e) {
    relay_failed("withdrawing a flow's row", e);  // it expires
  }
}

void CallbackRegistry::finish_relayed(const std::string& hash, const std::optional<std::string>& failure,
                                      const std::optional<std::string>& return_to) {
  try {
    relay_->finish_browser_flow(hash, failure, return_to);
  } catch (const std::exception& e) {
    relay_failed("recording how a flow ended", e);  // the other instance's page tells the owner is silent
  }
  std::lock_guard lock(mutex_);
  rows_.erase(hash);
}

// A callback another instance received for one of this instance's flows:
// the flow's Authorizer takes it as if it had come here.
void CallbackRegistry::hand_over(const store::DeliveredBrowserFlow& delivered) {
  std::shared_ptr<PendingConsent> pending;
  {
    std::lock_guard lock(mutex_);
    const auto it = by_hash_.find(delivered.state_hash);
    if (it != by_hash_.end()) {
      if (it->second.expires > std::chrono::steady_clock::now()) pending = it->second.pending;
      by_hash_.erase(it);  // single use: a replay here finds nothing either
    }
    const auto row = rows_.find(delivered.state_hash);
    if (row != rows_.end()) row->second = true;
  }
  bool taken = false;
  if (pending) {
    std::lock_guard lock(pending->mutex);
    if (!pending->result && !pending->cancelled && !pending->finished) {
      pending->result = delivered.fields;
      pending->relayed_finish = [self = weak_from_this(), hash = delivered.state_hash](
                                    const std::optional<std::string>& failure,
                                    const std::optional<std::string>& return_to) {
        if (auto registry = self.lock()) registry->finish_relayed(hash, failure, return_to);
      };
      taken = true;
    }
  }
  if (taken) {
    pending->cv.notify_all();
  } else {
    finish_relayed(delivered.state_hash, std::string(kNoLongerWaiting), std::nullopt);
  }
}

void CallbackRegistry::poll() {
  auto last_heartbeat = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (rows_.empty()) {
      cv_.wait(lock, [this] { return stopping_ || !rows_.empty(); });
      continue;
    }
    bool waiting = false;
    for (const auto& [hash, taken] : rows_) waiting = waiting || !taken;
    lock.unlock();
    std::vector<store::DeliveredBrowserFlow> delivered;
    try {
      if (waiting) delivered = relay_->take_delivered_browser_flows();
      if (std::chrono::steady_clock::now() - last_heartbeat >= kRelayHeartbeat) {
        relay_->heartbeat_browser_flows();
        last_heartbeat = std::chrono::steady_clock::now();
      }
      failing_ = false;
    } catch (const std::exception& e) {
      relay_failed("looking for relayed callbacks", e);
    }
    for (const auto& flow : delivered) hand_over(flow);
    lock.lock();
    cv_.wait_for(lock, kRelayPoll, [this] { return stopping_; });
  }
}

void CallbackRegistry::relay_failed(const char* doing, const std::exception& e) {
  // Once per run of failures: a store that is down is not logged four times a second.
  if (failing_.exchange(true) || !log_) return;
  log_(std::string("the token store's browser-flow relay failed while ") + doing + ": " + e.what() +
       " (callbacks to this instance still work)");
}

std::unique_ptr<auth::ConsentSession> GatewayConsent::begin(const std::string&) {
  return std::make_unique<Session>(registry_, redirect_uri_, publish_, pending_);
}

}  // namespace mcpauth::gateway
