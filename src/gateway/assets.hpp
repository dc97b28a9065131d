// The dashboard's files (src/gateway/assets/*), embedded in the binary at
// build time (embed_assets.cmake generates the data).
#pragma once

#include <cstddef>
#include <string_view>

namespace mcpauth::gateway {

struct Asset {
  std::string_view path;  // "/", "/dashboard.js", ...
  std::string_view content_type;
  const unsigned char* data;
  std::size_t size;
};

// The asset served at `path`, or null.
const Asset* find_asset(std::string_view path);

}  // namespace mcpauth::gateway
