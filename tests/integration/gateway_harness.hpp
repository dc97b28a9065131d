// The pieces gateway tests share: the gateway process under test, its
// config file, one HTTP exchange through curl, a raw connection for what a
// client library will not send, and the gateway's /proc status.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "peer_process.hpp"

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
// the socket's receive timeout bounds every read.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  // False once the peer stopped taking bytes (closed or reset).
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  int fd() const { return fd_; }
  // Everything until the peer ends the connection; `closed` is false when
  // the receive timeout ended the wait instead (the connection stayed open).
  std::pair<std::string, bool> receive_until_closed() {
    std::string text;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n > 0) {
        text.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      return {text, n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)};
    }
  }
  // Up to `until`, or (empty) until the peer closes.
  std::string receive(const std::string& until = "") {
    std::string text;
    char buffer[4096];
    while (until.empty() || text.find(until) == std::string::npos) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

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
