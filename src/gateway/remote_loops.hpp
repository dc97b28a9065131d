// The gateway's remote event loops: one on each I/O thread of the local
// server (io_thread_remote_loop(), the server's thread companion) and one
// on a thread of its own, for work that begins elsewhere (the handler
// pool's threads: a session's initialize and its event stream's opening;
// the housekeeping). A local POST of an open session is read on an I/O
// thread, forwarded from it on that thread's loop, and answered from there:
// it never waits for another thread to wake up.
#pragma once

#include <memory>

#include "http_server.hpp"
#include "mcpauth/net/async_http.hpp"

namespace mcpauth::gateway {

// What every Bridge and local request gets: start() and after() go to the
// calling thread's loop when it is an I/O thread with one, else to the
// shared loop; run_blocking() always to the shared loop's pool. An
// operation is cancelled on the loop that runs it, from any thread.
std::shared_ptr<net::AsyncHttpClient> remote_event_loop();

// The server's companion factory: a remote loop on the I/O thread's event
// loop, the thread's own until it is halted.
http::ThreadCompanionFactory io_thread_remote_loop();

}  // namespace mcpauth::gateway
