#include "mcpauth_internal/core/flow_log.hpp"

#include "mcpauth/core/printable.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/core/redact.hpp"

namespace mcpauth::core::oauth {
namespace {

std::string seconds(std::chrono::seconds s) {
  return std::to_string(s.count()) + " s";
}

std::string describe(const Discovered& d) {
  const Discovery& found = d.discovery;
  std::string line = "discovery: ";
  if (found.prm) {
    line += "resource " + found.prm->resource + " (metadata at " + redact_url(found.prm_url) + ")";
  } else {
    line += "no protected resource metadata (a 2025-03-26 server)";
  }
  line += ", authorization server " + found.as.issuer;
  line +=
      found.as_url.empty() ? " (the 2025-03-26 default endpoints)" : " (metadata at " + redact_url(found.as_url) + ")";
  line += ", registration " + std::string(found.as.registration_endpoint ? "offered" : "not offered");
  if (found.as.client_id_metadata_document_supported) line += ", client ID metadata documents accepted";
  line += ", scope " + d.scope.value_or("(none asked)");
  line += ", resource parameter " + (found.resource ? *found.resource : std::string("not sent"));
  return line;
}

// How the client authenticates a form POST: the field or header that carries it.
std::string client_authentication(const TokenRequest& request, const FormFields& fields) {
  if (request.authorization) return "client_secret_basic";
  if (find_field(fields, "client_secret")) return "client_secret_post";
  if (find_field(fields, "client_assertion")) return "private_key_jwt";
  return "none";
}

std::string describe(const Post& post) {
  FormFields fields;
  if (post.kind != PostKind::registration) {
    try {
      fields = parse_form(post.request.body);
    } catch (const Error&) {
      // the flow made the form: never unreadable; the line names no grant then
    }
  }
  const std::string url = redact_url(post.request.url);
  std::string line;
  switch (post.kind) {
    case PostKind::registration: return "client: dynamic registration (RFC 7591) at " + url;
    case PostKind::device_authorization: line = "device: authorization request at " + url; break;
    case PostKind::identity_assertion: line = "token: identity assertion exchange (RFC 8693) at " + url; break;
    case PostKind::token: {
      const std::string* grant = find_field(fields, "grant_type");
      line = "token: " + (grant ? *grant : std::string("?")) + " grant at " + url;
      break;
    }
  }
  line += ", client authentication " + client_authentication(post.request, fields);
  if (post.dpop_nonce) line += ", again with the server's DPoP nonce";
  return line;
}

std::string describe(const Done& done) {
  const TokenSet& t = done.tokens;
  std::string line = "token: obtained from " + done.client.issuer + " for client " + done.client.client_id + " (" +
                     std::string(to_string(done.client.kind)) + "), " + t.token_type;
  if (t.expires_at && t.issued_at) {
    line += ", expires in " + seconds(std::chrono::duration_cast<std::chrono::seconds>(*t.expires_at - *t.issued_at));
  } else {
    line += ", no expiry given";
  }
  line += t.refresh_token ? ", refreshable" : ", not refreshable";
  line += ", scope " + t.scope.value_or("(none)");
  return line;
}

std::string describe(FlowState state, const FlowAction& action) {
  if (const auto* fetch = std::get_if<FetchMetadata>(&action)) {
    const bool resource = state == FlowState::fetching_resource_metadata;
    return std::string("discovery: ") + (resource ? "protected resource metadata" : "authorization server metadata") +
           " at " + redact_url(fetch->url) + (fetch->required ? " (named by the server)" : " (a well-known location)");
  }
  if (const auto* discovered = std::get_if<Discovered>(&action)) return describe(*discovered);
  if (const auto* post = std::get_if<Post>(&action)) return describe(*post);
  if (const auto* open = std::get_if<OpenConsent>(&action)) {
    return "consent: opening a redirect receiver for " + open->issuer +
           (open->preferred_redirect_uri.empty() ? std::string()
                                                 : " (the registered " + open->preferred_redirect_uri + " preferred)");
  }
  if (const auto* ask = std::get_if<AskUser>(&action)) {
    return "consent: waiting for the user at " + redact_url(ask->authorization_url);
  }
  if (const auto* show = std::get_if<ShowDeviceCode>(&action)) {
    return "device: the user enters a code at " + redact_url(show->device.verification_uri) + ", polled every " +
           seconds(show->device.interval);
  }
  if (const auto* wait = std::get_if<Wait>(&action)) return "device: next poll in " + seconds(wait->duration);
  if (const auto* notify = std::get_if<Notify>(&action)) return "notice: " + notify->line;
  if (const auto* save = std::get_if<SaveClient>(&action)) {
    return "client: keeping " + std::string(to_string(save->client.kind)) + " client " + save->client.client_id +
           " for " + save->client.issuer + " (authentication " + save->client.token_endpoint_auth_method + ")";
  }
  if (const auto* forget = std::get_if<ForgetClient>(&action)) {
    return "client: " + forget->issuer + " no longer accepts the stored registration; forgetting it";
  }
  if (const auto* done = std::get_if<Done>(&action)) return describe(*done);
  if (const auto* failed = std::get_if<Failed>(&action)) {
    if (!failed->error) return "failed";
    try {
      failed->raise();
    } catch (const std::exception& e) {
      return std::string("failed: ") + e.what();
    } catch (...) {
    }
    return "failed";
  }
  return "(unknown action)";
}

}  // namespace

std::string log_line(FlowState state, const FlowAction& action) {
  return printable(describe(state, action));
}

}  // namespace mcpauth::core::oauth
