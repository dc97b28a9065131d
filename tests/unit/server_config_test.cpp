// The mcpServers config file (app/server_config): loading, checking and
// resolving a server by name or URL. Files go to a fresh temporary directory.
#include "server_config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "fake_env.hpp"
#include "mcpauth/error.hpp"

namespace mcpauth::app {
namespace {

namespace fs = std::filesystem;

using testing::fake_env;

// Runs f, which must throw mcpauth::Error(usage); returns its message.
template <typename F>
std::string usage_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::usage) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

class ServerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "mcpauth-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& content, const std::string& name = "config.json") {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  Config load(const std::string& content) { return load_config(write(content)); }
  std::string load_error(const std::string& content) {
    return usage_error([&] { load_config(write(content)); });
  }

  fs::path dir_;
};

// ---- loading ---------------------------------------------------------------

TEST_F(ServerConfigTest, ClaudeDesktopStyleSkipsStdioEntries) {
  const Config c = load(R"({
    "globalShortcut": "Ctrl+Space",
    "mcpServers": {
      "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]},
      "linear": {"url": "https://mcp.linear.app/mcp"},
      "my local thing": {"command": "node", "args": ["server.js"], "env": {"KEY": "x"}}
    }})");
  ASSERT_EQ(c.servers.size(), 1u);
  EXPECT_EQ(c.servers[0].name, "linear");
  EXPECT_EQ(c.servers[0].url, "https://mcp.linear.app/mcp");
  EXPECT_EQ(c.servers[0].transport, "auto");
  EXPECT_TRUE(c.servers[0].oauth.enabled);
  EXPECT_TRUE(c.servers[0].oauth.send_resource);
  EXPECT_EQ(c.skipped, (std::vector<std::string>{"filesystem", "my local thing"}));
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(ServerConfigTest, CursorStyleUrlWithHeadersKeepsFileOrder) {
  const Config c = load(R"({"mcpServers": {
      "zeta": {"url": "https://z.example/mcp", "headers": {"Authorization": "Bearer ${Z_TOKEN}", "X-Team": "t1"}},
      "alpha": {"url": "http://127.0.0.1:3000/mcp", "account": "work"}
    }})");
  ASSERT_EQ(c.servers.size(), 2u);
  EXPECT_EQ(c.servers[0].name, "zeta");
  EXPECT_EQ(c.servers[1].name, "alpha");
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(c.servers[0].headers, (Headers{{"Authorization", "Bearer ${Z_TOKEN}"}, {"X-Team", "t1"}}));
  EXPECT_EQ(c.servers[1].account, "work");
}

TEST_F(ServerConfigTest, ToolListsInEitherSpellingAsArraysOrOneString) {
  const Config c = load(R"({"mcpServers": {
      "a": {"url": "https://a.example/mcp", "allowedTools": ["read_*", "search"], "ignoredTools": "read_secret*"},
      "b": {"url": "https://b.example/mcp", "allowed_tools": "echo", "ignored_tools": ["x", "y*"]},
      "c": {"url": "https://c.example/mcp"}
    }})");
  ASSERT_EQ(c.servers.size(), 3u);
  using Globs = std::vector<std::string>;
  EXPECT_EQ(c.servers[0].allowed_tools, (Globs{"read_*", "search"}));
  EXPECT_EQ(c.servers[0].ignored_tools, (Globs{"read_secret*"}));
  EXPECT_EQ(c.servers[1].allowed_tools, (Globs{"echo"}));
  EXPECT_EQ(c.servers[1].ignored_tools, (Globs{"x", "y*"}));
  EXPECT_TRUE(c.servers[2].allowed_tools.empty());
  EXPECT_TRUE(c.servers[2].ignored_tools.empty());
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(ServerConfigTest, AToolListOfAnythingButStringsIsRefused) {
  EXPECT_NE(load_error(R"({"mcpServers": {"a": {"url": "https://a.example/mcp", "allowedTools": [1]}}})")
                .find("allowedTools must be an array of tool names or globs"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"mcpServers": {"a": {"url": "https://a.example/mcp", "ignoredTools": {"x": 1}}}})")
                .find("ignoredTools must be an array"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"mcpServers": {"a": {"url": "https://a.example/mcp", "allowedTools": ["a"],
                                                  "allowed_tools": ["b"]}}})")
                .find("keep one"),
            std::string::npos);
}

TEST_F(ServerConfigTest, VsCodeServersObjectIsAccepted) {
  const Config c = load(R"({"servers": {"gh": {"type": "http", "url": "https://api.example/mcp/"}}})");
  ASSERT_EQ(c.servers.size(), 1u);
  EXPECT_EQ(c.servers[0].transport, "http");
}

TEST_F(ServerConfigTest, EveryOAuthKeyInCamelCase) {
  const Config c = load(R"({"mcpServers": {"notion": {"url": "https://mcp.notion.com/sse", "oauth": {
      "clientId": "abc", "clientSecret": "${NOTION_SECRET}",
      "clientMetadataUrl": "https://example.com/mcpauth.json",
      "scopes": ["read", "write"], "callbackPort": 8976,
      "resource": "https://mcp.notion.com/", "resourceParameter": false, "enabled": true}}}})");
  const auto& o = c.servers.at(0).oauth;
  EXPECT_EQ(o.client_id, "abc");
  EXPECT_EQ(o.client_secret, "${NOTION_SECRET}");  // expanded only when resolved
  EXPECT_EQ(o.client_metadata_url, "https://example.com/mcpauth.json");
  EXPECT_EQ(o.scope, "read write");
  EXPECT_EQ(o.callback_port, 8976);
  EXPECT_EQ(o.resource, "https://mcp.notion.com/");
  EXPECT_FALSE(o.send_resource);
  EXPECT_TRUE(o.enabled);
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(ServerConfigTest, EveryOAuthKeyInSnakeCase) {
  const Config c = load(R"({"mcpServers": {"n": {"url": "https://mcp.notion.com/mcp", "oauth": {
      "client_id": "abc", "client_secret": "s", "client_metadata_url": "https://example.com/m.json",
      "scope": "read write", "callback_port": 1, "resource": "https://mcp.notion.com/",
      "resource_parameter": true, "enabled": false}}}})");
  const auto& o = c.servers.at(0).oauth;
  EXPECT_EQ(o.client_id, "abc");
  EXPECT_EQ(o.client_secret, "s");
  EXPECT_EQ(o.client_metadata_url, "https://example.com/m.json");
  EXPECT_EQ(o.scope, "read write");
  EXPECT_EQ(o.callback_port, 1);
  EXPECT_TRUE(o.send_resource);
  EXPECT_FALSE(o.enabled);
  EXPECT_TRUE(c.warnings.empty());
}

TEST_F(ServerConfigTest, OAuthFalseDisablesAndTrueKeepsDefaults) {
  const Config c = load(R"({"mcpServers": {"a": {"url": "https://a.example/mcp", "oauth": false},
                                           "b": {"url": "https://b.example/mcp", "oauth": true}}})");
  EXPECT_FALSE(c.servers.at(0).oauth.enabled);
  EXPECT_TRUE(c.servers.at(1).oauth.enabled);
  EXPECT_FALSE(c.servers.at(1).oauth.client_id);
}

TEST_F(ServerConfigTest, TransportAndTypeSpellingsNormalize) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("transport": "auto")", "auto"},
      {R"("transport": "http")", "http"},
      {R"("type": "streamable-http")", "http"},
      {R"("type": "streamableHttp")", "http"},
      {R"("transport": "streamableHttp")", "http"},
      {R"("type": "sse")", "sse"},
      // mcp::parse_transport_kind's other names, as --transport takes them.
      {R"("transport": "http-only")", "http"},
      {R"("transport": "sse-first")", "sse-first"},
  };
  for (const auto& [field, kind] : cases) {
    const Config c = load(R"({"mcpServers": {"s": {"url": "https://s.example/mcp", )" + field + "}}}");
    EXPECT_EQ(c.servers.at(0).transport, kind) << field;
  }
}

TEST_F(ServerConfigTest, BadTypesNameTheJsonPath) {
  const auto entry = [](const std::string& fields) {
    return R"({"mcpServers": {"notion": {"url": "https://mcp.notion.com/mcp", )" + fields + "}}}";
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {entry(R"("oauth": {"callbackPort": "8976"})"), "mcpServers.notion.oauth.callbackPort must be a number 1-65535"},
      {entry(R"("oauth": {"callback_port": 70000})"), "mcpServers.notion.oauth.callback_port must be a number 1-65535"},
      {entry(R"("oauth": {"callbackPort": 0})"), "mcpServers.notion.oauth.callbackPort must be a number 1-65535"},
      {entry(R"("oauth": {"callbackPort": 80.5})"), "mcpServers.notion.oauth.callbackPort must be a number 1-65535"},
      {entry(R"("oauth": {"clientId": 5})"), "mcpServers.notion.oauth.clientId must be a string"},
      {entry(R"("oauth": {"scopes": ["a", 1]})"), "mcpServers.notion.oauth.scopes must be a string or an array"},
      {entry(R"("oauth": {"enabled": "no"})"), "mcpServers.notion.oauth.enabled must be true or false"},
      {entry(R"("oauth": {"resource_parameter": 0})"), "mcpServers.notion.oauth.resource_parameter must be true"},
      {entry(R"("oauth": {"resource": "not a url"})"), "mcpServers.notion.oauth.resource: "},
      {entry(R"("oauth": {"clientId": "a", "client_id": "b"})"), "mcpServers.notion.oauth has both clientId and"},
      {entry(R"("oauth": "yes")"), "mcpServers.notion.oauth must be an object, or false"},
      {entry(R"("headers": ["X: y"])"), "mcpServers.notion.headers must be an object"},
      {entry(R"("headers": {"X-Team": 1})"), "mcpServers.notion.headers.X-Team must be a string"},
      {entry(R"("transport": "websocket")"), "mcpServers.notion.transport must be one of"},
      {entry(R"("type": "stdio")"), "mcpServers.notion.type must be one of"},
      {entry(R"("account": 1)"), "mcpServers.notion.account must be a string"},
      {R"({"mcpServers": {"notion": {"url": 1}}})", "mcpServers.notion.url must be a string"},
      {R"({"mcpServers": {"notion": {"url": "ftp://x/y"}}})", "mcpServers.notion.url: unsupported URL scheme"},
      {R"({"mcpServers": {"notion": "https://x"}})", "mcpServers.notion must be an object"},
      {R"({"mcpServers": {"notion": {"headers": {}}}})", "mcpServers.notion has neither \"url\""},
      {R"({"mcpServers": []})", "mcpServers must be an object"},
      {R"({"other": {}})", "has no \"mcpServers\" object"},
      {R"([1, 2])", "must hold a JSON object"},
  };
  for (const auto& [json, expected] : cases) {
    const std::string message = load_error(json);
    EXPECT_NE(message.find(expected), std::string::npos) << json << "\n  -> " << message;
    EXPECT_NE(message.find(dir_.string()), std::string::npos) << message;  // names the file too
  }
}

TEST_F(ServerConfigTest, InvalidNamesAreRefusedButStdioNamesAreNotOurs) {
  for (const std::string& name :
       std::vector<std::string>{"has space", "a/b", "..", ".", "", std::string(65, 'a'), "caf\\u00e9"}) {
    const std::string message = load_error(R"({"mcpServers": {")" + name + R"(": {"url": "https://x.example/"}}})");
    EXPECT_NE(message.find("the server name"), std::string::npos) << name << " -> " << message;
    EXPECT_NE(message.find("must be 1-64 characters"), std::string::npos) << message;
  }
  EXPECT_EQ(load(R"({"mcpServers": {")" + std::string(64, 'a') + R"(": {"url": "https://x.example/"}}})")
                .servers.at(0)
                .name.size(),
            64u);
  EXPECT_EQ(load(R"({"mcpServers": {"A.b_c-9": {"url": "https://x.example/"}}})").servers.at(0).name, "A.b_c-9");
}

TEST_F(ServerConfigTest, UnknownKeysBecomeWarnings) {
  const Config c = load(R"({"mcpServers": {"linear": {"url": "https://mcp.linear.app/mcp", "URL": "x",
      "disabled": false, "autoApprove": [], "extra": 1, "oauth": {"clientid": "a", "colour": "red"}}}})");
  ASSERT_EQ(c.servers.size(), 1u);
  EXPECT_FALSE(c.servers[0].oauth.client_id);
  EXPECT_EQ(c.warnings, (std::vector<std::string>{
                            "unknown key oauth.clientid in server linear (did you mean clientId?)",
                            "unknown key oauth.colour in server linear",
                            "unknown key URL in server linear (did you mean url?)",
                            "unknown key extra in server linear",
                        }));
}

TEST_F(ServerConfigTest, InvalidJsonNamesThePositionButNotTheText) {
  const std::string message = load_error(
      "{\"mcpServers\": {\"a\": {\"url\": \"https://x/\",\n"
      "  \"headers\": {\"Authorization\": Bearer-sk-live-SECRET}}}}");
  EXPECT_NE(message.find("is not valid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("byte "), std::string::npos) << message;
  EXPECT_EQ(message.find("SECRET"), std::string::npos) << message;
  EXPECT_EQ(message.find("Bearer"), std::string::npos) << message;
}

TEST_F(ServerConfigTest, DeepNestingIsRefused) {
  const std::string message =
      load_error(R"({"mcpServers": {}, "x": )" + std::string(1000, '[') + std::string(1000, ']') + "}");
  EXPECT_NE(message.find("nested deeper"), std::string::npos) << message;
}

TEST_F(ServerConfigTest, OversizedFileIsRefused) {
  std::string big = R"({"mcpServers": {}, "pad": ")" + std::string(mcpauth::app::kMaxConfigBytes, 'x') + "\"}";
  const std::string message = load_error(big);
  EXPECT_NE(message.find("larger than 1024 KiB"), std::string::npos) << message;
}

TEST_F(ServerConfigTest, MissingFileAndDirectoryAreErrors) {
  const std::string missing = (dir_ / "nope.json").string();
  EXPECT_EQ(usage_error([&] { load_config(missing); }), "no config file at " + missing);
  EXPECT_NE(usage_error([&] { load_config(dir_.string()); }).find("is a directory"), std::string::npos);
}

// ---- resolving -------------------------------------------------------------

TEST_F(ServerConfigTest, ResolvingExpandsOnlyTheChosenServer) {
  const Config c = load(R"({"mcpServers": {
      "notion": {"url": "https://mcp.notion.com/${NOTION_PATH}", "headers": {"X-Team": "${env:NOTION_TEAM}"},
                 "oauth": {"clientId": "id-${NOTION_ID}", "clientSecret": "${NOTION_SECRET}"}},
      "other": {"url": "https://other.example/mcp", "headers": {"X-Key": "${UNSET_FOR_NOTION}"}}}})");
  const auto env =
      fake_env({{"NOTION_PATH", "mcp"}, {"NOTION_TEAM", " team-1 "}, {"NOTION_ID", "7"}, {"NOTION_SECRET", "s3cret"}});
  const ServerConfig s = resolve_server("notion", c, env);
  EXPECT_EQ(s.name, "notion");
  EXPECT_EQ(s.url, "https://mcp.notion.com/mcp");
  EXPECT_EQ(s.headers.at(0), (std::pair<std::string, std::string>{"X-Team", "team-1"}));
  EXPECT_EQ(s.oauth.client_id, "id-7");
  EXPECT_EQ(s.oauth.client_secret, "s3cret");
  EXPECT_EQ(c.servers.at(0).oauth.client_secret, "${NOTION_SECRET}");  // the loaded config is unchanged

  const std::string message = usage_error([&] { resolve_server("other", c, env); });
  EXPECT_NE(message.find("environment variable UNSET_FOR_NOTION is not set"), std::string::npos) << message;
  EXPECT_NE(message.find("header X-Key of server other"), std::string::npos) << message;
}

TEST_F(ServerConfigTest, UnsupportedHostVariablesAreNamed) {
  const Config c = load(R"({"mcpServers": {"s": {"url": "https://s.example/", "headers": {"K": "${input:key}"}}}})");
  const std::string message = usage_error([&] { resolve_server("s", c, fake_env({})); });
  EXPECT_NE(message.find("${input:key} is a host feature"), std::string::npos) << message;
}

// The error messages of resolution name variables and keys, never the values.
TEST_F(ServerConfigTest, ErrorsNeverShowHeaderValuesOrSecrets) {
  const Config c = load(R"({"mcpServers": {
      "h": {"url": "https://h.example/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}},
      "u": {"url": "https://u.example/mcp?key=${TOKEN}${BAD}"},
      "s": {"url": "https://s.example/mcp", "oauth": {"clientSecret": "${TOKEN}${MISSING}"}}}})");
  const std::string secret = "sk-live-SECRET";
  const auto env = fake_env({{"TOKEN", secret + "\r\nX-Evil: 1"}, {"BAD", " sp ace\x01"}});

  const std::string header = usage_error([&] { resolve_server("h", c, env); });
  EXPECT_NE(header.find("header Authorization of server h"), std::string::npos) << header;
  EXPECT_NE(header.find("line break"), std::string::npos) << header;

  const std::string url = usage_error([&] { resolve_server("u", c, env); });
  EXPECT_NE(url.find("url of server u"), std::string::npos) << url;

  const std::string missing = usage_error([&] { resolve_server("s", c, env); });
  EXPECT_NE(missing.find("environment variable MISSING is not set"), std::string::npos) << missing;
  EXPECT_NE(missing.find("oauth.clientSecret of server s"), std::string::npos) << missing;

  for (const auto& message : {header, url, missing}) {
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
    EXPECT_EQ(message.find("Bearer"), std::string::npos) << message;
  }
}

TEST_F(ServerConfigTest, ResolvingByNameReportsWhatExists) {
  const Config c = load(R"({"mcpServers": {"b": {"url": "https://b.example/"}, "fs": {"command": "npx"},
                                           "a": {"url": "https://a.example/"}}})");
  EXPECT_EQ(resolve_server("a", c, fake_env({})).url, "https://a.example/");
  EXPECT_EQ(usage_error([&] { resolve_server("zz", c, fake_env({})); }),
            "no server named zz in " + c.path + "; configured: b, a");
  EXPECT_EQ(usage_error([&] { resolve_server("fs", c, fake_env({})); }),
            "fs is a stdio server (command); mcpauth connects to remote servers by URL");

  const Config empty = load(R"({"mcpServers": {}})");
  EXPECT_EQ(usage_error([&] { resolve_server("a", empty, fake_env({})); }),
            "no server named a in " + empty.path + "; it configures no remote server");

  EXPECT_EQ(usage_error([&] {
              resolve_server("a", std::nullopt, fake_env({{"HOME", "/home/u"}}));
            }),
            "no config file at /home/u/.config/mcpauth/config.json; pass a URL or create the file");
}

TEST_F(ServerConfigTest, UrlArgumentUsesAMatchingEntryOrStandsAlone) {
  const Config c = load(R"({"mcpServers": {
      "unset": {"url": "https://${NOPE}/mcp"},
      "linear": {"url": "https://mcp.linear.app/mcp", "account": "work", "oauth": {"clientId": "${ID}"}},
      "root": {"url": "https://root.example"}}})");
  const auto env = fake_env({{"ID", "lin"}});

  const ServerConfig same = resolve_server("HTTPS://MCP.Linear.App:443/mcp", c, env);
  EXPECT_EQ(same.name, "linear");
  EXPECT_EQ(same.account, "work");
  EXPECT_EQ(same.oauth.client_id, "lin");
  EXPECT_EQ(resolve_server("https://root.example/", c, env).name, "root");

  for (const std::string other :
       {"https://mcp.linear.app/mcp/", "https://mcp.linear.app/sse", "http://mcp.linear.app/mcp"}) {
    const ServerConfig ad_hoc = resolve_server(other, c, env);
    EXPECT_EQ(ad_hoc.name, "") << other;
    EXPECT_EQ(ad_hoc.url, other);
    EXPECT_EQ(ad_hoc.transport, "auto");
    EXPECT_TRUE(ad_hoc.oauth.enabled);
  }
  EXPECT_EQ(resolve_server(" https://x.example/mcp ", std::nullopt, env).url, "https://x.example/mcp");
  EXPECT_NE(usage_error([&] { resolve_server("ftp://x.example/", c, env); }).find("unsupported URL scheme"),
            std::string::npos);
}

TEST_F(ServerConfigTest, HostPortPathWithoutASchemeIsAnHttpsUrlNotAName) {
  const Config c = load(R"({"mcpServers": {"linear": {"url": "https://mcp.linear.app/mcp", "account": "work"}}})");
  const auto env = fake_env({});
  EXPECT_EQ(resolve_server("mcp.linear.app/mcp", c, env).name, "linear");
  EXPECT_EQ(resolve_server("mcp.linear.app:443/mcp", c, env).account, "work");
  EXPECT_EQ(resolve_server("localhost:3000/mcp", c, env).url, "https://localhost:3000/mcp");
  EXPECT_EQ(resolve_server(" example.com/sse", std::nullopt, env).url, "https://example.com/sse");
  EXPECT_EQ(resolve_server("127.0.0.1:8080", std::nullopt, env).url, "https://127.0.0.1:8080");
  // Without ':' or '/' it is still a name, even with dots.
  EXPECT_EQ(usage_error([&] { resolve_server("mcp.linear.app", c, env); }),
            "no server named mcp.linear.app in " + c.path + "; configured: linear");
}

// ---- the default path ------------------------------------------------------

TEST_F(ServerConfigTest, DefaultPathPrecedence) {
  EXPECT_EQ(
      default_config_path(fake_env({{"MCPAUTH_CONFIG", "/etc/m.json"}, {"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}})),
      "/etc/m.json");
  EXPECT_EQ(default_config_path(fake_env({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}})), "/x/mcpauth/config.json");
  EXPECT_EQ(default_config_path(fake_env({{"HOME", "/h"}})), "/h/.config/mcpauth/config.json");
  // Empty counts as unset; a relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
  EXPECT_EQ(default_config_path(fake_env({{"MCPAUTH_CONFIG", ""}, {"XDG_CONFIG_HOME", "rel"}, {"HOME", "/h"}})),
            "/h/.config/mcpauth/config.json");
  EXPECT_EQ(default_config_path(fake_env({})), std::nullopt);
}

TEST_F(ServerConfigTest, LoadDefaultConfig) {
  const std::string home = dir_.string();
  EXPECT_FALSE(load_default_config(fake_env({{"HOME", home}})));  // no file: not an error
  EXPECT_FALSE(load_default_config(fake_env({})));

  write(R"({"mcpServers": {"x": {"url": "https://xdg.example/"}}})", "xdg/mcpauth/config.json");
  const auto xdg = load_default_config(fake_env({{"HOME", home}, {"XDG_CONFIG_HOME", home + "/xdg"}}));
  ASSERT_TRUE(xdg);
  EXPECT_EQ(xdg->servers.at(0).url, "https://xdg.example/");

  write(R"({"mcpServers": {"h": {"url": "https://home.example/"}}})", ".config/mcpauth/config.json");
  EXPECT_EQ(load_default_config(fake_env({{"HOME", home}}))->servers.at(0).name, "h");

  // $MCPAUTH_CONFIG names a file on purpose: a typo there must not go unnoticed.
  const std::string missing = home + "/typo.json";
  EXPECT_EQ(usage_error([&] {
              load_default_config(fake_env({{"HOME", home}, {"MCPAUTH_CONFIG", missing}}));
            }),
            "no config file at " + missing);
}

}  // namespace
}  // namespace mcpauth::app

// The one server-name rule, shared by the config file and the dashboard's add.
TEST(ValidServerName, LettersDigitsDotUnderscoreDashUpTo64) {
  EXPECT_TRUE(mcpauth::app::valid_server_name("notion"));
  EXPECT_TRUE(mcpauth::app::valid_server_name("a.b_c-9"));
  EXPECT_TRUE(mcpauth::app::valid_server_name(std::string(64, 'x')));
  EXPECT_TRUE(mcpauth::app::valid_server_name("..."));
  EXPECT_FALSE(mcpauth::app::valid_server_name(std::string(65, 'x')));
  EXPECT_FALSE(mcpauth::app::valid_server_name(""));
  EXPECT_FALSE(mcpauth::app::valid_server_name("."));
  EXPECT_FALSE(mcpauth::app::valid_server_name(".."));
  for (const char* bad : {"a b", "a/b", "a:b", "caf\xC3\xA9", "a\nb"}) {
    EXPECT_FALSE(mcpauth::app::valid_server_name(bad)) << bad;
  }
}
