#include "driver.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <iostream>
#include <thread>
#include <type_traits>
#include <vector>

#include "http_client.hpp"
#include "platform/process_stats.hpp"
#include "upstream.hpp"

namespace gateway_load {

namespace {

using Clock = std::chrono::steady_clock;
using mcpauth::test_platform::own_cpu_seconds;
using mcpauth::test_platform::ProcessSample;
using mcpauth::test_platform::sample_process;
using nlohmann::json;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double round3(double value) {
  return static_cast<double>(static_cast<long long>(value * 1000 + 0.5)) / 1000;
}

json percentiles(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double p) {
    if (samples.empty()) return 0.0;
    return samples[std::min(samples.size() - 1, static_cast<std::size_t>(p * static_cast<double>(samples.size())))];
  };
  return {{"p50_ms", round3(at(0.50))},
          {"p90_ms", round3(at(0.90))},
          {"p99_ms", round3(at(0.99))},
          {"max_ms", round3(samples.empty() ? 0 : samples.back())}};
}

class Driver {
 public:
  explicit Driver(DriverOptions options) : options_(std::move(options)), url_(parse_url(options_.url)) {}

  // Phase 1 of every mode: the sessions (and their streams).
  json open_sessions() {
    const auto t0 = Clock::now();
    const int wanted = options_.sessions;
    for (int i = 0; i < std::min(options_.parallel, wanted); ++i) open_next();
    run_until([&] { return setup_done_ == wanted; }, std::chrono::minutes(10));
    if (options_.streams) {
      run_until([&] { return counts_.open + counts_.refused >= static_cast<int>(streams_.size()); },
                std::chrono::minutes(5));
    }
    return {{"sessions_asked", wanted},
            {"sessions", sessions_.size()},
            {"streams_open", counts_.open},
            {"streams_refused", counts_.refused},
            {"setup_s", round3(std::chrono::duration<double>(Clock::now() - t0).count())}};
  }

  json open_loop() {
    json result = open_sessions();
    result["remote_streams"] = remote_streams();
    if (sessions_.empty()) return result;
    const auto interval =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / options_.rate));
    const auto start = Clock::now() + std::chrono::milliseconds(10);
    const auto window_start = start + seconds(options_.warmup);
    const auto window_end = window_start + seconds(options_.seconds);
    std::vector<double> samples;
    long issued = 0;
    long errors = 0;
    long in_flight = 0;
    asio::steady_timer timer(io_);
    std::function<void()> tick = [&] {
      const auto now = Clock::now();
      for (auto due = start + interval * issued; due <= now && due < window_end; due = start + interval * issued) {
        const bool measured = due >= window_start;
        ++in_flight;
        call(sessions_[static_cast<std::size_t>(issued) % sessions_.size()], "echo", [&, due, measured](bool ok) {
          --in_flight;
          if (!ok) {
            ++errors;  // in the warm-up too: every request must be answered
          } else if (measured) {
            samples.push_back(ms_between(due, Clock::now()));
          }
        });
        ++issued;
      }
      const auto next = start + interval * issued;
      if (next >= window_end) return;
      timer.expires_at(next);
      timer.async_wait([&](beast::error_code ec) {
        if (!ec) tick();
      });
    };
    tick();
    const auto window = measure_window(window_start, window_end);
    const bool drained = run_until([&] { return in_flight == 0; }, std::chrono::seconds(90));
    result.update(percentiles(samples));
    result.update(window);
    result["rate"] = options_.rate;
    result["seconds"] = options_.seconds;
    result["answered"] = samples.size();
    result["errors"] = errors + (drained ? 0 : in_flight);
    result["connections"] = connections_made_;
    result["streams_open_at_end"] = counts_.open - counts_.ended;
    result["streams_ended"] = counts_.ended;
    result["remote_streams_at_end"] = remote_streams();
    const double answered = static_cast<double>(samples.size() + static_cast<std::size_t>(errors));
    if (answered > 0 && window.contains("cpu_s")) {
      result["cpu_ms_per_request"] = round3(window["cpu_s"].get<double>() * 1000 / answered);
    }
    return result;
  }

  json closed_loop() {
    json result = open_sessions();
    if (sessions_.empty()) return result;
    if (options_.start_at > 0) {  // pacing to a wall-clock moment (a token's expiry), not synchronisation
      std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::seconds(options_.start_at)));
    }
    const bool counted = options_.requests > 0;
    const auto start = Clock::now();
    const auto window_start = counted ? start : start + seconds(options_.warmup);
    const auto window_end = counted ? Clock::time_point::max() : window_start + seconds(options_.seconds);
    std::vector<double> samples;
    long issued = 0;
    long errors = 0;
    int active = 0;
    bool stop = false;
    std::function<void()> next = [&] {
      if (stop || (counted && issued >= options_.requests)) {
        --active;
        return;
      }
      const auto session = sessions_[static_cast<std::size_t>(issued++) % sessions_.size()];
      const auto t0 = Clock::now();
      call(session, "echo", [&, t0](bool ok) {
        const auto t1 = Clock::now();
        if (t0 >= window_start && t1 <= window_end) {
          if (ok) {
            samples.push_back(ms_between(t0, t1));
          } else {
            ++errors;
          }
        }
        next();
      });
    };
    for (int i = 0; i < options_.connections; ++i) {
      ++active;
      next();
    }
    json window;
    if (counted) {
      const auto before = sample_process(options_.pid);
      const double driver_before = own_cpu_seconds();
      run_until([&] { return active == 0; }, std::chrono::minutes(30));
      window = window_json(before, sample_process(options_.pid), driver_before, Clock::now() - start);
    } else {
      window = measure_window(window_start, window_end);
      stop = true;
      run_until([&] { return active == 0; }, std::chrono::seconds(90));
    }
    const double elapsed = window["window_s"].get<double>();
    result.update(percentiles(samples));
    result.update(window);
    result["requests"] = samples.size() + static_cast<std::size_t>(errors);
    result["answered"] = samples.size();
    result["errors"] = errors + (active > 0 ? active : 0);
    result["connections"] = options_.connections;
    result["rps"] = round3(static_cast<double>(samples.size()) / elapsed);
    if (!samples.empty() && window.contains("cpu_s")) {
      result["cpu_ms_per_request"] = round3(window["cpu_s"].get<double>() * 1000 / static_cast<double>(samples.size()));
    }
    return result;
  }

  json hold() {
    // Taken from the start: SIGTERM ends the hold, not the driver mid-report.
    asio::signal_set signals(io_, SIGTERM, SIGINT);
    bool stop = false;
    signals.async_wait([&](beast::error_code, int) { stop = true; });
    json result = open_sessions();
    result["remote_streams"] = remote_streams();
    // One notify per session: its answer, and its notification on its stream.
    long answered = 0;
    long errors = 0;
    long without_remote_stream = 0;
    std::size_t issued = 0;
    int active = 0;
    std::function<void()> next = [&] {
      if (issued >= sessions_.size()) {
        --active;
        return;
      }
      call(sessions_[issued++], "notify", [&](bool ok, bool tool_error) {
        if (ok) {
          ++answered;
          if (tool_error) ++without_remote_stream;
        } else {
          ++errors;
        }
        next();
      });
    };
    const auto t0 = Clock::now();
    for (int i = 0; i < options_.connections; ++i) {
      ++active;
      next();
    }
    run_until([&] { return active == 0; }, std::chrono::minutes(10));
    const auto answered_at = Clock::now();
    // Every open stream whose session was notified should see it; a stream
    // the gateway dropped never will, so this waits a bounded time.
    const bool all_notified =
        run_until([&] { return counts_.notified >= counts_.open - counts_.ended; }, std::chrono::seconds(60));
    const auto process = sample_process(options_.pid);
    result["requests"] = sessions_.size();
    result["answered"] = answered;
    result["errors"] = errors + active;
    result["answer_s"] = round3(std::chrono::duration<double>(answered_at - t0).count());
    result["without_remote_stream"] = without_remote_stream;
    result["notified"] = counts_.notified;
    result["all_notified"] = all_notified;
    result["streams_open_now"] = counts_.open - counts_.ended;
    result["remote_streams_after"] = remote_streams();
    if (process.ok) {
      result["peak_threads"] = std::max(peak_threads_, process.threads);  // since the first session opened
      result["threads"] = process.threads;
      result["rss_mb"] = round3(process.rss_mb);
      result["hwm_mb"] = round3(process.hwm_mb);
      result["fds"] = process.fds;
    }
    std::cout << result.dump() << std::endl;
    // Held until told to stop; the script sends the gateway SIGTERM meanwhile.
    run_until([&] { return stop; }, std::chrono::hours(24));
    return {{"mode", "hold-end"}, {"streams_ended", counts_.ended}};
  }

 private:
  static Clock::duration seconds(double value) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(value));
  }

  template <class Done>
  bool run_until(Done done, Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      io_.run_for(std::chrono::milliseconds(2));
      sample_peaks();
    }
    return true;
  }

  // The process under test's peak threads and RSS, sampled every 100 ms
  // whenever the driver runs.
  void sample_peaks() {
    if (options_.pid <= 0 || Clock::now() - last_sample_ < std::chrono::milliseconds(100)) return;
    last_sample_ = Clock::now();
    const auto now = sample_process(options_.pid);
    peak_threads_ = std::max(peak_threads_, now.threads);
    peak_rss_mb_ = std::max(peak_rss_mb_, now.rss_mb);
  }

  // Runs until `from`, then samples the process under test (and its peaks
  // every 100 ms) until `to`.
  json measure_window(Clock::time_point from, Clock::time_point to) {
    run_until([&] { return Clock::now() >= from; }, std::chrono::hours(1));
    const auto before = sample_process(options_.pid);
    const double driver_before = own_cpu_seconds();
    peak_threads_ = before.threads;
    peak_rss_mb_ = before.rss_mb;
    run_until([&] { return Clock::now() >= to; }, std::chrono::hours(1));
    auto window = window_json(before, sample_process(options_.pid), driver_before, to - from);
    if (options_.pid > 0) {
      window["peak_threads"] = peak_threads_;
      window["peak_rss_mb"] = round3(peak_rss_mb_);
    }
    return window;
  }

  json window_json(const ProcessSample& before, const ProcessSample& after, double driver_before,
                   Clock::duration elapsed) {
    json window = {{"window_s", round3(std::chrono::duration<double>(elapsed).count())},
                   {"driver_cpu_s", round3(own_cpu_seconds() - driver_before)}};
    if (before.ok && after.ok) {
      window["cpu_s"] = round3(after.cpu_s - before.cpu_s);
      window["threads"] = after.threads;
      window["rss_mb"] = round3(after.rss_mb);
      window["hwm_mb"] = round3(after.hwm_mb);
      window["fds"] = after.fds;
    }
    return window;
  }

  void open_next() {
    if (setup_started_ >= options_.sessions) return;
    ++setup_started_;
    auto connection = take();
    connection->post(initialize_body(), "", [this, connection](Reply reply) {
      give(connection);
      if (!reply.ok || reply.status != 200 || reply.session.empty()) {
        note_error("initialize", reply);
        ++setup_done_;
        return open_next();
      }
      const std::string session = reply.session;
      auto again = take();
      again->post(
          R"({"jsonrpc":"2.0","method":"notifications/initialized"})", session, [this, again, session](Reply answer) {
            give(again);
            if (!answer.ok || (answer.status != 202 && answer.status != 200)) {
              note_error("notifications/initialized", answer);
            } else {
              sessions_.push_back(session);
              if (options_.streams) {
                auto stream =
                    std::make_shared<EventStream>(io_, url_, options_.protocol, session, kNotifyMarker, counts_);
                streams_.push_back(stream);
                stream->start();
              }
            }
            ++setup_done_;
            open_next();
          });
    });
  }

  std::string initialize_body() {
    return json{{"jsonrpc", "2.0"},
                {"id", next_id_++},
                {"method", "initialize"},
                {"params",
                 {{"protocolVersion", options_.protocol},
                  {"capabilities", json::object()},
                  {"clientInfo", {{"name", "gateway-load"}, {"version", "1"}}}}}}
        .dump();
  }

  // tools/call `tool` on `session`; done(answered with this id's result, the result's isError).
  template <class Done>
  void call(const std::string& session, const std::string& tool, Done done) {
    const long id = next_id_++;
    const std::string body = R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
                             R"(,"method":"tools/call","params":{"name":")" + tool +
                             R"(","arguments":{"text":"load"}}})";
    auto connection = take();
    connection->post(body, session, [this, connection, id, done](Reply reply) {
      give(connection);
      bool ok = false;
      bool tool_error = false;
      if (reply.ok && reply.status == 200) {
        const auto answer = json::parse(answer_text(reply), nullptr, false);
        ok = answer.is_object() && answer.value("id", json()) == id && answer.contains("result");
        if (ok) tool_error = answer["result"].value("isError", false);
      }
      if (!ok) note_error("tools/call", reply);
      if constexpr (std::is_invocable_v<Done, bool, bool>) {
        done(ok, tool_error);
      } else {
        done(ok);
      }
    });
  }

  std::shared_ptr<Connection> take() {
    if (idle_.empty()) {
      ++connections_made_;
      return std::make_shared<Connection>(io_, url_, options_.protocol);
    }
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }
  void give(std::shared_ptr<Connection> connection) { idle_.push_back(std::move(connection)); }

  // The first few failures on stderr: what the numbers count, made readable.
  void note_error(const char* what, const Reply& reply) {
    if (++errors_noted_ > 5) return;
    std::cerr << "gateway_load: " << what << ": "
              << (reply.ok ? "HTTP " + std::to_string(reply.status) + " " + reply.body.substr(0, 200)
                           : std::string("no answer (connection failed or timed out)"))
              << "\n";
  }

  // The upstream's count of event streams held open by its client (-1: not asked).
  int remote_streams() {
    if (options_.upstream_stats.empty()) return -1;
    const Url stats = parse_url(options_.upstream_stats);
    auto connection = std::make_shared<Connection>(io_, stats, options_.protocol);
    int streams = -1;
    bool done = false;
    connection->get(stats.path, [&](Reply reply) {
      const auto body = json::parse(reply.body, nullptr, false);
      if (reply.ok && body.is_object()) streams = body.value("streams", -1);
      done = true;
    });
    run_until([&] { return done; }, std::chrono::minutes(2));
    return streams;
  }

  DriverOptions options_;
  Url url_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::vector<std::string> sessions_;
  std::vector<std::shared_ptr<EventStream>> streams_;
  StreamCounts counts_;
  std::vector<std::shared_ptr<Connection>> idle_;
  int setup_started_ = 0;
  int setup_done_ = 0;
  int connections_made_ = 0;
  long next_id_ = 1;
  int errors_noted_ = 0;
  Clock::time_point last_sample_;
  long peak_threads_ = 0;
  double peak_rss_mb_ = 0;
};

}  // namespace

json open_loop(const DriverOptions& options) {
  return Driver(options).open_loop();
}
json closed_loop(const DriverOptions& options) {
  return Driver(options).closed_loop();
}
json hold(const DriverOptions& options) {
  return Driver(options).hold();
}

}  // namespace gateway_load
