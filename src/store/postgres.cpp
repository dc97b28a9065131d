#include "postgres.hpp"

#include <charconv>
#include <span>
#include <vector>

namespace mcpauth::store::detail {
namespace {

// A value larger than this is not one the store wrote (a token set, a
// discovery document): refused rather than held in memory.
constexpr std::size_t kMaxValueBytes = 4 * 1024 * 1024;

// libpq's messages end with a newline and may span lines (DETAIL, HINT).
std::string one_line(const std::string& message) {
  std::string out;
  for (char c : message) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (!space) {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string PgResult::text(int row, int column) const {
  const auto length = static_cast<std::size_t>(PQgetlength(result_.get(), row, column));
  if (length > kMaxValueBytes) {
    throw Error(ErrorCode::store, "a value in the token store (" + target_->description + ") is larger than " +
                                      std::to_string(kMaxValueBytes) + " bytes; it was not written by mcpauth");
  }
  return std::string(PQgetvalue(result_.get(), row, column), length);
}

std::optional<std::string> PgResult::optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

long long PgResult::integer(int row, int column) const {
  const std::string value = text(row, column);
  long long out = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (error != std::errc() || end != value.data() + value.size()) {
    throw Error(ErrorCode::store, "the token store (" + target_->description + ") holds a malformed number");
  }
  return out;
}

std::string PgResult::bytes(int row, int column) const {
  const std::string escaped = text(row, column);
  std::size_t length = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(escaped.c_str()), &length);
  if (!raw) throw Error(ErrorCode::store, "out of memory reading the token store (" + target_->description + ")");
  std::string out(reinterpret_cast<const char*>(raw), length);
  PQfreemem(raw);
  return out;
}

PgConnection::PgConnection(const PgTarget& target, std::chrono::seconds connect_timeout,
                           std::chrono::milliseconds lock_timeout)
    : target_(target), lock_timeout_(lock_timeout) {
  // The defaults first: the conninfo (expanded from "dbname") overrides them.
  const std::string timeout = std::to_string(connect_timeout.count());
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "mcpauth", target.conninfo.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, 1);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    const std::string message = conn_ ? one_line(scrub(PQerrorMessage(conn_), target_)) : "out of memory";
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    throw Error(ErrorCode::store, "cannot connect to the token store (" + target_.description + "): " + message);
  }
  // "relation already exists, skipping" and the like are not for the user's terminal.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  try {
    configure();
  } catch (...) {
    PQfinish(conn_);
    throw;
  }
}

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

void PgConnection::configure() {
  // Waiting for another instance's grant lock is normal; waiting forever is not.
  exec("SELECT set_config('lock_timeout', $1, false)", {PgParam::text(std::to_string(lock_timeout_.count()))},
       "configuring the connection");
}

void PgConnection::reset() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    throw Error(ErrorCode::store, "lost the connection to the token store (" + target_.description +
                                      ") and cannot connect again: " + one_line(scrub(PQerrorMessage(conn_), target_)));
  }
  configure();
}

PgResult PgConnection::exec(const char* sql, std::initializer_list<PgParam> params, std::string_view doing) {
  return exec(sql, params.begin(), params.size(), doing);
}

PgResult PgConnection::exec(const char* sql, const std::vector<PgParam>& params, std::string_view doing) {
  return exec(sql, params.data(), params.size(), doing);
}

PgResult PgConnection::exec(const char* sql, const PgParam* params, std::size_t count, std::string_view doing) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const PgParam& p : std::span(params, count)) {
    values.push_back(p.value ? p.value->data() : nullptr);
    lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
    formats.push_back(p.binary ? 1 : 0);
  }
  return check(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), lengths.data(),
                            formats.data(), 0),
               doing);
}

void PgConnection::exec_script(const char* sql, std::string_view doing) {
  check(PQexec(conn_, sql), doing);
}

PgResult PgConnection::check(PGresult* raw, std::string_view doing) {
  PgResult result(raw, target_);
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  const std::string message = one_line(scrub(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_), target_));
  if (PQstatus(conn_) != CONNECTION_OK) {
    throw PgConnectionLost(ErrorCode::store, "the connection to the token store (" + target_.description +
                                                 ") was lost while " + std::string(doing) + ": " + message);
  }
  throw Error(ErrorCode::store,
              "the token store (" + target_.description + ") failed while " + std::string(doing) + ": " + message);
}

PgTransaction::PgTransaction(PgConnection& connection) : connection_(connection) {
  connection_.exec_script("BEGIN", "starting a transaction");
}

PgTransaction::~PgTransaction() {
  if (done_ || connection_.broken()) return;
  try {
    connection_.exec_script("ROLLBACK", "rolling back");
  } catch (const Error&) {
    // The connection is then broken: the pool drops it, and the server rolls back.
  }
}

void PgTransaction::commit() {
  connection_.exec_script("COMMIT", "committing");
  done_ = true;
}

}  // namespace mcpauth::store::detail
