// Authorizer::Impl as the driver of core::oauth::AuthorizationFlow: it
// carries out each action the machine asks for (the I/O: HTTP, DPoP proofs,
// transient retries, the consent, sleeps, store writes, progress lines) and
// feeds the result back.
#include <thread>

#include "authorizer_impl.hpp"
#include "form_post.hpp"
#include "mcpauth/core/oauth/retry.hpp"
#include "mcpauth/version.hpp"
#include "mcpauth_internal/core/flow_log.hpp"

namespace mcpauth::auth {

using core::oauth::Clock;

core::oauth::FlowSettings Authorizer::Impl::flow_settings(bool can_ask_consent) const {
  core::oauth::FlowSettings s;
  s.discovery = discovery_policy();
  s.grant = options_.grant;
  s.client = options_.client;
  s.scope = options_.scope;
  s.assertion = options_.assertion;
  s.identity_provider = options_.identity_provider;
  s.client_name = options_.client_name;
  s.software_version = version();
  s.can_ask_consent = can_ask_consent;
  s.consent_timeout = options_.consent_timeout;
  s.extra_authorization_params = options_.extra_authorization_params;
  return s;
}

// Carries out the machine's actions until it stops at a decision of this
// driver (Discovered) or is done; throws the Error it failed with. `consent`
// lives as long as the authorization: it receives the redirect. A flow
// made with can_ask_consent never asks for one without a `handler`.
const core::oauth::FlowAction& Authorizer::Impl::drive(core::oauth::AuthorizationFlow& flow, ConsentHandler* handler,
                                                       std::unique_ptr<ConsentSession>& consent) {
  using namespace core::oauth;
  while (true) {
    const FlowAction& action = flow.next();
    if (options_.log) options_.log(log_line(flow.state(), action));
    if (std::holds_alternative<Discovered>(action) || std::holds_alternative<Done>(action)) return action;
    if (const auto* failed = std::get_if<Failed>(&action)) failed->raise();
    if (const auto* fetch = std::get_if<FetchMetadata>(&action)) {
      fetch_metadata(flow, fetch->url);
    } else if (const auto* p = std::get_if<Post>(&action)) {
      post(flow, *p);
    } else if (const auto* open = std::get_if<OpenConsent>(&action)) {
      if (!handler) throw Error(ErrorCode::authorization_required, "no consent handler for " + options_.server_url);
      open_consent(flow, *open, *handler, consent);
    } else if (const auto* ask = std::get_if<AskUser>(&action)) {
      const ConsentPrompt prompt{ask->authorization_url, ask->issuer, options_.server_url, ask->state,
                                 options_.consent_timeout};
      FormFields params;
      while_unlocked([&] { params = waits_.await(*consent, prompt); });
      flow.on_callback(params, Clock::now());
    } else if (const auto* wait = std::get_if<Wait>(&action)) {
      const auto duration = wait->duration;
      while_unlocked([&] { waits_.pause(duration); });  // RFC 8628 §3.5: the server sets the pace
      flow.on_waited(Clock::now());
    } else {
      if (const auto* show = std::get_if<ShowDeviceCode>(&action)) show_device_code(show->device);
      if (const auto* line = std::get_if<Notify>(&action)) notify(line->line);
      if (const auto* save = std::get_if<SaveClient>(&action)) options_.store->save_client(save->client);
      if (const auto* forget = std::get_if<ForgetClient>(&action)) options_.store->remove_client(forget->issuer);
      flow.acknowledge();
    }
  }
}

void Authorizer::Impl::fetch_metadata(core::oauth::AuthorizationFlow& flow, const std::string& url) {
  net::HttpResponse response;
  try {
    response = options_.http->send(metadata_request(url, options_.http_timeout));
  } catch (const Error& e) {
    return flow.on_transport_failure(e);
  }
  flow.on_answer(http_answer(response), Clock::now());
}

void Authorizer::Impl::post(core::oauth::AuthorizationFlow& flow, const core::oauth::Post& action) {
  net::HttpResponse response;
  try {
    if (action.kind == core::oauth::PostKind::registration) {
      net::HttpRequest request;
      request.method = "POST";
      request.url = action.request.url;
      request.headers.set("Content-Type", "application/json");
      request.headers.set("Accept", "application/json");
      request.body = action.request.body;
      request.total_timeout = options_.http_timeout;
      request.max_response_bytes = core::oauth::kMaxMetadataBytes;
      response = options_.http->send(request);
    } else {
      if (action.dpop_nonce) as_nonce_ = action.dpop_nonce;
      net::HttpRequest request = detail::form_post(action.request, options_.http_timeout);
      if (dpop_) request.headers.set("DPoP", dpop_->proof("POST", request.url, std::nullopt, as_nonce_));
      response = send_token_request(request);
    }
  } catch (const Error& e) {
    return flow.on_transport_failure(e);
  }
  flow.on_answer(http_answer(response), Clock::now());
}

void Authorizer::Impl::open_consent(core::oauth::AuthorizationFlow& flow, const core::oauth::OpenConsent& open,
                                    ConsentHandler& handler, std::unique_ptr<ConsentSession>& consent) {
  try {
    consent = open.preferred_redirect_uri.empty() ? handler.begin(open.issuer)
                                                  : handler.begin_preferring(open.issuer, open.preferred_redirect_uri);
  } catch (const Error& e) {
    return flow.on_consent_failed(e);
  }
  flow.on_consent_opened(consent->redirect_uri());
}

void Authorizer::Impl::show_device_code(const core::oauth::DeviceAuthorization& device) const {
  if (options_.device_prompt) return options_.device_prompt(device);
  notify("To authorize mcpauth for " + options_.server_url + ", open " +
         device.verification_uri_complete.value_or(device.verification_uri) + " and enter the code " +
         device.user_code + ".");
}

// Sends a token endpoint request, and sends it again (a bounded number of
// times, honouring Retry-After within a bound) when the authorization server
// answered 5xx or 429 or was not reached at all: the code or refresh token was
// not consumed, and giving up would cost the user a new consent. Any other
// answer is returned as is. Throws Error(auth_server_unreachable).
net::HttpResponse Authorizer::Impl::send_token_request(net::HttpRequest& request) {
  for (int attempts = 1;; ++attempts) {
    std::optional<std::chrono::milliseconds> delay;
    std::string trouble;
    try {
      net::HttpResponse response = options_.http->send(request);
      if (!core::oauth::is_transient_status(response.status)) return response;
      const auto retry_after = response.headers.get("Retry-After");
      delay = core::oauth::retry_delay(attempts,
                                       retry_after ? std::optional<std::string_view>(*retry_after) : std::nullopt);
      if (!delay) return response;  // the caller reports the status and the server's words
      trouble = "answered HTTP " + std::to_string(response.status);
    } catch (const Error& e) {
      // Only a request that never left is safe to repeat after a transport failure.
      if (e.never_sent()) delay = core::oauth::retry_delay(attempts, std::nullopt);
      if (!delay) {
        throw Error(ErrorCode::auth_server_unreachable, std::string("cannot reach ") + request.url + ": " + e.what(),
                    request.url);
      }
      trouble = std::string("could not be reached (") + e.what() + ")";
    }
    notify("The token endpoint " + request.url + " " + trouble + "; trying again in " +
           std::to_string((delay->count() + 999) / 1000) + " s.");
    std::this_thread::sleep_for(*delay);  // the server's (bounded) Retry-After, or a short backoff
    // A DPoP proof is single-use (its jti): a repeated request gets a new one.
    if (dpop_) request.headers.set("DPoP", dpop_->proof("POST", request.url, std::nullopt, as_nonce_));
  }
}

}  // namespace mcpauth::auth
