#include "probe_command.hpp"

#include <cmath>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli_options.hpp"
#include "debug_log.hpp"
#include "exit_codes.hpp"
#include "mcpauth/core/printable.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth/net/curl_http_client.hpp"
#include "plain_http.hpp"
#include "server_headers.hpp"

namespace mcpauth::app {
namespace {

using Json = nlohmann::json;
using auth::ProbeResult;

Json optional_json(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json(nullptr);
}

std::string transport_name(const std::optional<std::string>& transport) {
  if (!transport) return "";
  if (*transport == "streamable-http") return "Streamable HTTP";
  if (*transport == "sse") return "legacy HTTP+SSE";
  return *transport;
}

std::string registration_text(ProbeResult::Registration registration) {
  switch (registration) {
    case ProbeResult::Registration::dynamic: return "dynamic (mcpauth registers itself)";
    case ProbeResult::Registration::metadata_document: return "client ID metadata document (no registration)";
    case ProbeResult::Registration::client_id_required: return "a pre-registered client id is needed";
  }
  return "";
}

void print_json(std::ostream& out, const std::string& url, const ProbeResult& r) {
  const bool oauth = r.needs == ProbeResult::Needs::oauth;
  Json doc = {{"server", url},
              {"needs", std::string(auth::to_string(r.needs))},
              {"transport", optional_json(r.transport)},
              {"status", r.status},
              {"issuer", optional_json(r.issuer)},
              {"resource", optional_json(r.resource)},
              {"scope", optional_json(r.scope)},
              {"registration", r.registration ? Json(std::string(auth::to_string(*r.registration))) : Json(nullptr)},
              {"device_grant", oauth ? Json(r.device_grant) : Json(nullptr)},
              {"pkce_s256", oauth ? Json(r.pkce_s256) : Json(nullptr)},
              {"reason", optional_json(r.reason)},
              {"metadata_error", r.metadata_error ? Json(std::string(to_string(*r.metadata_error))) : Json(nullptr)}};
  out << doc.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

void print_text(std::ostream& out, const std::string& url, const ProbeResult& r) {
  const std::string word = shell_word(url);
  const std::string via = r.transport ? " (" + transport_name(r.transport) + ")" : "";
  switch (r.needs) {
    case ProbeResult::Needs::nothing:
      out << url << " needs no authorization" << via << ".\n"
          << "Next: `mcpauth tools " << word << "` lists its tools.\n";
      return;
    case ProbeResult::Needs::forbidden:
      out << url << " is forbidden (HTTP " << r.status << ") before any credentials" << via << ".\n";
      if (r.reason) out << "  reason: " << core::printable(*r.reason) << '\n';
      out << "Next: the server refuses this client outright (an Origin or IP rule, a network policy); "
             "credentials will not change that: check its access rules.\n";
      return;
    case ProbeResult::Needs::static_token:
      out << url << " answers HTTP " << r.status << " without usable OAuth metadata" << via << ".\n";
      if (r.reason) out << "  reason: " << core::printable(*r.reason) << '\n';
      if (r.metadata_error) {
        out << "Next: mcpauth will not log in there (its metadata failed a check); if you have a token for it, pass "
               "it with --header \"Authorization: Bearer ...\".\n";
      } else {
        out << "Next: it takes a static token: pass it with --header \"Authorization: Bearer ...\", e.g. `mcpauth "
               "tools "
            << word << " --header 'Authorization: Bearer ${TOKEN}'` (mcpauth expands ${TOKEN} from the environment).\n";
      }
      return;
    case ProbeResult::Needs::oauth: break;
  }
  out << url << " uses OAuth" << via << ".\n"
      << "  issuer:        " << core::printable(r.issuer.value_or("")) << '\n'
      << "  resource:      " << core::printable(r.resource.value_or("(none sent)")) << '\n'
      << "  scope:         " << core::printable(r.scope.value_or("(none named)")) << '\n'
      << "  registration:  " << (r.registration ? registration_text(*r.registration) : std::string()) << '\n'
      << "  device grant:  "
      << (r.device_grant ? "yes (without a browser: `mcpauth login " + word + " --device`)" : std::string("no")) << '\n'
      << "  PKCE S256:     " << (r.pkce_s256 ? "yes" : "no: mcpauth will refuse to authorize there") << '\n';
  if (!r.pkce_s256) {
    out << "Next: mcpauth will not log in there (MCP requires PKCE S256); if you have a token, pass it with --header "
           "\"Authorization: Bearer ...\".\n";
    return;
  }
  switch (r.registration.value_or(ProbeResult::Registration::client_id_required)) {
    case ProbeResult::Registration::dynamic:
      out << "Next: mcpauth can register itself: run `mcpauth login " << word << "`.\n";
      return;
    case ProbeResult::Registration::metadata_document:
      out << "Next: it takes a client ID metadata document: `mcpauth login " << word
          << " --client-metadata-url https://...` (or `--client-id ID` for a pre-registered client).\n";
      return;
    case ProbeResult::Registration::client_id_required:
      out << "Next: it needs a pre-registered client: `mcpauth login " << word << " --client-id ID`.\n";
      return;
  }
}

// --transport for the probe, around auth::probe's two requests to the server
// URL (the Streamable HTTP initialize POST, then, when the POST is answered
// 400/404/405, the legacy transport's GET). http: the GET is not sent, and
// the POST's answer is the error. sse: the POST is not sent; the probe is
// told 405 (as an SSE-only server answers), so it goes on with the GET.
// sse-first probes as auto: it tries the same two requests, in the other order.
constexpr int kNotSent = 405;

class TransportGate final : public net::HttpClient {
 public:
  TransportGate(std::shared_ptr<net::HttpClient> inner, std::string server_url, mcp::TransportKind transport)
      : inner_(std::move(inner)), server_url_(std::move(server_url)), transport_(transport) {}

  net::HttpResponse send(const net::HttpRequest& request, net::CancelToken* cancel) override {
    return inner_->send(request, cancel);
  }

  void stream(const net::HttpRequest& request, net::HttpStreamHandler& handler, net::CancelToken* cancel) override {
    if (request.url == server_url_ && request.method == "POST" && transport_ == mcp::TransportKind::sse) {
      handler.on_response_start(kNotSent, {});
      return;
    }
    if (request.url == server_url_ && request.method == "GET" && transport_ == mcp::TransportKind::streamable_http) {
      throw Error(ErrorCode::http_status,
                  "POST " + server_url_ + " answered HTTP " + std::to_string(post_status_) +
                      ": it is not a Streamable HTTP endpoint (--transport http does not try the legacy SSE "
                      "transport; --transport auto does)",
                  server_url_, post_status_);
    }
    if (request.url != server_url_ || request.method != "POST") return inner_->stream(request, handler, cancel);
    StatusObserver observer(handler);
    inner_->stream(request, observer, cancel);
    post_status_ = observer.status;
  }

 private:
  struct StatusObserver final : net::HttpStreamHandler {
    explicit StatusObserver(net::HttpStreamHandler& wrapped) : inner(wrapped) {}
    bool on_response_start(int s, const net::HttpHeaders& h) override {
      status = s;
      return inner.on_response_start(s, h);
    }
    bool on_body(std::string_view chunk) override { return inner.on_body(chunk); }
    net::HttpStreamHandler& inner;
    int status = 0;
  };

  std::shared_ptr<net::HttpClient> inner_;
  std::string server_url_;
  mcp::TransportKind transport_;
  int post_status_ = 0;
};

}  // namespace

std::string shell_word(const std::string& text) {
  const bool plain = !text.empty() && text.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789:/._~%+=,@-") == std::string::npos;
  if (plain) return text;
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void print_probe(std::ostream& out, const std::string& url, const ProbeResult& result, bool json) {
  if (json) {
    print_json(out, url, result);
  } else {
    print_text(out, url, result);
  }
}

int run_probe(const ProbeArgs& args) {
  if (!std::isfinite(args.timeout_seconds) || args.timeout_seconds <= 0 || args.timeout_seconds > 86'400) {
    throw Error(ErrorCode::usage, "--timeout must be a number of seconds between 0 and 86400");
  }
  require_https_off_loopback(core::parse_url(args.url), args.allow_http);
  const mcp::TransportKind transport = mcp::parse_transport_kind(args.transport);
  auth::ProbeOptions options;
  options.server_url = args.url;
  std::shared_ptr<net::HttpClient> http = with_server_headers(logged_curl_client(process_environment()), args.url,
                                                              parse_headers(args.headers, process_environment()));
  if (transport == mcp::TransportKind::streamable_http || transport == mcp::TransportKind::sse) {
    http = std::make_shared<TransportGate>(std::move(http), args.url, transport);
  }
  options.http = std::move(http);
  options.timeout = std::chrono::milliseconds(static_cast<long long>(std::ceil(args.timeout_seconds * 1000.0)));
  ProbeResult result;
  try {
    result = auth::probe(options);
  } catch (const Error& e) {
    if (transport != mcp::TransportKind::sse || e.code() != ErrorCode::http_status) throw;
    // The POST the probe reports was never sent (TransportGate): say so instead.
    std::string message = e.what();
    const std::string post = " (and the POST answered HTTP " + std::to_string(kNotSent) + ")";
    if (const auto at = message.find(post); at != std::string::npos) {
      message.replace(at, post.size(), " (--transport sse: no Streamable HTTP POST was sent)");
    }
    throw Error(e.code(), message, e.url(), e.http_status(), e.detail());
  }
  print_probe(std::cout, args.url, result, args.json);
  return kExitOk;
}

}  // namespace mcpauth::app
