#include "sqlite_migrations.hpp"

#include <array>
#include <string>

namespace lekhika::persistence::detail {

namespace {

// Version 1. Times are INTEGER milliseconds since the epoch (0 = unset); JSON columns are TEXT
// or NULL. Every child table cascades from executions so removing a run removes all of it.
// The lease columns and provider_calls are created now so crash recovery and call accounting
// can arrive later without rewriting the big tables.
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE executions (
  id               TEXT PRIMARY KEY,
  user_id          TEXT NOT NULL,
  engine_id        TEXT NOT NULL,
  status           TEXT NOT NULL,
  progress         INTEGER NOT NULL DEFAULT 0,
  request_json     TEXT NOT NULL DEFAULT '',
  request_hash     TEXT NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  started_at       INTEGER NOT NULL DEFAULT 0,
  finished_at      INTEGER NOT NULL DEFAULT 0,
  usage_json       TEXT,
  error_json       TEXT,
  result_json      TEXT,
  output_json      TEXT,
  last_seq         INTEGER NOT NULL DEFAULT 0,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  lease_epoch      INTEGER NOT NULL DEFAULT 0
);
-- Listing is newest first, keyset-paginated on (created_at, id): one index per filter shape.
CREATE INDEX executions_by_created ON executions (created_at DESC, id DESC);
CREATE INDEX executions_by_user ON executions (user_id, created_at DESC, id DESC);
CREATE INDEX executions_by_status ON executions (status, created_at DESC, id DESC);

CREATE TABLE execution_events (
  execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  type         TEXT NOT NULL,
  data_json    TEXT,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (execution_id, seq)
);

CREATE TABLE node_runs (
  execution_id   TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  node_id        TEXT NOT NULL,
  status         TEXT NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  started_at     INTEGER NOT NULL DEFAULT 0,
  finished_at    INTEGER NOT NULL DEFAULT 0,
  usage_json     TEXT,
  error_json     TEXT,
  chapters_done  INTEGER NOT NULL DEFAULT 0,
  chapters_total INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (execution_id, node_id)
);

CREATE TABLE node_outputs (
  execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  node_id      TEXT NOT NULL,
  output_json  TEXT,
  PRIMARY KEY (execution_id, node_id)
);

CREATE TABLE chapters (
  execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  node_id      TEXT NOT NULL,
  number       INTEGER NOT NULL,
  title        TEXT NOT NULL DEFAULT '',
  content      TEXT NOT NULL DEFAULT '',
  words        INTEGER NOT NULL DEFAULT 0,
  usage_json   TEXT,
  PRIMARY KEY (execution_id, node_id, number)
);

CREATE TABLE artifacts (
  execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  format       TEXT NOT NULL,
  path         TEXT NOT NULL,
  mime_type    TEXT NOT NULL,
  bytes        INTEGER NOT NULL DEFAULT 0,
  sha256       TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (execution_id, format)
);

CREATE TABLE provider_calls (
  execution_id  TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  node_id       TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  provider      TEXT NOT NULL,
  model         TEXT NOT NULL,
  attempt       INTEGER NOT NULL DEFAULT 1,
  status        TEXT NOT NULL,
  latency_ms    INTEGER,
  ttft_ms       INTEGER,
  input_tokens  INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  estimated     INTEGER NOT NULL DEFAULT 0,
  cost_usd      REAL NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (execution_id, node_id, seq)
);
)sql";

// Version 2: durable execution. An operator's cancel is recorded on the row, so whichever
// worker holds the execution (now or after a takeover) sees it; claiming looks up unfinished
// rows by status and lease expiry, renewing by owner.
constexpr std::string_view schema_v2 = R"sql(
ALTER TABLE executions ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN cancel_reason TEXT;
CREATE INDEX executions_claim ON executions (status, lease_expires_at);
CREATE INDEX executions_by_lease_owner ON executions (lease_owner) WHERE lease_owner IS NOT NULL;
)sql";

constexpr std::array<migration, 2> all_migrations{{
    {1, "initial schema", schema_v1},
    {2, "durable execution: cancel requests, claim and lease indexes", schema_v2},
}};

}  // namespace

std::span<const migration> sqlite_migrations() noexcept { return all_migrations; }

void apply_sqlite_migrations(connection& conn, std::int64_t now_ms) {
  {
    transaction tx(conn);
    conn.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    tx.commit();
  }

  // A database migrated by a newer build may have tables this build would misuse.
  {
    auto newest = conn.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
    const std::int64_t stored = newest.step() ? newest.column_int64(0) : 0;
    const int known = all_migrations.back().version;
    if (stored > known) {
      throw store_exception(failure{
          "store_error", "database schema version " + std::to_string(stored) +
                             " is newer than this build supports (" + std::to_string(known) + ")"});
    }
  }

  for (const migration& m : all_migrations) {
    // Checked inside the write transaction: another connection may have applied it while we
    // waited for the lock.
    transaction tx(conn);
    bool applied = false;
    {
      auto check = conn.prepare("SELECT 1 FROM schema_migrations WHERE version = ?1");
      check.bind_int64(1, m.version);
      applied = check.step();
    }
    if (applied) continue;  // the transaction guard rolls back the empty transaction
    try {
      conn.exec(m.sql);
    } catch (const store_exception& e) {
      throw store_exception(failure{e.error().code, "migration " + std::to_string(m.version) +
                                                        " (" + std::string(m.name) +
                                                        ") failed: " + e.error().message});
    }
    conn.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)")
        .bind_int64(1, m.version)
        .bind_text(2, m.name)
        .bind_int64(3, now_ms)
        .run();
    tx.commit();
  }
}

}  // namespace lekhika::persistence::detail
