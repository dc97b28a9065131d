#pragma once

namespace mcpauth {

// The library version, "MAJOR.MINOR.PATCH".
const char* version() noexcept;

}  // namespace mcpauth
