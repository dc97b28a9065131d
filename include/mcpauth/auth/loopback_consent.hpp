// Consent in the system browser with a loopback redirect (RFC 8252 §7.3):
// a listener on 127.0.0.1 (and ::1 when available), on an ephemeral or a
// configured port, open only while one consent is in progress, at one fixed
// callback path (default "/callback"), so that a Client ID Metadata Document
// published once can list the redirect URI (loopback, any port: RFC 8252
// §7.3). Each flow is told apart by its state (and the iss parameter where the
// server sends one). The browser that brings the code back waits for the
// token exchange (60 s at most), then gets a static page saying how it
// ended, or, once authorized, the success URL when one is set.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "mcpauth/auth/consent.hpp"

namespace mcpauth::auth {

inline constexpr std::string_view kDefaultCallbackPath = "/callback";

struct LoopbackConsentOptions {
  int port = 0;  // 0: any free port (the port of a stored registration's redirect URI when it is free)
  std::string callback_path = std::string(kDefaultCallbackPath);  // starts with '/'
  bool open_browser = true;                                       // false: only print the URL (the user opens it)
  // Where progress for the user goes (the URL is always shown there).
  // Required: the library writes to no stream itself (the CLI passes stderr).
  std::function<void(const std::string&)> notify;
  // When >= 0 (a terminal, typically stdin), the user may also paste the
  // address the browser ended on, one line: for a browser on another
  // machine (SSH), whose redirect to 127.0.0.1 reaches nothing here.
  int paste_fd = -1;
  // The host name of the redirect URI: 127.0.0.1, localhost or [::1] (the
  // listener binds loopback whatever it is; some authorization servers
  // only accept a registered "localhost").
  std::string redirect_host = "127.0.0.1";
  // When set (https, or http on loopback; no credentials, query or
  // fragment): the browser is sent there once the code was exchanged and
  // the tokens stored, instead of being shown the built-in page. Nothing is
  // appended to it. A failed authorization shows the built-in page.
  std::string success_url{};
};

class LoopbackConsent final : public ConsentHandler {
 public:
  // Throws Error(usage) for a callback path that is not a path, or no notify.
  explicit LoopbackConsent(LoopbackConsentOptions options);
  std::unique_ptr<ConsentSession> begin(const std::string& issuer) override;
  // Listens on the preferred redirect URI's port when it is a loopback
  // redirect of this handler (same path) and no port was configured, and the
  // port is free; else as begin().
  std::unique_ptr<ConsentSession> begin_preferring(const std::string& issuer,
                                                   const std::string& preferred_redirect_uri) override;

 private:
  LoopbackConsentOptions options_;
};

}  // namespace mcpauth::auth
