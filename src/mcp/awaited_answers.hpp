// Answers that a thread of the Bridge waits for by JSON-RPC id, away from
// the client's own traffic: the Bridge's own requests to the server (its
// server/discover, the rounds of an input-required request) and the client's
// answers to the requests the Bridge sends it (the input a modern server
// asked for).
//
// Threading: every member is thread-safe; await() blocks its caller only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/mcp/session.hpp"

namespace mcpauth::mcp::detail {

class AwaitedAnswers {
 public:
  // From now on an answer to `id` is taken for its waiter.
  void expect(const core::jsonrpc::Id& id);
  // Whether `message` answers an expected id; then it is kept for await().
  bool take(const core::jsonrpc::Message& message);
  // No answer to `id` is waited for any more (its request was not sent).
  void forget(const core::jsonrpc::Id& id);
  // The answer to `id` (expected), once it came: a result, or an error
  // answer thrown as RpcError (its code, message and data). Throws
  // Error(timeout) when `timeout` passes first (none: no deadline) and
  // Error(cancelled) once closed. `what` names the request in messages.
  core::jsonrpc::Json await(const core::jsonrpc::Id& id, std::optional<std::chrono::milliseconds> timeout,
                            const std::string& what, const std::string& url);
  // Ends the wait for `id` (expected) with Error(cancelled): the client
  // cancelled the request it serves. A later answer to `id` is not taken.
  void cancel(const core::jsonrpc::Id& id);
  // Ends every wait, present and future, with Error(cancelled).
  void close();

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<std::string, std::optional<core::jsonrpc::Message>> answers_;  // by serialized id
  std::set<std::string> cancelled_;                                       // expected, and cancelled
  bool closed_ = false;
};

}  // namespace mcpauth::mcp::detail
