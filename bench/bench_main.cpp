// mcpauth_bench: the same MCP workload through `mcpauth proxy`, through
// mcp-remote and directly over HTTP with a valid token (the floor), against
// one local OAuth-protected server with cached tokens, in one invocation.
// scripts/bench.sh builds and runs it; bench/README.md says what it measures.
//
// Every child gets a private HOME/XDG_* under a temporary directory, so
// nothing touches the user's tokens. Tokens are never printed: the floor's
// Authorization value reaches its mcpauth_bench_direct child through the
// environment, not the command line.
#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "direct_client.hpp"
#include "mcpauth/composition.hpp"

extern char** environ;

namespace {

using namespace mcpauth_bench;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double to_ms(const timeval& t) {
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// ---- child processes --------------------------------------------------------

// The environment of every child: ours (already private, see main) plus overrides.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const auto name = entry.substr(0, entry.find('='));
    if (!overrides.count(name)) env.push_back(entry);
  }
  for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
  return env;
}

class Child {
 public:
  // stdin and stdout are pipes to us; stderr goes to `stderr_path`.
  Child(const std::vector<std::string>& argv, const fs::path& stderr_path,
        const std::map<std::string, std::string>& env_overrides = {}) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) fail("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const auto env_strings = child_environment(env_overrides);
    std::vector<char*> envp;
    for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
      close(in[1]);
      close(out[0]);
      fail("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    in_ = in[1];
    out_ = out[0];
    signal(SIGPIPE, SIG_IGN);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      close_stdin();
      if (!wait_exit(std::chrono::seconds(5))) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    if (out_ >= 0) close(out_);
  }

  pid_t pid() const { return pid_; }

  void send(const std::string& line) {
    std::string data = line + "\n";
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
      const ssize_t n = write(in_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("the child closed its stdin");
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }

  // The next line of stdout, or nullopt at the deadline or end of file.
  std::optional<std::string> read_line(Clock::time_point deadline) {
    for (;;) {
      const auto nl = buffer_.find('\n', pos_);
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(pos_, nl - pos_);
        pos_ = nl + 1;
        if (pos_ > 65536) {
          buffer_.erase(0, pos_);
          pos_ = 0;
        }
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      const int r = poll(&p, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return std::nullopt;
      char chunk[65536];
      const ssize_t n = read(out_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // The answer to request `id` (server notifications and requests on the way are skipped).
  Json wait_response(long id, Clock::time_point deadline, const char* what) {
    for (;;) {
      auto line = read_line(deadline);
      if (!line) fail(std::string(what) + ": no answer (timeout or the proxy exited)");
      if (line->empty()) continue;
      Json message = Json::parse(*line);
      if (message.contains("method")) continue;  // a notification or server request
      if (message.contains("id") && message["id"] == id) return message;
    }
  }

  void close_stdin() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }

  // Waits for the exit; true when it exited (status in exit_status()).
  bool wait_exit(std::chrono::milliseconds timeout) {
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));  // glibc 2.36's pidfd.h lacks extern "C"
    if (pidfd < 0) fail("pidfd_open failed");
    pollfd p{pidfd, POLLIN, 0};
    int r;
    do {
      r = poll(&p, 1, static_cast<int>(timeout.count()));
    } while (r < 0 && errno == EINTR);
    close(pidfd);
    if (r <= 0) return false;
    int status = 0;
    rusage usage{};
    if (wait4(pid_, &status, 0, &usage) != pid_) return false;
    status_ = status;
    cpu_ms_ = to_ms(usage.ru_utime) + to_ms(usage.ru_stime);
    max_rss_kib_ = usage.ru_maxrss;
    pid_ = -1;
    return true;
  }
  int exit_status() const { return status_; }
  // After the exit: the CPU time (user + system, all threads) and the peak RSS in KiB.
  double cpu_ms() const { return cpu_ms_; }
  long max_rss_kib() const { return max_rss_kib_; }

  // A field of /proc/<pid>/status in KiB: VmHWM (peak resident set size),
  // RssAnon (resident heap and stacks now), RssFile (resident file pages now: code of shared libraries).
  long status_kib(const std::string& field) const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  int status_ = -1;
  double cpu_ms_ = 0;
  long max_rss_kib_ = -1;
  std::string buffer_;
  std::size_t pos_ = 0;
};

// ---- measurement ------------------------------------------------------------

struct Stats {
  std::vector<double> samples;
  double median() const { return percentile(0.5); }
  double p99() const { return percentile(0.99); }
  double percentile(double q) const {
    if (samples.empty()) return NAN;
    auto s = samples;
    std::sort(s.begin(), s.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(s.size())));
    return s[std::min(s.size() - 1, rank == 0 ? 0 : rank - 1)];
  }
};

struct Result {
  std::string name;
  Stats cold_ms;
  Stats call_us;
  Stats cold_cpu_ms;
  Stats cold_rss_kib;  // peak RSS of the process over one cold start             // CPU time of the process over one
                       // cold start
  double cpu_us_per_call = NAN;  // CPU time of the proxy (the floor: the client) per call over the session
  double throughput = 0;         // calls per second with `concurrency` in flight
  long peak_rss_kib = -1;        // of the proxy process (none for the floor)
  long rss_anon_kib = -1;        // its resident anonymous memory at the end of the session
  long rss_file_kib = -1;        // its resident file pages (shared libraries) then
};

struct Config {
  std::string direct;  // mcpauth_bench_direct, beside this program
  std::string node;
  std::string mcpauth;
  std::string mcp_remote;  // its dist/proxy.js
  std::string server;      // tests/peers/oauth-server.mjs
  std::string browser;     // tests/peers/browser-follow.sh
  std::string out;         // RESULTS.md
  std::string commit = "unknown";
  std::string node_version = "unknown";
  std::string mcp_remote_version = "unknown";
  std::string profile_notes;   // a Markdown file appended to RESULTS.md
  std::string loadavg_before;  // /proc/loadavg when the measurements began
  int cold_runs = 20;
  int cold_runs_mcp_remote = 10;
  int warmup = 200;
  int calls = 2000;
  int concurrent_calls = 2000;
  int concurrency = 8;
};

// A proxy variant: how to start it.
struct ProxyVariant {
  std::string name;
  std::vector<std::string> argv;
};

// Spawn -> initialize answered -> notifications/initialized -> tools/list answered.
double proxy_cold_start(const ProxyVariant& v, const fs::path& log, Result* r = nullptr) {
  const auto start = Clock::now();
  Child child(v.argv, log, {{"BROWSER", "/bin/false"}});
  const auto deadline = start + std::chrono::seconds(60);
  child.send(initialize_request(0));
  check_response(child.wait_response(0, deadline, "initialize"), 0, "initialize");
  child.send(kInitialized);
  child.send(tools_list_request(1));
  check_response(child.wait_response(1, deadline, "tools/list"), 1, "tools/list");
  const double elapsed = ms_since(start);
  child.close_stdin();
  if (!child.wait_exit(std::chrono::seconds(10))) fail(v.name + ": did not exit after stdin closed");
  if (r) {  // both include the end of the session
    r->cold_cpu_ms.samples.push_back(child.cpu_ms());
    r->cold_rss_kib.samples.push_back(static_cast<double>(child.max_rss_kib()));
  }
  return elapsed;
}

double direct_cold_start(const Config& c, const std::string& url, const std::string& authorization, const fs::path& log,
                         Result* r = nullptr) {
  const auto start = Clock::now();
  Child child({c.direct, url}, log, {{kAuthEnv, authorization}});
  auto line = child.read_line(start + std::chrono::seconds(60));
  if (!line || line->rfind("tools ", 0) != 0) fail("mcpauth_bench_direct: no answer (see " + log.string() + ")");
  const double elapsed = ms_since(start);
  if (!child.wait_exit(std::chrono::seconds(10))) fail("mcpauth_bench_direct did not exit");
  if (r) {
    r->cold_cpu_ms.samples.push_back(child.cpu_ms());
    r->cold_rss_kib.samples.push_back(static_cast<double>(child.max_rss_kib()));
  }
  return elapsed;
}

// Sequential calls then `concurrency` in flight, in one proxy session.
void proxy_session(const Config& c, const ProxyVariant& v, const fs::path& log, Result& r) {
  Child child(v.argv, log, {{"BROWSER", "/bin/false"}});
  auto deadline = Clock::now() + std::chrono::seconds(60);
  child.send(initialize_request(0));
  check_response(child.wait_response(0, deadline, "initialize"), 0, "initialize");
  child.send(kInitialized);
  child.send(tools_list_request(1));
  check_response(child.wait_response(1, deadline, "tools/list"), 1, "tools/list");

  long id = 100;
  deadline = Clock::now() + std::chrono::seconds(600);
  for (int i = 0; i < c.warmup; ++i) {
    child.send(echo_request(++id));
    check_echo(child.wait_response(id, deadline, "tools/call"), id);
  }
  for (int i = 0; i < c.calls; ++i) {
    const auto t0 = Clock::now();
    child.send(echo_request(++id));
    const Json answer = child.wait_response(id, deadline, "tools/call");
    r.call_us.samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    check_echo(answer, id);
  }

  // Throughput: keep `concurrency` calls in flight.
  const long first = id + 1;
  const long last = id + c.concurrent_calls;
  long next = first;
  int done = 0;
  const auto t0 = Clock::now();
  while (next <= last && next < first + c.concurrency) child.send(echo_request(next++));
  while (done < c.concurrent_calls) {
    auto line = child.read_line(deadline);
    if (!line) fail(v.name + ": no answer to concurrent calls");
    if (line->empty()) continue;
    const Json message = Json::parse(*line);
    if (message.contains("method")) continue;
    const long answered = message.value("id", -1L);
    if (answered < first || answered > last) fail(v.name + ": answer for an unknown id");
    check_echo(message, answered);
    ++done;
    if (next <= last) child.send(echo_request(next++));
  }
  r.throughput = static_cast<double>(c.concurrent_calls) / std::chrono::duration<double>(Clock::now() - t0).count();
  r.peak_rss_kib = child.status_kib("VmHWM");
  r.rss_anon_kib = child.status_kib("RssAnon");
  r.rss_file_kib = child.status_kib("RssFile");
  child.close_stdin();
  if (!child.wait_exit(std::chrono::seconds(10))) fail(v.name + ": did not exit after stdin closed");
  r.cpu_us_per_call = child.cpu_ms() * 1e3 / (c.warmup + c.calls + c.concurrent_calls);
}

double process_cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return to_ms(usage.ru_utime) + to_ms(usage.ru_stime);
}

void direct_session(const Config& c, const std::string& url, const std::string& authorization, Result& r) {
  const double cpu_start = process_cpu_ms();
  {
    DirectClient client(url, authorization);
    client.handshake();
    long id = 100;
    for (int i = 0; i < c.warmup; ++i) {
      ++id;
      check_echo(client.post(echo_request(id)), id);
    }
    for (int i = 0; i < c.calls; ++i) {
      ++id;
      const auto t0 = Clock::now();
      const Json answer = client.post(echo_request(id));
      r.call_us.samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      check_echo(answer, id);
    }
  }
  // Throughput: `concurrency` threads, each a keep-alive connection, share the calls.
  std::vector<std::unique_ptr<DirectClient>> clients;
  for (int t = 0; t < c.concurrency; ++t) {
    clients.push_back(std::make_unique<DirectClient>(url, authorization));
    clients.back()->handshake();
    check_echo(clients.back()->post(echo_request(7)), 7);  // the connection is open before timing
  }
  std::atomic<long> next{0};
  std::atomic<bool> failed{false};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < c.concurrency; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (long i = next++; i < c.concurrent_calls; i = next++) check_echo(clients[t]->post(echo_request(i)), i);
      } catch (const std::exception& e) {
        std::cerr << "mcpauth_bench: direct concurrent call: " << e.what() << "\n";
        failed = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  if (failed) fail("direct concurrent calls failed");
  r.throughput = static_cast<double>(c.concurrent_calls) / std::chrono::duration<double>(Clock::now() - t0).count();
  // The driver runs nothing else meanwhile (the handshakes of the 8 clients included).
  r.cpu_us_per_call = (process_cpu_ms() - cpu_start) * 1e3 / (c.warmup + c.calls + c.concurrent_calls);
}

// ---- setup: the server and the cached tokens --------------------------------

std::string read_listening_port(Child& server) {
  auto line = server.read_line(Clock::now() + std::chrono::seconds(30));
  if (!line || line->rfind("LISTENING ", 0) != 0) fail("the peer server did not print LISTENING");
  return line->substr(10);
}

void run_to_exit(const std::vector<std::string>& argv, const fs::path& log,
                 const std::map<std::string, std::string>& env, const char* what) {
  Child child(argv, log, env);
  child.close_stdin();
  if (!child.wait_exit(std::chrono::seconds(120))) fail(std::string(what) + ": still running after 120 s");
  if (!WIFEXITED(child.exit_status()) || WEXITSTATUS(child.exit_status()) != 0) {
    fail(std::string(what) + " failed (see " + log.string() + ")");
  }
}

// mcp-remote authorizes on its first start; a complete session leaves its tokens in ~/.mcp-auth.
void authorize_mcp_remote(const ProxyVariant& v, const Config& c, const fs::path& log, const fs::path& home) {
  {
    Child child(v.argv, log, {{"BROWSER", c.browser}});
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    child.send(initialize_request(0));
    check_response(child.wait_response(0, deadline, "mcp-remote initialize"), 0, "initialize");
    child.send(kInitialized);
    child.send(tools_list_request(1));
    check_response(child.wait_response(1, deadline, "mcp-remote tools/list"), 1, "tools/list");
    child.close_stdin();
    if (!child.wait_exit(std::chrono::seconds(10))) fail("mcp-remote did not exit after stdin closed");
  }
  bool tokens = false;
  for (const auto& entry : fs::recursive_directory_iterator(home / ".mcp-auth")) {
    if (entry.path().filename().string().ends_with("_tokens.json")) tokens = true;
  }
  if (!tokens) fail("mcp-remote stored no tokens (see " + log.string() + ")");
}

// The Authorization value mcpauth cached for `url`, read through the
// library's own composition (the user's store; nobody is ever asked).
std::string cached_authorization(const std::string& url) {
  mcpauth::ClientOptions options;
  options.url = url;
  options.default_consent = false;
  const auto token = mcpauth::make_authorizer(options)->access_token();
  if (!token) fail("mcpauth has no cached token for " + url);
  return "Bearer " + *token;
}

// ---- the report -------------------------------------------------------------

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string ratio(double a, double b) {
  return (std::isfinite(a) && std::isfinite(b) && b != 0) ? fixed(a / b, 2) + "×" : "–";
}

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

// The 1, 5 and 15 minute load averages: other work on the machine skews every number.
std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_report(const Config& c, const Result& floor, const Result& mine, const Result& remote) {
  utsname u{};
  uname(&u);
  std::ostringstream md;
  md << "# Proxy benchmark results\n\n"
     << "Generated by `scripts/bench.sh` (bench/README.md describes the method). Do not edit by hand:\n"
     << "the run rewrites this file.\n\n"
     << "## Machine\n\n"
     << "| | |\n|---|---|\n"
     << "| CPU | " << cpu_model() << " |\n"
     << "| cores (online) | " << sysconf(_SC_NPROCESSORS_ONLN) << " |\n"
     << "| kernel | " << u.sysname << " " << u.release << " " << u.machine << " |\n"
     << "| node (server, mcp-remote) | " << c.node_version << " |\n"
     << "| mcp-remote | " << c.mcp_remote_version << " |\n"
     << "| mcpauth commit | " << c.commit << " (Release build) |\n"
     << "| libcurl | " << curl_version_info(CURLVERSION_NOW)->version << " |\n"
     << "| load average (1/5/15 min) before / after | " << c.loadavg_before << " / " << loadavg() << " |\n\n"
     << "## Workload\n\n"
     << "Server: `tests/peers/oauth-server.mjs` (MCP TypeScript SDK, stateless Streamable HTTP behind "
        "`requireBearerAuth`), on 127.0.0.1, with tokens cached by each variant before measuring.\n\n"
     << "- cold start: spawn → `initialize` answered → `notifications/initialized` → `tools/list` answered; "
     << c.cold_runs << " runs (mcp-remote: " << c.cold_runs_mcp_remote
     << "), after one unmeasured run each; the floor is a fresh process (`mcpauth_bench_direct`, "
        "libcurl only, with the cached token) doing the same;\n"
     << "- sequential `tools/call` echo: " << c.calls << " calls after " << c.warmup
     << " warm-up calls, one at a time, in one session;\n"
     << "- throughput: " << c.concurrent_calls << " `tools/call` echo with " << c.concurrency
     << " in flight (floor: " << c.concurrency << " threads, one keep-alive connection each);\n"
     << "- peak RSS: `VmHWM` of the proxy process after the whole session (mcp-remote: its node process).\n\n"
     << "## Results\n\n"
     << "| metric | floor (direct HTTP) | mcpauth proxy | mcp-remote | mcpauth / floor | mcpauth / mcp-remote |\n"
     << "|---|---:|---:|---:|---:|---:|\n";
  auto row = [&](const std::string& name, double f, double m, double r, int digits) {
    md << "| " << name << " | " << (std::isfinite(f) ? fixed(f, digits) : "–") << " | " << fixed(m, digits) << " | "
       << fixed(r, digits) << " | " << ratio(m, f) << " | " << ratio(m, r) << " |\n";
  };
  row("cold start, median (ms)", floor.cold_ms.median(), mine.cold_ms.median(), remote.cold_ms.median(), 1);
  row("cold start, p90 (ms)", floor.cold_ms.percentile(0.9), mine.cold_ms.percentile(0.9),
      remote.cold_ms.percentile(0.9), 1);
  row("cold start, CPU time of the process, median (ms)", floor.cold_cpu_ms.median(), mine.cold_cpu_ms.median(),
      remote.cold_cpu_ms.median(), 1);
  row("tools/call latency, median (µs)", floor.call_us.median(), mine.call_us.median(), remote.call_us.median(), 0);
  row("tools/call latency, p99 (µs)", floor.call_us.p99(), mine.call_us.p99(), remote.call_us.p99(), 0);
  row("added latency over the floor, median (µs)", 0.0, mine.call_us.median() - floor.call_us.median(),
      remote.call_us.median() - floor.call_us.median(), 0);
  row("throughput (calls/s, " + std::to_string(c.concurrency) + " in flight)", floor.throughput, mine.throughput,
      remote.throughput, 0);
  row("CPU time per call over the session (µs; floor: the client)", floor.cpu_us_per_call, mine.cpu_us_per_call,
      remote.cpu_us_per_call, 0);
  row("peak RSS over a cold start, median (MiB; floor: the client)", floor.cold_rss_kib.median() / 1024.0,
      mine.cold_rss_kib.median() / 1024.0, remote.cold_rss_kib.median() / 1024.0, 1);
  row("peak RSS of the proxy after the session (MiB)", NAN, static_cast<double>(mine.peak_rss_kib) / 1024.0,
      static_cast<double>(remote.peak_rss_kib) / 1024.0, 1);

  const auto mib = [](long kib) { return static_cast<double>(kib) / 1024.0; };
  row("… of which resident anonymous memory at the end (MiB)", NAN, mib(mine.rss_anon_kib), mib(remote.rss_anon_kib),
      1);
  row("… of which resident file pages (shared libraries) at the end (MiB)", NAN, mib(mine.rss_file_kib),
      mib(remote.rss_file_kib), 1);

  struct Target {
    std::string what, measured;
    bool met;
  };
  const double cold_speedup = remote.cold_ms.median() / mine.cold_ms.median();
  const double cold_vs_floor = mine.cold_ms.median() / floor.cold_ms.median();
  const double added = mine.call_us.median() - floor.call_us.median();
  const double tput = mine.throughput / floor.throughput;
  const double rss = static_cast<double>(mine.peak_rss_kib) / 1024.0;
  const std::vector<Target> targets = {
      {"cold start ≥ 20× faster than mcp-remote", fixed(cold_speedup, 1) + "× faster", cold_speedup >= 20},
      {"cold start ≤ 1.5× the floor", fixed(cold_vs_floor, 2) + "×", cold_vs_floor <= 1.5},
      {"median added latency per call ≤ 0.1 ms", fixed(added / 1000.0, 3) + " ms", added <= 100},
      {"throughput ≥ 90% of the floor", fixed(100 * tput, 1) + "%", tput >= 0.9},
      {"peak RSS ≤ 10 MB", fixed(rss, 1) + " MiB", rss <= 10.0},
  };
  md << "\n## Targets (mcpauth proxy)\n\n| target | measured | |\n|---|---:|---|\n";
  for (const auto& t : targets)
    md << "| " << t.what << " | " << t.measured << " | " << (t.met ? "met" : "**missed**") << " |\n";
  if (!c.profile_notes.empty() && fs::exists(c.profile_notes)) md << "\n" << read_file(c.profile_notes);

  std::ofstream(c.out) << md.str();
  std::cout << md.str();
}

int usage() {
  std::cerr << "usage: mcpauth_bench --node NODE --mcpauth BIN --mcp-remote PROXY_JS --server SERVER_MJS "
               "--browser SCRIPT --out RESULTS.md [--commit C] [--node-version V] [--mcp-remote-version V] "
               "[--profile-notes FILE] [--cold-runs N] [--cold-runs-mcp-remote N] [--warmup N] [--calls N] "
               "[--concurrent-calls N] [--concurrency N]\n";
  return 2;
}

int run(Config c) {
  // A private home for every child: nothing touches the user's tokens.
  char tmpl[] = "/tmp/mcpauth-bench-XXXXXX";
  if (!mkdtemp(tmpl)) fail("mkdtemp failed");
  const fs::path work = tmpl;
  const fs::path home = work / "home";
  for (const char* d : {"home", "data", "config", "cache", "logs"}) fs::create_directories(work / d);
  setenv("HOME", home.c_str(), 1);
  setenv("XDG_DATA_HOME", (work / "data").c_str(), 1);
  setenv("XDG_CONFIG_HOME", (work / "config").c_str(), 1);
  setenv("XDG_CACHE_HOME", (work / "cache").c_str(), 1);
  setenv("MCPAUTH_KEYRING", "off", 1);  // the key file beside the store (no session bus)
  for (const char* name : {"DBUS_SESSION_BUS_ADDRESS", "MCPAUTH_KEY", "MCPAUTH_STORE", "MCPAUTH_CONFIG",
                           "MCP_REMOTE_CONFIG_DIR", "DISPLAY", "WAYLAND_DISPLAY", "http_proxy", "https_proxy",
                           "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
    unsetenv(name);
  }
  const fs::path logs = work / "logs";
  std::cerr << "mcpauth_bench: working in " << work << "\n";

  Child server({c.node, c.server}, logs / "server.log");
  const std::string url = "http://127.0.0.1:" + read_listening_port(server) + "/mcp";
  std::cerr << "mcpauth_bench: server " << url << "\n";

  const ProxyVariant mine{"mcpauth proxy", {c.mcpauth, "proxy", url}};
  const ProxyVariant remote{"mcp-remote", {c.node, c.mcp_remote, url}};

  std::cerr << "mcpauth_bench: authorizing (mcpauth login, mcp-remote's first run)\n";
  run_to_exit({c.mcpauth, "login", url}, logs / "mcpauth-login.log", {{"BROWSER", c.browser}}, "mcpauth login");
  authorize_mcp_remote(remote, c, logs / "mcp-remote-auth.log", home);
  const std::string authorization = cached_authorization(url);

  Result floor, result_mine, result_remote;

  std::cerr << "mcpauth_bench: cold starts\n";
  c.loadavg_before = loadavg();
  direct_cold_start(c, url, authorization, logs / "direct.log");  // unmeasured: page cache
  proxy_cold_start(mine, logs / "mcpauth.log");
  proxy_cold_start(remote, logs / "mcp-remote.log");
  // Interleaved, so drift on the machine hits every variant alike.
  for (int i = 0; i < std::max(c.cold_runs, c.cold_runs_mcp_remote); ++i) {
    if (i < c.cold_runs) {
      floor.cold_ms.samples.push_back(direct_cold_start(c, url, authorization, logs / "direct.log", &floor));
      result_mine.cold_ms.samples.push_back(proxy_cold_start(mine, logs / "mcpauth.log", &result_mine));
    }
    if (i < c.cold_runs_mcp_remote) {
      result_remote.cold_ms.samples.push_back(proxy_cold_start(remote, logs / "mcp-remote.log", &result_remote));
    }
  }

  std::cerr << "mcpauth_bench: sessions: floor\n";
  direct_session(c, url, authorization, floor);
  std::cerr << "mcpauth_bench: sessions: mcpauth proxy\n";
  proxy_session(c, mine, logs / "mcpauth.log", result_mine);
  std::cerr << "mcpauth_bench: sessions: mcp-remote\n";
  proxy_session(c, remote, logs / "mcp-remote.log", result_remote);

  write_report(c, floor, result_mine, result_remote);
  server.close_stdin();
  server.wait_exit(std::chrono::seconds(10));
  fs::remove_all(work);
  return 0;
}

// Each flag and the Config field its value sets (a number for the int ones).
const std::map<std::string, std::variant<std::string Config::*, int Config::*>> kFlags = {
    {"--node", &Config::node},
    {"--mcpauth", &Config::mcpauth},
    {"--mcp-remote", &Config::mcp_remote},
    {"--server", &Config::server},
    {"--browser", &Config::browser},
    {"--out", &Config::out},
    {"--commit", &Config::commit},
    {"--node-version", &Config::node_version},
    {"--mcp-remote-version", &Config::mcp_remote_version},
    {"--profile-notes", &Config::profile_notes},
    {"--cold-runs", &Config::cold_runs},
    {"--cold-runs-mcp-remote", &Config::cold_runs_mcp_remote},
    {"--warmup", &Config::warmup},
    {"--calls", &Config::calls},
    {"--concurrent-calls", &Config::concurrent_calls},
    {"--concurrency", &Config::concurrency},
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Config c;
  c.direct = (fs::canonical("/proc/self/exe").parent_path() / "mcpauth_bench_direct").string();
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (i + 1 >= args.size()) return usage();
    const std::string& v = args[++i];
    const auto flag = kFlags.find(a);
    if (flag == kFlags.end()) return usage();
    if (const auto* text = std::get_if<std::string Config::*>(&flag->second)) {
      c.*(*text) = v;
    } else {
      c.*std::get<int Config::*>(flag->second) = std::stoi(v);
    }
  }
  if (c.node.empty() || c.mcpauth.empty() || c.mcp_remote.empty() || c.server.empty() || c.browser.empty() ||
      c.out.empty()) {
    return usage();
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  try {
    return run(c);
  } catch (const std::exception& e) {
    std::cerr << "mcpauth_bench: " << e.what() << "\n";
    return 1;
  }
}
