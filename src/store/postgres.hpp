// Thin RAII over libpq for PostgresTokenStore: a connection, parameterised
// statements (PQexecParams only: values never become SQL text), results
// with bounded values, and transactions. Every failure is Error(store)
// naming the database as user@host:port/dbname, never its password: libpq's
// own messages are scrubbed of it too.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpauth/error.hpp"
#include "postgres_target.hpp"

namespace mcpauth::store::detail {

// The server closed the connection (or it broke): the caller may reset the
// connection and run the whole operation again once.
class PgConnectionLost : public Error {
 public:
  using Error::Error;
};

// One statement parameter: text, binary bytes (bytea) or NULL.
struct PgParam {
  std::optional<std::string> value;
  bool binary = false;
  static PgParam text(std::string v) { return {std::move(v), false}; }
  static PgParam bytes(std::string v) { return {std::move(v), true}; }
  static PgParam integer(long long v) { return {std::to_string(v), false}; }
  static PgParam null() { return {std::nullopt, false}; }
  static PgParam optional_text(const std::optional<std::string>& v) { return {v, false}; }
};

class PgResult {
 public:
  PgResult(PGresult* result, const PgTarget& target) : result_(result, &PQclear), target_(&target) {}
  int rows() const { return PQntuples(result_.get()); }
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string text(int row, int column) const;
  std::optional<std::string> optional_text(int row, int column) const;
  long long integer(int row, int column) const;
  bool boolean(int row, int column) const { return text(row, column) == "t"; }
  std::string bytes(int row, int column) const;  // a bytea column (text format: \x hex)

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
  const PgTarget* target_;
};

class PgConnection {
 public:
  // Connects (connect_timeout unless the conninfo sets one) and sets the
  // session's lock_timeout. Throws Error(store).
  PgConnection(const PgTarget& target, std::chrono::seconds connect_timeout, std::chrono::milliseconds lock_timeout);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement. Throws PgConnectionLost when the connection broke,
  // else Error(store) saying what was being done.
  PgResult exec(const char* sql, std::initializer_list<PgParam> params, std::string_view doing);
  PgResult exec(const char* sql, const std::vector<PgParam>& params, std::string_view doing);
  // Statements without parameters (migrations, BEGIN/COMMIT).
  void exec_script(const char* sql, std::string_view doing);

  bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }
  // Connects again after the server dropped the connection. Throws Error(store) when that fails.
  void reset();
  const PgTarget& target() const { return target_; }

 private:
  PgResult exec(const char* sql, const PgParam* params, std::size_t count, std::string_view doing);
  PgResult check(PGresult* result, std::string_view doing);
  void configure();

  const PgTarget& target_;
  std::chrono::milliseconds lock_timeout_;
  PGconn* conn_ = nullptr;
};

// BEGIN now, ROLLBACK unless commit() ran (also when the connection is gone).
class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& connection);
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  void commit();

 private:
  PgConnection& connection_;
  bool done_ = false;
};

}  // namespace mcpauth::store::detail
