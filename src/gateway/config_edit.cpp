#include "config_edit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mcpauth/core/json.hpp"
#include "mcpauth/error.hpp"
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

void write_atomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) fail("cannot create the directory of the config file " + path);
    ::chmod(dir.c_str(), 0700);
  }
  std::string temp = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());  // 0600
  if (fd < 0) fail("cannot write next to the config file " + path + ": " + std::strerror(errno));
  bool ok = true;
  std::size_t written = 0;
  while (ok && written < content.size()) {
    const auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  ok = ok && ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    fail("cannot write the config file " + path + ": " + reason);
  }
}

}  // namespace

void add_server_entry(const std::string& path, const NewServer& server) {
  Json root = read_document(path);
  const std::string key = servers_key(root);
  Json& servers = root[key];
  if (!servers.is_object()) fail(path + ": " + key + " must be an object of named servers");
  if (servers.contains(server.name)) fail("a server named " + server.name + " is already configured");
  Json entry = Json::object();
  entry["url"] = server.url;
  if (!server.headers.empty()) {
    Json headers = Json::object();
    for (const auto& [name, value] : server.headers) headers[name] = value;
    entry["headers"] = headers;
  }
  if (server.client_id) entry["oauth"] = Json{{"clientId", *server.client_id}};
  servers[server.name] = entry;
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
