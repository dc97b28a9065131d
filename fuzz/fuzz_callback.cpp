// Decodes the input as an authorization response query (parse_form), then
// checks it with code_from_callback against a fixed flow record, with and
// without RFC 9207 iss support. Only mcpauth::Error may escape. The outcome
// must follow the documented order exactly: state, then iss, then error,
// then code; a returned code is the callback's `code`. No message may carry
// the flow's code verifier. Re-encoding the fields must decode to the same.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mcpauth/core/oauth/encoding.hpp"
#include "mcpauth/core/oauth/flow.hpp"
#include "mcpauth/error.hpp"

namespace oauth = mcpauth::core::oauth;
using mcpauth::ErrorCode;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_callback: %s\n", what);
  std::abort();
}

oauth::FlowRecord make_flow(bool iss_supported) {
  oauth::FlowRecord flow;
  flow.issuer = "https://auth.example.com";
  flow.authorization_endpoint = "https://auth.example.com/authorize";
  flow.token_endpoint = "https://auth.example.com/token";
  flow.client_id = "client";
  flow.redirect_uri = "http://127.0.0.1:8765/callback";
  flow.state = "xyz";
  flow.code_verifier = "VERIFIER-dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  flow.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  flow.iss_parameter_supported = iss_supported;
  return flow;
}

ErrorCode expected_outcome(const oauth::FormFields& params, const oauth::FlowRecord& flow, bool& ok) {
  ok = false;
  const std::string* state = oauth::find_field(params, "state");
  if (!state || *state != flow.state) return ErrorCode::state_mismatch;
  const std::string* iss = oauth::find_field(params, "iss");
  if (iss ? *iss != flow.issuer : flow.iss_parameter_supported) return ErrorCode::issuer_mismatch;
  if (oauth::find_field(params, "error")) return ErrorCode::authorization_denied;
  const std::string* code = oauth::find_field(params, "code");
  if (!code || code->empty()) return ErrorCode::protocol;
  ok = true;
  return ErrorCode::protocol;
}

// Whether any decoded field of the callback holds `text`.
bool input_carries(const oauth::FormFields& params, const std::string& text) {
  for (const auto& [name, value] : params) {
    if (name.find(text) != std::string::npos || value.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  oauth::FormFields params;
  try {
    params = oauth::parse_form(query);
  } catch (const mcpauth::Error& e) {
    if (e.code() != ErrorCode::protocol) fail("parse_form threw another code than protocol");
    return 0;
  } catch (...) {
    fail("parse_form threw a non-mcpauth exception");
  }

  // Re-encoding decodes to the same fields (when it stays within the bound).
  try {
    const std::string encoded = oauth::form_encode(params);
    if (encoded.size() <= 64 * 1024 && oauth::parse_form(encoded) != params) fail("form round trip changed fields");
  } catch (const mcpauth::Error&) {
    fail("re-parsing an encoded form failed");
  }

  for (bool iss_supported : {false, true}) {
    const oauth::FlowRecord flow = make_flow(iss_supported);
    bool ok = false;
    const ErrorCode expected = expected_outcome(params, flow, ok);
    try {
      const std::string code = oauth::code_from_callback(params, flow);
      if (!ok) fail("a callback was accepted that must be refused");
      if (code != *oauth::find_field(params, "code")) fail("returned another code than the callback's");
    } catch (const mcpauth::Error& e) {
      if (ok) fail("a valid callback was refused");
      if (e.code() != expected) {
        std::fprintf(stderr, "expected code %d, got %d: %s\n", static_cast<int>(expected), static_cast<int>(e.code()),
                     e.what());
        fail("checks not in the order state, iss, error, code");
      }
      // A message may quote the callback's own fields (error, error_description):
      // the verifier leaks only if it appears without the input having carried it.
      if (std::string_view(e.what()).find(flow.code_verifier) != std::string_view::npos &&
          !input_carries(params, flow.code_verifier)) {
        fail("the code verifier leaked into a message");
      }
    } catch (...) {
      fail("code_from_callback threw a non-mcpauth exception");
    }
  }
  return 0;
}
