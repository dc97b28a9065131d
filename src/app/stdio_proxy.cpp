#include "stdio_proxy.hpp"

#include <atomic>
#include <iostream>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mcpauth/mcp/legacy_sse_transport.hpp"
#include "mcpauth/mcp/streamable_http_transport.hpp"

namespace mcpauth::app {
namespace {

namespace rpc = core::jsonrpc;

constexpr std::size_t kMaxLineBytes = 64u << 20;

class StdioProxy {
 public:
  StdioProxy(Connection connection, std::ostream& out) : connection_(std::move(connection)), out_(out) {}

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
    if (transport_) transport_->close();
    return 0;
  }

 private:
  void dispatch(rpc::Message message) {
    if (const auto* request = std::get_if<rpc::Request>(&message)) {
      if (!transport_ || request->method == "initialize") {
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
        notification && notification->method == "notifications/initialized" && transport_) {
      if (const std::string version = negotiated_version(); !version.empty()) transport_->on_initialized(version);
    }
  }

  void forward(const rpc::Message& message) {
    try {
      if (!transport_) open(first_kind());
      try {
        transport_->send(message);
      } catch (const Error& e) {
        if (!fallback_allowed_ || !is_legacy_fallback(e)) throw;
        // Not a Streamable HTTP endpoint: the 2024-11-05 HTTP+SSE transport.
        fallback_allowed_ = false;
        transport_->close();
        open(mcp::TransportKind::sse);
        transport_->send(message);
      }
      fallback_allowed_ = false;
    } catch (const Error& e) {
      std::cerr << "mcpauth proxy: " << e.what() << std::endl;
      if (const auto* request = std::get_if<rpc::Request>(&message)) {
        write(rpc::ErrorResponse{request->id, rpc::kInternalError, std::string("mcpauth proxy: ") + e.what(),
                                 rpc::Json{{"mcpauth_error", std::string(to_string(e.code()))}}});
      }
    }
  }

  mcp::TransportKind first_kind() const {
    return connection_.options.transport == mcp::TransportKind::sse ? mcp::TransportKind::sse
                                                                    : mcp::TransportKind::streamable_http;
  }

  static bool is_legacy_fallback(const Error& e) {
    return e.code() == ErrorCode::http_status &&
           (e.http_status() == 400 || e.http_status() == 404 || e.http_status() == 405);
  }

  void open(mcp::TransportKind kind) {
    const auto& options = connection_.options;
    mcp::TransportOptions t;
    t.url = options.url;
    t.http = options.http;
    t.authorizer = options.authorizer;
    t.connect_timeout = options.connect_timeout;
    t.request_timeout = options.request_timeout;
    t.max_message_bytes = options.max_message_bytes;
    if (kind == mcp::TransportKind::sse) {
      transport_ = std::make_unique<mcp::LegacySseTransport>(std::move(t));
    } else {
      transport_ = std::make_unique<mcp::StreamableHttpTransport>(std::move(t));
      fallback_allowed_ = options.transport == mcp::TransportKind::automatic;
    }
    transport_->start([this](rpc::Message&& m) { from_server(std::move(m)); },
                      [](const Error& e) { std::cerr << "mcpauth proxy: " << e.what() << std::endl; });
  }

  void from_server(rpc::Message&& message) {
    if (const auto* response = std::get_if<rpc::Response>(&message)) {
      // The negotiated version, for the transport's later requests and GET stream.
      const auto it = response->result.find("protocolVersion");
      if (response->result.is_object() && it != response->result.end() && it->is_string()) {
        std::lock_guard lock(version_mutex_);
        if (version_.empty()) version_ = it->get<std::string>();
      }
    }
    write(message);
  }

  std::string negotiated_version() {
    std::lock_guard lock(version_mutex_);
    return version_;
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
  std::ostream& out_;
  std::mutex out_mutex_;
  std::unique_ptr<mcp::Transport> transport_;
  bool fallback_allowed_ = false;
  std::mutex version_mutex_;
  std::string version_;  // from the server's initialize result
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Worker> workers_;
};

}  // namespace

int run_stdio_proxy(Connection connection, std::istream& in, std::ostream& out) {
  StdioProxy proxy(std::move(connection), out);
  return proxy.run(in);
}

}  // namespace mcpauth::app
