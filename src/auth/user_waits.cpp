#include "user_waits.hpp"

#include "mcpauth/error.hpp"

namespace mcpauth::auth::detail {
namespace {

Error cancelled() {
  return Error(ErrorCode::cancelled, "the authorization was cancelled: nobody is there to give consent any more");
}

}  // namespace

void UserWaits::refuse_if_cancelled() const {
  std::lock_guard lock(mutex_);
  if (cancelled_) throw cancelled();
}

core::oauth::FormFields UserWaits::await(ConsentSession& consent, const ConsentPrompt& prompt) {
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) throw cancelled();
    consent_ = &consent;
    begin_wait_locked();
  }
  struct Done {
    UserWaits& waits;
    ~Done() {
      std::lock_guard lock(waits.mutex_);
      waits.consent_ = nullptr;
      --waits.waiting_;
    }
  } done{*this};
  return consent.await(prompt);
}

void UserWaits::pause(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  begin_wait_locked();
  const bool cancelled_first = wake_.wait_for(lock, duration, [this] { return cancelled_; });
  --waiting_;
  if (cancelled_first) throw cancelled();
}

// Who waits for the flow turn and gives way to a person learns of it now.
void UserWaits::begin_wait_locked() {
  ++waiting_;
  wake_.notify_all();
}

bool UserWaits::take_flow(bool give_way) {
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [&] { return !flow_taken_ || (give_way && waiting_ > 0); });
  if (flow_taken_) return false;
  flow_taken_ = true;
  return true;
}

void UserWaits::release_flow() {
  std::lock_guard lock(mutex_);
  flow_taken_ = false;
  wake_.notify_all();
}

bool UserWaits::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_ > 0;
}

void UserWaits::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (consent_) consent_->cancel();
  wake_.notify_all();
}

}  // namespace mcpauth::auth::detail
