#include "mcpauth/mcp/session.hpp"

#include <atomic>
#include <future>
#include <map>
#include <mutex>

#include "input_required.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "mcpauth/version.hpp"
#include "negotiation.hpp"
#include "session_renewal.hpp"
#include "tool_headers.hpp"
#include "transport_factory.hpp"

namespace mcpauth::mcp {
namespace {

using core::jsonrpc::ErrorResponse;
using core::jsonrpc::Message;
using core::jsonrpc::Notification;
using core::jsonrpc::Request;
using core::jsonrpc::Response;
using detail::Negotiator;
using detail::Step;
using detail::TransportPtr;

struct Pending {
  std::promise<Message> promise;
  std::atomic<bool> settled{false};

  void resolve(Message&& message) {
    if (!settled.exchange(true)) promise.set_value(std::move(message));
  }
  void reject(std::exception_ptr error) {
    if (!settled.exchange(true)) promise.set_exception(std::move(error));
  }
};

SessionOptions prepared(SessionOptions options) {
  if (!options.http) options.http = std::make_shared<net::CurlHttpClient>();
  if (options.client_info.version.empty()) options.client_info.version = version();
  if (!is_supported_version(options.protocol_version)) {
    throw Error(ErrorCode::usage, "unknown MCP protocol version \"" + options.protocol_version +
                                      "\" (supported: " + detail::supported_list() + ")");
  }
  return options;
}

}  // namespace

std::string_view to_string(TransportKind kind) noexcept {
  switch (kind) {
    case TransportKind::automatic: return "auto";
    case TransportKind::streamable_http: return "http";
    case TransportKind::sse: return "sse";
    case TransportKind::sse_first: return "sse-first";
  }
  return "auto";
}

TransportKind parse_transport_kind(std::string_view text) {
  if (text == "auto" || text == "http-first") return TransportKind::automatic;
  if (text == "http" || text == "streamable-http" || text == "streamableHttp" || text == "http-only") {
    return TransportKind::streamable_http;
  }
  if (text == "sse" || text == "sse-only") return TransportKind::sse;
  if (text == "sse-first") return TransportKind::sse_first;
  throw Error(ErrorCode::usage, "unknown transport \"" + std::string(text) +
                                    "\" (use auto, http or sse; or http-first, http-only, sse-first, sse-only)");
}

// The client side of one session: the negotiator's driver for connecting
// and renewing, and the request/answer bookkeeping.
class Session::Impl {
 public:
  explicit Impl(SessionOptions options)
      : options_(prepared(std::move(options))),
        factory_(transport_options(options_)),
        renewal_([this] { return transport(); },
                 [this](const TransportPtr& failed) { return start_new_session(failed); }) {}

  void connect() {
    Negotiator negotiator =
        Negotiator::connect(options_.url, options_.transport, options_.protocol_version, options_.remembered);
    negotiate(negotiator);
  }

  const ServerInfo& server() const noexcept { return server_; }

  TransportPtr transport() const {
    std::lock_guard lock(transport_mutex_);
    return transport_;
  }

  Json request(const std::string& method, Json params) {
    if (modern_version_.empty()) return send_request(method, std::move(params));
    // 2026-07-28: a result may ask for input first (SEP-2322); each round is a request of its own.
    return detail::complete_with_input(
        method, meta(std::move(params), modern_version_),
        [this, &method](Json round) { return send_request(method, std::move(round)); }, options_.on_request,
        options_.url, Session::kMaxInputRounds);
  }

  void notify(const std::string& method, Json params) { transport()->send(Notification{method, std::move(params)}); }

  const std::string& url() const noexcept { return options_.url; }

  void close() {
    if (const auto transport_now = transport()) transport_now->close();
    on_transport_error(Error(ErrorCode::cancelled, "the session with " + options_.url + " was closed", options_.url));
  }

 private:
  Json meta(Json params, std::string_view version) const {
    return with_modern_meta(std::move(params), version, options_.client_info, options_.capabilities);
  }

  // Does what the negotiator asks until it is done (or gives up: throws).
  void negotiate(Negotiator& negotiator) {
    for (;;) {
      const Step step = negotiator.next();
      switch (step.kind) {
        case Step::Kind::open:
          detail::open_transport(negotiator, [this](TransportKind kind) { return open(kind); });
          break;
        case Step::Kind::discover: {
          Json result;
          try {
            result = send_request("server/discover", meta(Json::object(), step.version));
          } catch (const Error& e) {
            if (!negotiator.failed(e)) throw;
            break;
          }
          negotiator.discovered(result);
          break;
        }
        case Step::Kind::initialize: {
          Json result;
          try {
            result = send_request("initialize",
                                  initialize_params(step.version, options_.capabilities, options_.client_info));
          } catch (const Error& e) {
            if (!negotiator.failed(e)) throw;
            break;
          }
          negotiator.initialize_answered(result);
          break;
        }
        case Step::Kind::initialized:
          try {
            const auto transport_now = transport();
            transport_now->on_initialized(step.version);
            if (negotiator.era() == detail::Era::handshake) {
              transport_now->send(Notification{"notifications/initialized", nullptr});
            }
          } catch (const Error& e) {
            if (!negotiator.failed(e)) throw;
            break;
          }
          negotiator.announced();
          break;
        case Step::Kind::forward:  // pass-through only: a Session negotiates itself
        case Step::Kind::done:
          server_ = negotiator.server();
          modern_version_ = negotiator.era() == detail::Era::modern ? server_.protocol_version : std::string();
          return;
      }
    }
  }

  // Replaces the transport in use (closed) with a new one of `kind`.
  TransportPtr open(TransportKind kind) {
    if (const auto previous = transport()) previous->close();
    TransportPtr fresh = factory_.open(
        kind, [this](Message&& m) { on_message(std::move(m)); },
        [this](const TransportPtr& from, const Error& e) {
          // A transport replaced by a new session fails nobody's requests.
          if (from && transport() == from) on_transport_error(e);
        });
    std::lock_guard lock(transport_mutex_);
    transport_ = fresh;
    return fresh;
  }

  TransportPtr start_new_session(const TransportPtr& failed) {
    failed->close();
    const TransportKind kind = failed->kind() == "sse" ? TransportKind::sse : TransportKind::streamable_http;
    Negotiator negotiator = Negotiator::renew(options_.url, kind, server_);
    negotiate(negotiator);
    return transport();
  }

  Json send_request(const std::string& method, Json params) {
    const long long id = next_id_++;
    const std::string key = Json(id).dump();
    const Request request{id, method, std::move(params)};
    auto forget = [&] {
      std::lock_guard lock(mutex_);
      pending_.erase(key);
    };
    std::future<Message> answer;
    // Sent again, in a new session, if the server forgot this one.
    renewal_.send(transport(), method, [&](const TransportPtr& to) {
      auto pending = std::make_shared<Pending>();
      answer = pending->promise.get_future();
      {
        std::lock_guard lock(mutex_);
        pending_[key] = pending;
      }
      try {
        to->send(request);
      } catch (...) {
        forget();
        throw;
      }
    });
    if (answer.wait_for(options_.request_timeout) != std::future_status::ready) {
      forget();
      if (modern_version_.empty()) {
        try {
          notify("notifications/cancelled", {{"requestId", id}, {"reason", "timed out"}});
        } catch (const Error&) {
          // best effort
        }
      }
      throw Error(ErrorCode::timeout,
                  "the server at " + options_.url + " did not answer " + method + " within " +
                      std::to_string(options_.request_timeout.count()) + " ms",
                  options_.url);
    }
    Message message = answer.get();  // rethrows a transport failure
    if (auto* error = std::get_if<ErrorResponse>(&message)) {
      throw RpcError("the server at " + options_.url + " answered " + method + " with error " +
                         std::to_string(error->code) + ": " + error->message,
                     options_.url, error->code, error->data);
    }
    return std::move(std::get<Response>(message).result);
  }

  void on_message(Message&& message) {
    if (core::jsonrpc::is_response(message)) {
      std::shared_ptr<Pending> pending;
      {
        std::lock_guard lock(mutex_);
        const auto it = pending_.find(core::jsonrpc::id_of(message).dump());
        if (it == pending_.end()) return;  // late or unknown: nobody waits for it
        pending = it->second;
        pending_.erase(it);
      }
      pending->resolve(std::move(message));
    } else if (auto* notification = std::get_if<Notification>(&message)) {
      if (options_.on_notification) options_.on_notification(notification->method, notification->params);
    } else if (auto* request = std::get_if<Request>(&message)) {
      on_server_request(*request);
    }
  }

  void on_server_request(const Request& request) {
    Message reply;
    try {
      if (request.method == "ping") {
        reply = Response{request.id, Json::object()};
      } else if (options_.on_request) {
        reply = Response{request.id, options_.on_request(request.method, request.params)};
      } else {
        reply =
            ErrorResponse{request.id, core::jsonrpc::kMethodNotFound, "Method not found: " + request.method, nullptr};
      }
    } catch (const RpcError& e) {
      reply = ErrorResponse{request.id, e.rpc_code(), e.what(), e.data()};
    } catch (const std::exception& e) {
      reply = ErrorResponse{request.id, core::jsonrpc::kInternalError, e.what(), nullptr};
    }
    try {
      transport()->send(reply);
    } catch (const Error&) {
      // The server will time the request out; nothing else to do here.
    }
  }

  void on_transport_error(const Error& error) {
    std::map<std::string, std::shared_ptr<Pending>> failed;
    {
      std::lock_guard lock(mutex_);
      failed.swap(pending_);
    }
    for (auto& [key, pending] : failed) pending->reject(std::make_exception_ptr(error));
  }

  SessionOptions options_;
  detail::TransportFactory factory_;
  mutable std::mutex transport_mutex_;
  TransportPtr transport_;  // replaced when the server forgets the session
  ServerInfo server_;
  std::string modern_version_;  // set when the server is modern
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Pending>> pending_;  // by serialized request id
  std::atomic<long long> next_id_{1};
  detail::SessionRenewal renewal_;  // last: its callbacks use the members above
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Session::~Session() {
  close();
}

std::unique_ptr<Session> Session::connect(SessionOptions options) {
  std::unique_ptr<Session> session(new Session(std::make_unique<Impl>(std::move(options))));
  session->impl_->connect();
  return session;
}

const ServerInfo& Session::server() const noexcept {
  return impl_->server();
}

bool Session::modern() const noexcept {
  return is_modern_version(impl_->server().protocol_version);
}

std::string_view Session::transport_kind() const {
  return impl_->transport()->kind();
}

ProtocolMemory Session::protocol_memory() const {
  return ProtocolMemory{server().protocol_version, std::string(transport_kind())};
}

Json Session::request(const std::string& method, Json params) {
  return impl_->request(method, std::move(params));
}

void Session::notify(const std::string& method, Json params) {
  impl_->notify(method, std::move(params));
}

std::vector<Tool> Session::list_tools() {
  const std::string& url = impl_->url();
  std::vector<Tool> tools;
  std::string cursor;
  for (int page = 0; page < kMaxPages; ++page) {
    Json params = Json::object();
    if (!cursor.empty()) params["cursor"] = cursor;
    const Json result = request("tools/list", std::move(params));
    const auto list = result.find("tools");
    if (list == result.end() || !list->is_array()) {
      throw Error(ErrorCode::protocol, "the tools/list result from " + url + " has no \"tools\" array", url);
    }
    for (const auto& entry : *list) tools.push_back(parse_tool(entry));
    const auto next = result.find("nextCursor");
    if (next == result.end() || !next->is_string() || next->get<std::string>().empty()) return tools;
    if (next->get<std::string>() == cursor) {
      throw Error(ErrorCode::protocol, "the server at " + url + " returned the same tools/list cursor twice", url);
    }
    cursor = next->get<std::string>();
  }
  throw Error(ErrorCode::protocol,
              "the server at " + url + " returned more than " + std::to_string(kMaxPages) + " pages of tools", url);
}

ToolCallResult Session::call_tool(const std::string& name, const Json& arguments) {
  Json params = {{"name", name}, {"arguments", arguments.is_null() ? Json::object() : arguments}};
  Json result;
  try {
    result = request("tools/call", params);
  } catch (const RpcError& e) {
    // The tool's x-mcp-header marks changed since it was listed (the server refused the call before running
    // it): list again, which teaches the transport the new marks, and send the call once more.
    if (e.rpc_code() != detail::kHeaderMismatchError || !modern()) throw;
    list_tools();
    result = request("tools/call", std::move(params));
  }
  if (!result.is_object()) {
    throw Error(ErrorCode::protocol, "the tools/call result from " + impl_->url() + " is not an object", impl_->url());
  }
  return ToolCallResult{std::move(result)};
}

void Session::close() {
  impl_->close();
}

}  // namespace mcpauth::mcp
