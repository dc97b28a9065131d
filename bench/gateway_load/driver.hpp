// The measuring side of the load driver: opens local MCP sessions (each with
// its GET event stream when asked), then drives tools/call at them in one of
// three ways and returns what it saw as one JSON object:
//
//   open_loop()   requests at a fixed rate, whatever the answers do (latency
//                 from the moment each request was due, so a stall counts
//                 in full rather than delaying the requests behind it)
//   closed_loop() `connections` requests in flight, each sent when the last
//                 one on its connection was answered (for `seconds` after a
//                 warm-up, or `requests` in all)
//   hold()        one "notify" per session, every answer and every stream's
//                 notification counted; then holds the streams until SIGTERM
//
// With a pid it samples that process (the gateway, or the upstream of a
// direct run): CPU over the measured window, peak threads and RSS, its files.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace gateway_load {

struct DriverOptions {
  std::string url;             // the MCP endpoint: the upstream's, or the gateway's
  std::string upstream_stats;  // the upstream's /stats URL (its count of open streams), or ""
  std::string protocol = "2025-06-18";
  int sessions = 100;
  bool streams = true;   // each session holds its GET event stream
  int parallel = 64;     // sessions being opened at once
  double rate = 500;     // open loop: requests per second
  double seconds = 10;   // measured window (open loop, closed loop)
  double warmup = 2;     // unmeasured seconds before the window
  int connections = 64;  // closed loop and hold: requests in flight
  long requests = 0;     // closed loop: this many in all instead of a window
  long start_at = 0;     // closed loop: unix time to start at (a token's expiry)
  long pid = 0;          // the process under test, sampled through /proc
};

nlohmann::json open_loop(const DriverOptions& options);
nlohmann::json closed_loop(const DriverOptions& options);
// Prints its result (one JSON line) as soon as it has it, then holds the
// streams until SIGTERM/SIGINT and returns how many the server ended meanwhile.
nlohmann::json hold(const DriverOptions& options);

}  // namespace gateway_load
