// A host that asks its user itself, when it chooses: nothing opens a
// browser inside a request. A need for consent comes back as an Error
// saying what is needed (the server, the authorization server, the scope);
// the program asks its user, runs that authorization with a consent of its
// own, and tries again once. The same pattern serves a UI's "Authorize"
// button or a step-up to a wider scope in the middle of a session.
//
//   host_consent https://mcp.example.com/mcp
#include <iostream>
#include <string>

#include <mcpauth/auth/loopback_consent.hpp>
#include <mcpauth/mcpauth.hpp>

namespace {

// The host's question, in its own words, from the typed need.
bool user_agrees(const mcpauth::Error& need) {
  const mcpauth::ErrorDetail& d = need.detail();
  std::cout << d.resource << " needs authorization" << (d.issuer.empty() ? "" : " by " + d.issuer)
            << (d.required_scope.empty() ? "" : " (scope: " + d.required_scope + ")") << ". Authorize now? [y/N] "
            << std::flush;
  std::string answer;
  return std::getline(std::cin, answer) && (answer == "y" || answer == "Y");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: host_consent URL\n";
    return 2;
  }
  mcpauth::ClientOptions options{.url = argv[1], .default_consent = false};
  mcpauth::auth::LoopbackConsent consent({.notify = [](const std::string& line) { std::cerr << line << '\n'; }});
  try {
    std::unique_ptr<mcpauth::Client> client;
    try {
      client = mcpauth::Client::connect(options);
    } catch (const mcpauth::Error& e) {
      if (!mcpauth::is_authorization_need(e) || !user_agrees(e)) throw;
      const auto info = mcpauth::Client::authorize(options, consent);  // the browser opens here
      std::cerr << "authorized by " << info.issuer << '\n';
      client = mcpauth::Client::connect(options);  // the grant is in the store now
    }
    std::cout << client->list_tools().size() << " tools\n";
  } catch (const mcpauth::Error& e) {
    std::cerr << "host_consent: " << e.what() << '\n';
    return 1;
  }
}
