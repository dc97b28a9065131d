// One MCP authorization as a sans-I/O state machine, in the style of h11's
// next_event(): the driver (auth::Authorizer) asks next() for an action,
// carries it out (a GET, a POST, a consent, a wait, a store write) and feeds
// the result back; the machine decides everything else. It runs discovery
// (DiscoveryFlow), stops once at `Discovered` so the driver can keep the
// documents and coordinate with other processes, then obtains a client
// (choose_client: stored, configured, metadata document, or a new
// registration) and runs the grant: authorization code with PKCE S256,
// state and RFC 9207 iss checks; client credentials; the device grant
// polled at the server's pace; jwt-bearer, with or without an identity
// assertion exchanged first. It retries a token request once with the
// authorization server's DPoP nonce, and registers again once when a
// dynamic registration is no longer accepted. A refresh is the same
// machine started at the token request.
//
// Time (`now`) and randomness (state, PKCE verifier, jti) come from outside:
// the machine never reads a clock, sleeps or draws a random number.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mcpauth/core/oauth/client_choice.hpp"
#include "mcpauth/core/oauth/device.hpp"
#include "mcpauth/core/oauth/discovery.hpp"
#include "mcpauth/core/oauth/flow.hpp"

namespace mcpauth::core::oauth {

// How tokens are obtained.
enum class Grant {
  authorization_code,  // a user consents in a browser (the default)
  client_credentials,  // a machine client with its own credentials
  jwt_bearer,          // RFC 7523: a given assertion (e.g. a workload identity token)
  identity_assertion,  // SEP-990: RFC 8693 exchange of an ID token at an IdP, then jwt_bearer
  device_code,         // RFC 8628: the user approves on another device with a short code (headless)
};

// The identity provider of an enterprise-managed authorization (SEP-990).
struct IdentityProviderConfig {
  std::string token_endpoint;
  std::string client_id;
  std::optional<std::string> client_secret;
  std::string id_token;  // the user's ID token issued by that IdP
};

// The machine's source of unguessable values (the driver's CSPRNG; a test's script).
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual std::string token() = 0;                   // OAuth state, jti
  virtual std::array<std::uint8_t, 32> bytes() = 0;  // the PKCE verifier
};

// What the user configured for an authorization.
struct FlowSettings {
  DiscoveryPolicy discovery;  // its server_url is the MCP server's
  Grant grant = Grant::authorization_code;
  ClientSettings client;
  std::optional<std::string> scope;  // replaces the specification's scope selection
  std::optional<std::string> assertion;
  std::optional<IdentityProviderConfig> identity_provider;
  std::string client_name = "mcpauth";
  std::string software_version;
  bool can_ask_consent = true;  // false: no consent handler, an authorization code grant is an error
  std::chrono::milliseconds consent_timeout{300'000};  // also bounds device polling
  // Added to the authorization request (audience, login_hint, prompt, ...);
  // checked by check_extra_authorization_params(). A `prompt` here replaces
  // the flow's own prompt=consent.
  FormFields extra_authorization_params{};
};

// --- actions (what next() asks the driver to do) ---

// Discovery is complete and checked: keep it, decide about DPoP and other
// processes, then answer with on_discovered() (or abandon the machine).
struct Discovered {
  Discovery discovery;
  std::optional<std::string> scope;  // the scope this authorization asks for
};

enum class PostKind {
  registration,          // JSON (RFC 7591) to the registration endpoint: no DPoP proof, never repeated
  token,                 // a form to the token endpoint
  device_authorization,  // a form to the device authorization endpoint
  identity_assertion,    // a form to the identity provider's token endpoint
};
std::string_view to_string(PostKind kind) noexcept;

// A POST. Forms carry a DPoP proof when the driver holds a key, made with
// `dpop_nonce` when the authorization server asked for one.
struct Post {
  PostKind kind = PostKind::token;
  TokenRequest request;  // registration: body is JSON, no authorization
  std::optional<std::string> dpop_nonce;
};

// Start a consent for `issuer`; answer with the redirect URI it bound
// (on_consent_opened) or its failure (on_consent_failed).
struct OpenConsent {
  std::string issuer;
  std::string preferred_redirect_uri;  // the stored registration's, so one registration serves every login
};

// Show the user the authorization URL and wait for the callback (on_callback).
struct AskUser {
  std::string authorization_url;
  std::string issuer;
  std::string state;
};

// Show the user the device code (acknowledge()).
struct ShowDeviceCode {
  DeviceAuthorization device;
};

// Wait this long, then on_waited(now): RFC 8628 §3.5, the server sets the pace.
struct Wait {
  std::chrono::seconds duration{0};
};

// A progress line for the user (acknowledge()).
struct Notify {
  std::string line;
};

// Keep this client for its issuer (acknowledge()).
struct SaveClient {
  ClientRegistration client;
};

// The issuer no longer accepts the stored registration: drop it (acknowledge()).
struct ForgetClient {
  std::string issuer;
};

struct Done {
  TokenSet tokens;
  ClientRegistration client;
  Discovery discovery;
  std::optional<std::string> scope;  // asked for
};

struct Failed {
  std::exception_ptr error;  // an mcpauth::Error (an OAuthError for an OAuth error answer)
  [[noreturn]] void raise() const { std::rethrow_exception(error); }
};

using FlowAction = std::variant<FetchMetadata, Discovered, Post, OpenConsent, AskUser, ShowDeviceCode, Wait, Notify,
                                SaveClient, ForgetClient, Done, Failed>;

enum class FlowState {
  fetching_resource_metadata,
  fetching_server_metadata,
  discovered,
  registering_client,
  opening_consent,
  awaiting_callback,
  exchanging_identity_assertion,
  requesting_device_code,
  waiting_to_poll,
  polling_device,
  exchanging_token,
  done,
  failed,
};
std::string_view to_string(FlowState state) noexcept;

class AuthorizationFlow {
 public:
  // A new authorization after a 401/403 with `challenge`. `scope_hint`: the
  // scope a step-up needs (else the settings' or the specification's choice).
  AuthorizationFlow(FlowSettings settings, const AuthChallenge& challenge, std::optional<std::string> scope_hint,
                    Clock::time_point now, RandomSource& random);

  // A refresh of `refresh_token` (RFC 6749 §6), from a known discovery and client.
  static AuthorizationFlow refresh(FlowSettings settings, Discovery discovery, ClientRegistration client,
                                   std::string refresh_token, std::optional<std::string> scope, bool dpop,
                                   Clock::time_point now, RandomSource& random);

  FlowState state() const noexcept { return state_; }
  // What to do now; the same action until it is answered.
  const FlowAction& next() const;

  // Answers, each to the action named.
  void on_answer(const HttpAnswer& answer, Clock::time_point now);  // FetchMetadata, Post
  void on_transport_failure(const Error& error);                    // FetchMetadata, Post
  // Discovered: the store's client for the issuer (if any), and whether tokens are to be DPoP-bound.
  void on_discovered(std::optional<ClientRegistration> stored_client, bool dpop);
  void on_consent_opened(const std::string& redirect_uri);            // OpenConsent
  void on_consent_failed(const Error& error);                         // OpenConsent
  void on_callback(const FormFields& params, Clock::time_point now);  // AskUser
  void on_waited(Clock::time_point now);                              // Wait
  void acknowledge();  // ShowDeviceCode, Notify, SaveClient, ForgetClient

 private:
  AuthorizationFlow(FlowSettings settings, Clock::time_point now, RandomSource& random);

  template <class A>
  void expect(const char* feed) const;
  template <class F>
  void guarded(F&& step);
  void fail(std::exception_ptr error);
  void set(FlowState state, FlowAction action);
  void effect(FlowAction action);
  void follow_discovery();
  void begin_grant();
  void obtain_client(const std::string& redirect_uri);
  void with_client();
  void post(FlowState state, PostKind kind, TokenRequest request);
  void on_token_answer(const HttpAnswer& answer);
  void on_registration_answer(const HttpAnswer& answer);
  void schedule_poll();
  bool register_again(const OAuthError& error);

  FlowSettings settings_;
  RandomSource* random_;
  Clock::time_point now_;
  FlowState state_ = FlowState::fetching_resource_metadata;
  FlowAction action_;
  std::deque<FlowAction> effects_;  // answered before action_

  std::optional<DiscoveryFlow> discovery_flow_;
  AuthChallenge challenge_;
  std::optional<std::string> scope_hint_;
  Discovery discovery_;
  std::optional<std::string> scope_;
  std::optional<ClientRegistration> stored_;
  std::optional<ClientRegistration> client_;
  bool dpop_ = false;
  std::optional<std::string> dpop_nonce_;
  bool nonce_retried_ = false;  // for the current POST
  bool registered_again_ = false;
  RegistrationRequest registration_;
  std::string redirect_uri_;
  FlowRecord flow_;
  std::string assertion_;
  std::optional<std::string> previous_refresh_;
  bool refreshing_ = false;
  DeviceAuthorization device_;
  std::string device_endpoint_;
  Clock::time_point device_deadline_{};
  std::chrono::seconds interval_{5};
};

}  // namespace mcpauth::core::oauth
