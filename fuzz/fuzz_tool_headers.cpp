// SEP-2243's x-mcp-header declarations under libFuzzer, read the way the
// Streamable HTTP transport reads them: the input is a server's message,
// parsed with the transport's bounded JSON-RPC parse; an answer to an expected
// tools/list goes through ToolHeaderBook::read. Nothing may throw; every tool
// kept has valid marks and every dropped one is counted; each Mcp-Param-*
// header of a later tools/call (its arguments: the result's "arguments") is
// one the tool declared, with a header-safe value.
// header_declarations of the whole result, and of each schema, never throws.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/tool_headers.hpp"
#include "mcpauth/core/jsonrpc.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/error.hpp"
#include "server_messages.hpp"

namespace rpc = mcpauth::core::jsonrpc;
namespace detail = mcpauth::mcp::detail;
using mcpauth::mcp::Json;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_tool_headers: %s\n", what);
  std::abort();
}

// What the specification asks of a valid declaration set.
void check_declarations(const detail::HeaderDeclarations& d) {
  if (!d.invalid.empty()) {
    if (!d.headers.empty()) fail("an invalid schema kept declarations");
    return;
  }
  std::set<std::string> names;
  for (const auto& header : d.headers) {
    if (header.path.empty()) fail("a declaration without a property path");
    if (!mcpauth::core::is_token(header.name)) fail("a declared name that is not an HTTP token");
    if (!names.insert(mcpauth::core::lower(header.name)).second) fail("a name declared twice");
  }
}

// A header value must never be able to break the request it is added to.
void check_header(const mcpauth::net::HttpHeader& header) {
  if (header.name.rfind("Mcp-Param-", 0) != 0) fail("a mirrored header without the Mcp-Param- prefix");
  if (!mcpauth::core::is_token(header.name)) fail("a mirrored header name that is not a token");
  for (const unsigned char c : header.value) {
    if (c < 0x20 || c > 0x7e) fail("a mirrored header value with a byte that is not printable ASCII");
  }
  if (!header.value.empty() && (header.value.front() == ' ' || header.value.back() == ' ')) {
    fail("a mirrored header value with a space at an end");
  }
}

std::size_t tool_count(const Json& result) {
  if (!result.is_object()) return 0;
  const auto tools = result.find("tools");
  return tools != result.end() && tools->is_array() ? tools->size() : 0;
}

void read_listing(rpc::Response response) {
  const Json arguments = response.result.is_object() && response.result.contains("arguments")
                             ? response.result["arguments"]
                             : Json::object();
  const std::size_t before = tool_count(response.result);
  check_declarations(detail::header_declarations(response.result));

  detail::ToolHeaderBook book;
  book.expect_list(response.id);
  rpc::Message message = std::move(response);
  const std::vector<std::string> dropped = book.read(message);
  const Json& kept = std::get<rpc::Response>(message).result;
  if (tool_count(kept) + dropped.size() != before) fail("tools were lost or invented");
  if (before == 0) return;

  // The book keeps, per name, the declarations of the last kept tool of that name.
  std::map<std::string, std::vector<detail::ParamHeader>> last;
  for (const Json& tool : kept["tools"]) {
    static const Json kNoSchema = Json::object();
    const Json& schema = tool.is_object() && tool.contains("inputSchema") ? tool["inputSchema"] : kNoSchema;
    const auto declarations = detail::header_declarations(schema);
    if (!declarations.invalid.empty()) fail("kept a tool whose marks are invalid");
    check_declarations(declarations);
    if (tool.is_object() && tool.contains("name") && tool["name"].is_string()) {
      last[tool["name"].get<std::string>()] = declarations.headers;
    }
  }
  for (const auto& [name, declared] : last) {
    std::set<std::string> allowed;
    for (const auto& header : declared) allowed.insert("Mcp-Param-" + header.name);
    std::size_t count = 0;
    for (const auto& header : book.headers_for_call(Json{{"name", name}, {"arguments", arguments}})) {
      check_header(header);
      if (!allowed.count(header.name)) fail("a mirrored header the tool did not declare");
      ++count;
    }
    if (count > declared.size()) fail("more mirrored headers than declarations");
  }
  // The answer is no longer expected: a second one with the same id is not read.
  if (!book.read(message).empty()) fail("read an answer that was no longer expected");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mcpauth::fuzz::each_server_message(data, size, "fuzz_tool_headers", [](rpc::Message& message) {
    if (auto* response = std::get_if<rpc::Response>(&message)) {
      read_listing(std::move(*response));
    } else {
      detail::ToolHeaderBook book;
      if (!book.read(message).empty()) fail("read a message that was not an expected answer");
    }
  });
  return 0;
}
