// `mcpauth users add|list|remove`: the gateway's users. A new user's API key
// is printed once, alone on stdout (so a script can capture it); the store
// keeps only its SHA-256. Removing a user logs out of each of its grants
// (revoked at the authorization server where possible, deleted here).
#include <chrono>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/store/local_users.hpp"

namespace mcpauth::app {
namespace {

std::shared_ptr<store::UserDirectory> users_of(const std::shared_ptr<store::TokenStore>& token_store) {
  auto users = store::user_directory(token_store);
  if (!users) throw Error(ErrorCode::store, "this token store keeps no users");
  return users;
}

// "2026-12-07 20:57 UTC": when a user was made, to the minute.
std::string utc_minute(store::Clock::time_point t) {
  using namespace std::chrono;
  const auto minutes = floor<std::chrono::minutes>(t.time_since_epoch());
  const auto day = floor<days>(minutes);
  const year_month_day date{sys_days(day)};
  const auto in_day = (minutes - day).count();
  std::ostringstream out;
  out << std::setfill('0') << static_cast<int>(date.year()) << '-' << std::setw(2)
      << static_cast<unsigned>(date.month()) << '-' << std::setw(2) << static_cast<unsigned>(date.day()) << ' '
      << std::setw(2) << in_day / 60 << ':' << std::setw(2) << in_day % 60 << " UTC";
  return out.str();
}

int add(const UsersArgs& args, store::UserDirectory& users) {
  store::check_user_name(args.name);
  const std::string key = store::new_api_key();
  if (!users.add_user(args.name, args.admin, store::hash_api_key(key))) {
    throw Error(ErrorCode::usage, "a user named " + args.name + " exists already (remove it first for a new key)");
  }
  std::cerr << "Added " << (args.admin ? "admin " : "user ") << args.name
            << ". Its API key follows, shown this once (only its hash is kept); clients send it as "
               "Authorization: Bearer <key>.\n";
  std::cout << key << '\n';
  return std::cout.flush() ? kExitOk : kExitUsage;
}

int list(const UsersArgs& args, store::UserDirectory& users) {
  const auto all = users.list_users();
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& user : all) {
      out.push_back({{"name", user.name},
                     {"admin", user.admin},
                     {"api_key", user.has_key},
                     {"created_at",
                      std::chrono::duration_cast<std::chrono::seconds>(user.created_at.time_since_epoch()).count()}});
    }
    std::cout << out.dump(2) << '\n';
    return kExitOk;
  }
  if (all.empty()) {
    std::cout << "No users: the gateway serves one user (its loopback mode). Add one with `mcpauth users add NAME`.\n";
    return kExitOk;
  }
  std::size_t width = 4;
  for (const auto& user : all) width = std::max(width, user.name.size());
  std::cout << std::left << std::setw(static_cast<int>(width)) << "NAME"
            << "  ROLE   KEY      CREATED\n";
  for (const auto& user : all) {
    std::cout << std::left << std::setw(static_cast<int>(width)) << user.name << "  "
              << (user.admin ? "admin  " : "user   ") << (user.has_key ? "api key  " : "host     ")
              << utc_minute(user.created_at) << '\n';
  }
  return kExitOk;
}

int remove(const UsersArgs& args, store::TokenStore& token_store, store::UserDirectory& users) {
  store::check_user_name(args.name);
  if (!users.find_user(args.name)) throw Error(ErrorCode::usage, "there is no user named " + args.name);
  log_out_account(token_store, args.name);
  users.remove_user(args.name);  // and any grant written meanwhile
  std::cout << "Removed user " << args.name << ".\n";
  return kExitOk;
}

}  // namespace

int run_users(const UsersArgs& args) {
  const bool named = args.action != "list";
  if (named && args.name.empty()) throw Error(ErrorCode::usage, "name the user to " + args.action);
  if (!named && !args.name.empty()) throw Error(ErrorCode::usage, "users list takes no name");
  if (args.admin && args.action != "add") throw Error(ErrorCode::usage, "--admin goes with users add");
  if (args.json && args.action != "list") throw Error(ErrorCode::usage, "--json goes with users list");
  auto token_store = open_user_store(process_environment());
  const auto users = users_of(token_store);
  if (args.action == "add") return add(args, *users);
  if (args.action == "remove") return remove(args, *token_store, *users);
  return list(args, *users);
}

}  // namespace mcpauth::app
