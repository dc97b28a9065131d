#include "input_required.hpp"

#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/core/printable.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/mcp/session.hpp"

namespace mcpauth::mcp::detail {
namespace {

constexpr const char* kResultType = "resultType";
constexpr const char* kInputRequests = "inputRequests";
constexpr const char* kInputResponses = "inputResponses";
constexpr const char* kRequestState = "requestState";

constexpr std::size_t kNameCap = 80;  // a server-chosen key or method, as a message shows it

Error malformed(const std::string& why) {
  return Error(ErrorCode::protocol, "an input-required result " + why);
}

std::string shown(std::string_view name) {
  return core::printable(name, kNameCap);
}

InputRequest parse_request(const std::string& key, const Json& value) {
  if (!value.is_object()) throw malformed("has an input request \"" + shown(key) + "\" that is not an object");
  const auto method = value.find("method");
  if (method == value.end() || !method->is_string()) {
    throw malformed("has an input request \"" + shown(key) + "\" without a method");
  }
  InputRequest request{key, method->get<std::string>(), Json::object()};
  if (const auto params = value.find("params"); params != value.end() && params->is_object()) {
    request.params = *params;
  }
  return request;
}

// The host's refusal of `request`, as the call's error: its JSON-RPC code
// and data (as it would have gone to a server of an earlier revision), in
// words that say which request of which call it was.
[[noreturn]] void refused(const InputRequest& request, const std::string& method, const std::string& url, int code,
                          const std::string& why, Json data) {
  throw RpcError("the server at " + url + " asked for input (" + shown(request.method) + ") to complete " + method +
                     ", which the client did not give: " + why,
                 url, code, std::move(data));
}

Json answer_one(const InputRequest& request, const AnswerInput& answer, const std::string& method,
                const std::string& url) {
  if (!answer) refused(request, method, url, core::jsonrpc::kMethodNotFound, "no handler for it", nullptr);
  try {
    return answer(request.method, request.params);
  } catch (const RpcError& e) {
    refused(request, method, url, e.rpc_code(), e.what(), e.data());
  } catch (const Error&) {
    throw;  // the library's own (cancelled, timeout, ...) keeps its code
  } catch (const std::exception& e) {
    refused(request, method, url, core::jsonrpc::kInternalError, e.what(), nullptr);
  }
}

}  // namespace

bool may_require_input(std::string_view method) noexcept {
  return method == "tools/call" || method == "prompts/get" || method == "resources/read";
}

std::optional<InputRequired> input_required(const Json& result) {
  if (!result.is_object()) return std::nullopt;
  const auto type = result.find(kResultType);
  if (type == result.end() || !type->is_string() || type->get<std::string>() != "input_required") {
    return std::nullopt;  // absent means complete (SEP-2322)
  }
  InputRequired asked;
  const auto requests = result.find(kInputRequests);
  if (requests != result.end()) {
    if (!requests->is_object()) throw malformed("has inputRequests that is not an object");
    for (const auto& [key, value] : requests->items()) asked.requests.push_back(parse_request(key, value));
  }
  if (const auto state = result.find(kRequestState); state != result.end()) {
    if (!state->is_string()) throw malformed("has a requestState that is not a string");
    asked.request_state = state->get<std::string>();
  }
  if (requests == result.end() && !asked.request_state) {
    throw malformed("has neither inputRequests nor requestState");
  }
  return asked;
}

Json retry_params(Json original, const InputRequired& asked, Json responses) {
  if (!original.is_object()) original = Json::object();
  original.erase(kInputResponses);
  original.erase(kRequestState);
  if (!asked.requests.empty()) original[kInputResponses] = std::move(responses);
  if (asked.request_state) original[kRequestState] = *asked.request_state;
  return original;
}

Json complete_with_input(const std::string& method, Json params, const SendRound& send, const AnswerInput& answer,
                         const std::string& url, int max_rounds) {
  Json result = send(params);
  if (!may_require_input(method)) return result;
  for (int round = 0;; ++round) {
    const std::optional<InputRequired> asked = input_required(result);
    if (!asked) return result;
    if (round == max_rounds) {
      throw Error(ErrorCode::protocol,
                  "the server at " + url + " still asked for input after " + std::to_string(max_rounds) +
                      " rounds of " + method,
                  url);
    }
    Json responses = Json::object();
    for (const InputRequest& request : asked->requests) {
      responses[request.key] = answer_one(request, answer, method, url);
    }
    result = send(retry_params(params, *asked, std::move(responses)));
  }
}

}  // namespace mcpauth::mcp::detail
