#include "mcpauth/mcp/bridge.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "awaited_answers.hpp"
#include "bridge_answers.hpp"
#include "era_translation.hpp"
#include "input_required.hpp"
#include "mcpauth/mcp/authorizing_http_client.hpp"
#include "mcpauth/mcp/retry_policy.hpp"
#include "mcpauth/mcp/streamable_http_transport.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "negotiation.hpp"
#include "session_renewal.hpp"
#include "transport_factory.hpp"

namespace mcpauth::mcp {

namespace rpc = core::jsonrpc;

namespace {

using detail::Negotiator;
using detail::TransportPtr;

// The id of the bridge's own initialize when it re-creates a session the
// server forgot; its answer is the bridge's, never the client's.
constexpr const char* kReinitializeId = "mcpauth-bridge-reinitialize";
// The prefix of the ids of the bridge's other own requests (to the server
// when it translates between eras, and to the client for the input a modern
// server asked for); their answers are the bridge's too.
constexpr const char* kOwnIdPrefix = "mcpauth-bridge-";

const rpc::Request* as_request(const rpc::Message& message) {
  return std::get_if<rpc::Request>(&message);
}

std::string method_of(const rpc::Message& message) {
  if (const auto* request = as_request(message)) return request->method;
  if (const auto* notification = std::get_if<rpc::Notification>(&message)) return notification->method;
  return {};
}

BridgeOptions prepared(BridgeOptions options) {
  if (!options.session.http) options.session.http = std::make_shared<net::CurlHttpClient>();
  return options;
}

TransportOptions bridge_transport_options(const SessionOptions& session) {
  TransportOptions t = transport_options(session);
  t.async_http = with_credentials(session.event_loop, session.authorizer);
  // A long-lived session re-opens its event stream for as long as it lives.
  t.max_stream_reconnects = INT_MAX;
  return t;
}

}  // namespace

class Bridge::Impl {
 public:
  Impl(BridgeOptions options, Deliver deliver)
      : options_(prepared(std::move(options))),
        deliver_(std::move(deliver)),
        factory_(bridge_transport_options(options_.session)),
        negotiator_(Negotiator::pass_through(options_.session.url, options_.session.transport,
                                             options_.session.protocol_version, options_.session.remembered)),
        renewal_([this] { return current(); }, [this](const TransportPtr& failed) { return reinitialize(failed); }) {}

  void forward(const rpc::Message& message) {
    if (awaited_.take(message)) return;  // the client's answer to a request of the bridge
    if (const auto* request = as_request(message)) {
      if (refuse_ignored_tool(*request)) return;
      if (request->method == "initialize") {
        std::lock_guard lock(state_mutex_);
        client_initialize_ = *request;  // replayed if the server forgets the session
      }
    }
    if (translating_.load()) return forward_translated(message);
    if (!send_or_answer(message)) return;
    if (method_of(message) == "notifications/initialized") open_event_stream();
  }

  // The asynchronous forward (see bridge.hpp): a Streamable HTTP POST on
  // the event loop, retried on the loop's timer. What needs the blocking
  // path (opening the transport, initialize, the event stream's opening, a
  // session to renew, legacy SSE) is handed back to the caller.
  void forward_async(const rpc::Message& message, AsyncDone done) {
    if (!done) done = [](Forwarded) {};
    auto transport = async_transport(message);
    if (!transport) return done(Forwarded::use_forward);
    if (const auto* request = as_request(message)) {
      if (refuse_ignored_tool(*request)) return done(Forwarded::done);
    }
    auto op = std::make_shared<AsyncForward>();
    op->message = message;
    op->method = method_of(message);
    op->done = std::move(done);
    op->deadline = std::chrono::steady_clock::now() + options_.retry_budget;
    op->backoff = options_.first_backoff;
    {
      std::lock_guard lock(state_mutex_);
      if (closed_) {
        op->finished = true;
      } else {
        async_ops_.insert(op);
      }
    }
    if (op->finished) return op->done(Forwarded::use_forward);  // forward() answers that it is closed
    send_async_attempt(op);
  }

  bool connected() {
    std::lock_guard lock(state_mutex_);
    return transport_ != nullptr;
  }

  std::string transport_name() {
    std::lock_guard lock(state_mutex_);
    return transport_ ? std::string(transport_->kind()) : std::string();
  }

  void close() {
    TransportPtr transport;
    std::vector<std::shared_ptr<AsyncForward>> ops;
    {
      std::lock_guard lock(state_mutex_);
      if (closed_) return;
      closed_ = true;
      transport = std::move(transport_);
      ops.assign(async_ops_.begin(), async_ops_.end());
    }
    wake_.notify_all();
    awaited_.close();
    // A forward waiting for its retry is answered now; one on the wire ends
    // when the transport cancels it (its close waits for that).
    const Error closed(ErrorCode::cancelled, "the connection to " + options_.session.url + " is closed",
                       options_.session.url);
    for (auto& op : ops) {
      std::shared_ptr<net::AsyncOperation> timer;
      {
        std::lock_guard lock(op->mutex);
        if (!op->waiting) continue;
        timer = op->timer;
      }
      if (timer) timer->cancel();
      fail_async(op, closed);
    }
    if (transport) transport->close();
    // No completion reaches this object (or the caller's callbacks) after close().
    std::unique_lock lock(state_mutex_);
    wake_.wait(lock, [this] { return async_ops_.empty(); });
  }

 private:
  void log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  // One forward_async() under way: its message, its retry state, and the
  // timer of the retry it waits for.
  struct AsyncForward {
    rpc::Message message;
    std::string method;
    AsyncDone done;
    std::chrono::steady_clock::time_point deadline;
    std::chrono::milliseconds backoff{0};
    int attempt = 1;
    std::string last_failure;
    std::mutex mutex;  // guards what follows
    std::shared_ptr<net::AsyncOperation> timer;
    bool waiting = false;   // for the retry timer
    bool finished = false;  // done has been called
  };

  // The transport a message may go on asynchronously now, or null.
  std::shared_ptr<StreamableHttpTransport> async_transport(const rpc::Message& message) {
    const std::string method = method_of(message);
    if (method == "initialize" || method == "notifications/initialized") return nullptr;
    // A translated message may need the bridge's own rounds: the blocking path.
    if (!options_.session.event_loop || !negotiated_.load() || stream_lost_.load() || translating_.load()) {
      return nullptr;
    }
    std::lock_guard lock(state_mutex_);
    if (closed_) return nullptr;
    auto transport = std::dynamic_pointer_cast<StreamableHttpTransport>(transport_);
    return transport && transport->can_send_async() ? transport : nullptr;
  }

  void send_async_attempt(const std::shared_ptr<AsyncForward>& op) {
    std::shared_ptr<StreamableHttpTransport> transport;
    try {
      transport = std::dynamic_pointer_cast<StreamableHttpTransport>(current());
    } catch (const Error& e) {
      return fail_async(op, e);
    }
    // The session is to be renewed (or the transport is not one for this):
    // the blocking path does it.
    if (!transport || stream_lost_.load()) return finish_async(op, Forwarded::use_forward);
    transport->send_async(op->message,
                          [this, op, transport](const Error* error) { on_async_sent(op, transport, error); });
  }

  void on_async_sent(const std::shared_ptr<AsyncForward>& op, const std::shared_ptr<StreamableHttpTransport>& transport,
                     const Error* error) {
    if (!error) {
      reached_ = true;
      if (op->attempt > 1) log("the server answers again");
      return finish_async(op, Forwarded::done);
    }
    if (error->code() == ErrorCode::session_expired) {
      // The server forgot the session (it did not act on the message): the
      // blocking path renews it and sends the message again.
      {
        std::lock_guard lock(state_mutex_);
        if (transport_ == transport) stream_lost_ = true;
      }
      return finish_async(op, Forwarded::use_forward);
    }
    // "Nothing sent twice" (mcp/retry_policy) says what may go again; nothing once closing.
    if (!may_retry(*error, op->method, reached_) || closing() ||
        std::chrono::steady_clock::now() + op->backoff > op->deadline) {
      return fail_async(op, *error);
    }
    log_retry(error->what(), op->last_failure, op->attempt, op->backoff);
    std::lock_guard lock(op->mutex);
    if (op->finished) return;
    op->waiting = true;
    // The timer runs on the loop thread; the next POST applies the
    // credentials, which may block (a refresh), so it starts from the pool.
    auto loop = options_.session.event_loop;
    op->timer = loop->after(op->backoff, [this, op, loop] { loop->run_blocking([this, op] { retry_async(op); }); });
    op->backoff = std::min(options_.max_backoff, op->backoff * 2);
    ++op->attempt;
  }

  bool closing() {
    std::lock_guard lock(state_mutex_);
    return closed_;
  }

  void retry_async(const std::shared_ptr<AsyncForward>& op) {
    {
      std::lock_guard lock(op->mutex);
      if (op->finished) return;  // close() answered it
      op->waiting = false;
      op->timer.reset();
    }
    send_async_attempt(op);
  }

  // Answered with an error, as forward() does.
  void fail_async(const std::shared_ptr<AsyncForward>& op, const Error& e) {
    AsyncDone done = claim(op);
    if (!done) return;  // answered already (close() and a retry may meet here)
    log(e.what());
    if (const auto* request = as_request(op->message)) answer_error(request->id, e);
    complete(op, std::move(done), Forwarded::done);
  }

  void finish_async(const std::shared_ptr<AsyncForward>& op, Forwarded outcome) {
    if (AsyncDone done = claim(op)) complete(op, std::move(done), outcome);
  }

  // The forward's end, taken once: empty when another path took it.
  static AsyncDone claim(const std::shared_ptr<AsyncForward>& op) {
    std::lock_guard lock(op->mutex);
    if (op->finished) return nullptr;
    op->finished = true;
    op->waiting = false;
    op->timer.reset();
    return std::move(op->done);
  }

  void complete(const std::shared_ptr<AsyncForward>& op, AsyncDone done, Forwarded outcome) {
    done(outcome);
    {
      std::lock_guard lock(state_mutex_);
      async_ops_.erase(op);
    }
    wake_.notify_all();
  }

  void answer_error(const rpc::Id& id, const Error& e) {
    rpc::ErrorResponse answer = detail::error_answer(id, e);
    if (options_.error_answer) options_.error_answer(e, answer);
    deliver(std::move(answer));
  }

  void deliver(rpc::Message&& message) {
    std::lock_guard lock(deliver_mutex_);
    deliver_(std::move(message));
  }

  // Sends, retrying with backoff what may be sent again while the budget lasts.
  void send_within_budget(const rpc::Message& message) {
    const auto deadline = std::chrono::steady_clock::now() + options_.retry_budget;
    auto backoff = options_.first_backoff;
    std::string last_failure;
    for (int attempt = 1;; ++attempt) {
      try {
        send_once(message);
        reached_ = true;
        if (attempt > 1) log("the server answers again");
        return;
      } catch (const Error& e) {
        // "Nothing sent twice" (mcp/retry_policy) says what may go again.
        if (!may_retry(e, method_of(message), reached_) || std::chrono::steady_clock::now() + backoff > deadline) {
          throw;
        }
        log_retry(e.what(), last_failure, attempt, backoff);
        if (!wait_unless_closed(backoff)) throw Error(ErrorCode::cancelled, "the bridge was closed");
        backoff = std::min(options_.max_backoff, backoff * 2);
      }
    }
  }

  // One line per distinct failure; repeats of it only as a count, at
  // doubling attempt numbers, so a long outage stays a few lines.
  void log_retry(const std::string& failure, std::string& last_failure, int attempt,
                 std::chrono::milliseconds backoff) const {
    if (failure != last_failure) {
      log(failure + " — trying again in " + std::to_string(backoff.count()) + " ms");
      last_failure = failure;
    } else if ((attempt & (attempt - 1)) == 0) {
      log("still retrying (" + std::to_string(attempt) + " attempts)");
    }
  }

  void send_once(const rpc::Message& message) {
    TransportPtr transport = current();
    if (!transport) transport = open_first();
    if (stream_lost_.load() && !is_initialize(message)) transport = renewal_.renew(transport);
    // The server may have forgotten the session (a restart, an expiry): a
    // new one with the client's own initialize, then this message again.
    renewal_.send(transport, method_of(message), [&](const TransportPtr& to) { send_with_fallback(to, message); });
  }

  bool wait_unless_closed(std::chrono::milliseconds delay) {
    std::unique_lock lock(state_mutex_);
    return !wake_.wait_for(lock, delay, [this] { return closed_; });
  }

  static bool is_initialize(const rpc::Message& message) {
    const auto* request = as_request(message);
    return request && request->method == "initialize";
  }

  void send_with_fallback(const TransportPtr& transport, const rpc::Message& message) {
    if (negotiated_.load()) return send_owing(*transport, message);
    negotiate_with(transport, message);
  }

  // The first message, while the negotiator still decides (see
  // negotiation.hpp): it may find that the endpoint is not what was tried
  // (then it goes on the transport the negotiator names), and a
  // handshake-era client's initialize may meet a server of the modern era
  // only (then the bridge discovers the server, answers the initialize
  // itself and translates from then on).
  void negotiate_with(TransportPtr transport, const rpc::Message& message) {
    const auto* request = as_request(message);
    const bool initialize = request && request->method == "initialize";
    std::optional<rpc::ErrorResponse> refusal;  // the server's refusal of the client's initialize
    try {
      for (;;) {
        const detail::Step step = locked_step();
        switch (step.kind) {
          case detail::Step::Kind::open: {
            std::lock_guard opening(open_mutex_);
            transport = detail::open_transport(negotiator_, [this](TransportKind kind) { return open(kind); });
            break;
          }
          case detail::Step::Kind::forward:
            if (initialize) {
              std::lock_guard opening(open_mutex_);
              negotiator_.client_initializes(detail::offered_version(request->params));
              if (negotiator_.next().kind != detail::Step::Kind::forward) break;  // remembered as modern
            }
            try {
              send_owing(*transport, message);
            } catch (const Error& e) {
              std::lock_guard opening(open_mutex_);
              if (!negotiator_.failed(e)) throw;
              break;
            }
            if ((refusal = take_initialize_refusal())) {
              bool discover_next = false;  // the refusal names a modern version
              {
                std::lock_guard opening(open_mutex_);
                discover_next =
                    negotiator_.failed(RpcError(refusal->message, options_.session.url, refusal->code, refusal->data));
              }
              if (discover_next) break;
              deliver(std::move(*refusal));
              refusal.reset();
            }
            {
              std::lock_guard opening(open_mutex_);
              negotiator_.forwarded();
              negotiated_ = negotiator_.next().kind == detail::Step::Kind::done;
            }
            return;
          case detail::Step::Kind::discover: {
            Json result;
            try {
              result = discover(*transport, step.version, request->params);
            } catch (const Error& e) {
              std::lock_guard opening(open_mutex_);
              if (!negotiator_.failed(e)) throw;
              break;
            }
            std::lock_guard opening(open_mutex_);
            negotiator_.discovered(result);
            break;
          }
          case detail::Step::Kind::initialized: {
            transport->on_initialized(step.version);  // the modern era: no event stream, no notification
            std::lock_guard opening(open_mutex_);
            negotiator_.announced();
            break;
          }
          case detail::Step::Kind::initialize:  // a pass-through never initializes itself
          case detail::Step::Kind::done:
            if (initialize) start_translating(*request);
            return;
        }
      }
    } catch (const Error& e) {
      if (!refusal) throw;
      // Discovery found nothing either: the client gets the server's own refusal.
      log(e.what());
      negotiated_ = true;
      deliver(std::move(*refusal));
    }
  }

  detail::Step locked_step() {
    std::lock_guard opening(open_mutex_);
    return negotiator_.next();
  }

  // The server's UnsupportedProtocolVersion answer to the client's first
  // initialize, held back from the client while the negotiator weighs it.
  std::optional<rpc::ErrorResponse> take_initialize_refusal() {
    std::lock_guard lock(state_mutex_);
    return std::exchange(initialize_refusal_, std::nullopt);
  }

  // server/discover under the bridge's own id, with the `_meta` the client's initialize implies.
  Json discover(Transport& transport, const std::string& version, const Json& initialize_params) {
    const rpc::Request request{
        own_id("discover"), "server/discover",
        detail::modern_params(Json::object(), version, initialize_params, options_.session.client_info)};
    awaited_.expect(request.id);
    try {
      transport.send(request);
    } catch (...) {
      awaited_.forget(request.id);
      throw;
    }
    return awaited_.await(request.id, options_.session.request_timeout, "server/discover", options_.session.url);
  }

  rpc::Id own_id(const std::string& what) {
    return rpc::Id(std::string(kOwnIdPrefix) + what + "-" + std::to_string(++own_ids_));
  }

  // The negotiator found a modern server for a handshake-era client: the
  // bridge answers the client's initialize from the discover result.
  void start_translating(const rpc::Request& initialize) {
    ServerInfo server;
    {
      std::lock_guard opening(open_mutex_);
      server = negotiator_.server();
    }
    {
      std::lock_guard lock(state_mutex_);
      version_ = server.protocol_version;
      translation_ = Translation{server, initialize.params};
    }
    negotiated_ = true;
    translating_ = true;
    log("the server speaks MCP " + server.protocol_version +
        " without the initialize handshake; mcpauth answers the client's initialize and translates");
    deliver(rpc::Response{initialize.id, detail::handshake_initialize_result(initialize.params, server)});
  }

  // A handshake-era client's message to a modern server (see era_translation.hpp).
  void forward_translated(const rpc::Message& message) {
    if (rpc::is_response(message)) return;  // a modern server asks nothing: nobody waits for it
    Translation translation;
    {
      std::lock_guard lock(state_mutex_);
      translation = *translation_;
    }
    const auto modern = [&](Json params) {
      return detail::modern_params(std::move(params), translation.server.protocol_version,
                                   translation.initialize_params, options_.session.client_info);
    };
    if (const auto* notification = std::get_if<rpc::Notification>(&message)) {
      if (notification->method == "notifications/initialized") open_listen_stream(translation.server, modern);
      if (notification->method == "notifications/cancelled") return cancel_translated(notification->params);
      if (detail::dropped_notification(notification->method)) return;
      send_or_answer(rpc::Notification{notification->method, modern(notification->params)});
      return;
    }
    const auto& request = std::get<rpc::Request>(message);
    if (request.method == "initialize") {
      deliver(rpc::Response{request.id, detail::handshake_initialize_result(request.params, translation.server)});
      return;
    }
    if (request.method == "ping") {
      // The modern era has no ping (and no connection to keep alive): the bridge answers it.
      deliver(rpc::Response{request.id, Json::object()});
      return;
    }
    const rpc::Request translated{request.id, request.method, modern(request.params)};
    const std::string key = request.id.dump();
    {
      std::lock_guard lock(state_mutex_);
      translated_[key] = TranslatedRequest{request.id, std::nullopt, false};
    }
    if (!detail::may_require_input(request.method)) {
      send_translated(translated);  // its answer reaches the client through from_server
    } else {
      complete_for_client(translated);
    }
    std::lock_guard lock(state_mutex_);
    translated_.erase(key);
  }

  // The modern era's subscriptions/listen, opened once the client is ready
  // for notifications: its list_changed notifications reach the client as
  // the handshake era's (from_server), for every kind the server offers.
  template <class Modern>
  void open_listen_stream(const ServerInfo& server, const Modern& modern) {
    const Json filter = detail::listen_filter(server.capabilities);
    if (filter.empty()) return;
    std::shared_ptr<StreamableHttpTransport> transport;
    try {
      transport = std::dynamic_pointer_cast<StreamableHttpTransport>(current());
    } catch (const Error&) {
      return;  // closed
    }
    if (!transport) return;
    transport->listen(rpc::Request{own_id("listen"), "subscriptions/listen", modern(Json{{"notifications", filter}})});
  }

  // A translated request that is not a round of the input loop: its answer
  // comes through from_server, unless the client cancelled it.
  void send_translated(const rpc::Request& request) {
    try {
      send_within_budget(request);
    } catch (const Error& e) {
      if (cancelled_by_client(request.id)) return;  // the client expects no answer
      log(e.what());
      answer_error(request.id, e);
    }
  }

  bool cancelled_by_client(const rpc::Id& client_id) {
    std::lock_guard lock(state_mutex_);
    const auto it = translated_.find(client_id.dump());
    return it != translated_.end() && it->second.cancelled;
  }

  // The client's notifications/cancelled for a translated request. The
  // modern era cancels over HTTP by closing the request's response stream
  // (no notification is POSTed): the POST under way is aborted. A request
  // waiting for the client's answer to an input request ends its wait at
  // once, and the client is told that the bridge's input request is
  // cancelled too; the server holds nothing for it (an input_required
  // result is complete), so not sending the retry abandons it.
  void cancel_translated(const Json& params) {
    if (!params.is_object() || !params.contains("requestId")) return;
    const rpc::Id client_id = params["requestId"];
    rpc::Id on_the_wire;
    std::optional<rpc::Id> asking;
    {
      std::lock_guard lock(state_mutex_);
      const auto it = translated_.find(client_id.dump());
      if (it == translated_.end() || it->second.cancelled) return;  // answered already, or unknown
      it->second.cancelled = true;
      on_the_wire = it->second.on_the_wire;
      asking = it->second.asking;
    }
    if (asking) {
      awaited_.cancel(*asking);
      Json cancelled{{"requestId", *asking}};
      if (const auto reason = params.find("reason"); reason != params.end()) cancelled["reason"] = *reason;
      deliver(rpc::Notification{"notifications/cancelled", std::move(cancelled)});
      return;
    }
    TransportPtr transport;
    {
      std::lock_guard lock(state_mutex_);
      transport = transport_;
    }
    if (auto http = std::dynamic_pointer_cast<StreamableHttpTransport>(transport)) http->cancel(on_the_wire);
  }

  // A request a modern server may answer with input_required (SEP-2322):
  // the bridge asks the client for each input as a request of its own,
  // sends the retry, and gives the client the one final answer.
  void complete_for_client(const rpc::Request& request) {
    bool first = true;
    try {
      Json result = detail::complete_with_input(
          request.method, request.params,
          [&](Json params) {
            // The first round keeps the client's id; a retry is a new request.
            const rpc::Request round{first ? request.id : own_id("retry"), request.method, std::move(params)};
            first = false;
            next_step(request.id, round.id, false);
            return exchange(round);
          },
          [&](const std::string& method, const Json& params) { return ask_client(request.id, method, params); },
          options_.session.url, Session::kMaxInputRounds);
      if (cancelled_by_client(request.id)) return;
      detail::to_handshake_result(result);
      deliver(rpc::Response{request.id, std::move(result)});
    } catch (const RpcError& e) {
      if (cancelled_by_client(request.id)) return;
      // The server's error answer, or the client's refusal of an input.
      deliver(rpc::ErrorResponse{request.id, e.rpc_code(), e.what(), e.data()});
    } catch (const Error& e) {
      if (cancelled_by_client(request.id)) {
        log("the client cancelled " + request.method + "; its remaining rounds are abandoned");
        return;
      }
      log(e.what());
      answer_error(request.id, e);
    }
  }

  // What the translated request `client_id` waits for next: the server's
  // answer to the round `id`, or (asking) the client's answer to the input
  // request `id`. Throws Error(cancelled) once the client cancelled it, so
  // no round or input request starts after the cancellation.
  void next_step(const rpc::Id& client_id, const rpc::Id& id, bool asking) {
    std::lock_guard lock(state_mutex_);
    auto& translated = translated_[client_id.dump()];
    if (translated.cancelled) {
      throw Error(ErrorCode::cancelled, "the client cancelled its request", options_.session.url);
    }
    if (asking) {
      translated.asking = id;
    } else {
      translated.on_the_wire = id;
      translated.asking.reset();
    }
  }

  // Sends one round (retried as any message is) and waits for its answer, which is the bridge's.
  Json exchange(const rpc::Request& round) {
    awaited_.expect(round.id);
    try {
      send_within_budget(round);
    } catch (...) {
      awaited_.forget(round.id);
      throw;
    }
    return awaited_.await(round.id, options_.session.request_timeout, round.method, options_.session.url);
  }

  // One input the server asked for, as a request to the client, bounded by
  // the request timeout as the client's own request is: a client that goes
  // away without answering (the proxy's end of input) must not leave the
  // thread waiting for ever.
  Json ask_client(const rpc::Id& client_id, const std::string& method, const Json& params) {
    const rpc::Id id = own_id("input");
    awaited_.expect(id);
    try {
      next_step(client_id, id, true);
    } catch (...) {
      awaited_.forget(id);
      throw;
    }
    deliver(rpc::Request{id, method, params});
    return awaited_.await(id, options_.session.request_timeout, method, options_.session.url);
  }

  // Sends within the budget; on failure answers a request with the error. Whether it went.
  bool send_or_answer(const rpc::Message& message) {
    try {
      send_within_budget(message);
      return true;
    } catch (const Error& e) {
      log(e.what());
      if (const auto* request = as_request(message)) answer_error(request->id, e);
      return false;
    }
  }

  // Sends, remembering which transport owes the answer to a request until
  // it comes: a legacy stream that dies answers nothing, so its debts are
  // answered with errors then (on_stream_error).
  void send_owing(Transport& transport, const rpc::Message& message) {
    const auto* request = as_request(message);
    const std::string key = request ? request->id.dump() : std::string();
    if (request) {
      std::lock_guard lock(state_mutex_);
      owed_[key] = Owed{request->id, &transport};
    }
    try {
      transport.send(message);
    } catch (...) {
      if (request) {
        std::lock_guard lock(state_mutex_);
        owed_.erase(key);  // forward() answers it with the error
      }
      throw;
    }
  }

  void open_event_stream() {
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

  // A new session with the client's own initialize (renewal_ makes it one
  // for all the messages that found the old one gone).
  TransportPtr reinitialize(const TransportPtr& failed) {
    rpc::Request initialize;
    {
      std::lock_guard lock(state_mutex_);
      if (!client_initialize_)
        throw Error(ErrorCode::session_expired, "the server forgot the session before initialize");
      initialize = *client_initialize_;
      initialize.id = kReinitializeId;
      version_.clear();
      reinit_answered_ = false;
      reinit_refusal_.clear();
    }
    log("the server forgot the session; starting a new one");
    failed->close();
    TransportPtr fresh = open(kind_of(*failed));
    stream_lost_ = false;
    fresh->send(initialize);
    std::string version;
    {
      // Over Streamable HTTP the answer came with send(); over legacy SSE it
      // comes on the event stream, later.
      std::unique_lock lock(state_mutex_);
      wake_.wait_for(lock, options_.session.request_timeout,
                     [this] { return reinit_answered_ || !reinit_refusal_.empty() || closed_; });
      if (closed_) throw Error(ErrorCode::cancelled, "the connection to " + options_.session.url + " is closed");
      if (!reinit_refusal_.empty()) {
        throw Error(ErrorCode::protocol,
                    "the server at " + options_.session.url + " refused the new initialize: " + reinit_refusal_,
                    options_.session.url);
      }
      if (!reinit_answered_) {
        throw Error(ErrorCode::timeout,
                    "the server at " + options_.session.url + " did not answer the new initialize within " +
                        std::to_string(options_.session.request_timeout.count()) + " ms",
                    options_.session.url);
      }
      version = version_;
    }
    fresh->send(rpc::Notification{"notifications/initialized", nullptr});
    if (!version.empty()) fresh->on_initialized(version);
    return fresh;
  }

  static TransportKind kind_of(const Transport& transport) {
    return transport.kind() == "sse" ? TransportKind::sse : TransportKind::streamable_http;
  }

  TransportPtr open_first() {
    std::lock_guard opening(open_mutex_);
    if (auto transport = current()) return transport;
    return detail::open_transport(negotiator_, [this](TransportKind kind) { return open(kind); });
  }

  TransportPtr current() {
    std::lock_guard lock(state_mutex_);
    if (closed_) throw Error(ErrorCode::cancelled, "the connection to " + options_.session.url + " is closed");
    return transport_;
  }

  // Opens a transport of `kind` in place of the one in use (closed).
  TransportPtr open(TransportKind kind) {
    TransportPtr previous;
    {
      std::lock_guard lock(state_mutex_);
      previous = transport_;
    }
    if (previous) previous->close();
    TransportPtr transport = factory_.open(
        kind, [this](rpc::Message&& m) { from_server(std::move(m)); },
        [this](const TransportPtr& from, const Error& e) { on_stream_error(from, e); });
    std::lock_guard lock(state_mutex_);
    if (closed_) {
      transport->close();
      throw Error(ErrorCode::cancelled, "the connection to " + options_.session.url + " is closed");
    }
    transport_ = transport;
    return transport;
  }

  // A stream died for good. A legacy session lives and dies with its stream,
  // and a Streamable HTTP stream refused with 404 means the session is gone:
  // the next message starts a new session.
  void on_stream_error(const TransportPtr& transport, const Error& e) {
    log(e.what());
    if (!transport) return;
    if (transport->kind() == "sse" || e.code() == ErrorCode::session_expired) {
      std::lock_guard lock(state_mutex_);
      if (transport_ == transport) stream_lost_ = true;
    }
    if (transport->kind() == "sse") answer_debts_of(*transport, e);
  }

  // The answers a dead legacy stream owed, as errors: nobody waits for ever.
  void answer_debts_of(const Transport& transport, const Error& e) {
    std::vector<rpc::Id> lost;
    {
      std::lock_guard lock(state_mutex_);
      for (auto it = owed_.begin(); it != owed_.end();) {
        if (it->second.transport != &transport) {
          ++it;
          continue;
        }
        lost.push_back(std::move(it->second.id));
        it = owed_.erase(it);
      }
    }
    for (const auto& id : lost) {
      answer_error(id, Error(ErrorCode::connection,
                             "the event stream of " + options_.session.url +
                                 " ended before the answer came; the request may or may not have been carried out (" +
                                 e.what() + ")",
                             options_.session.url));
    }
  }

  void from_server(rpc::Message&& message) {
    if (auto* response = std::get_if<rpc::Response>(&message)) {
      if (tool_filter_.active()) filter_tool_list(*response);
      std::lock_guard lock(state_mutex_);
      // The version agreed in the initialize exchange (the client's, or the
      // bridge's replay of it), for the transport's later requests and GET stream.
      const bool initialize_answer =
          response->id == kReinitializeId || (client_initialize_ && response->id == client_initialize_->id);
      if (initialize_answer) {
        if (auto version = detail::agreed_version(response->result)) version_ = std::move(*version);
      }
      if (response->id == kReinitializeId) {
        reinit_answered_ = true;
        wake_.notify_all();
        return;  // the bridge's own handshake
      }
    }
    if (rpc::is_response(message)) {
      std::lock_guard lock(state_mutex_);
      owed_.erase(rpc::id_of(message).dump());
    }
    if (awaited_.take(message) || held_back(message)) return;
    if (translating_.load() && !translated_for_client(message)) return;
    if (const auto* error = std::get_if<rpc::ErrorResponse>(&message); error && error->id == kReinitializeId) {
      std::lock_guard lock(state_mutex_);
      reinit_refusal_ = error->message.empty() ? std::string("an error") : error->message;
      wake_.notify_all();
      return;  // reported by reinitialize()
    }
    deliver(std::move(message));
  }

  // A modern server's message as the handshake-era client knows it; false
  // when it is not the client's: the listen stream's acknowledgement and
  // end, and late answers to the bridge's own requests (a cancelled round).
  static bool translated_for_client(rpc::Message& message) {
    if (auto* response = std::get_if<rpc::Response>(&message)) detail::to_handshake_result(response->result);
    if (auto* notification = std::get_if<rpc::Notification>(&message)) {
      if (detail::listen_bookkeeping(notification->method)) return false;
      detail::to_handshake_notification(notification->params);
    }
    if (!rpc::is_response(message)) return true;
    const rpc::Id& id = rpc::id_of(message);
    return !(id.is_string() && id.get<std::string>().rfind(kOwnIdPrefix, 0) == 0);
  }

  // The server's UnsupportedProtocolVersion answer to the client's
  // initialize before anything was negotiated: negotiate_with() weighs it.
  // Only over Streamable HTTP, where the answer comes before the POST returns
  // (a legacy stream's could come after negotiate_with() looked).
  bool held_back(const rpc::Message& message) {
    const auto* error = std::get_if<rpc::ErrorResponse>(&message);
    if (!error || error->code != kUnsupportedProtocolVersionError || negotiated_.load()) return false;
    std::lock_guard lock(state_mutex_);
    if (!client_initialize_ || error->id != client_initialize_->id) return false;
    if (!transport_ || transport_->kind() == "sse") return false;
    initialize_refusal_ = *error;
    return true;
  }

  // Hidden tools: a call is answered here; a tools/list is remembered so
  // its answer can be filtered.
  bool refuse_ignored_tool(const rpc::Request& request) {
    if (!tool_filter_.active()) return false;
    if (request.method == "tools/list") {
      std::lock_guard lock(state_mutex_);
      tool_lists_.push_back(request.id);
      return false;
    }
    auto refusal = detail::refusal_of_hidden_call(tool_filter_, request);
    if (!refusal) return false;
    deliver(std::move(*refusal));
    return true;
  }

  void filter_tool_list(rpc::Response& response) {
    {
      std::lock_guard lock(state_mutex_);
      const auto it = std::find(tool_lists_.begin(), tool_lists_.end(), response.id);
      if (it == tool_lists_.end()) return;
      tool_lists_.erase(it);
    }
    detail::drop_hidden_tools(tool_filter_, response.result);
  }

  BridgeOptions options_;
  const detail::ToolFilter tool_filter_{options_.allowed_tools, options_.ignored_tools};
  Deliver deliver_;
  std::mutex deliver_mutex_;
  std::mutex open_mutex_;   // two first messages open one transport; guards negotiator_
  std::mutex state_mutex_;  // guards what follows
  std::condition_variable wake_;
  bool closed_ = false;
  TransportPtr transport_;
  std::optional<rpc::Request> client_initialize_;
  std::string version_;  // from the server's initialize result
  // Set when the bridge translates for a handshake-era client (see
  // era_translation.hpp): the server's discover result and the client's initialize.
  struct Translation {
    ServerInfo server;
    Json initialize_params;
  };
  std::optional<Translation> translation_;
  // The client's requests being translated, by serialized id: what each
  // waits for, so the client's notifications/cancelled can end it.
  struct TranslatedRequest {
    rpc::Id on_the_wire;            // the id of its POST under way (the client's, or a retry's)
    std::optional<rpc::Id> asking;  // the bridge's input request the client has not answered yet
    bool cancelled = false;
  };
  std::map<std::string, TranslatedRequest> translated_;
  std::optional<rpc::ErrorResponse> initialize_refusal_;  // take_initialize_refusal()
  bool reinit_answered_ = false;
  std::string reinit_refusal_;  // the server's error answering the bridge's own initialize
  struct Owed {
    rpc::Id id;
    const Transport* transport;  // that carries its answer; identity only
  };
  std::map<std::string, Owed> owed_;                   // requests sent and not yet answered, by serialized id
  std::vector<rpc::Id> tool_lists_;                    // ids of tools/list requests in flight (tool_filter_)
  std::set<std::shared_ptr<AsyncForward>> async_ops_;  // forward_async() calls not yet done
  detail::TransportFactory factory_;
  Negotiator negotiator_;                // the transport's fallbacks; under open_mutex_
  std::atomic<bool> negotiated_{false};  // negotiator_ is done: no fallback any more
  std::atomic<bool> stream_lost_{false};
  std::atomic<bool> reached_{false};      // a message reached the server once
  std::atomic<bool> translating_{false};  // translation_ is set
  std::atomic<long long> own_ids_{0};
  detail::AwaitedAnswers awaited_;  // answers to the bridge's own requests
  detail::SessionRenewal renewal_;  // last: its callbacks use the members above
};

Bridge::Bridge(BridgeOptions options, Deliver deliver)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(deliver))) {}

Bridge::~Bridge() {
  close();
}

void Bridge::forward(const core::jsonrpc::Message& message) {
  impl_->forward(message);
}

void Bridge::forward_async(const core::jsonrpc::Message& message, AsyncDone done) {
  impl_->forward_async(message, std::move(done));
}

bool Bridge::connected() const {
  return impl_->connected();
}

std::string Bridge::transport_name() const {
  return impl_->transport_name();
}

void Bridge::close() {
  impl_->close();
}

}  // namespace mcpauth::mcp
