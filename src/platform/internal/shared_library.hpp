#pragma once

// Loading a shared library at run time rather than linking it (libsecret for
// the desktop keyring: it maps GLib and a dozen more libraries, which every
// mcpauth process would otherwise pay for at start-up). POSIX
// (shared_library_posix.cpp): dlopen(RTLD_NOW | RTLD_LOCAL) and dlsym.
// Windows' file will use LoadLibraryExW(LOAD_LIBRARY_SEARCH_SYSTEM32) and
// GetProcAddress.

namespace mcpauth::platform {

// The library, loaded for the life of the process (never unloaded: GLib
// expects that); nullptr when it is not installed.
void* load_shared_library(const char* name) noexcept;

// The address of `symbol` in a loaded library; nullptr when it has none.
void* shared_library_symbol(void* library, const char* symbol) noexcept;

}  // namespace mcpauth::platform
