// SEP-2322's input_required results under libFuzzer, read the way a Session
// reads them: the input is a server's message, parsed with the transport's
// bounded JSON-RPC parse; each answer's result goes through input_required,
// retry_params and the complete_with_input loop (the server answering every
// round with that same result). Only Error(protocol) may come out of reading,
// and out of the loop also the host's refusal (RpcError); what is read
// matches the result; a retry carries exactly the answers and the state
// asked for; the loop sends at most max_rounds + 1 rounds and never returns an
// input-required result.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/input_required.hpp"
#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/mcp/session.hpp"
#include "server_messages.hpp"

namespace rpc = mcpauth::core::jsonrpc;
namespace detail = mcpauth::mcp::detail;
using mcpauth::ErrorCode;
using mcpauth::mcp::Json;

namespace {

constexpr int kMaxRounds = 3;
constexpr const char* kUrl = "https://mcp.example.com/mcp";

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_input_required: %s\n", what);
  std::abort();
}

void check_read(const Json& result, const detail::InputRequired& asked) {
  const Json& requests = result.contains("inputRequests") ? result["inputRequests"] : Json::object();
  if (asked.requests.size() != requests.size()) fail("input requests were lost or invented");
  for (const auto& request : asked.requests) {
    if (!requests.contains(request.key)) fail("an input request under a key the server did not use");
    if (requests[request.key]["method"] != request.method) fail("an input request with another method");
    if (!request.params.is_object()) fail("input request params that are not an object");
  }
  if (asked.request_state.has_value() != result.contains("requestState")) fail("the requestState was lost");
  if (asked.request_state && result["requestState"] != *asked.request_state) fail("the requestState changed");
}

void check_retry(const detail::InputRequired& asked) {
  const Json original = {{"name", "t"}, {"inputResponses", "stale"}, {"requestState", "stale"}};
  const Json responses = {{"k", {{"action", "decline"}}}};
  const Json retry = detail::retry_params(original, asked, responses);
  if (retry.value("name", "") != "t") fail("the retry lost the original params");
  if (asked.requests.empty() == retry.contains("inputResponses")) fail("inputResponses without requests (or none)");
  if (!asked.requests.empty() && retry["inputResponses"] != responses) fail("the retry changed the answers");
  if (asked.request_state.has_value() != retry.contains("requestState")) fail("the retry's requestState is wrong");
  if (asked.request_state && retry["requestState"] != *asked.request_state) fail("the retry changed the state");
}

// The host answers elicitations (declining) and refuses everything else.
Json answer(const std::string& method, const Json&) {
  if (method == "elicitation/create") return Json{{"action", "decline"}};
  throw mcpauth::mcp::RpcError("refused", kUrl, rpc::kMethodNotFound, nullptr);
}

void check_loop(const Json& result) {
  int rounds = 0;
  try {
    const Json done = detail::complete_with_input(
        "tools/call", Json{{"name", "t"}},
        [&](Json params) {
          if (!params.is_object() || params.value("name", "") != "t") fail("a round lost the original params");
          ++rounds;
          return result;
        },
        answer, kUrl, kMaxRounds);
    if (detail::input_required(done)) fail("the loop returned an input-required result");
  } catch (const mcpauth::Error& e) {
    if (e.code() != ErrorCode::protocol && e.code() != ErrorCode::rpc_error) fail("an unexpected error code");
  }
  if (rounds > kMaxRounds + 1) fail("the loop sent more rounds than allowed");
  // A method that may not ask for input returns the result as it came, in one round.
  rounds = 0;
  const Json as_is = detail::complete_with_input(
      "tools/list", Json::object(),
      [&](Json) {
        ++rounds;
        return result;
      },
      answer, kUrl, kMaxRounds);
  if (rounds != 1 || as_is != result) fail("a method without input rounds was not sent once and returned as is");
}

void read_result(const Json& result) {
  std::optional<detail::InputRequired> asked;
  try {
    asked = detail::input_required(result);
  } catch (const mcpauth::Error& e) {
    if (e.code() != ErrorCode::protocol) fail("reading threw another code than protocol");
  }
  if (asked) {
    if (result["resultType"] != "input_required") fail("read input from a complete result");
    check_read(result, *asked);
    check_retry(*asked);
  }
  check_loop(result);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mcpauth::fuzz::each_server_message(data, size, "fuzz_input_required", [](const rpc::Message& message) {
    if (const auto* response = std::get_if<rpc::Response>(&message)) read_result(response->result);
  });
  return 0;
}
