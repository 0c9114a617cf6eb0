#pragma once

// The back ends the store conformance suite runs against: an SQLite file in a temporary folder,
// and a fresh schema on the PostgreSQL server named by PG_TEST_DSN (scripts/pg-test-server
// starts a private one; scripts/test does so for every run). Each PostgreSQL test gets its own
// schema, put first on the connection's search_path, and drops it at the end, so tests can run
// in parallel against one server.

#include <sqlite3.h>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lekhika/persistence/store.hpp"
#include "lekhika/testing/temp_dir.hpp"

namespace lekhika::store_testing {

using rows = std::vector<std::vector<std::string>>;

/// One database the tests open stores on.
class backend {
 public:
  backend() = default;
  backend(const backend&) = delete;
  backend& operator=(const backend&) = delete;
  virtual ~backend() = default;

  /// The DATABASE_URL: every open_store() of it is another connection to the same database.
  [[nodiscard]] virtual std::string url() const = 0;
  /// Runs SQL directly (not through the store); every value as text, NULL as "NULL".
  [[nodiscard]] virtual rows query(const std::string& sql) = 0;
  /// True for PostgreSQL.
  [[nodiscard]] virtual bool postgres() const = 0;
};

class sqlite_backend final : public backend {
 public:
  sqlite_backend() = default;
  [[nodiscard]] std::string url() const override { return "sqlite://" + path_.string(); }
  [[nodiscard]] bool postgres() const override { return false; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  rows query(const std::string& sql) override {
    rows out;
    sqlite3* raw = nullptr;
    sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
    sqlite3_stmt* stmt_raw = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt_raw, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db.get());
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(stmt_raw, &sqlite3_finalize);
    while (stmt && sqlite3_step(stmt.get()) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(stmt.get()); ++c) {
        const unsigned char* text = sqlite3_column_text(stmt.get(), c);
        row.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "NULL");
      }
      out.push_back(std::move(row));
    }
    return out;
  }

 private:
  testing::temp_dir dir_;
  std::filesystem::path path_ = dir_.path() / "db" / "lekhika.db";
};

/// The server the PostgreSQL tests use, or "" when none is configured.
[[nodiscard]] inline std::string pg_test_dsn() {
  const char* dsn = std::getenv("PG_TEST_DSN");
  return dsn != nullptr ? std::string(dsn) : std::string();
}

/// `dsn` with `extra` ("key=value") added to its query string.
[[nodiscard]] inline std::string with_parameter(const std::string& dsn, const std::string& extra) {
  return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + extra;
}

/// A fresh, randomly named schema ("t_" + 16 hex digits).
[[nodiscard]] inline std::string random_schema_name() {
  std::random_device random;
  std::uniform_int_distribution<unsigned> hex(0, 15);
  std::string name = "t_";
  for (int i = 0; i < 16; ++i) name += "0123456789abcdef"[hex(random)];
  return name;
}

class pg_backend final : public backend {
 public:
  explicit pg_backend(std::string dsn)
      : dsn_(std::move(dsn)),
        schema_(random_schema_name()),
        // libpq reads "options" as server settings for the session: the store then creates
        // and finds its tables (and engine_executions) in this test's schema only.
        url_(with_parameter(dsn_, "options=-csearch_path%3D" + schema_)) {
    pqxx::connection admin{dsn_};
    pqxx::nontransaction tx{admin};
    tx.exec("CREATE SCHEMA " + schema_);
  }
  ~pg_backend() override {
    try {
      pqxx::connection admin{dsn_};
      pqxx::nontransaction tx{admin};
      tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot drop test schema " << schema_ << ": " << e.what();
    }
  }
  [[nodiscard]] std::string url() const override { return url_; }
  [[nodiscard]] bool postgres() const override { return true; }
  [[nodiscard]] const std::string& schema() const { return schema_; }

  rows query(const std::string& sql) override {
    rows out;
    pqxx::connection conn{url_};
    pqxx::nontransaction tx{conn};
    for (const auto& row : tx.exec(sql)) {
      std::vector<std::string> values;
      for (const auto& field : row) values.emplace_back(field.is_null() ? "NULL" : field.c_str());
      out.push_back(std::move(values));
    }
    return out;
  }

 private:
  std::string dsn_;
  std::string schema_;
  std::string url_;
};

/// The back end called `name` ("sqlite" or "postgres"), or nullptr with the reason to skip.
[[nodiscard]] inline std::unique_ptr<backend> make_backend(const std::string& name,
                                                           std::string* skip_reason) {
  if (name == "sqlite") return std::make_unique<sqlite_backend>();
  const std::string dsn = pg_test_dsn();
  if (dsn.empty()) {
    *skip_reason =
        "PG_TEST_DSN is not set: start a private server with "
        "eval \"$(scripts/pg-test-server start)\" (scripts/test does this)";
    return nullptr;
  }
  return std::make_unique<pg_backend>(dsn);
}

/// Test names end in /sqlite or /postgres.
struct backend_name {
  std::string operator()(const ::testing::TestParamInfo<std::string>& info) const {
    return info.param;
  }
};

}  // namespace lekhika::store_testing

namespace lekhika::store_testing {

namespace lp = lekhika::persistence;

/// A value-parameterised fixture: GetParam() names the back end; store_ is a migrated store on
/// a fresh database of it. PostgreSQL tests skip (with the reason) when no server is set up.
class store_fixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string skip;
    backend_ = make_backend(GetParam(), &skip);
    if (!backend_) GTEST_SKIP() << skip;
    store_ = open_migrated();
    ASSERT_NE(store_, nullptr);
  }

  void TearDown() override {
    store_.reset();  // before the schema is dropped
  }

  [[nodiscard]] std::string url() const { return backend_->url(); }
  [[nodiscard]] bool postgres() const { return backend_->postgres(); }

  /// Another store on the same database (another connection).
  [[nodiscard]] std::unique_ptr<lp::store> open_migrated() const {
    auto opened = lp::open_store(url());
    EXPECT_TRUE(opened.ok()) << opened.error().code << ": " << opened.error().message;
    if (!opened.ok()) return nullptr;
    auto migrated = opened.value()->migrate();
    EXPECT_TRUE(migrated.ok()) << migrated.error().message;
    return std::move(opened).value();
  }

  void create(const lp::execution_record& r) {
    auto created = store_->create_execution(r);
    ASSERT_TRUE(created.ok()) << created.error().message;
    ASSERT_TRUE(created.value().created);
  }

  [[nodiscard]] lp::execution_record get(const std::string& id) {
    auto row = store_->get_execution(id, std::nullopt);
    EXPECT_TRUE(row.ok()) << row.error().message;
    if (!row.ok() || !row.value()) {
      ADD_FAILURE() << "execution " << id << " not found";
      return {};
    }
    return *row.value();
  }

  std::unique_ptr<backend> backend_;
  std::unique_ptr<lp::store> store_;
};

[[nodiscard]] inline lp::execution_record make_execution(const std::string& id,
                                                         const std::string& user,
                                                         lp::epoch_ms created_at,
                                                         const std::string& status = "queued") {
  lp::execution_record r;
  r.id = id;
  r.user_id = user;
  r.engine_id = "engine-1";
  r.status = status;
  r.request_json = R"({"input":{"title":"A book"}})";
  r.request_hash = "abc123";
  r.created_at = created_at;
  return r;
}

[[nodiscard]] inline lp::event_record make_event(const std::string& id, std::int64_t seq,
                                                 const std::string& type) {
  return lp::event_record{id, seq, type, nlohmann::json{{"seq", seq}}, 1000 + seq};
}

}  // namespace lekhika::store_testing
