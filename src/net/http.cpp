#include "mcpauth/net/http.hpp"

#include <algorithm>

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

void CancelToken::cancel() {
  cancelled_.store(true);
  std::lock_guard lock(mutex_);
  if (wake_) wake_();
}

bool CancelToken::set_waker(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
  return !cancelled_.load();
}

void CancelToken::clear_waker() {
  std::lock_guard lock(mutex_);
  wake_ = nullptr;
}

}  // namespace mcpauth::net
