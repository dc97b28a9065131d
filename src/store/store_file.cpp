#include "store_file.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "mcpauth/error.hpp"
#include "mcpauth_internal/platform/private_file.hpp"
#include "mcpauth_internal/platform/process.hpp"
#include "sqlite.hpp"

namespace mcpauth::store::detail {
namespace {

namespace fs = std::filesystem;

Error store_error(const std::string& message) {
  return Error(ErrorCode::store, message);
}

bool exists_no_follow(const fs::path& path) {
  std::error_code ignored;
  return fs::exists(fs::symlink_status(path, ignored));
}

}  // namespace

void create_missing_directories(const fs::path& dir) {
  std::vector<fs::path> missing;
  for (fs::path p = dir; !p.empty() && !exists_no_follow(p); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    const std::error_code error = platform::create_private_directory(*it);
    if (error && error != std::errc::file_exists) {
      throw store_error("cannot create the store directory " + it->string() + ": " + error.message());
    }
  }
}

bool publish_new_store_file(const fs::path& path) {
  if (exists_no_follow(path)) return false;
  const fs::path temporary = path.string() + ".new-" + std::to_string(platform::current_process_id());
  std::error_code ignored;
  fs::remove(temporary, ignored);  // a leftover of this pid's predecessor, never another process's
  if (const auto error = platform::create_private_file(temporary, {})) {
    throw store_error("cannot create the token store " + path.string() + ": " + error.message());
  }
  try {
    Database db(temporary, std::chrono::milliseconds(1000));
    db.exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str(), "creating the token store");
  } catch (...) {
    fs::remove(temporary, ignored);
    throw;
  }
  const std::error_code link_error = platform::link_new_name(temporary, path);
  fs::remove(temporary, ignored);
  if (link_error && link_error != std::errc::file_exists) {
    throw store_error("cannot create the token store " + path.string() + ": " + link_error.message());
  }
  return !link_error;
}

void refuse_unusable_store_file(const fs::path& path) {
  std::error_code error;
  const fs::file_status status = fs::symlink_status(path, error);
  if (error || !fs::exists(status)) {
    if (!error) error = std::make_error_code(std::errc::no_such_file_or_directory);
    throw store_error("cannot open the token store " + path.string() + ": " + error.message());
  }
  if (!fs::is_regular_file(status)) {
    throw store_error("the token store " + path.string() +
                      " is not a regular file (a symbolic link, a directory or a device); it was left as it is: "
                      "set MCPAUTH_STORE to a file path of mcpauth's own");
  }
  if (fs::file_size(path, error) == 0 && !error) {
    throw store_error("the token store " + path.string() +
                      " is empty (0 bytes): the grants it held are gone (the file was truncated or replaced). It "
                      "was left as it is; to start afresh, delete it and log in to each server again");
  }
}

void make_store_file_private(const fs::path& path) {
  platform::make_owner_only(path);
}

}  // namespace mcpauth::store::detail
