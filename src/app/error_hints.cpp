#include "error_hints.hpp"

#include <vector>

#include "mcpauth/core/printable.hpp"
#include "mcpauth_internal/core/redact.hpp"

namespace mcpauth::app {
namespace {

// `mcpauth login TARGET` with the options given, quoted for the terminal.
std::string login_command(const HintContext& context, const std::string& options = {}) {
  const std::string target = context.target.empty() ? "URL" : core::printable(context.target);
  return "`mcpauth login " + target + (options.empty() ? "" : " " + options) + "`";
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

}  // namespace

std::string error_hint(const Error& error, const HintContext& context) {
  const Remedies remedies = error.remedies();
  std::vector<std::string> hints;
  if (remedies.has(Remedy::retry)) {
    hints.push_back(context.device ? "run " + login_command(context, "--device") + " again" : "run the command again");
  }
  if (remedies.has(Remedy::interactive_consent)) hints.push_back("run " + login_command(context) + " first");
  if (remedies.has(Remedy::open_url_manually)) {
    hints.push_back(
        "with --no-browser the URL is only printed, to open it yourself (and paste back the address "
        "the browser ends on)");
  }
  if (remedies.has(Remedy::use_device_grant)) {
    hints.push_back("without a browser here, " + login_command(context, "--device") +
                    " approves with a code on any device");
  }
  if (remedies.has(Remedy::use_browser_grant)) hints.push_back("log in without --device: " + login_command(context));
  if (remedies.has(Remedy::pre_register_client)) {
    hints.push_back(
        "pass the id of a client registered with the authorization server with --client-id (or "
        "oauth.clientId in the config file)");
  }
  if (remedies.has(Remedy::static_token)) {
    hints.push_back("if the server takes a static token, pass it with --header \"Authorization: Bearer ${TOKEN}\"");
  }
  return join(hints);
}

std::string error_report(const Error& error, const HintContext& context) {
  const std::string hint = error_hint(error, context);
  return "mcpauth: " + core::printable(core::redact_urls_in(error.what())) + "\n" +
         (hint.empty() ? std::string() : "mcpauth: hint: " + core::printable(hint) + "\n");
}

std::string error_with_hint(const Error& error, const HintContext& context) {
  const std::string hint = error_hint(error, context);
  return core::printable(core::redact_urls_in(error.what()) + (hint.empty() ? "" : " (hint: " + hint + ")"));
}

}  // namespace mcpauth::app
