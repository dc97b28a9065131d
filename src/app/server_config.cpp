#include "server_config.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string_view>

#include "mcpauth/core/json.hpp"
#include "mcpauth/core/text.hpp"
#include "mcpauth/core/url.hpp"
#include "mcpauth/error.hpp"
#include "mcpauth/mcp/session.hpp"
#include "mcpauth_internal/core/platform/paths.hpp"

namespace mcpauth::app {
namespace {

// ordered_json: servers are listed in the order the user wrote them.
using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxDepth = 64;

[[noreturn]] void fail(const std::string& message) {
  throw Error(ErrorCode::usage, message);
}

// A name for messages: as is when valid, else quoted, escaped and shortened.
std::string shown(const std::string& name) {
  if (valid_server_name(name)) return name;
  return Json(name.substr(0, 64)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// One object of the file: looks keys up by any of their spellings and knows
// every key it understands, so the rest can be reported as unknown.
class Object {
 public:
  Object(const Json& value, std::string path, const std::string& file)
      : value_(value), path_(std::move(path)), file_(file), prefix_(file + ": ") {}

  // The value under the first of `spellings` present, with its JSON path.
  std::pair<const Json*, std::string> get(std::initializer_list<const char*> spellings) const {
    std::pair<const Json*, std::string> found{nullptr, {}};
    const char* found_key = nullptr;
    for (const char* key : spellings) {
      const auto it = value_.find(key);
      if (it == value_.end()) continue;
      if (found_key) fail(prefix_ + path_ + " has both " + found_key + " and " + key + "; keep one");
      found = {&*it, path_ + "." + key};
      found_key = key;
    }
    return found;
  }

  std::optional<std::string> string(std::initializer_list<const char*> spellings) const {
    const auto [value, path] = get(spellings);
    if (!value) return std::nullopt;
    if (!value->is_string()) fail(prefix_ + path + " must be a string");
    return value->get<std::string>();
  }

  std::optional<bool> boolean(std::initializer_list<const char*> spellings) const {
    const auto [value, path] = get(spellings);
    if (!value) return std::nullopt;
    if (!value->is_boolean()) fail(prefix_ + path + " must be true or false");
    return value->get<bool>();
  }

  // A URL we use as written (no ${VAR}), checked now for an early message.
  std::optional<std::string> url(std::initializer_list<const char*> spellings) const {
    auto text = string(spellings);
    if (text) check_url(*text, get(spellings).second);
    return text;
  }

  void check_url(const std::string& text, const std::string& path) const {
    try {
      core::parse_url(text);
    } catch (const Error& e) {
      fail(prefix_ + path + ": " + e.what());
    }
  }

  // Keys no spelling matched: a warning each, since hosts add keys of their
  // own, but a misspelt key silently ignored is a confusing bug.
  void warn_unknown(std::initializer_list<const char*> known, const std::string& server, const std::string& at,
                    std::vector<std::string>& warnings) const {
    for (const auto& item : value_.items()) {
      const std::string& key = item.key();
      if (std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) continue;
      std::string warning = "unknown key " + at + key + " in server " + server;
      const auto* near = std::find_if(known.begin(), known.end(), [&](const char* k) { return core::iequals(k, key); });
      if (near != known.end()) warning += std::string(" (did you mean ") + *near + "?)";
      warnings.push_back(std::move(warning));
    }
  }

  const std::string& file() const { return file_; }
  const std::string& prefix() const { return prefix_; }

 private:
  const Json& value_;
  std::string path_;
  std::string file_;
  std::string prefix_;
};

std::string transport_of(const Object& entry) {
  const auto [value, path] = entry.get({"transport", "type"});
  if (!value) return std::string(mcp::to_string(mcp::TransportKind::automatic));
  // mcp's one table of spellings, so the config file and --transport agree.
  if (value->is_string()) {
    try {
      return std::string(mcp::to_string(mcp::parse_transport_kind(value->get<std::string>())));
    } catch (const Error&) {
    }
  }
  fail(entry.prefix() + path +
       " must be one of \"auto\", \"http\" (or \"streamable-http\", \"streamableHttp\"), \"sse\"");
}

std::vector<std::pair<std::string, std::string>> headers_of(const Object& entry) {
  const auto [value, path] = entry.get({"headers"});
  std::vector<std::pair<std::string, std::string>> headers;
  if (!value) return headers;
  if (!value->is_object()) fail(entry.prefix() + path + " must be an object of \"Name\": \"value\"");
  std::size_t index = 0;
  for (const auto& item : value->items()) {
    ++index;
    const std::string& name = item.key();
    // Never echo a bad name: "Authorization: Bearer ..." typed as a key holds the token.
    if (!core::is_token(name)) {
      fail(entry.prefix() + path + ": header name " + std::to_string(index) +
           " is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~)");
    }
    if (!item.value().is_string()) fail(entry.prefix() + path + "." + name + " must be a string");
    headers.emplace_back(name, item.value().get<std::string>());
  }
  return headers;
}

// A list of tool globs: an array of strings (one string is one glob).
std::vector<std::string> globs_of(const Object& entry, std::initializer_list<const char*> spellings) {
  const auto [value, path] = entry.get(spellings);
  std::vector<std::string> globs;
  if (!value) return globs;
  if (value->is_string()) return {value->get<std::string>()};
  if (!value->is_array()) fail(entry.prefix() + path + " must be an array of tool names or globs");
  for (const auto& glob : *value) {
    if (!glob.is_string()) fail(entry.prefix() + path + " must be an array of tool names or globs");
    globs.push_back(glob.get<std::string>());
  }
  return globs;
}

std::optional<std::string> scope_of(const Object& oauth) {
  const auto [value, path] = oauth.get({"scopes", "scope"});
  if (!value) return std::nullopt;
  if (value->is_string()) return value->get<std::string>();
  if (!value->is_array()) fail(oauth.prefix() + path + " must be a string or an array of strings");
  std::string joined;
  for (const auto& scope : *value) {
    if (!scope.is_string()) fail(oauth.prefix() + path + " must be a string or an array of strings");
    if (!joined.empty()) joined += ' ';
    joined += scope.get<std::string>();
  }
  return joined;
}

OAuthConfig oauth_of(const Object& entry, const std::string& server, std::vector<std::string>& warnings) {
  OAuthConfig config;
  const auto [value, path] = entry.get({"oauth"});
  if (!value || (value->is_boolean() && value->get<bool>())) return config;
  if (value->is_boolean()) {
    config.enabled = false;
    return config;
  }
  if (!value->is_object()) fail(entry.prefix() + path + " must be an object, or false to turn OAuth off");

  const Object oauth(*value, path, entry.file());
  config.client_id = oauth.string({"clientId", "client_id"});
  config.client_secret = oauth.string({"clientSecret", "client_secret"});
  config.client_metadata_url = oauth.url({"clientMetadataUrl", "client_metadata_url"});
  config.scope = scope_of(oauth);
  config.resource = oauth.url({"resource"});
  if (const auto [port, port_path] = oauth.get({"callbackPort", "callback_port"}); port) {
    const auto number = port->is_number_integer() ? port->get<long long>() : 0;
    if (number < 1 || number > 65535) fail(oauth.prefix() + port_path + " must be a number 1-65535");
    config.callback_port = static_cast<int>(number);
  }
  config.send_resource = oauth.boolean({"resourceParameter", "resource_parameter"}).value_or(true);
  config.enabled = oauth.boolean({"enabled"}).value_or(true);
  oauth.warn_unknown(
      {"clientId", "client_id", "clientSecret", "client_secret", "clientMetadataUrl", "client_metadata_url", "scopes",
       "scope", "callbackPort", "callback_port", "resource", "resourceParameter", "resource_parameter", "enabled"},
      server, "oauth.", warnings);
  return config;
}

void load_entry(const std::string& name, const Json& value, const std::string& top, Config& config) {
  const std::string path = top + "." + shown(name);
  if (!value.is_object()) fail(config.path + ": " + path + " must be an object");
  const Object entry(value, path, config.path);
  const auto url = entry.string({"url"});
  if (!url) {
    if (entry.get({"command"}).first) {
      config.skipped.push_back(name);
      return;
    }
    fail(config.path + ": " + path + " has neither \"url\" (a remote server) nor \"command\" (a local one)");
  }
  if (!valid_server_name(name)) {
    fail(config.path + ": the server name " + shown(name) + " must be 1-64 characters of A-Z a-z 0-9 . _ - (and not " +
         "\".\" or \"..\")");
  }
  ServerConfig server;
  server.name = name;
  server.url = *url;
  // With ${VAR} in it, the URL can only be checked once expanded.
  if (url->find("${") == std::string::npos) entry.check_url(*url, path + ".url");
  server.transport = transport_of(entry);
  server.headers = headers_of(entry);
  server.account = entry.string({"account"}).value_or("");
  server.oauth = oauth_of(entry, name, config.warnings);
  server.allowed_tools = globs_of(entry, {"allowedTools", "allowed_tools"});
  server.ignored_tools = globs_of(entry, {"ignoredTools", "ignored_tools"});
  // Keys the hosts use for their own purposes: not ours, not misspellings.
  entry.warn_unknown({"url", "transport", "type", "headers", "account", "oauth", "command", "args", "env", "cwd",
                      "description", "disabled", "autoApprove", "alwaysAllow", "timeout", "allowedTools",
                      "allowed_tools", "ignoredTools", "ignored_tools"},
                     name, "", config.warnings);
  config.servers.push_back(std::move(server));
}

std::string read_capped(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) fail("no config file at " + path);
  if (std::filesystem::is_directory(status)) fail(path + " is a directory, not a config file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read the config file " + path);
  // Read up to the cap rather than trusting the size: the file may be a pipe or still growing.
  std::string content;
  std::array<char, 64 * 1024> buffer{};
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    content.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    if (content.size() > kMaxConfigBytes) {
      fail("the config file " + path + " is larger than " + std::to_string(kMaxConfigBytes / 1024) + " KiB");
    }
  }
  if (in.bad()) fail("cannot read the config file " + path);
  return content;
}

Json parse(const std::string& content, const std::string& path) {
  return core::parse_json<Json>(content, core::JsonLimits{kMaxConfigBytes, kMaxDepth}, ErrorCode::usage,
                                "the config file " + path);
}

// Where a value of a server comes from, for messages about it.
std::string where(const std::string& what, const ServerConfig& server, const Config& config) {
  return what + " of server " + server.name + " in " + config.path;
}

// Hosts write ${env:VAR} (Cursor, VS Code); mcpauth's own form is ${VAR}.
EnvLookup host_env(const EnvLookup& env) {
  return [&env](const std::string& name) { return env(name.rfind("env:", 0) == 0 ? name.substr(4) : name); };
}

// Why `text` cannot be expanded, or nullopt: expand_env's scanner, so the
// message can name the config value instead of a --header.
std::optional<std::string> expansion_problem(const std::string& text, const EnvLookup& env) {
  std::optional<std::string> problem;
  const auto syntax = scan_env_references(
      text, [](std::string_view) {},
      [&](const std::string& name) {
        if (name.find(':') != std::string::npos && name.rfind("env:", 0) != 0) {
          problem = "${" + name + "} is a host feature mcpauth does not have (use ${VAR} for an environment variable)";
        } else if (!host_env(env)(name)) {
          problem = "environment variable " + name + " is not set (used as ${" + name + "})";
        }
        return !problem;
      });
  return syntax ? syntax : problem;
}

std::string expand(const std::string& text, const std::string& what, const EnvLookup& env) {
  if (const auto problem = expansion_problem(text, env)) fail(*problem + " in " + what);
  return expand_env(text, host_env(env));
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

ServerConfig expanded(const ServerConfig& server, const Config& config, const EnvLookup& env) {
  ServerConfig out = server;
  const std::string url = expand(server.url, where("url", server, config), env);
  try {
    out.url = core::parse_url(url).text;
  } catch (const Error& e) {
    // The expanded URL may carry a variable's value: describe it, never show it.
    if (server.url.find("${") != std::string::npos) {
      fail(where("url", server, config) + " is not a valid http(s) URL once its variables are expanded");
    }
    fail(where("url", server, config) + ": " + e.what());
  }
  for (auto& [name, value] : out.headers) {
    value = trim(expand(value, where("header " + name, server, config), env));
    if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos) {
      fail("the value of " + where("header " + name, server, config) + " contains a line break");
    }
  }
  if (out.oauth.client_id)
    out.oauth.client_id = expand(*out.oauth.client_id, where("oauth.clientId", server, config), env);
  if (out.oauth.client_secret) {
    out.oauth.client_secret = expand(*out.oauth.client_secret, where("oauth.clientSecret", server, config), env);
  }
  return out;
}

// Two spellings of one URL match: scheme and host case, default port, "" vs "/" path.
std::string comparable(const core::Url& url) {
  return core::origin_of(url) + (url.path.empty() ? "/" : url.path) + (url.query.empty() ? "" : "?" + url.query);
}

}  // namespace

bool valid_server_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c == '-'; });
}

Config load_config(const std::string& path) {
  return parse_config(read_capped(path), path);
}

Config parse_config(const std::string& content, const std::string& path) {
  if (content.size() > kMaxConfigBytes) {
    fail("the config file " + path + " is larger than " + std::to_string(kMaxConfigBytes / 1024) + " KiB");
  }
  Config config;
  config.path = path;
  const Json root = parse(content, path);
  if (!root.is_object()) fail(path + " must hold a JSON object with \"mcpServers\"");
  // VS Code's mcp.json names the same object "servers".
  const std::string top = root.contains("mcpServers") || !root.contains("servers") ? "mcpServers" : "servers";
  const auto servers = root.find(top);
  if (servers == root.end()) fail(path + " has no \"mcpServers\" object");
  if (!servers->is_object()) fail(path + ": " + top + " must be an object of named servers");
  for (const auto& item : servers->items()) load_entry(item.key(), item.value(), top, config);
  return config;
}

std::optional<std::string> default_config_path(const EnvLookup& env) {
  return core::platform::config_file_path(core::platform::current_os(), env);
}

std::optional<Config> load_config_option(const std::string& path, const EnvLookup& env) {
  if (path.empty()) return load_default_config(env);
  return load_config(path);
}

std::optional<Config> load_default_config(const EnvLookup& env) {
  const auto path = default_config_path(env);
  if (!path) return std::nullopt;
  const bool explicit_path = env("MCPAUTH_CONFIG").value_or("") == *path;
  std::error_code ec;
  if (!explicit_path && !std::filesystem::exists(*path, ec)) return std::nullopt;
  return load_config(*path);
}

// The argument as a URL, if it is one. "host:port/path" typed without a
// scheme is one too: no server name holds ':' or '/' (valid_server_name), and
// https is assumed.
static std::optional<std::string> as_url(const std::string& argument) {
  if (argument.find("://") != std::string::npos) return argument;
  if (argument.find_first_of(":/") == std::string::npos) return std::nullopt;
  const auto first = argument.find_first_not_of(" \t");
  return "https://" + (first == std::string::npos ? std::string() : argument.substr(first));
}

ServerConfig resolve_server(const std::string& name_or_url, const std::optional<Config>& config, const EnvLookup& env) {
  if (const auto url = as_url(name_or_url)) {
    const core::Url wanted = core::parse_url(*url);
    if (config) {
      for (const auto& server : config->servers) {
        // An entry whose variables are unset cannot be the one meant; skip it quietly.
        if (expansion_problem(server.url, env)) continue;
        try {
          if (comparable(core::parse_url(expand_env(server.url, host_env(env)))) == comparable(wanted)) {
            return expanded(server, *config, env);
          }
        } catch (const Error&) {
        }
      }
    }
    ServerConfig ad_hoc;
    ad_hoc.url = wanted.text;
    return ad_hoc;
  }

  if (!config) {
    const auto path = default_config_path(env);
    if (!path) fail("no server named " + name_or_url + ": no config file (set HOME or MCPAUTH_CONFIG); pass a URL");
    fail("no config file at " + *path + "; pass a URL or create the file");
  }
  for (const auto& server : config->servers) {
    if (server.name == name_or_url) return expanded(server, *config, env);
  }
  if (std::find(config->skipped.begin(), config->skipped.end(), name_or_url) != config->skipped.end()) {
    fail(name_or_url + " is a stdio server (command); mcpauth connects to remote servers by URL");
  }
  std::string names;
  for (const auto& server : config->servers) names += (names.empty() ? "" : ", ") + server.name;
  fail("no server named " + name_or_url + " in " + config->path +
       (names.empty() ? "; it configures no remote server" : "; configured: " + names));
}

}  // namespace mcpauth::app
