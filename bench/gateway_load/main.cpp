// mcpauth_gateway_load: the load driver of bench/gateway_load.sh.
//
//   mcpauth_gateway_load upstream
//       serves the minimal MCP upstream (upstream.hpp) on 127.0.0.1; prints
//       "LISTENING <port>", runs until SIGTERM/SIGINT
//   mcpauth_gateway_load open|closed|hold URL [--option value]...
//       drives the MCP endpoint at URL (driver.hpp); prints one JSON line
//
// Options: --sessions N, --streams 0|1, --parallel N, --rate R, --seconds S,
// --warmup S, --connections N, --requests N, --start-at UNIX, --pid PID,
// --upstream-stats URL, --protocol VERSION.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <functional>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "driver.hpp"
#include "upstream.hpp"

namespace {

int serve_upstream() {
  boost::asio::io_context io(1);
  gateway_load::Upstream upstream(io);
  std::cout << "LISTENING " << upstream.listen("127.0.0.1") << std::endl;
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  io.run();
  return 0;
}

gateway_load::DriverOptions parse(const std::vector<std::string>& args) {
  gateway_load::DriverOptions options;
  options.url = args.at(1);
  using Value = const std::string&;
  // Each option and what its value sets.
  const std::map<std::string, std::function<void(Value)>> setters = {
      {"--sessions", [&](Value v) { options.sessions = std::stoi(v); }},
      {"--streams", [&](Value v) { options.streams = v != "0"; }},
      {"--parallel", [&](Value v) { options.parallel = std::stoi(v); }},
      {"--rate", [&](Value v) { options.rate = std::stod(v); }},
      {"--seconds", [&](Value v) { options.seconds = std::stod(v); }},
      {"--warmup", [&](Value v) { options.warmup = std::stod(v); }},
      {"--connections", [&](Value v) { options.connections = std::stoi(v); }},
      {"--requests", [&](Value v) { options.requests = std::stol(v); }},
      {"--start-at", [&](Value v) { options.start_at = std::stol(v); }},
      {"--pid", [&](Value v) { options.pid = std::stol(v); }},
      {"--upstream-stats", [&](Value v) { options.upstream_stats = v; }},
      {"--protocol", [&](Value v) { options.protocol = v; }},
  };
  for (std::size_t i = 2; i + 1 < args.size(); i += 2) {
    const auto& name = args[i];
    const auto& value = args[i + 1];
    const auto set = setters.find(name);
    if (set == setters.end()) throw std::invalid_argument("unknown option " + name);
    set->second(value);
  }
  if ((args.size() - 2) % 2 != 0) throw std::invalid_argument("an option without its value");
  if (options.sessions < 1 || options.connections < 1 || options.parallel < 1 || options.rate <= 0) {
    throw std::invalid_argument("sessions, connections, parallel and rate must be positive");
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 1 && args[0] == "upstream") return serve_upstream();
    if (args.size() >= 2) {
      const auto options = parse(args);
      if (args[0] == "open") {
        std::cout << gateway_load::open_loop(options).dump() << std::endl;
        return 0;
      }
      if (args[0] == "closed") {
        std::cout << gateway_load::closed_loop(options).dump() << std::endl;
        return 0;
      }
      if (args[0] == "hold") {
        std::cout << gateway_load::hold(options).dump() << std::endl;
        return 0;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "mcpauth_gateway_load: " << e.what() << "\n";
    return 2;
  }
  std::cerr << "usage: mcpauth_gateway_load upstream | open|closed|hold URL [--option value]...\n";
  return 2;
}
