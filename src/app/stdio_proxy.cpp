#include "stdio_proxy.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mcpauth/mcp/legacy_sse_transport.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/mcp/streamable_http_transport.hpp"

namespace mcpauth::app {
namespace {

namespace rpc = core::jsonrpc;
using TransportPtr = std::shared_ptr<mcp::Transport>;

constexpr std::size_t kMaxLineBytes = 64u << 20;
// The id of the proxy's own initialize when it re-creates a session the
// server forgot; its answer is the proxy's, never the host's.
constexpr const char* kReinitializeId = "mcpauth-proxy-reinitialize";

class StdioProxy {
 public:
  StdioProxy(Connection connection, ProxyOptions options, std::ostream& out)
      : connection_(std::move(connection)), options_(std::move(options)), out_(out) {}

  int run(std::istream& in) {
    std::string line;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::vector<rpc::Message> messages;
      try {
        messages = rpc::parse(line, {kMaxLineBytes, 128});
      } catch (const Error&) {
        // Not echoed: the line may hold anything, secrets included.
        write(rpc::ErrorResponse{nullptr, rpc::kParseError, "mcpauth proxy: a line on stdin is not a JSON-RPC message",
                                 nullptr});
        continue;
      }
      for (auto& message : messages) dispatch(std::move(message));
    }
    // End of input: let answers in flight arrive, then end the remote session.
    for (auto& worker : workers_) worker.thread.join();
    if (auto transport = current()) transport->close();
    return 0;
  }

 private:
  void dispatch(rpc::Message message) {
    if (const auto* request = std::get_if<rpc::Request>(&message)) {
      if (refuse_ignored_tool(*request)) return;
      if (request->method == "initialize") {
        std::lock_guard lock(state_mutex_);
        host_initialize_ = *request;  // replayed if the server forgets the session
      }
      if (!current() || request->method == "initialize") {
        // The handshake runs before anything else (and while the user consents).
        forward(message);
        return;
      }
      // Other requests run concurrently: a long tool call does not hold up a ping.
      reap_workers();
      auto done = std::make_shared<std::atomic<bool>>(false);
      workers_.push_back({std::thread([this, done, message = std::move(message)] {
                            forward(message);
                            done->store(true);
                          }),
                          done});
      return;
    }
    forward(message);  // notifications and the host's answers keep their order
    if (const auto* notification = std::get_if<rpc::Notification>(&message);
        notification && notification->method == "notifications/initialized") {
      TransportPtr transport;
      std::string version;
      {
        std::lock_guard lock(state_mutex_);
        transport = transport_;
        version = version_;
      }
      // Outside the lock: the stream it opens delivers through from_server(), which takes it.
      if (transport && !version.empty()) transport->on_initialized(version);
    }
  }

  void forward(const rpc::Message& message) {
    try {
      TransportPtr transport = current();
      if (!transport) transport = open_first();
      try {
        send_with_fallback(transport, message);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::session_expired || is_initialize(message)) throw;
        // The server forgot the session (a restart, an expiry): a new one
        // with the host's own initialize, then this message again.
        send_with_fallback(reinitialize(transport), message);
      }
    } catch (const Error& e) {
      std::cerr << "mcpauth proxy: " << e.what() << std::endl;
      if (const auto* request = std::get_if<rpc::Request>(&message)) {
        write(rpc::ErrorResponse{request->id, rpc::kInternalError, std::string("mcpauth proxy: ") + e.what(),
                                 rpc::Json{{"mcpauth_error", std::string(to_string(e.code()))}}});
      }
    }
  }

  bool ignored(const std::string& tool) const {
    for (const auto& glob : options_.ignored_tools) {
      if (::fnmatch(glob.c_str(), tool.c_str(), 0) == 0) return true;
    }
    return false;
  }

  // --ignore-tool: a call of a hidden tool is answered here; a tools/list
  // is remembered so its answer can be filtered.
  bool refuse_ignored_tool(const rpc::Request& request) {
    if (options_.ignored_tools.empty()) return false;
    if (request.method == "tools/list") {
      std::lock_guard lock(state_mutex_);
      tool_lists_.push_back(request.id);
      return false;
    }
    if (request.method != "tools/call" || !request.params.is_object()) return false;
    const auto name = request.params.find("name");
    if (name == request.params.end() || !name->is_string() || !ignored(name->get<std::string>())) return false;
    write(rpc::ErrorResponse{request.id, rpc::kInvalidParams,
                             "mcpauth proxy: the tool " + name->get<std::string>() + " is hidden by --ignore-tool",
                             nullptr});
    return true;
  }

  void filter_tool_list(rpc::Response& response) {
    {
      std::lock_guard lock(state_mutex_);
      const auto it = std::find(tool_lists_.begin(), tool_lists_.end(), response.id);
      if (it == tool_lists_.end()) return;
      tool_lists_.erase(it);
    }
    auto tools = response.result.find("tools");
    if (!response.result.is_object() || tools == response.result.end() || !tools->is_array()) return;
    rpc::Json kept = rpc::Json::array();
    for (auto& tool : *tools) {
      const auto name = tool.find("name");
      if (name != tool.end() && name->is_string() && ignored(name->get<std::string>())) continue;
      kept.push_back(std::move(tool));
    }
    *tools = std::move(kept);
  }

  static bool is_initialize(const rpc::Message& message) {
    const auto* request = std::get_if<rpc::Request>(&message);
    return request && request->method == "initialize";
  }

  void send_with_fallback(const TransportPtr& transport, const rpc::Message& message) {
    try {
      transport->send(message);
    } catch (const Error& e) {
      if (!fallback_allowed_.exchange(false) || !mcp::is_legacy_fallback_status(e)) throw;
      // Not a Streamable HTTP endpoint: the 2024-11-05 HTTP+SSE transport.
      transport->close();
      open(mcp::TransportKind::sse)->send(message);
    }
    fallback_allowed_ = false;
  }

  // One new session for all the requests that found the old one gone.
  TransportPtr reinitialize(const TransportPtr& failed) {
    std::lock_guard reinit(reinit_mutex_);
    if (current() != failed) return current();  // another thread already did it
    rpc::Request initialize;
    {
      std::lock_guard lock(state_mutex_);
      if (!host_initialize_) throw Error(ErrorCode::session_expired, "the server forgot the session before initialize");
      initialize = *host_initialize_;
      initialize.id = kReinitializeId;
      version_.clear();
      reinit_answered_ = false;
    }
    std::cerr << "mcpauth proxy: the server forgot the session; starting a new one" << std::endl;
    failed->close();
    TransportPtr fresh = open(kind_of(*failed));
    fresh->send(initialize);
    std::string version;
    {
      std::lock_guard lock(state_mutex_);
      if (!reinit_answered_) throw Error(ErrorCode::protocol, "the server did not answer the new initialize");
      version = version_;
    }
    fresh->send(rpc::Notification{"notifications/initialized", nullptr});
    if (!version.empty()) fresh->on_initialized(version);
    return fresh;
  }

  static mcp::TransportKind kind_of(const mcp::Transport& transport) {
    return transport.kind() == "sse" ? mcp::TransportKind::sse : mcp::TransportKind::streamable_http;
  }

  TransportPtr open_first() {
    switch (connection_.options.transport) {
      case mcp::TransportKind::sse: return open(mcp::TransportKind::sse);
      case mcp::TransportKind::sse_first: try { return open(mcp::TransportKind::sse);
        } catch (const Error& e) {
          if (!mcp::is_legacy_fallback_status(e)) throw;
          return open(mcp::TransportKind::streamable_http);  // no legacy event stream here
        }
      default: return open(mcp::TransportKind::streamable_http);
    }
  }

  TransportPtr current() {
    std::lock_guard lock(state_mutex_);
    return transport_;
  }

  TransportPtr open(mcp::TransportKind kind) {
    const auto& options = connection_.options;
    mcp::TransportOptions t = mcp::transport_options(options);
    TransportPtr transport;
    if (kind == mcp::TransportKind::sse) {
      transport = std::make_shared<mcp::LegacySseTransport>(std::move(t));
    } else {
      transport = std::make_shared<mcp::StreamableHttpTransport>(std::move(t));
      if (!current()) fallback_allowed_ = options.transport == mcp::TransportKind::automatic;
    }
    transport->start([this](rpc::Message&& m) { from_server(std::move(m)); },
                     [](const Error& e) { std::cerr << "mcpauth proxy: " << e.what() << std::endl; });
    std::lock_guard lock(state_mutex_);
    transport_ = transport;
    return transport;
  }

  void from_server(rpc::Message&& message) {
    if (auto* response = std::get_if<rpc::Response>(&message); response && !options_.ignored_tools.empty()) {
      filter_tool_list(*response);
    }
    if (const auto* response = std::get_if<rpc::Response>(&message)) {
      // The negotiated version, for the transport's later requests and GET stream.
      const auto it = response->result.find("protocolVersion");
      std::lock_guard lock(state_mutex_);
      if (response->result.is_object() && it != response->result.end() && it->is_string()) {
        version_ = it->get<std::string>();
      }
      if (response->id == kReinitializeId) {
        reinit_answered_ = true;
        return;  // the proxy's own handshake
      }
    }
    if (const auto* error = std::get_if<rpc::ErrorResponse>(&message); error && error->id == kReinitializeId) {
      return;  // reported through send() failing or the missing answer
    }
    write(message);
  }

  void reap_workers() {
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void write(const rpc::Message& message) {
    const std::string line = rpc::serialize(message);
    std::lock_guard lock(out_mutex_);
    out_ << line << '\n' << std::flush;
  }

  Connection connection_;
  ProxyOptions options_;
  std::ostream& out_;
  std::mutex out_mutex_;
  std::mutex reinit_mutex_;
  std::mutex state_mutex_;  // guards what follows
  TransportPtr transport_;
  std::optional<rpc::Request> host_initialize_;
  std::string version_;  // from the server's initialize result
  bool reinit_answered_ = false;
  std::vector<rpc::Id> tool_lists_;  // ids of the host's tools/list requests in flight (--ignore-tool)
  std::atomic<bool> fallback_allowed_{false};
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Worker> workers_;
};

}  // namespace

int run_stdio_proxy(Connection connection, const ProxyOptions& options, std::istream& in, std::ostream& out) {
  StdioProxy proxy(std::move(connection), options, out);
  return proxy.run(in);
}

}  // namespace mcpauth::app
