// A CurlMultiLoop on an event loop that its owner runs on one thread of its
// own, instead of on a thread of the loop's: a server whose I/O threads each
// have an io_context gives each one of these, and a request started on an
// I/O thread is sent, answered and handed back without leaving that thread
// (a hand-off between threads costs tens of microseconds of scheduling on a
// small machine, more than the rest of a forwarded request).
//
// The rules of the owner: the io_context is run by exactly one thread and
// outlives this object; halt() is called on that thread before it stops
// running the io_context; this object is destroyed after the thread has
// stopped running it. Internal to the library and its command: it names
// Boost.Asio, which the installed headers do not.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>

#include "mcpauth/net/curl_multi_loop.hpp"

namespace mcpauth::net::detail {

class CurlLoopOnContext {
 public:
  explicit CurlLoopOnContext(boost::asio::io_context& io, CurlMultiLoopOptions options = {});
  CurlLoopOnContext(const CurlLoopOnContext&) = delete;
  CurlLoopOnContext& operator=(const CurlLoopOnContext&) = delete;

  // The client: its start() and after() run on the io_context's thread
  // (cancel() may come from any thread). Its run_blocking() has a pool of
  // its own, started only if used.
  CurlMultiLoop& client() noexcept { return *loop_; }

  // On the io_context's thread: later commands are refused (a start ends
  // at once with Error(cancelled)); those already queued run, then every
  // transfer still running ends (its handler hears Error(cancelled)) and
  // timers are dropped; then `halted` runs, on this thread.
  void halt(std::function<void()> halted);

 private:
  std::unique_ptr<CurlMultiLoop> loop_;
};

}  // namespace mcpauth::net::detail
