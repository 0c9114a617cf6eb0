#include "pg_migrations.hpp"

#include <pqxx/transaction>

#include <array>
#include <string>
#include <string_view>

#include "store_common.hpp"

namespace lekhika::persistence::detail {

namespace {

struct pg_migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Version 1: the same logical schema as SQLite's version 1. Times are BIGINT milliseconds
// since the epoch (0 = unset); JSON columns are JSONB or NULL. Identifier columns use the "C"
// collation so that listing order (and the keyset cursor that depends on it) is byte order on
// every server, whatever the database's locale.
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE executions (
  id               TEXT COLLATE "C" PRIMARY KEY,
  user_id          TEXT COLLATE "C" NOT NULL,
  engine_id        TEXT COLLATE "C" NOT NULL,
  status           TEXT COLLATE "C" NOT NULL,
  progress         INTEGER NOT NULL DEFAULT 0,
  request_json     TEXT NOT NULL DEFAULT '',
  request_hash     TEXT NOT NULL DEFAULT '',
  created_at       BIGINT NOT NULL,
  started_at       BIGINT NOT NULL DEFAULT 0,
  finished_at      BIGINT NOT NULL DEFAULT 0,
  usage_json       JSONB,
  error_json       JSONB,
  result_json      JSONB,
  output_json      JSONB,
  last_seq         BIGINT NOT NULL DEFAULT 0,
  lease_owner      TEXT COLLATE "C",
  lease_expires_at BIGINT,
  lease_epoch      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX executions_by_created ON executions (created_at DESC, id DESC);
CREATE INDEX executions_by_user ON executions (user_id, created_at DESC, id DESC);
CREATE INDEX executions_by_status ON executions (status, created_at DESC, id DESC);

CREATE TABLE execution_events (
  execution_id TEXT COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  seq          BIGINT NOT NULL,
  type         TEXT NOT NULL,
  data_json    JSONB,
  created_at   BIGINT NOT NULL,
  PRIMARY KEY (execution_id, seq)
);

CREATE TABLE node_runs (
  execution_id   TEXT COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  node_id        TEXT COLLATE "C" NOT NULL,
  status         TEXT NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  started_at     BIGINT NOT NULL DEFAULT 0,
  finished_at    BIGINT NOT NULL DEFAULT 0,
  usage_json     JSONB,
  error_json     JSONB,
  chapters_done  INTEGER NOT NULL DEFAULT 0,
  chapters_total INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (execution_id, node_id)
);

CREATE TABLE node_outputs (
  execution_id TEXT COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  node_id      TEXT COLLATE "C" NOT NULL,
  output_json  JSONB,
  PRIMARY KEY (execution_id, node_id)
);

CREATE TABLE chapters (
  execution_id TEXT COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  node_id      TEXT COLLATE "C" NOT NULL,
  number       INTEGER NOT NULL,
  title        TEXT NOT NULL DEFAULT '',
  content      TEXT NOT NULL DEFAULT '',
  words        BIGINT NOT NULL DEFAULT 0,
  usage_json   JSONB,
  PRIMARY KEY (execution_id, node_id, number)
);

CREATE TABLE artifacts (
  execution_id TEXT COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  format       TEXT COLLATE "C" NOT NULL,
  path         TEXT NOT NULL,
  mime_type    TEXT NOT NULL,
  bytes        BIGINT NOT NULL DEFAULT 0,
  sha256       TEXT NOT NULL DEFAULT '',
  created_at   BIGINT NOT NULL,
  PRIMARY KEY (execution_id, format)
);

CREATE TABLE provider_calls (
  execution_id  TEXT COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  node_id       TEXT COLLATE "C" NOT NULL,
  seq           BIGINT NOT NULL,
  provider      TEXT NOT NULL,
  model         TEXT NOT NULL,
  attempt       INTEGER NOT NULL DEFAULT 1,
  status        TEXT NOT NULL,
  latency_ms    BIGINT,
  ttft_ms       BIGINT,
  input_tokens  BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  estimated     BOOLEAN NOT NULL DEFAULT false,
  cost_usd      DOUBLE PRECISION NOT NULL DEFAULT 0,
  created_at    BIGINT NOT NULL,
  PRIMARY KEY (execution_id, node_id, seq)
);
)sql";

// Version 2: durable execution, as in SQLite: the operator's cancel on the row, and indexes
// for claiming (unfinished rows by lease expiry) and for renewing (by owner).
constexpr std::string_view schema_v2 = R"sql(
ALTER TABLE executions
  ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN cancel_reason TEXT;
CREATE INDEX executions_claim ON executions (status, lease_expires_at);
CREATE INDEX executions_by_lease_owner ON executions (lease_owner) WHERE lease_owner IS NOT NULL;
)sql";

constexpr std::array<pg_migration, 2> all_migrations{{
    {1, "initial schema", schema_v1},
    {2, "durable execution: cancel requests, claim and lease indexes", schema_v2},
}};

// Any constant works as long as every build uses the same one: it names "the schema lock".
constexpr std::int64_t migration_lock_key = 0x4c656b68696b6131;  // "Lekhika1"

}  // namespace

void apply_pg_migrations(pqxx::connection& conn, std::int64_t now_ms) {
  pqxx::work tx{conn, "lekhika_migrate"};
  // Held until commit: a second worker waits here, then finds every version recorded.
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
  tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");

  // A database migrated by a newer build may have tables this build would misuse.
  const auto stored =
      tx.exec("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0].as<std::int64_t>();
  const int known = all_migrations.back().version;
  if (stored > known) {
    throw store_exception(failure{
        "store_error", "database schema version " + std::to_string(stored) +
                           " is newer than this build supports (" + std::to_string(known) + ")"});
  }
  for (const pg_migration& m : all_migrations) {
    if (m.version <= stored) continue;  // versions are applied in order, so this one is there
    // A failure here (a bug, or a lost connection) rolls every version of this run back; the
    // store's error mapping tells the two apart.
    tx.exec(std::string(m.sql));
    tx.exec_params("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                   m.version, std::string(m.name), now_ms);
  }
  tx.commit();
}

}  // namespace lekhika::persistence::detail
