// Consent in the system browser with a loopback redirect (RFC 8252 §7.3):
// a listener on 127.0.0.1 (and ::1 when available), on an ephemeral or a
// configured port, open only while one consent is in progress, with a
// callback path of its own per authorization server. It answers the browser
// with a static page and never redirects onward.
#pragma once

#include <functional>
#include <string>

#include "mcpauth/auth/consent.hpp"

namespace mcpauth::auth {

struct LoopbackConsentOptions {
  int port = 0;              // 0: any free port
  bool open_browser = true;  // false: only print the URL (the user opens it)
  // Where progress for the user goes (the URL is always printed). Default: stderr.
  std::function<void(const std::string&)> notify;
  // When >= 0 (a terminal, typically stdin), the user may also paste the
  // address the browser ended on, one line: for a browser on another
  // machine (SSH), whose redirect to 127.0.0.1 reaches nothing here.
  int paste_fd = -1;
};

class LoopbackConsent final : public ConsentHandler {
 public:
  explicit LoopbackConsent(LoopbackConsentOptions options = {});
  std::unique_ptr<ConsentSession> begin(const std::string& issuer) override;

  // The callback path for an issuer: "/callback/" + a short hash of it.
  static std::string callback_path(const std::string& issuer);

 private:
  LoopbackConsentOptions options_;
};

}  // namespace mcpauth::auth
