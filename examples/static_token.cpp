// Calls a tool of a server that takes a static token (an API key, a personal
// access token) instead of OAuth. The token comes from the environment, so
// it never appears in the shell's history or in `ps`.
//
//   MCP_TOKEN=... static_token https://mcp.example.com/mcp echo '{"text":"hi"}'
#include <cstdlib>
#include <iostream>

#include <mcpauth/mcpauth.hpp>

int main(int argc, char** argv) {
  const char* token = std::getenv("MCP_TOKEN");
  if (argc < 3 || argc > 4 || !token) {
    std::cerr << "usage: MCP_TOKEN=... static_token URL TOOL [JSON-ARGUMENTS]\n";
    return 2;
  }
  try {
    mcpauth::ClientOptions options{.url = argv[1]};
    options.headers.set("Authorization", std::string("Bearer ") + token);  // OAuth is off then
    auto client = mcpauth::Client::connect(std::move(options));
    const auto arguments = argc == 4 ? mcpauth::mcp::Json::parse(argv[3]) : mcpauth::mcp::Json::object();
    const auto result = client->call_tool(argv[2], arguments);
    std::cout << result.result.dump(2) << '\n';
    return result.is_error() ? 1 : 0;
  } catch (const mcpauth::Error& e) {
    std::cerr << "static_token: " << e.what() << '\n';
    return 1;
  } catch (const mcpauth::mcp::Json::exception&) {
    std::cerr << "static_token: the arguments are not JSON\n";
    return 2;
  }
}
