#include "http_router.hpp"

#include <algorithm>
#include <exception>

namespace mcpauth::gateway::http {

void Router::add(const std::string& method, const std::string& pattern, std::size_t body_limit, Handler handler,
                 Runs runs) {
  routes_.push_back(Route{method, std::regex(pattern), Plan{body_limit, runs}, std::move(handler)});
}

const Router::Route* Router::find(std::string_view method, const std::string& path, std::smatch* groups) const {
  std::smatch local;
  for (const auto& route : routes_) {
    if (route.method == method && std::regex_match(path, groups ? *groups : local, route.pattern)) return &route;
  }
  return nullptr;
}

Router::Plan Router::plan(std::string_view method, const std::string& path) const {
  const Route* route = find(method, path, nullptr);
  return route ? route->plan : Plan{default_body_limit_, Runs::on_loop};
}

std::size_t Router::largest_body_limit() const {
  std::size_t largest = default_body_limit_;
  for (const auto& route : routes_) largest = std::max(largest, route.plan.body_limit);
  return largest;
}

void Router::error(int status, const std::string& reason, Response& res) const {
  res = Response{};
  res.status = status;
  if (error_page_) {
    error_page_(status, reason, res);
  } else {
    res.set_content(reason, "text/plain");
  }
}

void Router::dispatch(Request& req, Response& res) const {
  try {
    if (screen_ && screen_(req, res)) return;
    std::smatch groups;
    const Route* route = find(req.method, req.path, &groups);
    if (!route) {
      error(404, "no such endpoint", res);
      return;
    }
    req.matches.assign(groups.begin(), groups.end());
    route->handler(req, res);
  } catch (const std::exception&) {
    error(500, "internal error", res);
  }
}

}  // namespace mcpauth::gateway::http
