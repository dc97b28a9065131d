// The pieces gateway tests share: the gateway process under test, its
// config file, one HTTP exchange through curl, a raw connection for what a
// client library will not send, and the gateway's /proc status.
#pragma once

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "peer_process.hpp"
#include "platform/socket_within.hpp"

namespace mcpauth::testing {

inline std::string write_config(const std::string& name, const mcp::Json& servers) {
  const std::filesystem::path path = std::filesystem::path(test_home()) / (name + ".json");
  std::ofstream(path) << mcp::Json{{"mcpServers", servers}}.dump(2);
  return path.string();
}

// The gateway under test, on a free port (it prints LISTENING <port>).
class GatewayProcess {
 public:
  GatewayProcess(const std::string& config, std::vector<std::string> extra = {},
                 const std::vector<std::string>& env = {}, const std::string& connect_host = "127.0.0.1")
      : command_(args(config, std::move(extra)), env), host_(connect_host) {
    port_ = std::stoi(command_.wait_for_stdout(R"(LISTENING (\d+))"));
  }

  std::string url(const std::string& path) const { return "http://" + host_ + ":" + std::to_string(port_) + path; }
  int port() const { return port_; }
  InteractiveCommand& command() { return command_; }

 private:
  static std::vector<std::string> args(const std::string& config, std::vector<std::string> extra) {
    std::vector<std::string> argv = cli({"gateway", "--config", config});
    if (std::find(extra.begin(), extra.end(), "--listen") == extra.end()) {
      extra.insert(extra.begin(), {"--listen", "127.0.0.1:0"});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  InteractiveCommand command_;
  std::string host_;
  int port_ = 0;
};

inline net::HttpResponse http(const std::string& method, const std::string& url, const std::string& body = "",
                              const net::HttpHeaders& headers = {}) {
  net::CurlHttpClient client;
  net::HttpRequest request;
  request.method = method;
  request.url = url;
  request.body = body;
  request.headers = headers;
  if (!body.empty()) request.headers.set("Content-Type", "application/json");
  return client.send(request);
}

// One raw HTTP/1.1 exchange on its own connection, for framings a client
// library will not produce. Reads until the peer closes or `until` appears;
// every read and send is bounded by a timeout (30 s unless given). The
// connections of one thread share its io_context, so that each costs one
// descriptor (tests hold hundreds) and several can be waited on together
// (wait_readable); a connection is used on the thread that made it.
inline boost::asio::io_context& raw_connection_io() {
  static thread_local boost::asio::io_context io;
  return io;
}

class RawConnection {
 public:
  using tcp = boost::asio::ip::tcp;
  static constexpr std::chrono::seconds kTimeout{30};

  explicit RawConnection(int port) { connect(port); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  // False once the peer stopped taking bytes (closed or reset) or the
  // timeout passed.
  bool send(std::string_view bytes) { return !test_platform::write_within(socket_, bytes, kTimeout); }
  tcp::socket& socket() { return socket_; }
  // Some bytes (appended to `text`), within `timeout`. False when the peer
  // ended the connection or the timeout passed; `timed_out` says which.
  bool read_some(std::string& text, std::chrono::steady_clock::duration timeout = kTimeout, bool* timed_out = nullptr) {
    const auto ec = test_platform::read_some_within(socket_, text, timeout);
    if (timed_out) *timed_out = ec == boost::asio::error::timed_out;
    return !ec;
  }
  // Everything until the peer ends the connection; `closed` is false when
  // the timeout ended the wait instead (the connection stayed open).
  std::pair<std::string, bool> receive_until_closed() {
    std::string text;
    bool timed_out = false;
    while (read_some(text, kTimeout, &timed_out)) {
    }
    return {text, !timed_out};
  }
  // Up to `until`, or (empty) until the peer closes.
  std::string receive(const std::string& until = "") {
    std::string text;
    while (until.empty() || text.find(until) == std::string::npos) {
      if (!read_some(text)) break;
    }
    return text;
  }

 private:
  void connect(int port) {
    boost::system::error_code ec;
    socket_.connect({boost::asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)}, ec);
    connected_ = !ec;
  }
  tcp::socket socket_{raw_connection_io()};
  bool connected_ = false;
};

// Waits up to `wait` until one of `connections` (this thread's) has bytes or
// was ended by the peer; returns the indexes of those that are readable.
inline std::vector<std::size_t> wait_readable(const std::vector<RawConnection*>& connections,
                                              std::chrono::milliseconds wait) {
  auto& io = raw_connection_io();
  std::vector<std::size_t> ready;
  for (std::size_t i = 0; i < connections.size(); ++i) {
    connections[i]->socket().async_wait(RawConnection::tcp::socket::wait_read,
                                        [&ready, i](const boost::system::error_code& ec) {
                                          if (!ec) ready.push_back(i);
                                        });
  }
  io.restart();
  io.run_one_for(wait);
  for (auto* connection : connections) connection->socket().cancel();
  io.run();  // the other waits end (cancelled, or ready too: then counted)
  return ready;
}

// A field of the gateway's /proc/<pid>/status (the gateway started with
// `config`, found by its command line), e.g. "VmRSS" in KiB or "Threads";
// -1 if not found.
inline long gateway_status(const std::string& config, const std::string& field) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (args.find(config) == std::string::npos || args.find("gateway") == std::string::npos) continue;
    std::ifstream status(entry.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    }
  }
  return -1;
}

}  // namespace mcpauth::testing
