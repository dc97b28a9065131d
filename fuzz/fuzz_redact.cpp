// core::redact_url, redact_urls_in, describe_form and describe_json, what
// the debug log shows of an exchange and the commands of an error. Whatever the input around it, a credential appended
// under a name that is not loggable (a code, a client secret) must never
// come out; describe_json must take any bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mcpauth_internal/core/redact.hpp"

namespace core = mcpauth::core;

namespace {

constexpr std::string_view kSecret = "Zq9SECRETzQ9";

void must_not_leak(const char* what, const std::string& output) {
  if (output.find(kSecret) == std::string::npos) return;
  std::fprintf(stderr, "fuzz_redact: the secret came out of %s (%zu bytes)\n", what, output.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (text.find(kSecret) != std::string::npos) return 0;  // the input may not carry the marker itself
  const std::string secret(kSecret);
  must_not_leak("redact_url", core::redact_url("https://h.example/p?" + text + "&code=" + secret));
  must_not_leak("redact_url", core::redact_url(text + "?&client_secret=" + secret));
  must_not_leak("redact_urls_in", core::redact_urls_in(text + " https://h.example/p?key=" + secret + ". " + text));
  must_not_leak("describe_form", core::describe_form(text + "&code_verifier=" + secret));
  must_not_leak("describe_json", core::describe_json(R"({"refresh_token":")" + secret + R"(",)" + text));
  (void)core::describe_json(text);
  return 0;
}
