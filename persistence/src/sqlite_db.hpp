#pragma once

// Private to lekhika_persistence: a thin RAII layer over the SQLite C API. Errors are thrown as
// store_exception inside the library and turned into failure values at the store boundary, so
// the SQL code reads straight through without an error check after every call.

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "lekhika/workflow/result.hpp"
#include "store_common.hpp"

namespace lekhika::persistence::detail {

/// Maps a SQLite result code to "store_unavailable" (cannot open, I/O, locked) or "store_error".
[[nodiscard]] std::string failure_code_for(int sqlite_code);

struct sqlite_closer {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct sqlite_finalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
/// Owning handles: the only way the library holds a sqlite3* or sqlite3_stmt*.
using db_handle = std::unique_ptr<sqlite3, sqlite_closer>;
using stmt_handle = std::unique_ptr<sqlite3_stmt, sqlite_finalizer>;

/// One use of a cached prepared statement: bind, step, read columns. The destructor resets the
/// statement and clears its bindings, so a finished read never keeps a WAL snapshot open.
class statement_use {
 public:
  /// Borrows `stmt` (owned by the connection's cache) for one execution.
  statement_use(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;
  ~statement_use();

  /// Binds UTF-8 text (copied) to the 1-based parameter `index`.
  statement_use& bind_text(int index, std::string_view text);
  /// Binds a 64-bit integer.
  statement_use& bind_int64(int index, std::int64_t value);
  /// Binds a double.
  statement_use& bind_double(int index, double value);
  /// Binds SQL NULL.
  statement_use& bind_null(int index);
  /// Binds JSON as TEXT, or SQL NULL for JSON null.
  statement_use& bind_json(int index, const nlohmann::json& value);

  /// Advances; true when a row is available, false when done. Throws on error.
  [[nodiscard]] bool step();
  /// Steps to completion, ignoring rows (for INSERT/UPDATE/DDL).
  void run();

  /// Column `col` as a 64-bit integer (NULL reads 0).
  [[nodiscard]] std::int64_t column_int64(int col) const noexcept;
  /// Column `col` as an int (NULL reads 0).
  [[nodiscard]] int column_int(int col) const noexcept;
  /// Column `col` as a double (0 for NULL).
  [[nodiscard]] double column_double(int col) const noexcept;
  /// Column `col` as text (NULL reads "").
  [[nodiscard]] std::string column_text(int col) const;
  /// Column `col` parsed as JSON (NULL reads JSON null).
  [[nodiscard]] nlohmann::json column_json(int col) const;
  /// True when column `col` is NULL.
  [[nodiscard]] bool column_is_null(int col) const noexcept;

 private:
  [[noreturn]] void fail(int code, std::string_view during) const;
  void check_bind(int code, int index) const;

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

/// One SQLite connection with its prepared-statement cache. Used by one thread at a time.
class connection {
 public:
  /// Opens (creating if needed) the database file and applies the connection pragmas.
  /// Throws store_exception with "store_unavailable" when the file cannot be used.
  explicit connection(const std::string& path);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() = default;

  /// Runs one or more SQL statements that take no parameters (DDL, pragmas).
  void exec(std::string_view sql);
  /// Runs SQL from a destructor: never throws, reports success.
  bool exec_noexcept(const char* sql) noexcept;
  /// The cached prepared statement for `sql`, prepared on first use, ready to bind.
  [[nodiscard]] statement_use prepare(std::string_view sql);
  /// Rows changed by the last INSERT/UPDATE/DELETE.
  [[nodiscard]] std::int64_t changes() const noexcept;
  /// True outside any explicit transaction.
  [[nodiscard]] bool autocommit() const noexcept;
  /// The raw handle, for error messages.
  [[nodiscard]] sqlite3* raw() const noexcept { return db_.get(); }

 private:
  // Declared before the cache so it is destroyed after every statement is finalised.
  db_handle db_;
  std::map<std::string, stmt_handle, std::less<>> cache_;
};

/// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded.
/// IMMEDIATE takes the write lock up front, so a batch never fails half-way on lock upgrade.
class transaction {
 public:
  /// Starts the transaction (waits up to busy_timeout for other writers).
  explicit transaction(connection& conn);
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  /// Commits; throws on failure (the destructor then rolls back).
  void commit();

 private:
  connection& conn_;
  bool done_ = false;
};

}  // namespace lekhika::persistence::detail
