// Which handler answers a request: routes by method and path pattern, each
// with the largest body it accepts and where it runs (the I/O thread or the
// handler pool), a screen every request passes first, and the page for the
// statuses the server itself answers (404, 413, 503, ...).
#pragma once

#include <cstddef>
#include <functional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "http_message.hpp"

namespace mcpauth::gateway::http {

using Handler = std::function<void(const Request&, Response&)>;
// True when it answered the request itself (it goes no further).
using Screen = std::function<bool(Request&, Response&)>;  // may set Request::caller
// Fills a response for a status the server or the router chose, with a short reason.
using ErrorPage = std::function<void(int status, const std::string& reason, Response&)>;

// Where a route's handler runs. A handler that may wait (for a remote
// server, a lock held across I/O, the token store) runs on the server's
// bounded handler pool; one that never waits (opening a stream, a lookup)
// runs on the connection's I/O thread and costs no thread hand-off. A
// handler on the I/O thread whose answer comes later (a remote answer on an
// event loop) defers it (Response::defer()); one that finds it must block
// after all hands the work to the pool with Server::offload().
enum class Runs { on_pool, on_loop };

class Router {
 public:
  // What the server needs of a request's route once its head is read.
  struct Plan {
    std::size_t body_limit;  // the largest request body (any framing) read for it
    Runs runs;
  };

  // `pattern` must match the whole path; its groups become Request::matches.
  void add(const std::string& method, const std::string& pattern, std::size_t body_limit, Handler handler,
           Runs runs = Runs::on_pool);
  void set_screen(Screen screen) { screen_ = std::move(screen); }
  void set_error_page(ErrorPage page) { error_page_ = std::move(page); }
  // The body cap of requests matching no route.
  void set_default_body_limit(std::size_t limit) { default_body_limit_ = limit; }

  // The plan for a request head (decided before its body is read); a
  // request no route takes is answered on the loop, with the default cap.
  Plan plan(std::string_view method, const std::string& path) const;
  // The largest cap of any route.
  std::size_t largest_body_limit() const;
  // Screen, route, handler (or the error page): fills `res`. Never throws.
  void dispatch(Request& req, Response& res) const;
  void error(int status, const std::string& reason, Response& res) const;

 private:
  struct Route {
    std::string method;
    std::regex pattern;
    Plan plan;
    Handler handler;
  };
  const Route* find(std::string_view method, const std::string& path, std::smatch* groups) const;

  std::vector<Route> routes_;
  Screen screen_;
  ErrorPage error_page_;
  std::size_t default_body_limit_ = 64u << 10;
};

}  // namespace mcpauth::gateway::http
