#include "postgres_target.hpp"

#include <libpq-fe.h>

#include "mcpauth/error.hpp"

namespace mcpauth::store::detail {

PgTarget pg_target(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (!options) {
    // libpq's message may quote the text, which may hold a password: not passed on.
    if (error) PQfreemem(error);
    throw Error(ErrorCode::usage,
                "the token store's PostgreSQL URL cannot be parsed (expected postgresql://user@host"
                ":port/dbname, or libpq key=value settings)");
  }
  std::string user, host, port, dbname;
  PgTarget target;
  target.conninfo = conninfo;
  for (const PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val) continue;
    const std::string keyword = o->keyword;
    if (keyword == "user") user = o->val;
    if (keyword == "host" || (keyword == "hostaddr" && host.empty())) host = o->val;
    if (keyword == "port") port = o->val;
    if (keyword == "dbname") dbname = o->val;
    if (keyword == "password") target.password = o->val;
  }
  PQconninfoFree(options);
  target.description = "PostgreSQL at " + (user.empty() ? std::string() : user + "@") +
                       (host.empty() ? std::string("the default socket") : host) +
                       (port.empty() ? std::string() : ":" + port) + (dbname.empty() ? std::string() : "/" + dbname);
  return target;
}

std::string scrub(std::string message, const PgTarget& target) {
  if (target.password.empty()) return message;
  for (auto at = message.find(target.password); at != std::string::npos; at = message.find(target.password, at + 3)) {
    message.replace(at, target.password.size(), "***");
  }
  return message;
}

}  // namespace mcpauth::store::detail
