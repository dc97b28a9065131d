// Thin RAII over the SQLite C API: a connection, prepared statements with
// bound parameters, and transactions. Every failure becomes Error(store)
// naming the database file and what was being done.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mcpauth::store::detail {

class Database {
 public:
  Database(const std::filesystem::path& path, std::chrono::milliseconds busy_timeout);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }
  void exec(const char* sql, std::string_view doing);
  [[noreturn]] void fail(int rc, std::string_view doing) const;

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

class Statement {
 public:
  Statement(Database& db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::optional<std::string>& text);  // nullopt binds NULL
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind(int index, long long value);
  // Steps once: true when a row is available.
  bool step();
  // Runs a statement that returns no rows.
  void run() {
    while (step()) {
    }
  }

  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::string blob(int column) const;
  long long integer(int column) const;
  bool is_null(int column) const;

 private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() was called. The
// write lock is taken at BEGIN, so a transaction that reads, decides and
// writes excludes every other writer (in any process) for its duration.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace mcpauth::store::detail
