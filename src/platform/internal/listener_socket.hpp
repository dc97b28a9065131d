#pragma once

// Setting a listening socket's options by what they mean; which ones is the
// caller's decision (core/platform/listener_options.hpp). POSIX (this file's
// listener_socket_posix.cpp): SO_REUSEADDR and SO_REUSEPORT; there is no
// exclusive-use option, exclusive is the default. Windows' file will set
// SO_REUSEADDR and SO_EXCLUSIVEADDRUSE (setsockopt on the SOCKET) and has no
// SO_REUSEPORT.

#include <cstdint>
#include <initializer_list>
#include <system_error>
#include <utility>

namespace mcpauth::platform {

enum class ListenerFlag { reuse_address, exclusive_address, share_port };

// Sets (on) or clears one option of `socket` (an int descriptor on POSIX, a
// SOCKET on Windows; both fit), before bind(). Clearing an option the system
// does not have succeeds, as there is nothing to clear; setting one fails
// with std::errc::not_supported.
std::error_code set_listener_flag(std::intptr_t socket, ListenerFlag flag, bool on) noexcept;

// Every flag stated, as core::platform::listener_options decides them (the
// gateway's listener and the consent's callback listener); the first failure.
inline std::error_code set_listener_flags(std::intptr_t socket, bool reuse_address, bool exclusive_address,
                                          bool share_port) noexcept {
  for (const auto& [flag, on] : {std::pair{ListenerFlag::reuse_address, reuse_address},
                                 std::pair{ListenerFlag::exclusive_address, exclusive_address},
                                 std::pair{ListenerFlag::share_port, share_port}}) {
    if (const auto ec = set_listener_flag(socket, flag, on)) return ec;
  }
  return {};
}

}  // namespace mcpauth::platform
