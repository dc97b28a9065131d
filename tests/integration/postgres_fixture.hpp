// A real PostgreSQL 15 server of the test's own (never a mock): initdb into
// a temporary directory, pg_ctl start on a free loopback port (its socket in
// that directory too), password authentication for the superuser "mcpauth"
// (so URLs carry a password the tests can look for in messages), and
// pg_ctl stop -m fast plus removal of the directory at the end.
//
// initdb and postgres refuse to run as root; as root (CI, containers) they
// run as the `postgres` system user (runuser), owning the directory.
// Readiness is pg_ctl's own wait (-w: it polls the server until it accepts
// connections), never a sleep. The binaries: $MCPAUTH_PG_BINDIR, else
// Debian's /usr/lib/postgresql/15/bin.
#pragma once

#include <string>
#include <vector>

namespace mcpauth::testing {

class PostgresServer {
 public:
  PostgresServer();  // throws std::runtime_error with the server's log when it cannot start
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const noexcept { return port_; }
  const std::string& password() const noexcept { return password_; }
  // postgresql://mcpauth:PASSWORD@127.0.0.1:PORT/DBNAME
  std::string url(const std::string& dbname = "postgres") const;
  // Creates a database and returns its URL.
  std::string create_database(const std::string& dbname) const;
  // Stops the server now (a test of a database that went away).
  void stop();
  // Runs SQL with psql (-At: unaligned rows, one per line) and returns its
  // output; throws std::runtime_error when psql fails.
  std::string psql(const std::string& dbname, const std::string& sql) const;

 private:
  std::vector<std::string> as_owner(std::vector<std::string> argv) const;
  std::string bin(const std::string& program) const;

  std::string bindir_;
  std::string dir_;  // the temporary directory: data/, the socket, the log
  std::string password_;
  int port_ = 0;
  bool as_postgres_ = false;
  bool started_ = false;
};

}  // namespace mcpauth::testing
