// `mcpauth probe URL [--json]`: what a server needs before anything is
// stored (no registration, no token store, no browser). See auth/probe.hpp.
// --header, --allow-http and --transport mean what they mean for the other
// commands.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "mcpauth/auth/probe.hpp"

namespace mcpauth::app {

struct ProbeArgs {
  std::string url;
  bool json = false;
  double timeout_seconds = 30;
  std::string transport = "auto";    // as --transport: http (no legacy GET), sse (no Streamable HTTP POST), ...
  std::vector<std::string> headers;  // "Name: value" (${VAR} expands), sent to the server URL only
  bool allow_http = false;           // plain http:// off loopback
};

// Probes `args.url` and prints the answer: a short summary ending with the next
// step for the user, or with `json` one object with the stable keys server,
// needs ("none" | "static_token" | "oauth" | "forbidden"), transport, status,
// issuer, resource, scope, registration ("dynamic" | "metadata_document" |
// "client_id_required"), device_grant, pkce_s256, reason and metadata_error
// (the failed check's error code name; null where not applicable). Returns 0 once the probe has an answer; errors are
// thrown as mcpauth::Error. `timeout_seconds` bounds each request.
int run_probe(const ProbeArgs& args);

// `text` as one shell word (quoted when needed), so a suggested command can be pasted.
std::string shell_word(const std::string& text);

// The output of run_probe for a result (exposed for tests).
void print_probe(std::ostream& out, const std::string& url, const auth::ProbeResult& result, bool json);

}  // namespace mcpauth::app
