// The floor of the proxy benchmark: a direct Streamable HTTP client on
// libcurl with a valid token, and the workload's JSON-RPC messages. Shared by
// mcpauth_bench (sequential calls and throughput, in process) and
// mcpauth_bench_direct (the cold start: a fresh process that links nothing
// but libcurl, so it starts as fast as a client can).
#pragma once

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mcpauth_bench {

using Json = nlohmann::json;

inline constexpr const char* kAuthEnv = "MCPAUTH_BENCH_AUTHORIZATION";  // the floor child's Authorization value
inline constexpr const char* kProtocolVersion = "2025-06-18";

[[noreturn]] inline void fail(const std::string& what) {
  throw std::runtime_error(what);
}

// ---- the JSON-RPC messages of the workload ----------------------------------

inline std::string initialize_request(long id) {
  return Json{{"jsonrpc", "2.0"},
              {"id", id},
              {"method", "initialize"},
              {"params",
               {{"protocolVersion", kProtocolVersion},
                {"capabilities", Json::object()},
                {"clientInfo", {{"name", "mcpauth-bench"}, {"version", "1"}}}}}}
      .dump();
}
inline const std::string kInitialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";
inline std::string tools_list_request(long id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":"tools/list"})";
}
inline std::string echo_request(long id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello mcpauth"}}})";
}

// A response must carry a result for that id; tools/call echo's must say the text back.
inline void check_response(const Json& message, long id, const char* what) {
  if (!message.contains("id") || message["id"] != id) fail(std::string(what) + ": answer for another id");
  if (!message.contains("result")) fail(std::string(what) + ": " + message.dump().substr(0, 300));
}
inline void check_echo(const Json& message, long id) {
  check_response(message, id, "tools/call echo");
  const auto& content = message["result"].value("content", Json::array());
  if (content.empty() || content[0].value("text", "") != "hello mcpauth") fail("tools/call echo: wrong answer");
}

// ---- the floor: a direct Streamable HTTP client on libcurl ------------------

class DirectClient {
 public:
  DirectClient(std::string url, const std::string& authorization) : url_(std::move(url)) {
    handle_ = curl_easy_init();
    if (!handle_) fail("curl_easy_init failed");
    base_headers_ = {"Content-Type: application/json", "Accept: application/json, text/event-stream",
                     "Authorization: " + authorization, "Expect:"};
    rebuild_headers();
    curl_easy_setopt(handle_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(handle_, CURLOPT_POST, 1L);
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &DirectClient::on_body);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, &DirectClient::on_header);
    curl_easy_setopt(handle_, CURLOPT_HEADERDATA, this);
  }
  DirectClient(const DirectClient&) = delete;
  DirectClient& operator=(const DirectClient&) = delete;
  ~DirectClient() {
    curl_easy_cleanup(handle_);
    curl_slist_free_all(headers_);
  }

  // POSTs one message; the JSON-RPC answer (null for a notification's 202).
  Json post(const std::string& message) {
    body_.clear();
    curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, message.c_str());
    curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE, static_cast<long>(message.size()));
    const CURLcode rc = curl_easy_perform(handle_);
    if (rc != CURLE_OK) fail(std::string("direct POST: ") + curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status);
    if (status == 202) return nullptr;
    if (status != 200) fail("direct POST: HTTP " + std::to_string(status));
    if (!session_header_.empty() && !session_sent_) {
      base_headers_.push_back(session_header_);
      session_sent_ = true;
      rebuild_headers();
    }
    return parse_answer();
  }

  // After initialize: later requests carry the negotiated version (and the session, if any).
  void set_protocol_version(const std::string& version) {
    base_headers_.push_back("MCP-Protocol-Version: " + version);
    rebuild_headers();
  }

  // initialize, notifications/initialized, tools/list: the handshake a host does.
  std::size_t handshake() {
    const Json init = post(initialize_request(0));
    check_response(init, 0, "initialize");
    set_protocol_version(init["result"].value("protocolVersion", kProtocolVersion));
    post(kInitialized);
    const Json list = post(tools_list_request(1));
    check_response(list, 1, "tools/list");
    return list["result"]["tools"].size();
  }

 private:
  // HTTP header names are case-insensitive (ASCII).
  static bool starts_with_ignoring_case(const std::string& text, std::string_view prefix) {
    return text.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  }
  static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* self) {
    static_cast<DirectClient*>(self)->body_.append(data, size * n);
    return size * n;
  }
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self) {
    std::string line(data, size * n);
    if (line.size() > 15 && starts_with_ignoring_case(line, "mcp-session-id:")) {
      while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
      static_cast<DirectClient*>(self)->session_header_ = line;
    }
    return size * n;
  }
  void rebuild_headers() {
    curl_slist_free_all(headers_);
    headers_ = nullptr;
    for (const auto& h : base_headers_) headers_ = curl_slist_append(headers_, h.c_str());
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers_);
  }
  // A JSON body, or the first SSE event's data lines.
  Json parse_answer() const {
    const auto start = body_.find_first_not_of(" \r\n\t");
    if (start != std::string::npos && body_[start] == '{') return Json::parse(body_);
    std::string data;
    std::istringstream lines(body_);
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() && !data.empty()) break;
      if (line.rfind("data:", 0) == 0) {
        const std::size_t from = line.size() > 5 && line[5] == ' ' ? 6 : 5;
        if (!data.empty()) data += '\n';
        data += line.substr(from);
      }
    }
    if (data.empty()) fail("direct POST: no answer in the event stream");
    return Json::parse(data);
  }

  std::string url_;
  CURL* handle_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::vector<std::string> base_headers_;
  std::string body_;
  std::string session_header_;
  bool session_sent_ = false;
};

// mcpauth_bench_direct URL: a fresh process doing the host's handshake directly
// (the floor of cold start). Prints one line when tools/list is answered.
inline int direct_once(const std::string& url) {
  const char* authorization = std::getenv(kAuthEnv);
  if (!authorization) {
    std::cerr << "mcpauth_bench_direct: " << kAuthEnv << " is not set\n";
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  DirectClient client(url, authorization);
  const std::size_t tools = client.handshake();
  std::printf("tools %zu\n", tools);
  std::fflush(stdout);
  return 0;
}

}  // namespace mcpauth_bench
