#include "platform/files.hpp"

#include <random>
#include <stdexcept>

namespace mcpauth::test_platform {

namespace fs = std::filesystem;

fs::path make_temp_dir(const std::string& prefix, const fs::path& base) {
  static std::mt19937_64 random{std::random_device{}()};
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path dir = base / (prefix + "-" + std::to_string(random()));
    // create_directory is false when the name exists: then another name.
    if (fs::create_directory(dir)) {
      fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
      return dir;
    }
  }
  throw std::runtime_error("cannot create a temporary folder " + (base / prefix).string() + "-*");
}

unsigned mode_of(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return 0;
  return static_cast<unsigned>(status.permissions() & fs::perms::mask);
}

bool set_mode(const fs::path& path, unsigned mode) {
  std::error_code ec;
  fs::permissions(path, static_cast<fs::perms>(mode) & fs::perms::mask, fs::perm_options::replace, ec);
  return !ec;
}

bool is_executable(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return false;
  constexpr auto any_exec = fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec;
  return (status.permissions() & any_exec) != fs::perms::none;
}

}  // namespace mcpauth::test_platform
