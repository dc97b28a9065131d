// The gateway's local HTTP/1.1 server (issue 11 items 3 and 5, issue 13):
// Boost.Beast over a few I/O threads, each with an Asio io_context of its
// own and the connections given to it (in turn, as they are accepted), which
// reads every request head and body asynchronously, so a slow or silent
// client costs no thread. What a connection does never leaves its thread
// unless it must block; a companion of each thread (the gateway's remote
// event loop) lets the work it starts stay there too. A request head must arrive whole within
// `head_timeout`; a body is capped per route whatever its framing (413, then
// the connection closes); connections are capped in total and per client
// address (503). A route's handler runs on the I/O thread when it never
// blocks (opening an event stream, forwarding a request whose answer comes
// later through a deferred http::Reply), else on a bounded pool of threads
// that end when idle; either way the answer is written asynchronously on
// the I/O threads. A streamed response is pushed by its source (http::StreamSource):
// an open stream holds a socket, no thread. docs/architecture.md, "Server
// library and threading model".
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "http_message.hpp"

namespace boost::asio {
class io_context;
}
#include "http_router.hpp"

namespace mcpauth::gateway::http {

// What else lives on an I/O thread beside its connections: made on the
// thread before it serves (so it may remember the thread), halted on it
// after the connections are closed and before its loop stops.
class ThreadCompanion {
 public:
  virtual ~ThreadCompanion() = default;
  // Runs `halted` on the thread once done (see net::detail::CurlLoopOnContext::halt).
  virtual void halt(std::function<void()> halted) = 0;
};
using ThreadCompanionFactory = std::function<std::unique_ptr<ThreadCompanion>(boost::asio::io_context&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";  // a numeric address: only it is bound
  int port = 0;                    // 0: any free port
  std::size_t max_connections = 4'096;
  std::size_t max_connections_per_client = 1'024;
  std::chrono::milliseconds head_timeout{10'000};   // a whole request head, from accept or the end of the last response
  std::chrono::milliseconds body_timeout{30'000};   // between two reads of a body
  std::chrono::milliseconds write_timeout{30'000};  // one write, a stream's included
  std::chrono::milliseconds stream_keepalive{15'000};  // an idle stream's keep-alive interval (0: none)
  std::size_t header_limit = 32u << 10;
  std::size_t io_threads = 0;  // 0: about the number of cores
  // The handlers that may block (Runs::on_pool) and offloaded work share this
  // many threads; past it they queue. Bounded so that a burst (a thousand
  // clients initializing at once) costs a queue, not a thousand threads: the
  // requests of open sessions, the bulk of the traffic, need none.
  std::size_t handler_threads = 16;
  Fields default_headers;                        // on every response that does not set them
  ThreadCompanionFactory io_thread_companion{};  // none when empty
};

class Server {
 public:
  Server(ServerOptions options, Router router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; returns the port. Throws std::system_error when the
  // address cannot be bound.
  int bind();
  // Starts accepting and serving on the I/O threads.
  void serve();
  // Closes the listener and every connection (ending every stream: each
  // source's closed() has run when this returns), waits for running handlers
  // and the I/O threads. Idempotent.
  void stop();

  // Runs `task` on the handler pool: for a handler on the I/O thread that
  // finds it must block after all (it answers through a deferred Reply).
  // False once stop() has begun (the task is dropped).
  bool offload(std::function<void()> task);

 private:
  class State;
  std::unique_ptr<State> state_;
};

}  // namespace mcpauth::gateway::http
