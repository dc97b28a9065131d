#include "probe_command.hpp"

#include <cmath>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "debug_log.hpp"
#include "exit_codes.hpp"
#include "mcpauth/core/printable.hpp"
#include "mcpauth/error.hpp"

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

int run_probe(const std::string& url, bool json, double timeout_seconds) {
  if (!std::isfinite(timeout_seconds) || timeout_seconds <= 0 || timeout_seconds > 86'400) {
    throw Error(ErrorCode::usage, "--timeout must be a number of seconds between 0 and 86400");
  }
  auth::ProbeOptions options;
  options.server_url = url;
  options.http = logged_curl_client(process_environment());
  options.timeout = std::chrono::milliseconds(static_cast<long long>(std::ceil(timeout_seconds * 1000.0)));
  const auto result = auth::probe(options);
  print_probe(std::cout, url, result, json);
  return kExitOk;
}

}  // namespace mcpauth::app
