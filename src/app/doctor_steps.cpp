#include "doctor_steps.hpp"

#include <algorithm>

#include "error_hints.hpp"
#include "exit_codes.hpp"
#include "mcpauth/core/oauth/device.hpp"
#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/mcp/protocol.hpp"
#include "probe_command.hpp"

namespace mcpauth::app::doctor {
namespace {

using core::oauth::GrantState;

// The sentence a step ends with: the message of the library (neutral words).
std::string message_of(const Error& error) {
  return error.what();
}

Step step(std::string id, Verdict verdict, std::string summary) {
  Step s;
  s.id = std::move(id);
  s.verdict = verdict;
  s.summary = std::move(summary);
  return s;
}

Step failed(std::string id, std::string summary, std::string next, int exit_code) {
  Step s = step(std::move(id), Verdict::fail, std::move(summary));
  s.next = std::move(next);
  s.exit_code = exit_code;
  return s;
}

// The command the user runs next, with the server as they named it and their account.
class Commands {
 public:
  explicit Commands(const Facts& facts) : word_(shell_word(facts.target)) {
    if (!facts.account.empty()) account_ = " --account " + shell_word(facts.account);
  }
  std::string run(const std::string& command, const std::string& extra = "") const {
    return "`mcpauth " + command + " " + word_ + account_ + extra + "`";
  }

 private:
  std::string word_;
  std::string account_;
};

std::string list_text(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string fetch_text(const MetadataFetch& fetch) {
  if (fetch.status != 0) return fetch.url + ": HTTP " + std::to_string(fetch.status);
  return fetch.url + ": " + (fetch.error.empty() ? std::string("no answer") : fetch.error);
}

// The fetches before the one that answered: where the document was not.
void add_tried(Step& s, const std::vector<MetadataFetch>& fetches) {
  for (const auto& fetch : fetches) {
    if (fetch.status != 200) s.details.push_back("not at " + fetch_text(fetch));
  }
}

std::string transport_words(const std::string& transport) {
  if (transport == "streamable-http") return "Streamable HTTP";
  if (transport == "sse") return "the legacy HTTP+SSE transport (2024-11-05)";
  return transport;
}

std::string static_token_next(const Commands& commands) {
  return "if you have a token for it, pass it with a header: " +
         commands.run("tools", " -H 'Authorization: Bearer ${TOKEN}'") + " (mcpauth expands ${TOKEN})";
}

// --- the server -----------------------------------------------------------

Step reach_step(const Facts& f) {
  if (f.probe_error &&
      (f.probe_error->code() == ErrorCode::connection || f.probe_error->code() == ErrorCode::timeout)) {
    return failed("reach", "cannot reach " + f.url + ": " + message_of(*f.probe_error),
                  "check the URL, the network, a proxy ($https_proxy) and, for a certificate error, the CA bundle "
                  "(MCPAUTH_CA_BUNDLE)",
                  kExitConnection);
  }
  if (f.probe_error && f.probe_error->code() == ErrorCode::insecure_url) {
    return failed("reach", message_of(*f.probe_error), "use https, or --allow-http for a test server", kExitUsage);
  }
  Step s = step("reach", Verdict::ok, f.url + " answered");
  if (f.url.rfind("https://", 0) == 0) s.details.push_back("TLS: the certificate was verified");
  return s;
}

Step transport_step(const Facts& f) {
  if (f.probe_error &&
      (f.probe_error->code() == ErrorCode::http_status || f.probe_error->code() == ErrorCode::protocol ||
       f.probe_error->code() == ErrorCode::response_too_large)) {
    return failed("transport", message_of(*f.probe_error),
                  "check that " + f.url +
                      " is the server's MCP endpoint (its Streamable HTTP URL, often ending in /mcp, or its legacy "
                      "SSE URL, often ending in /sse)",
                  kExitProtocol);
  }
  std::string transport = f.connect && !f.connect->error ? f.connect->transport : "";
  if (transport.empty() && f.probe && f.probe->transport) transport = *f.probe->transport;
  Step s = transport.empty() ? step("transport", Verdict::ok,
                                    "the transport is learnt once authorized (the server asks for credentials first)")
                             : step("transport", Verdict::ok, "the server speaks " + transport_words(transport));
  if (f.connect && !f.connect->error && !f.connect->protocol_version.empty()) {
    std::string version = "protocol revision " + f.connect->protocol_version;
    if (f.connect->protocol_version >= mcp::kLatestVersion) version += " (server/discover, no initialize)";
    s.details.push_back(version);
  }
  if (transport == "sse") s.details.push_back("the legacy transport is deprecated, but mcpauth speaks it");
  return s;
}

Step challenge_step(const Facts& f, const Commands& commands) {
  if (f.refusal_status == 403) {
    Step s = failed("challenge",
                    "the server refuses with HTTP 403 before any credentials" +
                        (f.probe && f.probe->reason ? ": " + *f.probe->reason : std::string()),
                    "the server refuses this client outright (an Origin or IP rule, a network policy); credentials "
                    "will not change that: check its access rules",
                    kExitAuthorization);
    return s;
  }
  if (f.refusal_status != 401) {
    if (f.static_authorization) return step("challenge", Verdict::ok, "the server accepts the headers given");
    return step("challenge", Verdict::ok, "the server answers without credentials: no authorization is needed");
  }
  const core::oauth::AuthChallenge c = f.challenge.value_or(core::oauth::AuthChallenge{});
  Step s;
  if (f.static_authorization) {
    s = failed("challenge", "the server refuses the Authorization header given (HTTP 401)",
               "check the token given with -H (expired, or for another server)", kExitAuthorization);
  } else if (c.bearer) {
    s = step("challenge", Verdict::ok, "HTTP 401 with a Bearer challenge (WWW-Authenticate)");
  } else {
    s = step("challenge", Verdict::warn,
             "HTTP 401 without a Bearer challenge: the server does not say it takes OAuth tokens");
  }
  s.details.push_back(c.resource_metadata ? "resource_metadata: " + *c.resource_metadata
                                          : std::string("no resource_metadata: the well-known URLs are tried"));
  if (c.scope) s.details.push_back("scope: " + *c.scope);
  if (c.error) s.details.push_back("error: " + *c.error);
  if (c.dpop) s.details.push_back("a DPoP challenge too: the resource takes DPoP-bound tokens");
  if (!c.bearer && !f.static_authorization) s.next = static_token_next(commands);
  return s;
}

bool prm_phase_failed(const Facts& f) {
  return f.discovery_error && f.server_metadata_fetches.empty();
}

Step resource_metadata_step(const Facts& f, const Commands& commands) {
  if (prm_phase_failed(f)) {
    Step s = failed("resource_metadata", message_of(*f.discovery_error),
                    "the server's OAuth metadata is unusable: tell its operator; " + static_token_next(commands),
                    kExitAuthorization);
    add_tried(s, f.resource_metadata_fetches);
    return s;
  }
  std::vector<std::string> tried;
  for (const auto& fetch : f.resource_metadata_fetches) tried.push_back(fetch_text(fetch));
  if (!f.discovery) {
    // Discovery failed at the authorization server: this part held (its `resource` was checked).
    const auto found = std::find_if(f.resource_metadata_fetches.begin(), f.resource_metadata_fetches.end(),
                                    [](const MetadataFetch& fetch) { return fetch.status == 200; });
    if (found == f.resource_metadata_fetches.end()) {
      Step s = step("resource_metadata", Verdict::warn,
                    "no Protected Resource Metadata (a 2025-03-26 server): its origin is taken as its authorization "
                    "server");
      s.details = tried;
      return s;
    }
    Step s = step("resource_metadata", Verdict::ok, "Protected Resource Metadata found at " + found->url);
    s.details.push_back("its resource matches " + f.url);
    add_tried(s, f.resource_metadata_fetches);
    return s;
  }
  const core::oauth::Discovery& d = *f.discovery;
  if (d.prm) {
    Step s = step("resource_metadata", Verdict::ok, "Protected Resource Metadata found at " + d.prm_url);
    s.details.push_back("resource \"" + d.prm->resource + "\" matches " + f.url);
    s.details.push_back("authorization servers: " + list_text(d.prm->authorization_servers));
    if (d.prm->scopes_supported) s.details.push_back("scopes_supported: " + list_text(*d.prm->scopes_supported));
    add_tried(s, f.resource_metadata_fetches);
    return s;
  }
  if (d.as.from_defaults) {
    Step s = failed("resource_metadata",
                    "no Protected Resource Metadata and no authorization server metadata: the server publishes no "
                    "OAuth metadata (mcpauth would only guess the 2025-03-26 endpoints /authorize, /token, /register)",
                    static_token_next(commands), kExitAuthorization);
    s.details = tried;
    for (const auto& fetch : f.server_metadata_fetches) s.details.push_back(fetch_text(fetch));
    return s;
  }
  Step s = step("resource_metadata", Verdict::warn,
                "no Protected Resource Metadata (a 2025-03-26 server): its origin is taken as its authorization "
                "server");
  s.details = tried;
  return s;
}

std::string metadata_kind(const std::string& as_url) {
  return as_url.find("/.well-known/openid-configuration") != std::string::npos ? "OpenID Connect Discovery"
                                                                               : "RFC 8414";
}

Step authorization_server_step(const Facts& f, const Commands& commands) {
  if (f.discovery_error) {
    Step s = failed(
        "authorization_server", message_of(*f.discovery_error),
        "the authorization server's metadata is unusable: tell the server's operator; " + static_token_next(commands),
        kExitAuthorization);
    add_tried(s, f.server_metadata_fetches);
    return s;
  }
  const core::oauth::Discovery& d = *f.discovery;
  const auto& as = d.as;
  Step s = step("authorization_server", Verdict::ok,
                "authorization server metadata found at " + d.as_url + " (" + metadata_kind(d.as_url) + ")");
  s.details.push_back(
      "issuer \"" + as.issuer + "\" matches " +
      (d.prm ? std::string("the protected resource's authorization server") : std::string("the server's origin")));
  add_tried(s, f.server_metadata_fetches);
  const bool device = core::oauth::supports_device_grant(as);
  s.details.push_back(std::string("device grant: ") +
                      (device ? "yes (" + commands.run("login", " --device") + " works without a browser)" : "no"));
  const bool as_dpop = as.raw.contains("dpop_signing_alg_values_supported");
  if (core::oauth::dpop_available(d, f.challenge.value_or(core::oauth::AuthChallenge{}))) {
    s.details.push_back("DPoP: yes, tokens will be bound to a key (ES256)");
  } else if (as_dpop) {
    s.details.push_back("DPoP: offered by the authorization server but not taken by the resource: Bearer tokens");
  } else {
    s.details.push_back("DPoP: not offered (Bearer tokens)");
  }
  s.details.push_back(std::string("revocation: ") +
                      (as.revocation_endpoint ? "yes (logout revokes there)" : "no (logout only deletes here)"));
  return s;
}

Step pkce_step(const Facts& f, const Commands& commands) {
  const auto& as = f.discovery->as;
  try {
    core::oauth::require_pkce_s256(as);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::pkce_unsupported) throw;
    Step s = failed("pkce", message_of(e), "ask the operator to offer PKCE S256; " + static_token_next(commands),
                    kExitAuthorization);
    s.details.push_back("code_challenge_methods_supported: " +
                        (as.code_challenge_methods_supported
                             ? "[" + list_text(*as.code_challenge_methods_supported) + "]"
                             : std::string("absent")));
    return s;
  }
  return step("pkce", Verdict::ok, "PKCE S256 is advertised (code_challenge_methods_supported)");
}

Step registration_step(const Facts& f, const Commands& commands) {
  const auto& as = f.discovery->as;
  std::vector<std::string> offers;
  if (as.registration_endpoint) offers.push_back("dynamic registration (registration_endpoint)");
  if (as.client_id_metadata_document_supported)
    offers.push_back("client ID metadata documents (client_id_metadata_document_supported)");
  const std::string offered = "the authorization server offers: " +
                              (offers.empty() ? std::string("pre-registered clients only") : list_text(offers));
  Step s;
  if (f.client) {
    s = step("registration", Verdict::ok,
             "a " + std::string(core::oauth::to_string(f.client->kind)) + " client is stored for " + as.issuer +
                 " (client id " + f.client->client_id + ")");
  } else if (f.client_id_configured) {
    s = step("registration", Verdict::ok, "a pre-registered client id is configured");
  } else if (f.client_metadata_url_configured && as.client_id_metadata_document_supported) {
    s = step("registration", Verdict::ok, "a client ID metadata document URL is configured and accepted");
  } else if (as.registration_endpoint) {
    s = step("registration", Verdict::ok, "mcpauth registers itself at the first login (dynamic registration)");
  } else if (as.client_id_metadata_document_supported) {
    s = failed(
        "registration", "the authorization server takes client ID metadata documents only, and none is configured",
        commands.run("login", " --client-metadata-url https://...") + " (or --client-id ID)", kExitAuthorization);
  } else {
    s = failed("registration",
               "no registration_endpoint, no client ID metadata documents, and no client id configured: mcpauth "
               "cannot get a client id there",
               "register a client with the authorization server, then " + commands.run("login", " --client-id ID"),
               kExitAuthorization);
  }
  s.details.push_back(offered);
  return s;
}

// --- what is stored -------------------------------------------------------

Step store_step(const Facts& f) {
  const StoreFacts& st = f.store;
  if (st.error) {
    std::string next = "restore the key that encrypted " + st.path + ", or move the store aside to start over";
    if (st.key_source == "MCPAUTH_KEY") {
      next = "set MCPAUTH_KEY to the key that encrypted " + st.path + " (or unset it to use the key file or keyring)";
    }
    return failed("store", message_of(*st.error), next, kExitStore);
  }
  if (!st.exists) {
    return step("store", Verdict::ok, "no token store yet at " + st.path + " (the first login creates it)");
  }
  return step("store", Verdict::ok, "the token store " + st.path + " opens with the key from " + st.key_source);
}

std::string expiry_words(const GrantFacts& g) {
  if (!g.expires_in_seconds) return "states no expiry";
  const long long s = *g.expires_in_seconds;
  if (s <= 0) return "expired";
  if (s < 120) return "expires in " + std::to_string(s) + " s";
  if (s < 7200) return "expires in " + std::to_string(s / 60) + " min";
  return "expires in " + std::to_string(s / 3600) + " h";
}

Step grant_step(const Facts& f, const Commands& commands) {
  const std::string whose = f.account.empty() ? "" : " (account " + f.account + ")";
  if (!f.grant) {
    Step s = step("grant", Verdict::warn, "no grant is stored for " + f.url + whose + ": not logged in yet");
    s.next = commands.run("login") + " authorizes (a browser opens)";
    return s;
  }
  const GrantFacts& g = *f.grant;
  if (g.error) {
    return failed("grant", "the stored grant cannot be read: " + *g.error,
                  commands.run("reset") + " forgets it, then " + commands.run("login"), kExitStore);
  }
  Step s;
  switch (g.state) {
    case GrantState::valid:
    case GrantState::expiring:
      s = step("grant", Verdict::ok,
               "a grant from " + g.issuer + whose + " is stored; the access token " + expiry_words(g));
      break;
    case GrantState::expired_refreshable:
      s = step("grant", Verdict::warn, "the stored access token expired" + whose + "; its refresh token will be tried");
      break;
    case GrantState::expired:
      s = failed("grant", "the stored access token expired" + whose + " and there is no refresh token",
                 commands.run("login"), kExitAuthorization);
      break;
  }
  s.details.push_back("scopes: " + (g.scope.empty() ? std::string("(none stated)") : g.scope));
  s.details.push_back(std::string("refreshable: ") + (g.refreshable ? "yes" : "no"));
  s.details.push_back("client id: " + g.client_id);
  return s;
}

Step connect_step(const Facts& f, const Commands& commands) {
  const ConnectFacts& c = *f.connect;
  if (!c.error) {
    std::string summary =
        "connected: " + std::to_string(c.tool_count) + " tool" + (c.tool_count == 1 ? "" : "s") + " listed";
    return step("connect", Verdict::ok, summary);
  }
  const Error& e = *c.error;
  if (f.static_authorization && (e.code() == ErrorCode::unauthorized || e.code() == ErrorCode::forbidden)) {
    return failed("connect", "the server refuses the Authorization header given: " + message_of(e),
                  "check the token given with -H (expired, or for another server)", kExitAuthorization);
  }
  if (e.code() == ErrorCode::authorization_required || e.code() == ErrorCode::unauthorized) {
    if (c.grant_removed) {
      return failed("connect",
                    "the authorization server refused the stored refresh token (it expired or was revoked), so the "
                    "grant was deleted",
                    commands.run("login") + " authorizes again", kExitAuthorization);
    }
    return failed("connect", "the server refused the stored credentials and needs a new authorization",
                  commands.run("login") + " authorizes again", kExitAuthorization);
  }
  std::string next = error_hint(e, {f.target, false});
  if (next.empty()) next = "see the message above";
  return failed("connect", message_of(e), next, exit_code_for(e.code()));
}

bool failed_any(const std::vector<Step>& steps) {
  return std::any_of(steps.begin(), steps.end(), [](const Step& s) { return s.verdict == Verdict::fail; });
}

// The server's part: reach, transport, the challenge, discovery, PKCE,
// registration, each only while the one before it holds.
void server_steps(const Facts& f, const Commands& commands, std::vector<Step>& out) {
  out.push_back(reach_step(f));
  if (failed_any(out)) return;
  out.push_back(transport_step(f));
  if (failed_any(out)) return;
  // The probe stopped at an authorization server it could not reach: the
  // challenge is known, and discovery says which document failed.
  const bool probed = f.probe || (f.probe_error && f.probe_error->code() == ErrorCode::auth_server_unreachable);
  if (!probed) return;
  out.push_back(challenge_step(f, commands));
  if (failed_any(out) || !f.discovery_ran || f.static_authorization) return;
  out.push_back(resource_metadata_step(f, commands));
  if (failed_any(out)) return;
  out.push_back(authorization_server_step(f, commands));
  if (failed_any(out)) return;
  out.push_back(pkce_step(f, commands));
  out.push_back(registration_step(f, commands));
}

}  // namespace

std::string_view to_string(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::ok: return "ok";
    case Verdict::warn: return "warn";
    case Verdict::fail: return "fail";
  }
  return "fail";
}

Report judge(const Facts& f) {
  const Commands commands(f);
  Report report;
  server_steps(f, commands, report.steps);
  const bool server_failed = failed_any(report.steps);
  report.steps.push_back(store_step(f));
  // "Not logged in" only means something while a login could work.
  const bool login_possible = f.oauth && !f.static_authorization && f.refusal_status == 401 && !server_failed;
  if (!f.store.error && (login_possible || f.grant)) report.steps.push_back(grant_step(f, commands));
  if (f.connect) report.steps.push_back(connect_step(f, commands));

  for (const auto& s : report.steps) {
    if (s.verdict == Verdict::fail) {
      report.next = s.next;
      report.exit_code = s.exit_code;
      break;
    }
  }
  if (report.exit_code == 0) {
    for (const auto& s : report.steps) {
      if (s.verdict == Verdict::warn && !s.next.empty()) {
        report.next = s.next;
        break;
      }
    }
  }
  if (report.next.empty()) report.next = commands.run("tools") + " lists its tools";
  return report;
}

}  // namespace mcpauth::app::doctor
