#pragma once

// Setting a variable of the process's environment (the command turns two of
// its options into the variables the library reads). POSIX
// (environment_posix.cpp): setenv. Windows' file will use _wputenv_s (the
// CRT's copy, which getenv reads) with the UTF-16 forms.

#include <string>

namespace mcpauth::platform {

// Sets `name` to `value`, replacing it. Not thread-safe anywhere: call it
// before any thread starts.
void set_environment_variable(const std::string& name, const std::string& value) noexcept;

}  // namespace mcpauth::platform
