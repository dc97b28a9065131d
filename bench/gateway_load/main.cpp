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
#include <iostream>
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
  for (std::size_t i = 2; i + 1 < args.size(); i += 2) {
    const auto& name = args[i];
    const auto& value = args[i + 1];
    if (name == "--sessions") {
      options.sessions = std::stoi(value);
    } else if (name == "--streams") {
      options.streams = value != "0";
    } else if (name == "--parallel") {
      options.parallel = std::stoi(value);
    } else if (name == "--rate") {
      options.rate = std::stod(value);
    } else if (name == "--seconds") {
      options.seconds = std::stod(value);
    } else if (name == "--warmup") {
      options.warmup = std::stod(value);
    } else if (name == "--connections") {
      options.connections = std::stoi(value);
    } else if (name == "--requests") {
      options.requests = std::stol(value);
    } else if (name == "--start-at") {
      options.start_at = std::stol(value);
    } else if (name == "--pid") {
      options.pid = static_cast<pid_t>(std::stol(value));
    } else if (name == "--upstream-stats") {
      options.upstream_stats = value;
    } else if (name == "--protocol") {
      options.protocol = value;
    } else {
      throw std::invalid_argument("unknown option " + name);
    }
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
