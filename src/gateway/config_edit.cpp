#include "config_edit.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mcpauth/core/json.hpp"
#include "mcpauth/core/random.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth_internal/platform/private_file.hpp"
#include "server_config.hpp"

namespace mcpauth::gateway {
namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void fail(const std::string& message) {
  throw Error(ErrorCode::usage, message);
}

Json read_document(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Json{{"mcpServers", Json::object()}};
  // The same checks (size cap, depth, types) as every command's reading.
  app::load_config(path);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return core::parse_json<Json>(text.str(), core::JsonLimits{}, ErrorCode::usage, "the config file " + path);
}

std::string servers_key(const Json& root) {
  return root.contains("mcpServers") || !root.contains("servers") ? "mcpServers" : "servers";
}

// A reader sees the old file or the new one, never a part: the new one is
// written whole under a name of its own, then renamed over the old.
void write_atomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) fail("cannot create the directory of the config file " + path);
    // Best effort, as the file itself is owner-only.
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  }
  const auto temp = dir / ("." + target.filename().string() + "." + core::random_token().substr(0, 12));
  if (const auto error = platform::create_private_file(temp, content)) {
    fail("cannot write next to the config file " + path + ": " + error.message());
  }
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    fail("cannot write the config file " + path + ": " + ec.message());
  }
}

}  // namespace

namespace {

Json entry_of(const NewServer& server) {
  Json entry = Json::object();
  entry["url"] = server.url;
  if (!server.headers.empty()) {
    Json headers = Json::object();
    for (const auto& [name, value] : server.headers) headers[name] = value;
    entry["headers"] = headers;
  }
  if (server.client_id) entry["oauth"] = Json{{"clientId", *server.client_id}};
  return entry;
}

}  // namespace

std::string server_entry_json(const NewServer& server) {
  return entry_of(server).dump();
}

void add_server_entry(const std::string& path, const NewServer& server) {
  Json root = read_document(path);
  const std::string key = servers_key(root);
  Json& servers = root[key];
  if (!servers.is_object()) fail(path + ": " + key + " must be an object of named servers");
  if (servers.contains(server.name)) fail("a server named " + server.name + " is already configured");
  servers[server.name] = entry_of(server);
  write_atomically(path, root.dump(2) + "\n");
}

bool remove_server_entry(const std::string& path, const std::string& name) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return false;
  Json root = read_document(path);
  const std::string key = servers_key(root);
  auto servers = root.find(key);
  if (servers == root.end() || !servers->is_object() || !servers->contains(name)) return false;
  servers->erase(name);
  write_atomically(path, root.dump(2) + "\n");
  return true;
}

}  // namespace mcpauth::gateway
