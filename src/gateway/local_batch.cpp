// JSON-RPC batches on the Streamable HTTP endpoint of Gateway::Impl: a POST
// whose body is an array, in a session that agreed on 2025-03-26 (the only
// revision with batches: 2025-06-18 removed them). Each element goes through
// the session's Bridge as a single message would; the answer is the array of
// the requests' answers. docs/gateway.md, "JSON-RPC batches".
#include <algorithm>

#include "gateway_impl.hpp"
#include "mcpauth/core/json.hpp"

namespace mcpauth::gateway {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kBatchVersion = "2025-03-26";

// The most elements one batch may hold. Every request in it holds a waiting
// entry and then its answer until the whole batch is answered, and they are
// forwarded one after the other; the body cap alone (16 MiB) would allow
// hundreds of thousands of tiny elements. 100 is what the MCP TypeScript SDK's
// servers accept (its MAX_BATCH_SIZE).
constexpr std::size_t kMaxBatchElements = 100;

std::string error_text(const rpc::Id& id, int code, const std::string& message) {
  return rpc::serialize(rpc::ErrorResponse{id, code, message, nullptr});
}

}  // namespace

bool Gateway::Impl::is_batch(const std::string& body) {
  const auto first = body.find_first_not_of(" \t\r\n");
  return first != std::string::npos && body[first] == '[';
}

std::string Gateway::Impl::agreed_version(const std::string& initialize_answer) {
  const Json value = core::parse_json_or_discarded(initialize_answer, core::JsonLimits{kMaxMcpBodyBytes, 128});
  if (!value.is_object()) return {};
  const auto result = value.find("result");
  if (result == value.end() || !result->is_object()) return {};
  const auto version = result->find("protocolVersion");
  return version != result->end() && version->is_string() ? version->get<std::string>() : std::string();
}

void Gateway::Impl::mcp_batch(const std::shared_ptr<Upstream>& up, const http::Request& req, http::Response& res) {
  if (!req.has_header(kSessionHeader)) {
    rpc_error(res, 400, rpc::kInvalidRequest,
              "Invalid Request: a JSON-RPC batch needs a 2025-03-26 session (Mcp-Session-Id); initialize comes first "
              "and on its own, and later revisions have no batches");
    return;
  }
  auto session = find_session(req.get_header_value(kSessionHeader), *up, false);
  if (!session) {
    rpc_error(res, 404, -32001, "Session not found");
    return;
  }
  std::string version;
  {
    std::lock_guard lock(session->mutex);
    version = session->protocol_version;
    session->last_used = SteadyClock::now();
  }
  if (version != kBatchVersion) {
    rpc_error(res, 400, rpc::kInvalidRequest,
              "Invalid Request: JSON-RPC batches were removed in protocol version 2025-06-18 and this session "
              "speaks " +
                  (version.empty() ? std::string("another version") : version) + ": send one message per POST");
    return;
  }
  Json batch;
  try {
    batch =
        core::parse_json(req.body, core::JsonLimits{kMaxMcpBodyBytes, 128}, ErrorCode::protocol, "the JSON-RPC batch");
  } catch (const Error& e) {
    rpc_error(res, 400, rpc::kParseError, std::string("Parse error: ") + e.what());
    return;
  }
  if (batch.empty()) {
    rpc_error(res, 400, rpc::kInvalidRequest, "Invalid Request: an empty batch");
    return;
  }
  if (batch.size() > kMaxBatchElements) {
    rpc_error(res, 400, rpc::kInvalidRequest,
              "Invalid Request: a batch may hold at most " + std::to_string(kMaxBatchElements) +
                  " messages; this one has " + std::to_string(batch.size()) + ": send it in parts");
    return;
  }

  // One slot per element that is answered (requests, and what is invalid,
  // in place), in the batch's order; the others are only forwarded.
  struct Slot {
    std::string key;                    // the request's id, serialized; "" when answered here
    std::optional<std::string> answer;  // serialized
    rpc::Id id;
  };
  std::vector<Slot> slots;
  std::vector<rpc::Message> forwarded;
  for (const auto& element : batch) {
    rpc::Message message;
    try {
      message = rpc::from_json(element);
    } catch (const Error& e) {
      slots.push_back(
          {"", error_text(nullptr, rpc::kInvalidRequest, std::string("Invalid Request: ") + e.what()), nullptr});
      continue;
    }
    if (const auto* request = std::get_if<rpc::Request>(&message)) {
      if (request->method == "initialize") {
        slots.push_back(
            {"", error_text(request->id, rpc::kInvalidRequest, "Invalid Request: initialize must not be batched"),
             request->id});
        continue;
      }
      std::string key = request->id.dump();
      {
        std::lock_guard lock(session->mutex);
        if (session->waiting.count(key) || session->pending.count(key)) {
          slots.push_back({"",
                           error_text(request->id, rpc::kInvalidRequest,
                                      "Invalid Request: a request with this id is already in progress"),
                           request->id});
          continue;
        }
        session->waiting[key] = std::nullopt;
      }
      slots.push_back({std::move(key), std::nullopt, request->id});
    }
    forwarded.push_back(std::move(message));
  }

  for (const auto& message : forwarded) session->bridge->forward(message);

  {
    std::unique_lock lock(session->mutex);
    const auto deadline = SteadyClock::now() + answer_wait();
    const auto all_answered = [&] {
      return std::all_of(slots.begin(), slots.end(),
                         [&](const Slot& s) { return s.key.empty() || session->waiting[s.key].has_value(); });
    };
    session->cv.wait_until(lock, deadline, [&] { return all_answered() || session->closed; });
    for (auto& slot : slots) {
      if (slot.key.empty()) continue;
      slot.answer = std::move(session->waiting[slot.key]);
      session->waiting.erase(slot.key);
    }
    session->last_used = SteadyClock::now();
  }

  if (slots.empty()) {
    res.status = 202;  // notifications and answers only
    return;
  }
  std::string body = "[";
  for (auto& slot : slots) {
    if (body.size() > 1) body += ',';
    body += slot.answer ? *slot.answer
                        : error_text(slot.id, mcp::kBridgeErrorCode, "mcpauth: no answer from the server in time");
  }
  body += ']';
  res.status = 200;
  res.set_content(std::move(body), "application/json");
}

}  // namespace mcpauth::gateway
