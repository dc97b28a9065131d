#include <dlfcn.h>

#include "mcpauth_internal/platform/shared_library.hpp"

namespace mcpauth::platform {

void* load_shared_library(const char* name) noexcept {
  return ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
}

void* shared_library_symbol(void* library, const char* symbol) noexcept {
  return library ? ::dlsym(library, symbol) : nullptr;
}

}  // namespace mcpauth::platform
