// `mcpauth doctor`: the verdicts. What doctor_command.cpp gathered about one
// server (the probe, the discovery, the store, a connection with the stored
// grant) becomes a list of steps, each ok / warn / fail with one sentence,
// the next command for the user and the exit code. Pure: no I/O and no
// clock (the gatherer computed the grant's state), so unit tests feed it
// vectors. Nothing here ever sees a token, a code or a secret.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/auth/probe.hpp"
#include "mcpauth/core/oauth/discovery.hpp"
#include "mcpauth/core/oauth/flow.hpp"
#include "mcpauth/core/oauth/grant_state.hpp"
#include "mcpauth/core/oauth/www_authenticate.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::app::doctor {

enum class Verdict { ok, warn, fail };
// "ok" | "warn" | "fail".
std::string_view to_string(Verdict verdict) noexcept;

struct Step {
  // Stable names: reach, transport, challenge, resource_metadata,
  // authorization_server, pkce, registration, store, grant, connect.
  std::string id;
  Verdict verdict = Verdict::ok;
  std::string summary;               // one sentence
  std::vector<std::string> details;  // further facts, one line each
  std::string next;                  // what to do about it ("" when nothing)
  int exit_code = 0;                 // a fail's exit code (exit_codes.hpp)
};

struct Report {
  std::vector<Step> steps;
  std::string next;   // the first failed step's next, else the first warning's, else how to use the server
  int exit_code = 0;  // 0 unless a step failed: then the first failure's
};

// One metadata GET of discovery, as it went.
struct MetadataFetch {
  std::string url;
  int status = 0;     // 0: no answer
  std::string error;  // the transport's failure, when no answer came
};

struct StoreFacts {
  std::string path;
  std::string key_source;  // where the key comes from: "MCPAUTH_KEY", a key file, the keyring
  bool exists = false;     // false: nothing was ever stored (the store is not created by doctor)
  std::optional<Error> error;
};

// The stored client registration at the issuer: its kind and id (an id is no secret; the secret is never read).
struct ClientFacts {
  std::string client_id;
  core::oauth::ClientKind kind = core::oauth::ClientKind::dynamic;
};

// This server's stored grant for the account, as it was before doctor connected.
struct GrantFacts {
  std::string issuer;
  core::oauth::GrantState state = core::oauth::GrantState::valid;
  std::optional<long long> expires_in_seconds;  // none: the token states no expiry
  bool refreshable = false;
  std::string scope;
  std::string client_id;
  std::optional<std::string> error;  // the row cannot be decrypted
};

struct ConnectFacts {
  std::optional<Error> error;
  std::string protocol_version;
  std::string transport;  // "streamable-http" | "sse"
  std::size_t tool_count = 0;
  bool grant_removed = false;  // the grant was stored before connecting and is gone after: a refused refresh
};

struct Facts {
  std::string target;  // as the user named the server: the next command repeats it
  std::string url;
  std::string account;
  bool oauth = true;                  // false: OAuth is off (--no-auth, the config, an Authorization header)
  bool static_authorization = false;  // an Authorization header was given
  bool client_id_configured = false;
  bool client_metadata_url_configured = false;

  // The probe (auth::probe): the first contact without OAuth credentials.
  std::optional<Error> probe_error;
  std::optional<auth::ProbeResult> probe;
  int refusal_status = 0;  // 401 or 403 when the server refused the probe
  std::optional<core::oauth::AuthChallenge> challenge;

  // Discovery (auth::discover), when the server answered 401.
  bool discovery_ran = false;
  std::vector<MetadataFetch> resource_metadata_fetches;
  std::vector<MetadataFetch> server_metadata_fetches;
  std::optional<core::oauth::Discovery> discovery;
  std::optional<Error> discovery_error;

  StoreFacts store;
  std::optional<ClientFacts> client;
  std::optional<GrantFacts> grant;
  std::optional<ConnectFacts> connect;  // none: not attempted (nothing to connect with)
};

// The steps for `facts`, in the order the chain is walked.
Report judge(const Facts& facts);

}  // namespace mcpauth::app::doctor
