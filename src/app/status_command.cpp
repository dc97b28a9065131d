// `mcpauth status`: what is stored per server and account. Never a token.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "error_hints.hpp"
#include "exit_codes.hpp"
#include "mcpauth/core/oauth/grant_state.hpp"
#include "mcpauth/core/printable.hpp"
#include "mcpauth/core/url.hpp"
#include "server_config.hpp"
#include "stored_grants.hpp"

namespace mcpauth::app {
namespace {

using Clock = store::Clock;

struct Row {
  std::string server;  // config name, or the URL
  std::string url;
  std::string account;
  std::string state;  // authorized | refresh-only | needs authorization | error
  std::optional<Clock::time_point> expires_at;
  std::string issuer;
  std::string scope;
  std::string client;
  std::string detail;  // the error, or what to do
};

std::string client_type(store::ClientStore& store, const store::TokenKey& key) {
  const auto client = store.load_client(key.issuer);
  if (!client || client->client_id != key.client_id) return "dynamic (replaced)";
  return std::string(core::oauth::to_string(client->kind));
}

// The stored client of each authorization server (an id is no secret), so a
// wrong one can be seen and removed with `mcpauth logout SERVER --all`.
void print_clients(const std::vector<core::oauth::ClientRegistration>& clients) {
  if (clients.empty()) return;
  std::cout << "\nClients:\n";
  for (const auto& c : clients)
    std::cout << "  " << c.issuer << ": " << c.client_id << " (" << core::oauth::to_string(c.kind) << ")\n";
}

Row row_for(store::TokenStore& store, const std::string& server, const std::string& url,
            const store::GrantRecord& grant) {
  Row row{server,
          url,
          grant.key.account,
          "authorized",
          grant.tokens.expires_at,
          grant.key.issuer,
          grant.tokens.scope.value_or(""),
          client_type(store, grant.key),
          ""};
  if (grant.error) {
    row.state = "error";
    row.detail = *grant.error;
    return row;
  }
  switch (core::oauth::grant_state(grant.tokens, Clock::now())) {
    case core::oauth::GrantState::valid:
    case core::oauth::GrantState::expiring: break;
    case core::oauth::GrantState::expired_refreshable: row.state = "refresh-only"; break;
    case core::oauth::GrantState::expired:
      row.state = "needs authorization";
      row.detail = "the access token expired and there is no refresh token";
      break;
  }
  return row;
}

std::vector<Row> rows_for_server(store::TokenStore& store, const StoredGrants& stored, const std::string& name,
                                 const std::string& url) {
  const ServerGrants found = stored.for_server(url);
  std::vector<Row> rows;
  for (const auto& grant : found.grants) rows.push_back(row_for(store, name.empty() ? url : name, url, grant));
  if (rows.empty()) {
    Row row{name.empty() ? url : name, url, "", "needs authorization", std::nullopt, "", "", "", ""};
    if (found.discovery) row.issuer = found.discovery->issuer;
    rows.push_back(row);
  }
  return rows;
}

std::string expires_text(const Row& row) {
  if (!row.expires_at) return "-";
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*row.expires_at - Clock::now()).count();
  if (seconds <= 0) return "expired";
  if (seconds < 120) return "in " + std::to_string(seconds) + " s";
  if (seconds < 7200) return "in " + std::to_string(seconds / 60) + " min";
  return "in " + std::to_string(seconds / 3600) + " h";
}

void print_table(const std::vector<Row>& rows) {
  const std::vector<std::string> heads = {"SERVER", "ACCOUNT", "STATE", "EXPIRES", "ISSUER", "SCOPES", "CLIENT"};
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows) {
    // Scope, client id and account came from servers: through the sanitizer.
    cells.push_back({r.server, r.account.empty() ? "-" : core::printable(r.account), r.state, expires_text(r),
                     r.issuer.empty() ? "-" : core::printable(r.issuer),
                     r.scope.empty() ? "-" : core::printable(r.scope),
                     r.client.empty() ? "-" : core::printable(r.client)});
  }
  std::vector<std::size_t> widths(heads.size());
  for (std::size_t i = 0; i < heads.size(); ++i) {
    widths[i] = heads[i].size();
    for (const auto& c : cells) widths[i] = std::max(widths[i], c[i].size());
  }
  const auto line = [&](const std::vector<std::string>& values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::cout << (i ? "  " : "") << std::left << std::setw(static_cast<int>(i + 1 < values.size() ? widths[i] : 0))
                << values[i];
    }
    std::cout << '\n';
  };
  line(heads);
  for (const auto& c : cells) line(c);
  for (const auto& r : rows) {
    if (!r.detail.empty()) std::cout << r.server << ": " << core::printable(r.detail) << '\n';
  }
}

void print_json(const std::vector<Row>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json row = {{"server", r.server}, {"url", r.url},     {"account", r.account}, {"state", r.state},
                          {"issuer", r.issuer}, {"scope", r.scope}, {"client", r.client}};
    if (r.expires_at) {
      row["expires_at"] = std::chrono::duration_cast<std::chrono::seconds>(r.expires_at->time_since_epoch()).count();
      row["expires_in"] = std::chrono::duration_cast<std::chrono::seconds>(*r.expires_at - Clock::now()).count();
    } else {
      row["expires_at"] = nullptr;
      row["expires_in"] = nullptr;
    }
    if (!r.detail.empty()) row["detail"] = r.detail;
    out.push_back(row);
  }
  std::cout << out.dump(2) << '\n';
}

}  // namespace

int run_status(const StatusArgs& args) {
  const EnvLookup env = process_environment();
  const std::optional<Config> config = load_config_option(args.config_path, env);
  auto store = open_user_store(env);
  const StoredGrants stored(*store);
  std::vector<Row> rows;
  if (!args.target.empty()) {
    const ServerConfig server = resolve_server(args.target, config, env);
    rows = rows_for_server(*store, stored, server.name, core::parse_url(server.url).text);
  } else {
    std::vector<std::string> shown;
    if (config) {
      for (const auto& server : config->servers) {
        try {
          const ServerConfig resolved = resolve_server(server.name, config, env);
          const std::string url = core::parse_url(resolved.url).text;
          for (auto& row : rows_for_server(*store, stored, server.name, url)) rows.push_back(std::move(row));
          shown.push_back(url);
        } catch (const Error& e) {
          rows.push_back({server.name, "", "", "error", std::nullopt, "", "", "", error_with_hint(e, {server.name})});
        }
      }
    }
    for (const auto& record : stored.servers()) {
      if (std::find(shown.begin(), shown.end(), record.server_url) != shown.end()) continue;
      for (const auto& grant : stored.for_server(record.server_url).grants) {
        rows.push_back(row_for(*store, record.server_url, record.server_url, grant));
      }
    }
    for (const auto& grant : stored.unattached()) rows.push_back(row_for(*store, grant.key.resource, "", grant));
  }
  if (args.json) {
    print_json(rows);
  } else {
    const auto clients = args.target.empty() ? store->list_clients() : std::vector<core::oauth::ClientRegistration>{};
    if (rows.empty() && clients.empty()) {
      std::cout << "No servers configured and no tokens stored.\n";
    } else if (!rows.empty()) {
      print_table(rows);
    }
    print_clients(clients);
  }
  return kExitOk;
}

}  // namespace mcpauth::app
