// Parses the input as Protected Resource Metadata and as Authorization
// Server Metadata (with and without an expected issuer). Only mcpauth::Error
// may be thrown, with the codes the header documents; what is accepted must
// satisfy the validation (resource and authorization_servers present, issuer
// exactly as expected, endpoints https or loopback http, `code` supported).
// Short inputs are also used as URLs for the well-known URL builders,
// resource_matches and require_secure_url.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/error.hpp"

namespace oauth = mcpauth::core::oauth;
using mcpauth::ErrorCode;

namespace {

constexpr const char* kFetchedFrom = "https://auth.example.com/.well-known/oauth-authorization-server";
constexpr const char* kIssuer = "https://auth.example.com";

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_oauth_metadata: %s\n", what);
  std::abort();
}

template <class F>
void only_mcpauth_errors(F&& f, std::initializer_list<ErrorCode> allowed) {
  try {
    f();
  } catch (const mcpauth::Error& e) {
    for (ErrorCode code : allowed) {
      if (e.code() == code) return;
    }
    std::fprintf(stderr, "unexpected error code %d: %s\n", static_cast<int>(e.code()), e.what());
    fail("an error code the function does not document");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "non-mcpauth exception: %s\n", e.what());
    fail("a non-mcpauth exception escaped");
  } catch (...) {
    fail("a non-exception was thrown");
  }
}

void check_secure(const std::string& url) {
  try {
    oauth::require_secure_url(url, "endpoint");
  } catch (...) {
    fail("accepted metadata with an insecure endpoint");
  }
}

void check_as(const oauth::AuthorizationServerMetadata& m, const std::optional<std::string>& expected) {
  if (m.issuer.empty()) fail("accepted metadata without issuer");
  if (expected && m.issuer != *expected) fail("accepted metadata with another issuer");
  if (m.authorization_endpoint.empty() || m.token_endpoint.empty()) fail("accepted metadata without endpoints");
  check_secure(m.authorization_endpoint);
  check_secure(m.token_endpoint);
  for (const auto* endpoint : {&m.registration_endpoint, &m.revocation_endpoint, &m.device_authorization_endpoint}) {
    if (*endpoint) check_secure(**endpoint);
  }
  bool code = false;
  for (const auto& type : m.response_types_supported) code = code || type == "code";
  if (!code) fail("accepted metadata without the code response type");
  if (m.from_defaults) fail("parsed metadata marked as defaults");
  only_mcpauth_errors([&] { oauth::require_pkce_s256(m); }, {ErrorCode::pkce_unsupported});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  only_mcpauth_errors(
      [&] {
        const auto prm = oauth::parse_protected_resource_metadata(body, kFetchedFrom);
        if (prm.resource.empty()) fail("accepted PRM without resource");
        if (prm.authorization_servers.empty()) fail("accepted PRM without authorization_servers");
        (void)oauth::resource_matches(prm.resource, "https://mcp.example.com/mcp");
        for (const auto& as : prm.authorization_servers) (void)oauth::resource_matches(as, prm.resource);
      },
      {ErrorCode::invalid_metadata});

  for (const std::optional<std::string>& expected :
       {std::optional<std::string>(), std::optional<std::string>(kIssuer)}) {
    only_mcpauth_errors(
        [&] { check_as(oauth::parse_authorization_server_metadata(body, kFetchedFrom, expected), expected); },
        {ErrorCode::invalid_metadata, ErrorCode::issuer_mismatch, ErrorCode::insecure_url});
  }

  if (size <= 4096) {
    const std::string url(body);
    only_mcpauth_errors([&] { (void)oauth::protected_resource_metadata_urls(url); }, {ErrorCode::usage});
    only_mcpauth_errors([&] { (void)oauth::authorization_server_metadata_urls(url); }, {ErrorCode::usage});
    only_mcpauth_errors([&] { oauth::require_secure_url(url, "url"); }, {ErrorCode::insecure_url});
    only_mcpauth_errors(
        [&] {
          const auto m = oauth::default_authorization_server_metadata(url);
          oauth::require_pkce_s256(m);
        },
        {ErrorCode::usage, ErrorCode::insecure_url});
    only_mcpauth_errors(
        [&] {
          (void)oauth::resource_matches(url, "https://mcp.example.com/mcp");
          (void)oauth::resource_matches("https://mcp.example.com", url);
          if (oauth::resource_matches(url, url) != oauth::resource_matches(url, url)) fail("not deterministic");
        },
        {});
  }
  return 0;
}
