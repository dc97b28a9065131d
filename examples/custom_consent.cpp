// OAuth with the program's own consent step: a ConsentHandler that shows the
// authorization URL in the program's words and takes the address the browser
// ends on, pasted back (a browser on another machine, a kiosk, a chat bot
// that sends the link to its user). Grants go to a store of the program's
// choosing; here one kept in memory for this run only.
//
//   custom_consent https://mcp.example.com/mcp
#include <iostream>
#include <string>

#include <mcpauth/core/oauth/redirect.hpp>
#include <mcpauth/mcpauth.hpp>

namespace {

// The authorization server redirects the browser to this address; nothing
// listens there: the user copies it from the address bar.
constexpr const char* kRedirectUri = "http://127.0.0.1:8976/callback";

class PasteSession final : public mcpauth::auth::ConsentSession {
 public:
  std::string redirect_uri() const override { return kRedirectUri; }

  mcpauth::core::oauth::FormFields await(const mcpauth::auth::ConsentPrompt& prompt) override {
    std::cout << "Open this address, approve, then paste the address your browser ends on:\n  "
              << prompt.authorization_url << "\n> " << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) throw mcpauth::Error(mcpauth::ErrorCode::cancelled, "no address was pasted");
    // Checks that it is the redirect URI; the Authorizer then checks state and iss.
    return mcpauth::core::oauth::parse_pasted_redirect(line, kRedirectUri);
  }
};

class PasteConsent final : public mcpauth::auth::ConsentHandler {
 public:
  std::unique_ptr<mcpauth::auth::ConsentSession> begin(const std::string&) override {
    return std::make_unique<PasteSession>();
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: custom_consent URL\n";
    return 2;
  }
  try {
    auto client = mcpauth::Client::connect({.url = argv[1],
                                            .store = mcpauth::store::make_memory_token_store(),
                                            .consent = std::make_shared<PasteConsent>()});
    std::cout << client->list_tools().size() << " tools\n";
  } catch (const mcpauth::Error& e) {
    std::cerr << "custom_consent: " << e.what() << '\n';
    return 1;
  }
}
