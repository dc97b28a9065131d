// The system's users, as tests that run a program as another user need them
// (PostgreSQL refuses to run as root; the gateway's owner check). users_posix.cpp
// is the Linux and macOS file; on Windows "root" would be an elevated token
// and a file's owner is set through its security descriptor.
#pragma once

#include <filesystem>
#include <string>

namespace mcpauth::test_platform {

// Whether this process runs as the superuser (tests that switch users need it).
bool running_as_root();

// Makes `user` (and its group) the owner of `path`; throws std::runtime_error
// when there is no such user or that fails.
void give_to_user(const std::filesystem::path& path, const std::string& user);

}  // namespace mcpauth::test_platform
