// The HTTP request for an OAuth form POST (token, device, revocation
// endpoints): form-encoded, JSON answers, bounded, and never redirected (a
// redirect would carry the client's credentials and the grant elsewhere).
#pragma once

#include <chrono>

#include "mcpauth/core/oauth/flow.hpp"
#include "mcpauth/core/oauth/metadata.hpp"
#include "mcpauth/net/http.hpp"

namespace mcpauth::auth::detail {

inline net::HttpRequest form_post(const core::oauth::TokenRequest& form, std::chrono::milliseconds timeout) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = form.url;
  request.headers.set("Content-Type", "application/x-www-form-urlencoded");
  request.headers.set("Accept", "application/json");
  if (form.authorization) request.headers.set("Authorization", *form.authorization);
  request.body = form.body;
  request.total_timeout = timeout;
  request.max_response_bytes = core::oauth::kMaxMetadataBytes;
  request.follow_redirects = false;
  return request;
}

}  // namespace mcpauth::auth::detail
