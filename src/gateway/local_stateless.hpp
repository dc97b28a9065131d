// The remote side of stateless (2026-07-28) local clients of one server: one
// mcp::Bridge shared by all of them, and the requests waiting for its answers.
// A modern request is self-contained (its _meta carries the version, client
// info and capabilities), so one remote connection serves every local client;
// their ids may collide, so each request goes out under an id of the gateway's
// own and its answer comes back under the client's.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/mcp/bridge.hpp"
#include "upstream.hpp"

namespace mcpauth::gateway {

class StatelessRoute {
 public:
  explicit StatelessRoute(std::shared_ptr<Upstream> server) : upstream(std::move(server)) {}
  ~StatelessRoute() { bridge.reset(); }  // first: its threads call deliver() on this object

  const std::shared_ptr<Upstream> upstream;

  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, std::optional<core::jsonrpc::Message>> waiting;  // the gateway's id (serialized) -> answer
  std::uint64_t next_id = 0;
  bool closed = false;

  std::unique_ptr<mcp::Bridge> bridge;  // last member: destroyed first

  // An answer from the remote side: to the request waiting for it; anything
  // else (request-related notifications, a late answer) has nowhere to go.
  void deliver(core::jsonrpc::Message&& message);
  void mark_closed();
};

}  // namespace mcpauth::gateway
