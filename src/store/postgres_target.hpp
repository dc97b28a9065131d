// How PostgresTokenStore names its database in messages: user@host:port/dbname
// from the connection string (a URL or libpq key=value settings), and the
// password, to scrub from any message that might carry it.
#pragma once

#include <string>

namespace mcpauth::store::detail {

struct PgTarget {
  std::string conninfo;     // as given; never printed
  std::string description;  // "PostgreSQL at user@host:port/dbname"
  std::string password;     // "" when the conninfo has none; scrubbed from messages
};

// Throws Error(usage) (without echoing the text) when libpq cannot parse it.
PgTarget pg_target(const std::string& conninfo);

// `message` with every occurrence of the target's password replaced by "***".
std::string scrub(std::string message, const PgTarget& target);

}  // namespace mcpauth::store::detail
