#include "store_command.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_options.hpp"
#include "env_lookup.hpp"
#include "exit_codes.hpp"
#include "mcpauth/core/printable.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/store/key_rotation.hpp"
#include "mcpauth/store/postgres_token_store.hpp"
#include "mcpauth/store/sqlite_token_store.hpp"
#include "mcpauth_internal/platform/private_file.hpp"

namespace mcpauth::app {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxKeyFileBytes = 4096;

// The first key line of a key file (a rotation's key file may list the
// retired keys after it).
std::string first_key_line(const std::string& text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    const std::string line = text.substr(at, end - at);
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] != '#') return line;
    at = end + 1;
  }
  return {};
}

std::string read_new_key_file(const std::string& path) {
  const platform::PrivateFileRead read = platform::read_private_file(path, kMaxKeyFileBytes);
  if (read.others_have_access) {
    throw Error(ErrorCode::usage, "--new-key-file: " + path + " is readable by other users; chmod 600 it first");
  }
  if (read.error) throw Error(ErrorCode::usage, "--new-key-file: cannot read " + path + ": " + read.error.message());
  return first_key_line(read.content);
}

// Where the new key comes from; nullopt: the store's current key (finishing a rotation).
store::KeyRotationOptions rotation_options(const StoreArgs& args, const EnvLookup& env) {
  store::KeyRotationOptions options;
  options.batch_size = args.batch_size;
  if (!args.new_key_file.empty()) {
    options.new_key = read_new_key_file(args.new_key_file);
    options.new_key_source = "the new key file " + args.new_key_file;
  } else if (!args.new_key_env.empty()) {
    const auto value = env(args.new_key_env);
    if (!value || value->empty()) throw Error(ErrorCode::usage, "--new-key-env: " + args.new_key_env + " is not set");
    options.new_key = *value;
    options.new_key_source = args.new_key_env;
  } else if (!args.generate_key.empty()) {
    const std::string key = store::new_store_key();
    if (const auto error = platform::create_private_file(args.generate_key, key + "\n")) {
      throw Error(ErrorCode::usage, "--generate-key: cannot create " + args.generate_key + ": " + error.message() +
                                        " (an existing file is never replaced)");
    }
    std::cerr << "mcpauth: wrote the new store key to " << args.generate_key << " (mode 0600)" << std::endl;
    options.new_key = key;
    options.new_key_source = "the new key file " + args.generate_key;
  }
  return options;
}

void check_arguments(const StoreArgs& args) {
  const int sources = !args.new_key_file.empty() + !args.new_key_env.empty() + !args.generate_key.empty();
  if (sources > 1) {
    throw Error(ErrorCode::usage, "give the new key one way: --new-key-file, --new-key-env or --generate-key");
  }
  if ((args.status || args.retire) && (sources > 0 || (args.status && args.retire))) {
    throw Error(ErrorCode::usage, "--status and --retire change no key: give either alone");
  }
  if (args.batch_size == 0) throw Error(ErrorCode::usage, "--batch must be at least 1");
}

// Refused instead of creating an empty store there.
void require_existing_store(const EnvLookup& env) {
  if (const auto url = env("MCPAUTH_STORE_URL"); url && !url->empty()) return;
  const auto path = store::default_sqlite_store_options(env).path;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    throw Error(ErrorCode::store, "there is no token store at " + path.string() + ": no key to rotate");
  }
}

Json report_json(const store::KeyRotationReport& report) {
  Json unreadable = Json::array();
  for (const auto& row : report.unreadable) unreadable.push_back({{"kind", row.kind}, {"id", row.id}});
  return {{"current_key_id", report.current_key_id},
          {"resealed", report.resealed},
          {"already_current", report.already_current},
          {"unreadable", unreadable},
          {"rows_by_key", report.rows_by_key},
          {"recorded_keys", report.recorded_keys},
          {"retired", report.retired},
          {"rows_under_other_keys", report.rows_under_other_keys()}};
}

void print_report(const StoreArgs& args, const store::KeyRotationReport& report) {
  std::cout << "current key: " << report.current_key_id << "\n";
  if (!args.status && !args.retire) {
    std::cout << "re-sealed: " << report.resealed << " rows (" << report.already_current
              << " were under the current key already)\n";
  }
  std::cout << "rows per key:";
  if (report.rows_by_key.empty()) std::cout << " none";
  for (const auto& [id, count] : report.rows_by_key) {
    std::cout << " " << (id.empty() ? "(none)" : id) << "=" << count
              << (id == report.current_key_id ? " (current)" : "");
  }
  std::cout << "\n";
  for (const auto& row : report.unreadable) {
    std::cout << "cannot open: " << row.kind << " " << core::printable(row.id)
              << " (no key given opens it: left as it is)\n";
  }
  std::cout << "keys the store accepts as current:";
  for (const auto& id : report.recorded_keys) std::cout << " " << id;
  std::cout << "\n";
  if (args.retire && !report.retired.empty()) {
    std::cout << "retired:";
    for (const auto& id : report.retired) std::cout << " " << id;
    std::cout << "\n";
  }
  const std::size_t others = report.rows_under_other_keys();
  if (!report.unreadable.empty()) {
    std::cout << "next: give the key of those rows in MCPAUTH_KEY_PREVIOUS and run `mcpauth store rotate-key` "
                 "again, or log out of them\n";
  } else if (others != 0) {
    std::cout << "next: " << others
              << " rows are under an old key (written by an instance that still seals with it): once every "
                 "instance has the new key as MCPAUTH_KEY, run `mcpauth store rotate-key` again\n";
  } else if (report.recorded_keys.size() > 1) {
    std::cout << "next: every row is under the current key; once every instance runs with it as MCPAUTH_KEY, "
                 "`mcpauth store rotate-key --retire` forgets the old keys (then drop them from "
                 "MCPAUTH_KEY_PREVIOUS)\n";
  } else {
    std::cout << "next: nothing: every row is under the current key, and the old keys may be dropped\n";
  }
}

}  // namespace

int run_store(const StoreArgs& args) {
  check_arguments(args);
  const EnvLookup env = process_environment();
  require_existing_store(env);
  const auto opened = open_user_store(env);
  store::KeyRotation* rotation = store::key_rotation(*opened);
  if (!rotation) throw Error(ErrorCode::store, "this token store seals nothing: there is no key to rotate");
  store::KeyRotationReport report;
  if (args.status) {
    report = rotation->key_status();
  } else if (args.retire) {
    report = rotation->retire_keys();
  } else {
    rotation->check_rotatable();  // before a new key file is written
    report = rotation->rotate_key(rotation_options(args, env));
  }
  if (args.json) {
    std::cout << report_json(report).dump(2) << "\n";
  } else {
    print_report(args, report);
  }
  std::cout.flush();
  const bool retire_refused = args.retire && report.rows_under_other_keys() != 0;
  if (retire_refused && !args.json) {
    std::cerr << "mcpauth: nothing was retired: rows are still under another key than the current one" << std::endl;
  }
  return report.unreadable.empty() && !retire_refused ? kExitOk : kExitStore;
}

}  // namespace mcpauth::app
