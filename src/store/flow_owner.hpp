// Who holds a flow claim: this host's name and a process id. A claim of a
// process on this host that is gone ends at once; one of another host is
// trusted until it expires (its process cannot be asked).
#pragma once

#include <string>

namespace mcpauth::store::detail {

std::string this_host();
long long this_process();
bool process_alive(long long pid);

}  // namespace mcpauth::store::detail
