// Load driver for `mcpauth gateway` (bench/gateway_load.sh runs it).
//
//   gateway_load upstream                      serve a minimal MCP upstream; prints LISTENING <port>
//   gateway_load run URL SESSIONS RATE SECONDS  SESSIONS local sessions at URL (each: initialize,
//                                              initialized, and a GET event stream held open for the
//                                              whole run), then tools/call at RATE requests/s in total
//                                              for SECONDS; prints latency percentiles as JSON
//   gateway_load burst URL SESSIONS REQUESTS CONCURRENCY
//                                              opens SESSIONS sessions, then sends REQUESTS tools/call
//                                              as fast as CONCURRENCY connections allow (from the
//                                              unix time $BURST_AT when set); prints JSON
//
// The upstream answers initialize with a session id, tools/call with a JSON
// result at once, GET with 405 (no stream: the streams under test are the
// local ones), DELETE with 200; so the time measured is the gateway's own.
// The client is raw HTTP/1.1 over blocking sockets with keep-alive (one
// connection per worker), so its own overhead is small and the same for a
// direct run (URL = the upstream) and a run through the gateway.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Target {
  std::string host;
  int port = 0;
  std::string path;
  std::string auth;  // "Authorization: Bearer ..." or ""
};

Target parse_target(const std::string& url) {
  Target t;
  const auto rest = url.substr(url.find("://") + 3);
  const auto slash = rest.find('/');
  const auto hostport = rest.substr(0, slash);
  t.path = rest.substr(slash);
  t.host = hostport.substr(0, hostport.rfind(':'));
  t.port = std::stoi(hostport.substr(hostport.rfind(':') + 1));
  if (const char* key = std::getenv("GATEWAY_KEY")) t.auth = std::string("Authorization: Bearer ") + key + "\r\n";
  return t;
}

int dial(const Target& t) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(t.port));
  ::inet_pton(AF_INET, t.host.c_str(), &addr.sin_addr);
  int yes = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Reply {
  int status = 0;
  std::string session;
  std::string body;
};

// One keep-alive connection; reconnects when the server closed it.
class Connection {
 public:
  explicit Connection(Target t) : t_(std::move(t)) {}
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool post(const std::string& body, const std::string& session, Reply& reply) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0) fd_ = dial(t_);
      if (fd_ < 0) return false;
      std::string req = "POST " + t_.path + " HTTP/1.1\r\nHost: " + t_.host + ":" + std::to_string(t_.port) +
                        "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" +
                        t_.auth + (session.empty() ? "" : "Mcp-Session-Id: " + session + "\r\n") +
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()) && read_reply(reply)) {
        return true;
      }
      ::close(fd_);
      fd_ = -1;
      buffer_.clear();
    }
    return false;
  }

 private:
  bool fill() {
    char chunk[16384];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  bool read_reply(Reply& reply) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return false;
    }
    const std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    reply.status = std::atoi(head.c_str() + 9);
    reply.session.clear();
    std::size_t length = 0;
    bool chunked = false;
    std::size_t pos = 0;
    while ((pos = head.find("\r\n", pos)) != std::string::npos) {
      pos += 2;
      const auto line_end = head.find("\r\n", pos);
      std::string line = head.substr(pos, line_end == std::string::npos ? std::string::npos : line_end - pos);
      std::string lower = line;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (lower.rfind("content-length:", 0) == 0) length = std::stoul(line.substr(15));
      if (lower.rfind("transfer-encoding:", 0) == 0 && lower.find("chunked") != std::string::npos) chunked = true;
      if (lower.rfind("mcp-session-id:", 0) == 0) {
        reply.session = line.substr(15);
        reply.session.erase(0, reply.session.find_first_not_of(' '));
      }
    }
    if (chunked) return false;  // not expected from either side here
    while (buffer_.size() < length) {
      if (!fill()) return false;
    }
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return true;
  }

  Target t_;
  int fd_ = -1;
  std::string buffer_;
};

const std::string kInitialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},)"
    R"("clientInfo":{"name":"load","version":"1"}}})";
const std::string kInitialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";

std::string call(long id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"tools/call","params":{"name":"echo","arguments":{"text":"load"}}})";
}

// Opens `count` sessions over `workers` connections; returns their ids.
std::vector<std::string> open_sessions(const Target& t, int count, int workers) {
  std::vector<std::string> ids(static_cast<std::size_t>(count));
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      Connection c(t);
      Reply r;
      for (int i = next++; i < count; i = next++) {
        if (!c.post(kInitialize, "", r) || r.status != 200 || r.session.empty()) {
          std::cerr << "initialize failed: " << r.status << " " << r.body << "\n";
          continue;
        }
        ids[static_cast<std::size_t>(i)] = r.session;
        c.post(kInitialized, r.session, r);
      }
    });
  }
  for (auto& th : threads) th.join();
  ids.erase(std::remove(ids.begin(), ids.end(), std::string()), ids.end());
  return ids;
}

// Holds one GET event stream per session open, draining them on one thread.
class Streams {
 public:
  Streams(const Target& t, const std::vector<std::string>& sessions) {
    for (const auto& id : sessions) {
      const int fd = dial(t);
      if (fd < 0) continue;
      const std::string req = "GET " + t.path + " HTTP/1.1\r\nHost: " + t.host + ":" + std::to_string(t.port) +
                              "\r\nAccept: text/event-stream\r\n" + t.auth + "Mcp-Session-Id: " + id + "\r\n\r\n";
      ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
      fds_.push_back({fd, POLLIN, 0});
    }
    thread_ = std::thread([this] { drain(); });
  }
  ~Streams() {
    stop_ = true;
    thread_.join();
    for (auto& p : fds_) ::close(p.fd);
  }
  std::size_t open() const { return fds_.size(); }
  int ended() const { return ended_.load(); }

 private:
  void drain() {
    char buffer[4096];
    while (!stop_) {
      if (::poll(fds_.data(), fds_.size(), 100) <= 0) continue;
      for (auto& p : fds_) {
        if (p.fd >= 0 && p.revents) {
          const auto n = ::recv(p.fd, buffer, sizeof buffer, MSG_DONTWAIT);
          // A server without streams (405) or a closed one: this stream is over.
          if (n <= 0 ||
              (n > 12 && std::string_view(buffer, 12) != "HTTP/1.1 200" && std::string_view(buffer, 5) == "HTTP/")) {
            ++ended_;
            ::shutdown(p.fd, SHUT_RDWR);
            p.fd = -p.fd - 1;  // ignored by poll from now on
          }
        }
      }
    }
    for (auto& p : fds_) {
      if (p.fd < 0) p.fd = -p.fd - 1;
    }
  }
  std::vector<pollfd> fds_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> ended_{0};
};

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void print(const char* mode, std::size_t sessions, std::size_t streams, std::vector<double>& ms, int errors,
           double seconds) {
  const std::size_t n = ms.size();
  const double p50 = percentile(ms, 0.50);
  const double p90 = percentile(ms, 0.90);
  const double p99 = percentile(ms, 0.99);
  const double max = ms.empty() ? 0 : ms.back();
  std::printf(
      "{\"mode\":\"%s\",\"sessions\":%zu,\"streams\":%zu,\"requests\":%zu,\"errors\":%d,\"seconds\":%.2f,"
      "\"rps\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
      mode, sessions, streams, n, errors, seconds, static_cast<double>(n) / seconds, p50, p90, p99, max);
}

int run(const std::string& url, int sessions, double rate, double seconds) {
  const Target t = parse_target(url);
  auto ids = open_sessions(t, sessions, 16);
  Streams streams(t, ids);
  // Workers pace themselves to the total rate; each owns one connection.
  const int workers = std::max(1, std::min(64, static_cast<int>(rate / 20)));
  const auto interval = std::chrono::duration<double>(static_cast<double>(workers) / rate);
  std::vector<std::vector<double>> samples(static_cast<std::size_t>(workers));
  std::atomic<int> errors{0};
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      Connection c(t);
      Reply r;
      std::mt19937 random(static_cast<unsigned>(w));
      auto next = start + std::chrono::duration_cast<Clock::duration>(interval * (static_cast<double>(w) / workers));
      long id = 1'000'000L * (w + 1);  // unique per session: JSON-RPC ids must not repeat in flight
      while (next < end) {
        std::this_thread::sleep_until(next);  // pacing (open loop), not synchronisation
        next += std::chrono::duration_cast<Clock::duration>(interval);
        const auto& session = ids[random() % ids.size()];
        const auto t0 = Clock::now();
        if (!c.post(call(++id), session, r) || r.status != 200 || r.body.find("\"result\"") == std::string::npos) {
          ++errors;
          continue;
        }
        samples[static_cast<std::size_t>(w)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<double> all;
  for (auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  print("run", ids.size(), streams.open() - static_cast<std::size_t>(streams.ended()), all, errors, elapsed);
  return 0;
}

int burst(const std::string& url, int sessions, int requests, int concurrency) {
  const Target t = parse_target(url);
  auto ids = open_sessions(t, sessions, 16);
  if (const char* at = std::getenv("BURST_AT")) {  // unix seconds: fire at a given moment (a token's expiry)
    std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::seconds(std::atoll(at))));
  }
  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  std::vector<std::vector<double>> samples(static_cast<std::size_t>(concurrency));
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < concurrency; ++w) {
    threads.emplace_back([&, w] {
      Connection c(t);
      Reply r;
      for (int i = next++; i < requests; i = next++) {
        const auto t0 = Clock::now();
        if (!c.post(call(1000 + i), ids[static_cast<std::size_t>(i) % ids.size()], r) || r.status != 200 ||
            r.body.find("\"result\"") == std::string::npos) {
          if (errors++ < 3) std::cerr << "failed: " << r.status << " " << r.body.substr(0, 300) << "\n";
          continue;
        }
        samples[static_cast<std::size_t>(w)].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<double> all;
  for (auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  print("burst", ids.size(), 0, all, errors, std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}

// A minimal stateful MCP server: enough for the gateway's bridge.
int upstream() {
  httplib::Server server;
  std::atomic<long> sessions{0};
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_keep_alive_max_count(1'000'000);
  server.set_tcp_nodelay(true);
  server.Post("/mcp", [&](const httplib::Request& req, httplib::Response& res) {
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("id")) {
      res.status = 202;
      return;
    }
    const std::string method = body.value("method", "");
    nlohmann::json result;
    if (method == "initialize") {
      res.set_header("Mcp-Session-Id", "s" + std::to_string(++sessions));
      result = {{"protocolVersion", "2025-11-25"},
                {"capabilities", {{"tools", nlohmann::json::object()}}},
                {"serverInfo", {{"name", "load-upstream"}, {"version", "1"}}}};
    } else if (method == "tools/list") {
      result = {{"tools", {{{"name", "echo"}, {"description", "echo"}, {"inputSchema", {{"type", "object"}}}}}}};
    } else {
      result = {{"content", {{{"type", "text"}, {"text", "load"}}}}};
    }
    res.set_content(nlohmann::json{{"jsonrpc", "2.0"}, {"id", body["id"]}, {"result", result}}.dump(),
                    "application/json");
  });
  server.Get("/mcp", [](const httplib::Request&, httplib::Response& res) { res.status = 405; });
  server.Delete("/mcp", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  int listen_fd = -1;
  server.set_socket_options([&listen_fd](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = sock;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (listen_fd >= 0) ::listen(listen_fd, 4096);  // cpp-httplib's backlog of 5 drops bursts of connects
  std::cout << "LISTENING " << port << std::endl;
  server.listen_after_bind();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "upstream") return upstream();
  if (args.size() == 5 && args[0] == "run") {
    return run(args[1], std::stoi(args[2]), std::stod(args[3]), std::stod(args[4]));
  }
  if (args.size() == 5 && args[0] == "burst") {
    return burst(args[1], std::stoi(args[2]), std::stoi(args[3]), std::stoi(args[4]));
  }
  std::cerr
      << "usage: gateway_load upstream | run URL SESSIONS RATE SECONDS | burst URL SESSIONS REQUESTS CONCURRENCY\n";
  return 2;
}
