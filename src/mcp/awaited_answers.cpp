#include "awaited_answers.hpp"

namespace mcpauth::mcp::detail {

namespace rpc = core::jsonrpc;

void AwaitedAnswers::expect(const rpc::Id& id) {
  std::lock_guard lock(mutex_);
  answers_[id.dump()] = std::nullopt;
}

bool AwaitedAnswers::take(const rpc::Message& message) {
  if (!rpc::is_response(message)) return false;
  {
    std::lock_guard lock(mutex_);
    const auto it = answers_.find(rpc::id_of(message).dump());
    if (it == answers_.end() || it->second) return false;
    it->second = message;
  }
  arrived_.notify_all();
  return true;
}

void AwaitedAnswers::forget(const rpc::Id& id) {
  std::lock_guard lock(mutex_);
  answers_.erase(id.dump());
  cancelled_.erase(id.dump());
}

rpc::Json AwaitedAnswers::await(const rpc::Id& id, std::optional<std::chrono::milliseconds> timeout,
                                const std::string& what, const std::string& url) {
  const std::string key = id.dump();
  std::unique_lock lock(mutex_);
  const auto ready = [&] { return closed_ || cancelled_.count(key) > 0 || answers_[key].has_value(); };
  bool came = true;
  if (timeout) {
    came = arrived_.wait_for(lock, *timeout, ready);
  } else {
    arrived_.wait(lock, ready);
  }
  std::optional<rpc::Message> answer = std::move(answers_[key]);
  answers_.erase(key);
  if (cancelled_.erase(key) > 0) {
    throw Error(ErrorCode::cancelled, "the client cancelled the request that " + what + " served", url);
  }
  if (!answer) {
    if (!came) {
      throw Error(ErrorCode::timeout,
                  "no answer to " + what + " came within " + std::to_string(timeout->count()) + " ms", url);
    }
    throw Error(ErrorCode::cancelled, "the connection to " + url + " is closed", url);
  }
  if (auto* error = std::get_if<rpc::ErrorResponse>(&*answer)) {
    throw RpcError(error->message, url, error->code, std::move(error->data));
  }
  return std::move(std::get<rpc::Response>(*answer).result);
}

void AwaitedAnswers::cancel(const rpc::Id& id) {
  {
    std::lock_guard lock(mutex_);
    const auto it = answers_.find(id.dump());
    if (it == answers_.end() || it->second) return;  // not waited for, or answered already
    cancelled_.insert(it->first);
  }
  arrived_.notify_all();
}

void AwaitedAnswers::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  arrived_.notify_all();
}

}  // namespace mcpauth::mcp::detail
