// The gateway's open-file soft limit: raised at start, as far as this system
// allows (core/platform/open_files.hpp decides how far, per system).
#pragma once

#include <cstddef>

namespace mcpauth::gateway {

// Raises the soft limit where it is below its target and returns how many
// descriptors the gateway may plan with (the limit then in force). A refused
// raise keeps the limit there was.
std::size_t raise_open_file_limit();

}  // namespace mcpauth::gateway
