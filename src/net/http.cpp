#include "mcpauth/net/http.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

namespace mcpauth::net {

void HttpHeaders::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void HttpHeaders::remove(std::string_view name) {
  headers_.erase(
      std::remove_if(headers_.begin(), headers_.end(), [&](const HttpHeader& h) { return iequals(h.name, name); }),
      headers_.end());
}

std::optional<std::string> HttpHeaders::get(std::string_view name) const {
  for (const auto& h : headers_) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

std::vector<std::string> HttpHeaders::get_all(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& h : headers_) {
    if (iequals(h.name, name)) values.push_back(h.value);
  }
  return values;
}

class CancelToken::Impl {
 public:
  std::atomic<bool> cancelled{false};
  std::mutex mutex;  // guards wake, so cancel() never calls a waker being cleared
  std::function<void()> wake;
};

CancelToken::CancelToken() : impl_(std::make_unique<Impl>()) {}

CancelToken::~CancelToken() = default;

bool CancelToken::cancelled() const noexcept {
  return impl_->cancelled.load();
}

void CancelToken::cancel() {
  impl_->cancelled.store(true);
  std::lock_guard lock(impl_->mutex);
  if (impl_->wake) impl_->wake();
}

bool CancelToken::set_waker(std::function<void()> wake) {
  std::lock_guard lock(impl_->mutex);
  impl_->wake = std::move(wake);
  return !impl_->cancelled.load();
}

void CancelToken::clear_waker() {
  std::lock_guard lock(impl_->mutex);
  impl_->wake = nullptr;
}

}  // namespace mcpauth::net
