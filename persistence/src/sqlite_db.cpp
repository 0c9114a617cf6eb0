#include "sqlite_db.hpp"

#include <limits>
#include <utility>

namespace lekhika::persistence::detail {

namespace {

// SQLITE_TRANSIENT is an old-style cast inside a macro; spelling it once here keeps the
// warning flags clean. It tells SQLite to copy bound text, so callers may pass temporaries.
// This is what SQLITE_TRANSIENT expands to.
// NOLINTBEGIN(performance-no-int-to-ptr)
const sqlite3_destructor_type copy_bound_text =
    reinterpret_cast<sqlite3_destructor_type>(static_cast<std::intptr_t>(-1));
// NOLINTEND(performance-no-int-to-ptr)

[[noreturn]] void throw_sqlite(sqlite3* db, int code, std::string_view during) {
  std::string message(during);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw store_exception(failure{failure_code_for(code), std::move(message)});
}

}  // namespace

std::string failure_code_for(int sqlite_code) {
  switch (sqlite_code & 0xff) {
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FULL:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_NOMEM:
      return "store_unavailable";
    default:
      return "store_error";
  }
}

// ---- statement_use ------------------------------------------------------------------------

statement_use::~statement_use() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void statement_use::fail(int code, std::string_view during) const {
  throw_sqlite(db_, code, during);
}

void statement_use::check_bind(int code, int index) const {
  if (code != SQLITE_OK) fail(code, "binding parameter " + std::to_string(index));
}

statement_use& statement_use::bind_text(int index, std::string_view text) {
  check_bind(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), copy_bound_text, SQLITE_UTF8),
      index);
  return *this;
}

statement_use& statement_use::bind_int64(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

statement_use& statement_use::bind_double(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

statement_use& statement_use::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

statement_use& statement_use::bind_json(int index, const nlohmann::json& value) {
  if (value.is_null()) return bind_null(index);
  return bind_text(index, dump_json(value));
}

bool statement_use::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(rc, "SQLite statement failed");
}

void statement_use::run() {
  while (step()) {
  }
}

std::int64_t statement_use::column_int64(int col) const noexcept {
  return sqlite3_column_int64(stmt_, col);
}

int statement_use::column_int(int col) const noexcept { return sqlite3_column_int(stmt_, col); }

double statement_use::column_double(int col) const noexcept {
  return sqlite3_column_double(stmt_, col);
}

std::string statement_use::column_text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

nlohmann::json statement_use::column_json(int col) const {
  if (column_is_null(col)) return nullptr;
  auto parsed = nlohmann::json::parse(column_text(col), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw store_exception(failure{"store_error", std::string("stored JSON in column '") +
                                                     sqlite3_column_name(stmt_, col) +
                                                     "' is not valid JSON"});
  }
  return parsed;
}

bool statement_use::column_is_null(int col) const noexcept {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

// ---- connection ---------------------------------------------------------------------------

connection::connection(const std::string& path) {
  sqlite3* raw = nullptr;
  // NOMUTEX: a connection is used by one thread at a time, so SQLite's own mutex is waste.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) {
    throw store_exception(failure{
        "store_unavailable", "cannot open SQLite database '" + path + "': " + sqlite3_errstr(rc)});
  }
  sqlite3_extended_result_codes(raw, 1);
  try {
    // busy_timeout first: switching to WAL briefly needs a lock another connection may hold.
    exec("PRAGMA busy_timeout=5000");
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
  } catch (const store_exception& e) {
    // Pragmas are the first statements that read the file, so "not a database" shows up here.
    throw store_exception(failure{
        "store_unavailable", "cannot use SQLite database '" + path + "': " + e.error().message});
  }
}

void connection::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db_.get(), rc, "SQLite statement failed");
}

bool connection::exec_noexcept(const char* sql) noexcept {
  return sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

statement_use connection::prepare(std::string_view sql) {
  auto found = cache_.find(sql);
  if (found == cache_.end()) {
    if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      throw store_exception(failure{"store_error", "SQL text too long"});
    }
    sqlite3_stmt* raw = nullptr;
    // PERSISTENT: these statements live for the whole connection.
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    stmt_handle owned(raw);
    if (rc != SQLITE_OK || owned == nullptr) {
      throw_sqlite(db_.get(), rc == SQLITE_OK ? SQLITE_ERROR : rc, "cannot prepare SQL");
    }
    found = cache_.emplace(std::string(sql), std::move(owned)).first;
  }
  return statement_use(db_.get(), found->second.get());
}

std::int64_t connection::changes() const noexcept { return sqlite3_changes64(db_.get()); }

bool connection::autocommit() const noexcept { return sqlite3_get_autocommit(db_.get()) != 0; }

// ---- transaction --------------------------------------------------------------------------

transaction::transaction(connection& conn) : conn_(conn) { conn_.prepare("BEGIN IMMEDIATE").run(); }

transaction::~transaction() {
  // SQLite may already have rolled back by itself (e.g. on SQLITE_FULL); only roll back an
  // open transaction so the connection is clean for the next call.
  if (!done_ && !conn_.autocommit()) conn_.exec_noexcept("ROLLBACK");
}

void transaction::commit() {
  conn_.prepare("COMMIT").run();
  done_ = true;
}

}  // namespace lekhika::persistence::detail
