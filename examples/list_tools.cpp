// Lists a remote MCP server's tools. Works with a server that needs nothing
// and with an OAuth-protected one: the first run opens the browser for
// consent, later runs (and `mcpauth status`, `mcpauth tools`) share the grant
// kept in the user's token store.
//
//   list_tools https://mcp.example.com/mcp
#include <iostream>

#include <mcpauth/mcpauth.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: list_tools URL\n";
    return 2;
  }
  try {
    auto client = mcpauth::Client::connect({.url = argv[1]});
    for (const auto& tool : client->list_tools()) {
      std::cout << tool.name << (tool.description ? " - " + *tool.description : std::string()) << '\n';
    }
    if (const auto grant = client->authorization()) std::cerr << "authorized by " << grant->issuer << '\n';
  } catch (const mcpauth::Error& e) {
    std::cerr << "list_tools: " << e.what() << '\n';
    return 1;
  }
}
