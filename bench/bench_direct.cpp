// mcpauth_bench_direct URL: the floor of the proxy benchmark's cold start. A
// fresh process that links only libcurl: initialize, notifications/initialized
// and tools/list straight to the server with the Authorization value from
// $MCPAUTH_BENCH_AUTHORIZATION, then one line "tools N" on stdout.
#include <exception>
#include <iostream>

#include "direct_client.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: mcpauth_bench_direct URL (Authorization value in $" << mcpauth_bench::kAuthEnv << ")\n";
    return 2;
  }
  try {
    return mcpauth_bench::direct_once(argv[1]);
  } catch (const std::exception& e) {
    std::cerr << "mcpauth_bench_direct: " << e.what() << "\n";
    return 1;
  }
}
