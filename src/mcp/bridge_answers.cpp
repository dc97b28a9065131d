#include "bridge_answers.hpp"

#include <algorithm>

#include "mcpauth/mcp/bridge.hpp"
#include "mcpauth_internal/core/glob.hpp"
#include "mcpauth_internal/core/redact.hpp"

namespace mcpauth::mcp::detail {
namespace {

namespace rpc = core::jsonrpc;

rpc::Json detail_json(const ErrorDetail& detail) {
  rpc::Json out = rpc::Json::object();
  if (!detail.remedies.empty()) {
    rpc::Json remedies = rpc::Json::array();
    for (const Remedy remedy : kAllRemedies) {
      if (detail.remedies.has(remedy)) remedies.push_back(std::string(to_string(remedy)));
    }
    out["remedies"] = std::move(remedies);
  }
  if (!detail.required_scope.empty()) out["required_scope"] = detail.required_scope;
  if (!detail.resource.empty()) out["resource"] = detail.resource;
  if (!detail.issuer.empty()) out["issuer"] = detail.issuer;
  if (!detail.expected_issuer.empty()) out["expected_issuer"] = detail.expected_issuer;
  if (!detail.received_issuer.empty()) out["received_issuer"] = detail.received_issuer;
  return out;
}

}  // namespace

rpc::ErrorResponse error_answer(const rpc::Id& id, const Error& e) {
  // The host may show or log the message: a URL's query (an API key) is not repeated.
  rpc::ErrorResponse answer{id, kBridgeErrorCode, "mcpauth: " + core::redact_urls_in(e.what()),
                            rpc::Json{{"mcpauth_error", std::string(to_string(e.code()))}}};
  if (!e.detail().empty()) answer.data["mcpauth_detail"] = detail_json(e.detail());
  return answer;
}

bool matches_any_glob(const std::vector<std::string>& globs, std::string_view tool) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& glob) { return core::glob_matches(glob, tool); });
}

std::optional<std::string> ToolFilter::hides(std::string_view tool) const {
  if (!allowed.empty() && !matches_any_glob(allowed, tool)) return "not among the allowed tools";
  if (matches_any_glob(ignored, tool)) return "an ignored tool";
  return std::nullopt;
}

std::optional<rpc::ErrorResponse> refusal_of_hidden_call(const ToolFilter& filter, const rpc::Request& request) {
  if (request.method != "tools/call" || !request.params.is_object()) return std::nullopt;
  const auto name = request.params.find("name");
  if (name == request.params.end() || !name->is_string()) return std::nullopt;
  const auto why = filter.hides(name->get<std::string>());
  if (!why) return std::nullopt;
  return rpc::ErrorResponse{request.id, rpc::kInvalidParams,
                            "mcpauth: the tool " + name->get<std::string>() + " is hidden (" + *why + ")", nullptr};
}

void drop_hidden_tools(const ToolFilter& filter, rpc::Json& result) {
  if (!result.is_object()) return;
  const auto tools = result.find("tools");
  if (tools == result.end() || !tools->is_array()) return;
  rpc::Json kept = rpc::Json::array();
  for (auto& tool : *tools) {
    const auto name = tool.find("name");  // end() for a tool that is not an object
    const bool named = name != tool.end() && name->is_string();
    if (named ? filter.hides(name->get<std::string>()).has_value() : !filter.allowed.empty()) continue;
    kept.push_back(std::move(tool));
  }
  *tools = std::move(kept);
}

}  // namespace mcpauth::mcp::detail
