// Multi round-trip requests (SEP-2322, the 2026-07-28 revision): a server
// that needs more before it can finish tools/call, prompts/get or
// resources/read answers with resultType "input_required", naming the
// elicitation, sampling or roots requests it wants answered (inputRequests)
// and an opaque requestState. The client answers them and sends the original
// request again, as a new request, carrying the answers (inputResponses) and
// the state exactly as received (none when none came).
//
// Reading such a result and building the retry are pure functions; the loop
// takes its I/O (sending one round, answering one embedded request) as
// callbacks, so its state is its caller's stack: requests in parallel share
// nothing.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/mcp/protocol.hpp"

namespace mcpauth::mcp::detail {

// Whether a server may answer `method` with an input-required result (the
// specification's list: tools/call, prompts/get, resources/read).
bool may_require_input(std::string_view method) noexcept;

// One embedded request of an input-required result.
struct InputRequest {
  std::string key;  // the server's name for it; its answer goes under the same key
  std::string method;
  Json params = Json::object();
};

// What an input-required result asks for.
struct InputRequired {
  std::vector<InputRequest> requests;        // inputRequests (may be empty: state only)
  std::optional<std::string> request_state;  // requestState; nullopt: the retry carries none
};

// The input `result` asks for, or nullopt when it is complete: resultType
// absent (a server of an earlier revision), "complete", or anything else but
// "input_required". Throws Error(protocol) for an input-required result that
// is malformed (inputRequests not an object or an entry without a method,
// requestState not a string, or neither of them present).
std::optional<InputRequired> input_required(const Json& result);

// The retry's params: `original` (whatever inputResponses or requestState an
// earlier round put there removed) with `responses` as inputResponses when
// the server asked for any, and the requestState exactly as the server sent
// it, omitted when it sent none.
Json retry_params(Json original, const InputRequired& asked, Json responses);

// Sends one round (a new request each time) and returns its result.
using SendRound = std::function<Json(Json params)>;
// Answers one embedded request (the host's handler of server requests);
// throws RpcError (or another exception) to refuse it.
using AnswerInput = std::function<Json(const std::string& method, const Json& params)>;

// Sends `method` with `params` and, while the result asks for input (only for
// may_require_input methods), answers each embedded request through `answer`
// and sends the retry, at most `max_rounds` times (Session::kMaxInputRounds:
// a server that keeps asking must not hold a caller forever). Returns the complete
// result. Throws Error(protocol) when the server still asks after
// `max_rounds` or sends a malformed input-required result, and RpcError when
// `answer` is empty or refuses (the specification has no way to tell the
// server, so the call fails with the refusal's code and data).
Json complete_with_input(const std::string& method, Json params, const SendRound& send, const AnswerInput& answer,
                         const std::string& url, int max_rounds);

}  // namespace mcpauth::mcp::detail
