#include "negotiation.hpp"

#include <algorithm>

namespace mcpauth::mcp {

bool is_legacy_fallback_status(const Error& e) {
  return e.code() == ErrorCode::http_status &&
         (e.http_status() == 400 || e.http_status() == 404 || e.http_status() == 405);
}

}  // namespace mcpauth::mcp

namespace mcpauth::mcp::detail {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

std::string supported_list() {
  return join(std::vector<std::string>(std::begin(kProtocolVersions), std::end(kProtocolVersions)));
}

bool server_changed(const Error& e) {
  if (e.code() == ErrorCode::rpc_error || e.code() == ErrorCode::protocol) return true;
  return e.code() == ErrorCode::http_status && e.http_status() >= 400 && e.http_status() < 500 &&
         e.http_status() != 401 && e.http_status() != 403;
}

std::optional<std::string> agreed_version(const Json& initialize_result) {
  try {
    return parse_initialize_result(initialize_result).protocol_version;
  } catch (const Error&) {
    return std::nullopt;
  }
}

Negotiator::Negotiator(std::string url, TransportKind asked, std::string version)
    : url_(std::move(url)), asked_(asked), version_(std::move(version)) {}

Negotiator Negotiator::connect(std::string url, TransportKind asked, std::string version,
                               const ProtocolMemory& remembered) {
  Negotiator n(std::move(url), asked, std::move(version));
  if (asked == TransportKind::sse) {
    n.open(TransportKind::sse, Phase::sse_only);
  } else if (asked == TransportKind::sse_first ||
             (asked == TransportKind::automatic && remembered.transport == "sse")) {
    n.open(TransportKind::sse, Phase::sse_first);
  } else {
    // A server remembered as speaking the handshake over Streamable HTTP gets initialize at once.
    const bool known_handshake = is_supported_version(remembered.protocol_version) &&
                                 !is_modern_version(remembered.protocol_version) && remembered.transport != "sse";
    n.open(TransportKind::streamable_http, known_handshake ? Phase::remembered : Phase::streamable);
  }
  return n;
}

Negotiator Negotiator::renew(std::string url, TransportKind transport, const ServerInfo& before) {
  Negotiator n(std::move(url), transport, before.protocol_version);
  n.renewal_ = true;
  n.open(transport, Phase::last_resort);
  return n;
}

Negotiator Negotiator::pass_through(std::string url, TransportKind asked, std::string offer,
                                    const ProtocolMemory& remembered) {
  Negotiator n(std::move(url), asked, std::move(offer));
  n.pass_through_ = true;
  n.remembered_modern_ = is_modern_version(remembered.protocol_version) && remembered.transport != "sse";
  switch (asked) {
    case TransportKind::sse: n.open(TransportKind::sse, Phase::sse_only); break;
    case TransportKind::sse_first: n.open(TransportKind::sse, Phase::sse_first); break;
    default: n.open(TransportKind::streamable_http, Phase::streamable); break;
  }
  return n;
}

void Negotiator::open(TransportKind transport, Phase phase) {
  phase_ = phase;
  step_ = Step{Step::Kind::open, transport, {}};
}

// The newest handshake-era version to offer with initialize.
std::string Negotiator::legacy_offer() const {
  return std::min(version_, std::string(kLatestLegacyVersion));
}

void Negotiator::opened() {
  if (step_.kind != Step::Kind::open) return;
  transport_ = step_.transport;
  if (pass_through_) {
    step_ = Step{Step::Kind::forward, transport_, {}};  // the client's own messages negotiate
  } else if ((phase_ == Phase::streamable || renewal_) && is_modern_version(version_)) {
    discover_attempts_ = 0;
    discover(version_);
  } else {
    // A renewal offers the version the server agreed to before.
    step_ = Step{Step::Kind::initialize, transport_, renewal_ ? version_ : legacy_offer()};
  }
}

void Negotiator::discover(const std::string& version) {
  if (discover_attempts_ >= kMaxDiscoverAttempts) {
    not_modern();
    return;
  }
  ++discover_attempts_;
  step_ = Step{Step::Kind::discover, transport_, version};
}

// Discovery did not find a modern server: the handshake, unless this was
// a modern session's renewal. Pass-through: the client's own initialize,
// unless the server refused it already.
void Negotiator::not_modern() {
  if (renewal_) {
    throw Error(ErrorCode::protocol,
                "the server at " + url_ + " forgot the session and no longer answers server/discover", url_);
  }
  if (pass_through_) {
    if (initialize_refused_) {
      throw Error(ErrorCode::protocol,
                  "the server at " + url_ +
                      " refused the initialize handshake and does not answer server/discover in a version mcpauth "
                      "speaks (" +
                      supported_list() + ")",
                  url_);
    }
    translatable_ = false;  // remembered as modern, but not any more: the client negotiates
    remembered_modern_ = false;
    step_ = Step{Step::Kind::forward, transport_, {}};
    return;
  }
  step_ = Step{Step::Kind::initialize, transport_, legacy_offer()};
}

void Negotiator::discovered(const Json& result) {
  if (step_.kind != Step::Kind::discover) return;
  // Only a DiscoverResult naming a version we share proves a modern server;
  // some handshake-era servers answer unknown methods with an empty result.
  const auto offered =
      result.is_object() ? string_list(result.value("supportedVersions", Json::array())) : std::vector<std::string>{};
  const auto chosen = choose_version(offered);
  if (!chosen || !is_modern_version(*chosen)) {
    not_modern();
    return;
  }
  if (*chosen != step_.version) {
    discover(*chosen);  // ask again in the version the server speaks
    return;
  }
  server_ = parse_discover_result(result, *chosen);
  era_ = Era::modern;
  step_ = Step{Step::Kind::initialized, transport_, *chosen};
}

void Negotiator::initialize_answered(const Json& result) {
  if (step_.kind != Step::Kind::initialize) return;
  ServerInfo info;
  try {
    info = parse_initialize_result(result);
    if (!is_supported_version(info.protocol_version) || is_modern_version(info.protocol_version)) {
      throw Error(ErrorCode::protocol,
                  "the server at " + url_ + " wants MCP protocol " + info.protocol_version +
                      ", which mcpauth does not support over the initialize handshake (supported: " + supported_list() +
                      ")",
                  url_);
    }
  } catch (const Error& e) {
    if (!failed(e)) throw;
    return;
  }
  server_ = std::move(info);
  era_ = Era::handshake;
  step_ = Step{Step::Kind::initialized, transport_, server_.protocol_version};
}

void Negotiator::announced() {
  if (step_.kind != Step::Kind::initialized) return;
  phase_ = Phase::last_resort;
  step_ = Step{};
}

void Negotiator::client_initializes(std::string_view version) {
  if (!pass_through_ || step_.kind != Step::Kind::forward) return;
  // Only Streamable HTTP carries the modern era.
  translatable_ =
      !is_modern_version(version) && is_modern_version(version_) && transport_ == TransportKind::streamable_http;
  if (translatable_ && remembered_modern_) {
    discover_attempts_ = 0;
    discover(version_);
  }
}

void Negotiator::forwarded() {
  if (step_.kind != Step::Kind::forward) return;
  phase_ = Phase::last_resort;
  step_ = Step{};
}

bool Negotiator::failed(const Error& e) {
  if (step_.kind == Step::Kind::done) return false;
  if (step_.kind == Step::Kind::discover && failed_to_discover(e)) return true;
  if (step_.kind == Step::Kind::forward && refused_handshake(e)) return true;
  return failed_at(e);
}

// Pass-through: whether the server's answer to the client's initialize
// refuses the handshake era, naming a modern version to discover in.
bool Negotiator::refused_handshake(const Error& e) {
  const auto* rpc = dynamic_cast<const RpcError*>(&e);
  if (!translatable_ || initialize_refused_ || !rpc || rpc->rpc_code() != kUnsupportedProtocolVersionError) {
    return false;
  }
  const auto offered =
      rpc->data().is_object() ? string_list(rpc->data().value("supported", Json::array())) : std::vector<std::string>{};
  const auto chosen = choose_version(offered);
  if (!chosen || !is_modern_version(*chosen)) return false;  // a handshake version: the client's business
  initialize_refused_ = true;
  discover_attempts_ = 0;
  discover(*chosen);
  return true;
}

// What a refused server/discover says about the server.
bool Negotiator::failed_to_discover(const Error& e) {
  if (const auto* rpc = dynamic_cast<const RpcError*>(&e)) {
    if (rpc->rpc_code() != kUnsupportedProtocolVersionError) {
      not_modern();  // a handshake-era server's answer to an unknown method
      return true;
    }
    const auto offered = rpc->data().is_object() ? string_list(rpc->data().value("supported", Json::array()))
                                                 : std::vector<std::string>{};
    const auto chosen = choose_version(offered);
    if (!chosen) {
      throw Error(ErrorCode::protocol,
                  "the server at " + url_ + " speaks MCP " + join(offered) + ", none of which mcpauth supports (" +
                      supported_list() + ")",
                  url_);
    }
    if (is_modern_version(*chosen)) {
      discover(*chosen);
    } else if (pass_through_) {
      not_modern();
    } else {
      step_ = Step{Step::Kind::initialize, transport_, *chosen};
    }
    return true;
  }
  // A handshake-era server refuses the unknown request with a 4xx;
  // anything else (authorization, network) is not the era's business.
  if (e.code() == ErrorCode::http_status && e.http_status() >= 400 && e.http_status() < 500) {
    not_modern();
    return true;
  }
  return false;
}

// Whether another transport (or a fresh one) is worth trying after `e`.
bool Negotiator::failed_at(const Error& e) {
  switch (phase_) {
    case Phase::sse_first:
      if (!is_legacy_fallback_status(e)) return false;
      refused_before_ = Refusal{e.what(), "Streamable HTTP"};
      open(TransportKind::streamable_http, Phase::streamable);  // most likely a Streamable HTTP server
      return true;
    case Phase::remembered:
      if (!server_changed(e)) return false;
      open(TransportKind::streamable_http, Phase::streamable);  // not what it was: the usual way, afresh
      return true;
    case Phase::streamable:
      if (asked_ == TransportKind::automatic && is_legacy_fallback_status(e) && !refused_before_) {
        refused_before_ = Refusal{e.what(), "the HTTP+SSE transport (2024-11-05)"};
        open(TransportKind::sse, Phase::last_resort);  // not a Streamable HTTP endpoint: 2024-11-05 HTTP+SSE
        return true;
      }
      // The endpoint answered otherwise: the transport is settled.
      if (step_.kind != Step::Kind::open) phase_ = Phase::last_resort;
      refused_by_both(e);
      return false;
    case Phase::sse_only: return false;
    case Phase::last_resort: refused_by_both(e); return false;
  }
  return false;
}

// The fallback was refused too: the error names both answers, since the
// first transport's is often the one that says what is wrong (a POST's 400
// with the server's reason, where the fallback's GET only says 405).
void Negotiator::refused_by_both(const Error& e) const {
  if (!refused_before_ || e.code() != ErrorCode::http_status) return;
  Error both(e.code(), refused_before_->what + "; " + refused_before_->tried_next + " was tried next: " + e.what(),
             e.url(), e.http_status(), e.detail());
  if (e.never_sent()) both.mark_never_sent();
  throw both;
}

}  // namespace mcpauth::mcp::detail
