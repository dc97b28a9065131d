#include "mcpauth/auth/cancellable_consent.hpp"

#include <mutex>
#include <set>

#include "mcpauth/error.hpp"

namespace mcpauth::auth {

struct CancellableConsent::Shared {
  mutable std::mutex mutex;
  std::set<ConsentSession*> live;  // the inner sessions begun and not yet destroyed
  int waiting = 0;
  bool cancelled = false;

  void refuse_if_cancelled_locked() const {
    if (cancelled) throw Error(ErrorCode::cancelled, "the authorization was cancelled: nobody is there to consent");
  }
};

// Registers its inner session while it lives, so cancel_all() reaches it;
// the registry's lock also keeps cancel() from racing the destructor.
class CancellableConsent::Session final : public ConsentSession {
 public:
  Session(std::shared_ptr<Shared> shared, std::unique_ptr<ConsentSession> inner)
      : shared_(std::move(shared)), inner_(std::move(inner)) {
    std::lock_guard lock(shared_->mutex);
    shared_->live.insert(inner_.get());
    if (shared_->cancelled) inner_->cancel();  // cancelled between begin() and here
  }
  ~Session() override {
    std::lock_guard lock(shared_->mutex);
    shared_->live.erase(inner_.get());
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  std::string redirect_uri() const override { return inner_->redirect_uri(); }

  core::oauth::FormFields await(const ConsentPrompt& prompt) override {
    {
      std::lock_guard lock(shared_->mutex);
      shared_->refuse_if_cancelled_locked();
      ++shared_->waiting;
    }
    struct Done {
      Shared& shared;
      ~Done() {
        std::lock_guard lock(shared.mutex);
        --shared.waiting;
      }
    } done{*shared_};
    return inner_->await(prompt);
  }

  void cancel() override { inner_->cancel(); }

 private:
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<ConsentSession> inner_;
};

CancellableConsent::CancellableConsent(std::shared_ptr<ConsentHandler> inner)
    : inner_(std::move(inner)), shared_(std::make_shared<Shared>()) {
  if (!inner_) throw Error(ErrorCode::usage, "CancellableConsent needs a consent handler to wrap");
}

CancellableConsent::~CancellableConsent() = default;

std::unique_ptr<ConsentSession> CancellableConsent::wrap(std::unique_ptr<ConsentSession> inner) {
  return std::make_unique<Session>(shared_, std::move(inner));
}

std::unique_ptr<ConsentSession> CancellableConsent::begin(const std::string& issuer) {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->refuse_if_cancelled_locked();
  }
  return wrap(inner_->begin(issuer));
}

std::unique_ptr<ConsentSession> CancellableConsent::begin_preferring(const std::string& issuer,
                                                                     const std::string& preferred_redirect_uri) {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->refuse_if_cancelled_locked();
  }
  return wrap(inner_->begin_preferring(issuer, preferred_redirect_uri));
}

bool CancellableConsent::waiting() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->waiting > 0;
}

void CancellableConsent::cancel_all() {
  std::lock_guard lock(shared_->mutex);
  shared_->cancelled = true;
  for (ConsentSession* session : shared_->live) session->cancel();
}

}  // namespace mcpauth::auth
