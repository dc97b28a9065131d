#pragma once

// Setting a listening socket's options by what they mean; which ones is the
// caller's decision (core/platform/listener_options.hpp). POSIX (this file's
// listener_socket_posix.cpp): SO_REUSEADDR and SO_REUSEPORT; there is no
// exclusive-use option, exclusive is the default. Windows' file will set
// SO_REUSEADDR and SO_EXCLUSIVEADDRUSE (setsockopt on the SOCKET) and has no
// SO_REUSEPORT.

#include <cstdint>
#include <system_error>

namespace mcpauth::platform {

enum class ListenerFlag { reuse_address, exclusive_address, share_port };

// Sets (on) or clears one option of `socket` (an int descriptor on POSIX, a
// SOCKET on Windows; both fit), before bind(). Clearing an option the system
// does not have succeeds, as there is nothing to clear; setting one fails
// with std::errc::not_supported.
std::error_code set_listener_flag(std::intptr_t socket, ListenerFlag flag, bool on) noexcept;

}  // namespace mcpauth::platform
