// The gateway's checks of what a local client sends (Host, Origin,
// Authorization, and the --listen argument): any bytes, no crash, and the
// answers stay consistent (an allowed Origin's host is an allowed Host).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mcpauth/error.hpp"
#include "security.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  using namespace mcpauth::gateway;
  static const HostPolicy loopback("127.0.0.1", 8930);
  static const HostPolicy wildcard("0.0.0.0", 8930);
  for (const HostPolicy* policy : {&loopback, &wildcard}) {
    (void)policy->host_allowed(input);
    if (policy->origin_allowed(input) && !policy->host_allowed(input.substr(7))) __builtin_trap();
  }
  if (auto key = bearer_credentials(input); key && key->empty()) __builtin_trap();
  (void)constant_time_equal(input, "0123456789abcdef");
  try {
    (void)parse_listen_address(std::string(input));
  } catch (const mcpauth::Error&) {
  }
  return 0;
}
