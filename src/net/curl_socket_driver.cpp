#include "curl_socket_driver.hpp"

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <system_error>

#include "mcpauth_internal/platform/socket.hpp"

namespace mcpauth::net::detail {
namespace {

constexpr int kRead = 0;
constexpr int kWrite = 1;

constexpr int poll_flag(int direction) {
  return direction == kRead ? CURL_POLL_IN : CURL_POLL_OUT;
}

// Whether the socket is ready for `direction` now (or failed: libcurl then
// finds out what happened).
bool ready_now(curl_socket_t fd, int direction) {
  return platform::socket_ready_now(static_cast<platform::NativeSocket>(fd), direction == kWrite);
}

// libcurl's socket as Asio's generic stream socket of its family (a POSIX
// descriptor type would not exist on Windows).
boost::asio::generic::stream_protocol protocol_of(curl_socket_t fd) {
  const int family = platform::socket_family(static_cast<platform::NativeSocket>(fd));
  if (family < 0) throw std::system_error(std::make_error_code(std::errc::not_a_socket));
  return {family, 0};
}

}  // namespace

// One socket libcurl asked for: what it wants, and which waits are pending.
struct CurlSocketDriver::Watch {
  Watch(boost::asio::io_context& io, curl_socket_t socket) : descriptor(io), fd(socket) {
    descriptor.assign(protocol_of(fd), fd);
  }
  ~Watch() { let_go(); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // Deregisters the socket from the reactor without closing it: it is libcurl's.
  void let_go() {
    closed = true;
    if (!descriptor.is_open()) return;
    boost::system::error_code ignored;
    descriptor.cancel(ignored);
    descriptor.release(ignored);
  }

  boost::asio::generic::stream_protocol::socket descriptor;
  const curl_socket_t fd;
  int wanted = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits
  bool waiting[2] = {false, false};
  bool closed = false;  // libcurl removed it (the fd may already be another socket's)
};

CurlSocketDriver::CurlSocketDriver(boost::asio::io_context& io, CURLM* multi, Done on_done)
    : io_(io), multi_(multi), on_done_(std::move(on_done)), timeout_(io) {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlSocketDriver::~CurlSocketDriver() {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, static_cast<curl_socket_callback>(nullptr));
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, static_cast<curl_multi_timer_callback>(nullptr));
  stop();
}

void CurlSocketDriver::stop() {
  stopped_ = true;
  wanted_.reset();
  armed_.reset();
  timeout_.cancel();
  for (auto& [fd, w] : watches_) w->let_go();
  watches_.clear();
  unwatchable_.clear();
}

int CurlSocketDriver::on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* /*socket_data*/) {
  static_cast<CurlSocketDriver*>(self)->watch(easy, fd, what);
  return 0;
}

// libcurl moves its next timeout on nearly every step of every transfer.
// Each wait armed earlier than the loop's nearest costs the reactor a
// system call that reprograms a kernel timer (timerfd_settime; measured at
// an eighth of the gateway's CPU under load on a KVM guest, where
// reprogramming traps to the hypervisor). So: a zero timeout is a post, not
// a timer; a later deadline leaves the armed wait alone (it wakes early and
// waits again for the rest); only an earlier one re-arms.
int CurlSocketDriver::on_timer(CURLM* /*multi*/, long timeout_ms, void* self) {
  auto* d = static_cast<CurlSocketDriver*>(self);
  const std::uint64_t generation = ++d->timer_generation_;
  if (timeout_ms < 0 || d->stopped_) {
    d->wanted_.reset();  // an armed wait finds nothing wanted and does nothing
    return 0;
  }
  if (timeout_ms == 0) {
    d->wanted_.reset();
    // Never act from inside libcurl: on the next turn, unless libcurl has
    // named another timeout by then.
    boost::asio::post(d->io_, [d, generation] {
      if (generation == d->timer_generation_ && !d->stopped_) d->act(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }
  d->wanted_ = Clock::now() + std::chrono::milliseconds(timeout_ms);
  if (!d->armed_ || *d->wanted_ < *d->armed_) d->arm_timeout(*d->wanted_);
  return 0;
}

void CurlSocketDriver::arm_timeout(Clock::time_point at) {
  armed_ = at;
  timeout_.expires_at(at);
  timeout_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed or stopped: the new wait owns armed_
    armed_.reset();
    if (stopped_ || !wanted_) return;
    if (Clock::now() < *wanted_) return arm_timeout(*wanted_);  // moved later meanwhile
    wanted_.reset();
    act(CURL_SOCKET_TIMEOUT, 0);
  });
}

void CurlSocketDriver::watch(CURL* easy, curl_socket_t fd, int what) {
  if (what == CURL_POLL_REMOVE) {
    // Called before libcurl closes the socket: let go of it now, so a new
    // socket that gets the same number is registered afresh.
    if (auto it = watches_.find(fd); it != watches_.end()) {
      it->second->let_go();
      watches_.erase(it);
    }
    return;
  }
  if (stopped_) return;
  auto& w = watches_[fd];
  if (!w) {
    try {
      w = std::make_shared<Watch>(io_, fd);
    } catch (...) {
      // The reactor refused the socket (out of epoll watches; or its family
      // could not be read): that transfer
      // cannot go on; it ends once libcurl's call has returned.
      watches_.erase(fd);
      unwatchable_.push_back(easy);
      return;
    }
  }
  w->wanted = what;
  if (what & CURL_POLL_IN) arm(w, kRead);
  if (what & CURL_POLL_OUT) arm(w, kWrite);
}

void CurlSocketDriver::arm(const std::shared_ptr<Watch>& w, int direction) {
  if (w->waiting[direction] || w->closed) return;
  w->waiting[direction] = true;
  auto on_ready = [this, w, direction](const boost::system::error_code& ec) {
    w->waiting[direction] = false;
    if (ec || w->closed || stopped_ || !(w->wanted & poll_flag(direction))) return;
    act(w->fd, direction == kRead ? CURL_CSELECT_IN : CURL_CSELECT_OUT);
    // Still wanted (not removed or changed by that call): wait again.
    if (!w->closed && !stopped_ && (w->wanted & poll_flag(direction))) arm(w, direction);
  };
  if (ready_now(w->fd, direction)) {
    boost::asio::post(io_, [on_ready] { on_ready({}); });
  } else {
    w->descriptor.async_wait(
        direction == kRead ? boost::asio::socket_base::wait_read : boost::asio::socket_base::wait_write,
        std::move(on_ready));
  }
}

void CurlSocketDriver::act(curl_socket_t fd, int events) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  std::vector<CURL*> unwatchable;
  unwatchable.swap(unwatchable_);
  for (CURL* easy : unwatchable) on_done_(easy, CURLE_OUT_OF_MEMORY);
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg == CURLMSG_DONE) on_done_(msg->easy_handle, msg->data.result);
  }
}

}  // namespace mcpauth::net::detail
