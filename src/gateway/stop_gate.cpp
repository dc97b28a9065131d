#include "stop_gate.hpp"

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "mcpauth/error.hpp"

namespace mcpauth::gateway {

struct StopGate::State {
  std::mutex mutex;
  bool closed = false;
  std::set<net::CancelToken*> live;  // the tokens of requests under way without one of their caller's
};

namespace {

class GuardedHttpClient final : public net::HttpClient {
 public:
  GuardedHttpClient(std::shared_ptr<net::HttpClient> inner, std::shared_ptr<StopGate::State> state)
      : inner_(std::move(inner)), state_(std::move(state)) {}

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
    if (cancel) {
      refuse_if_closed(request);
      return inner_->send(request, cancel);
    }
    net::CancelToken own;
    const Registration registration(*this, own, request);
    return inner_->send(request, &own);
  }

  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* cancel) override {
    if (cancel) {
      refuse_if_closed(request);
      inner_->stream(request, handler, cancel);
      return;
    }
    net::CancelToken own;
    const Registration registration(*this, own, request);
    inner_->stream(request, handler, &own);
  }

 private:
  // A request's own token in the gate's set while it runs.
  class Registration {
   public:
    Registration(GuardedHttpClient& client, net::CancelToken& token, const net::HttpRequest& request)
        : state_(*client.state_), token_(token) {
      std::lock_guard lock(state_.mutex);
      if (state_.closed) throw stopping(request);
      state_.live.insert(&token_);
    }
    ~Registration() {
      std::lock_guard lock(state_.mutex);
      state_.live.erase(&token_);
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    StopGate::State& state_;
    net::CancelToken& token_;
  };

  static Error stopping(const net::HttpRequest& request) {
    return Error(ErrorCode::cancelled, request.method + " " + request.url + " was not sent: the gateway is stopping",
                 request.url);
  }
  void refuse_if_closed(const net::HttpRequest& request) const {
    std::lock_guard lock(state_->mutex);
    if (state_->closed) throw stopping(request);
  }

  std::shared_ptr<net::HttpClient> inner_;
  std::shared_ptr<StopGate::State> state_;
};

}  // namespace

StopGate::StopGate() : state_(std::make_shared<State>()) {}

std::shared_ptr<net::HttpClient> StopGate::guard(std::shared_ptr<net::HttpClient> inner) const {
  return std::make_shared<GuardedHttpClient>(std::move(inner), state_);
}

void StopGate::close() {
  std::lock_guard lock(state_->mutex);
  state_->closed = true;
  // cancel() only wakes the transfer (its waker), which ends on its own
  // thread; the token stays registered until its request returns.
  for (net::CancelToken* token : state_->live) token->cancel();
}

void StopGate::run_with_deadline(std::chrono::milliseconds deadline, const std::function<void()>& work) {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mutex);
    if (!finished.wait_for(lock, deadline, [&] { return done; })) close();
  });
  // Ends the watchdog however work() ends.
  struct Ender {
    std::mutex& mutex;
    std::condition_variable& finished;
    bool& done;
    std::thread& watchdog;
    ~Ender() {
      {
        std::lock_guard lock(mutex);
        done = true;
      }
      finished.notify_one();
      watchdog.join();
    }
  } const ender{mutex, finished, done, watchdog};
  work();
}

}  // namespace mcpauth::gateway
