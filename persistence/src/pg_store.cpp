#include "pg_store.hpp"

#include <pqxx/connection>
#include <pqxx/errorhandler>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/notification>
#include <pqxx/result>
#include <pqxx/transaction>

#include <poll.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "pg_migrations.hpp"
#include "pg_text.hpp"
#include "store_common.hpp"

namespace lekhika::persistence::detail {

namespace {

using nlohmann::json;

// ---- parameters -----------------------------------------------------------------------------

// A parameter that may be SQL NULL. libpq takes text parameters as C strings, and pqxx passes
// a null `const char*` as NULL; this keeps the text alive for the call.
class nullable {
 public:
  nullable() = default;
  explicit nullable(std::string text) : text_(std::move(text)), null_(false) {}
  [[nodiscard]] const char* get() const noexcept { return null_ ? nullptr : text_.c_str(); }

 private:
  std::string text_;
  bool null_ = true;
};

[[nodiscard]] nullable json_or_null(const json& value) {
  return value.is_null() ? nullable{} : nullable{pg_json_text(value)};
}
[[nodiscard]] nullable text_or_null(const std::string& text) {
  return text.empty() ? nullable{} : nullable{pg_clean_text(text)};
}
[[nodiscard]] nullable optional_text(const std::optional<std::string>& text) {
  return text ? nullable{pg_clean_text(*text)} : nullable{};
}
[[nodiscard]] nullable time_or_null(epoch_ms value) {
  return value == 0 ? nullable{} : nullable{std::to_string(value)};
}

// ---- reading --------------------------------------------------------------------------------

[[nodiscard]] std::string text_of(const pqxx::field& f) {
  return f.is_null() ? std::string() : std::string(f.c_str(), f.size());
}
[[nodiscard]] std::int64_t int_of(const pqxx::field& f) {
  return f.is_null() ? 0 : f.as<std::int64_t>();
}
[[nodiscard]] json json_of(const pqxx::field& f) {
  if (f.is_null()) return nullptr;
  auto parsed = json::parse(f.c_str(), f.c_str() + f.size(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw store_exception(failure{
        "store_error", std::string("stored JSON in column '") + f.name() + "' is not valid JSON"});
  }
  return parsed;
}

// Every column of an execution, in the order read_execution_row() reads them.
constexpr std::string_view execution_columns =
    "id, user_id, engine_id, status, progress, request_json, request_hash, created_at, "
    "started_at, finished_at, usage_json, error_json, result_json, output_json, last_seq, "
    "lease_owner, lease_expires_at, lease_epoch, cancel_requested, cancel_reason";

[[nodiscard]] execution_record read_execution_row(const pqxx::row& r) {
  execution_record e;
  e.id = text_of(r[0]);
  e.user_id = text_of(r[1]);
  e.engine_id = text_of(r[2]);
  e.status = text_of(r[3]);
  e.progress = static_cast<int>(int_of(r[4]));
  e.request_json = text_of(r[5]);
  e.request_hash = text_of(r[6]);
  e.created_at = int_of(r[7]);
  e.started_at = int_of(r[8]);
  e.finished_at = int_of(r[9]);
  e.usage = json_of(r[10]);
  e.error = json_of(r[11]);
  e.result = json_of(r[12]);
  e.output = json_of(r[13]);
  e.last_seq = int_of(r[14]);
  e.lease_owner = text_of(r[15]);  // NULL: nobody holds it
  e.lease_expires_at = int_of(r[16]);
  e.lease_epoch = int_of(r[17]);
  e.cancel_requested = !r[18].is_null() && r[18].as<bool>();
  e.cancel_reason = text_of(r[19]);
  return e;
}

void sort_oldest_first(std::vector<execution_record>& rows) {
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
  });
}

// ---- statements -----------------------------------------------------------------------------

// Every fixed statement, by name. Each connection prepares a statement the first time it uses
// it (and again after a reconnect, on the new connection).
[[nodiscard]] const std::map<std::string, std::string, std::less<>>& statements() {
  static const std::map<std::string, std::string, std::less<>> all = [] {
    const std::string cols(execution_columns);
    const std::string unfinished(unfinished_statuses_sql);
    // Rows of one kind arrive as one JSON array: one round trip per kind and batch, whatever
    // the batch size. Each statement also answers which executions do not exist (those writes
    // would break the foreign key), so the failure can name the write.
    const auto rowset = [](std::string_view columns, std::string_view insert) {
      return "WITH input AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(" +
             std::string(columns) +
             ")), known AS (SELECT i.* FROM input i WHERE EXISTS "
             "(SELECT 1 FROM executions e WHERE e.id = i.execution_id)), written AS (" +
             std::string(insert) +
             ") SELECT DISTINCT i.execution_id FROM input i WHERE NOT EXISTS "
             "(SELECT 1 FROM executions e WHERE e.id = i.execution_id)";
    };
    std::map<std::string, std::string, std::less<>> m;
    m["get_execution"] =
        "SELECT " + cols + " FROM executions WHERE id = $1 AND ($2::text IS NULL OR user_id = $2)";
    m["create_execution"] =
        "INSERT INTO executions (" + cols +
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb, "
        "$14::jsonb, $15, $16, $17, $18, $19, $20) ON CONFLICT (id) DO NOTHING RETURNING id";
    m["events"] =
        "SELECT ev.seq, ev.type, ev.data_json, ev.created_at FROM execution_events ev "
        "JOIN executions e ON e.id = ev.execution_id WHERE ev.execution_id = $1 "
        "AND ev.seq > $2 AND ($4::text IS NULL OR e.user_id = $4) ORDER BY ev.seq LIMIT $3";
    m["node_runs"] =
        "SELECT node_id, status, attempts, started_at, finished_at, usage_json, error_json, "
        "chapters_done, chapters_total FROM node_runs WHERE execution_id = $1 ORDER BY node_id";
    m["node_outputs"] =
        "SELECT node_id, output_json FROM node_outputs WHERE execution_id = $1 ORDER BY node_id";
    m["chapters"] =
        "SELECT node_id, number, title, content, words, usage_json FROM chapters "
        "WHERE execution_id = $1 ORDER BY node_id, number";
    m["artifacts"] =
        "SELECT a.format, a.path, a.mime_type, a.bytes, a.sha256, a.created_at FROM artifacts a "
        "JOIN executions e ON e.id = a.execution_id WHERE a.execution_id = $1 "
        "AND ($2::text IS NULL OR e.user_id = $2) ORDER BY a.format";
    m["provider_calls"] =
        "SELECT node_id, seq, provider, model, attempt, status, latency_ms, ttft_ms, "
        "input_tokens, output_tokens, estimated, cost_usd, created_at FROM provider_calls "
        "WHERE execution_id = $1 ORDER BY seq";
    // A key present in the document sets the column (a JSON null clears it); a missing key
    // keeps it. Several updates of one execution in a batch are merged into one document.
    m["apply_updates"] =
        "UPDATE executions AS e SET "
        "status = CASE WHEN u.doc ? 'status' THEN u.doc->>'status' ELSE e.status END, "
        "progress = CASE WHEN u.doc ? 'progress' THEN (u.doc->>'progress')::integer "
        "ELSE e.progress END, "
        "started_at = CASE WHEN u.doc ? 'started_at' THEN (u.doc->>'started_at')::bigint "
        "ELSE e.started_at END, "
        "finished_at = CASE WHEN u.doc ? 'finished_at' THEN (u.doc->>'finished_at')::bigint "
        "ELSE e.finished_at END, "
        "usage_json = CASE WHEN u.doc ? 'usage' THEN nullif(u.doc->'usage', 'null'::jsonb) "
        "ELSE e.usage_json END, "
        "error_json = CASE WHEN u.doc ? 'error' THEN nullif(u.doc->'error', 'null'::jsonb) "
        "ELSE e.error_json END, "
        "result_json = CASE WHEN u.doc ? 'result' THEN nullif(u.doc->'result', 'null'::jsonb) "
        "ELSE e.result_json END, "
        "output_json = CASE WHEN u.doc ? 'output' THEN nullif(u.doc->'output', 'null'::jsonb) "
        "ELSE e.output_json END "
        "FROM jsonb_array_elements($1::jsonb) AS u(doc) WHERE e.id = u.doc->>'id' "
        "RETURNING e.id";
    // Events are idempotent by (execution_id, seq), and last_seq is raised once per execution
    // in the same statement.
    m["apply_events"] =
        rowset("execution_id text, seq bigint, type text, data jsonb, created_at bigint",
               "INSERT INTO execution_events (execution_id, seq, type, data_json, created_at) "
               "SELECT execution_id, seq, type, nullif(data, 'null'::jsonb), created_at FROM known "
               "ON CONFLICT (execution_id, seq) DO NOTHING), raised AS ("
               "UPDATE executions e SET last_seq = greatest(e.last_seq, m.max_seq) FROM "
               "(SELECT execution_id, max(seq) AS max_seq FROM known GROUP BY execution_id) m "
               "WHERE e.id = m.execution_id");
    m["apply_node_runs"] = rowset(
        "execution_id text, node_id text, status text, attempts integer, started_at bigint, "
        "finished_at bigint, usage jsonb, error jsonb, chapters_done integer, "
        "chapters_total integer",
        "INSERT INTO node_runs (execution_id, node_id, status, attempts, started_at, "
        "finished_at, usage_json, error_json, chapters_done, chapters_total) "
        "SELECT execution_id, node_id, status, attempts, started_at, finished_at, "
        "nullif(usage, 'null'::jsonb), nullif(error, 'null'::jsonb), chapters_done, "
        "chapters_total FROM known ON CONFLICT (execution_id, node_id) DO UPDATE SET "
        "status = excluded.status, attempts = excluded.attempts, "
        "started_at = excluded.started_at, finished_at = excluded.finished_at, "
        "usage_json = excluded.usage_json, error_json = excluded.error_json, "
        "chapters_done = excluded.chapters_done, chapters_total = excluded.chapters_total");
    m["apply_node_outputs"] = rowset(
        "execution_id text, node_id text, output jsonb",
        "INSERT INTO node_outputs (execution_id, node_id, output_json) "
        "SELECT execution_id, node_id, nullif(output, 'null'::jsonb) FROM known "
        "ON CONFLICT (execution_id, node_id) DO UPDATE SET output_json = excluded.output_json");
    m["apply_chapters"] = rowset(
        "execution_id text, node_id text, number integer, title text, content text, "
        "words bigint, usage jsonb",
        "INSERT INTO chapters (execution_id, node_id, number, title, content, words, usage_json) "
        "SELECT execution_id, node_id, number, title, content, words, "
        "nullif(usage, 'null'::jsonb) FROM known "
        "ON CONFLICT (execution_id, node_id, number) DO UPDATE SET title = excluded.title, "
        "content = excluded.content, words = excluded.words, usage_json = excluded.usage_json");
    m["apply_artifacts"] = rowset(
        "execution_id text, format text, path text, mime_type text, bytes bigint, sha256 text, "
        "created_at bigint",
        "INSERT INTO artifacts (execution_id, format, path, mime_type, bytes, sha256, "
        "created_at) SELECT execution_id, format, path, mime_type, bytes, sha256, created_at "
        "FROM known ON CONFLICT (execution_id, format) DO UPDATE SET path = excluded.path, "
        "mime_type = excluded.mime_type, bytes = excluded.bytes, sha256 = excluded.sha256, "
        "created_at = excluded.created_at");
    m["apply_provider_calls"] = rowset(
        "execution_id text, node_id text, seq bigint, provider text, model text, "
        "attempt integer, status text, latency_ms bigint, ttft_ms bigint, input_tokens bigint, "
        "output_tokens bigint, estimated boolean, cost_usd double precision, created_at bigint",
        "INSERT INTO provider_calls (execution_id, node_id, seq, provider, model, attempt, "
        "status, latency_ms, ttft_ms, input_tokens, output_tokens, estimated, cost_usd, "
        "created_at) SELECT execution_id, node_id, seq, provider, model, attempt, status, "
        "latency_ms, ttft_ms, input_tokens, output_tokens, estimated, coalesce(cost_usd, 0), "
        "created_at FROM known ON CONFLICT (execution_id, node_id, seq) DO NOTHING");
    // Locks the fenced rows until commit: a claim that would raise an epoch waits for this
    // batch, and this batch sees the epoch any earlier claim left. Ordered by id so that two
    // writers lock in the same order and cannot deadlock each other.
    m["fence_check"] =
        "SELECT id, lease_epoch FROM executions WHERE id IN "
        "(SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY id FOR UPDATE";
    m["claim"] =
        "UPDATE executions SET lease_owner = $1, lease_expires_at = $2, "
        "lease_epoch = lease_epoch + 1 WHERE id IN (SELECT id FROM executions WHERE status IN " +
        unfinished +
        " AND (lease_owner IS NULL OR coalesce(lease_expires_at, 0) < $3 "
        "OR ($4::boolean AND lease_owner = $1)) ORDER BY cancel_requested DESC, created_at, id "
        "LIMIT $5 "
        "FOR UPDATE SKIP LOCKED) RETURNING " +
        cols;
    m["renew"] =
        "UPDATE executions SET lease_expires_at = $2 WHERE lease_owner = $1 AND status IN " +
        unfinished;
    m["request_cancel"] =
        "UPDATE executions SET cancel_requested = true, cancel_reason = CASE WHEN "
        "cancel_requested THEN cancel_reason ELSE $3 END WHERE id = $1 "
        "AND ($2::text IS NULL OR user_id = $2) AND status IN " +
        unfinished;
    m["notify"] = "SELECT pg_notify($1, $2)";
    // Lekhika's engine_executions (spec/original-worker.md section 4.2), looked up through
    // search_path: in production `public` is on it; tests put it in their own schema.
    m["lekhika_detect"] =
        "SELECT coalesce(has_table_privilege(to_regclass('engine_executions'), 'UPDATE'), false) "
        "AND (SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass('engine_executions') "
        "AND NOT attisdropped AND attname IN ('id', 'status', 'tokens_used', 'cost_estimate', "
        "'execution_time_ms', 'error_message', 'completed_at', 'execution_data')) = 8";
    m["lekhika_state"] =
        "SELECT e.status, e.progress, e.started_at, e.finished_at, e.usage_json, e.error_json, "
        "(SELECT count(DISTINCT c.number) FROM chapters c WHERE c.execution_id = e.id), "
        "(SELECT coalesce(jsonb_agg(a.format ORDER BY a.format), '[]'::jsonb) FROM artifacts a "
        "WHERE a.execution_id = e.id) FROM executions e WHERE e.id = $1";
    // UPDATE only: the Edge Function creates the row, and a missing row changes nothing. The
    // summary is merged into what is there (the caller's own keys stay).
    m["lekhika_update"] =
        "UPDATE engine_executions SET status = $2, tokens_used = $3, cost_estimate = $4, "
        "execution_time_ms = $5, error_message = $6, completed_at = CASE WHEN $7::bigint > 0 "
        "THEN to_timestamp($7::bigint / 1000.0) END, execution_data = (CASE WHEN "
        "jsonb_typeof(execution_data) = 'object' THEN execution_data ELSE '{}'::jsonb END "
        "- 'error' - 'chapters' - 'formats') || $8::jsonb WHERE id = $1::uuid";
    return m;
  }();
  return all;
}

// ---- errors ---------------------------------------------------------------------------------

// SQLSTATEs after which the connection is gone: connection exceptions (08) and the server
// shutting down or starting up (57P01-57P03).
[[nodiscard]] bool connection_lost_state(const std::string& state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03";
}

// SQLSTATEs that a retry of the same call can get past: serialization failures and deadlocks
// (40), resource shortages (53), lock timeouts (55P03), cancelled statements (57014) and
// server I/O errors (58).
[[nodiscard]] bool transient_state(const std::string& state) {
  return state.starts_with("40") || state.starts_with("53") || state == "55P03" ||
         state == "57014" || state.starts_with("58");
}

// libpq's words for a URL it could not read (as opposed to a server it could not reach).
[[nodiscard]] bool is_url_error(std::string_view message) {
  for (const std::string_view marker :
       {"invalid URI", "invalid connection option", "invalid percent-encoded",
        "invalid integer value", "invalid sslmode", "missing \"=\"", "unexpected spaces found",
        "end of string reached when looking for matching", "could not translate host name",
        "invalid port number"}) {
    if (message.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

[[nodiscard]] bool valid_channel(std::string_view channel) {
  if (channel.empty() || channel.size() > 63) return false;
  return std::all_of(channel.begin(), channel.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-';
  });
}

[[nodiscard]] failure invalid_channel() {
  return failure{"invalid_channel",
                 "notification channel names are 1-63 characters of letters, digits and _ . : -"};
}

// ---- notifications --------------------------------------------------------------------------

// Collects the notifications of one channel; pqxx calls it from get_notifs() and
// await_notification() on the store's own thread.
class channel_receiver final : public pqxx::notification_receiver {
 public:
  channel_receiver(pqxx::connection_base& conn, const std::string& channel,
                   std::vector<notification>& sink)
      : pqxx::notification_receiver(conn, channel), sink_(sink) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    sink_.push_back(notification{channel(), payload});
  }

 private:
  std::vector<notification>& sink_;
};

// ---- batches --------------------------------------------------------------------------------

using id_set = std::set<std::string, std::less<>>;

// The writes of a batch by kind, merged and de-duplicated so that applying each kind with one
// statement leaves the same rows as applying the writes one by one in order: execution updates
// of one execution are merged (later fields win), upserts keep the last write of a key, and
// insert-once rows (events, provider calls) keep the first.
struct grouped_batch {
  static constexpr std::size_t kinds = std::variant_size_v<write>;

  std::vector<std::string> update_order;
  std::map<std::string, json, std::less<>> updates;
  json events = json::array();
  std::map<std::tuple<std::string, std::string>, json> node_runs;
  std::map<std::tuple<std::string, std::string>, json> node_outputs;
  std::map<std::tuple<std::string, std::string, int>, json> chapters;
  std::map<std::tuple<std::string, std::string>, json> artifacts;
  json provider_calls = json::array();
  /// Executions whose Lekhika row must follow (status, progress, usage, finish or error set).
  id_set lekhika_sync;
  /// Per kind (the variant index), the first write of each execution: a failure names it.
  std::array<std::map<std::string, std::size_t, std::less<>>, kinds> first_write;

  std::set<std::pair<std::string, std::int64_t>> event_keys;
  std::set<std::tuple<std::string, std::string, std::int64_t>> call_keys;

  void add(const execution_update& u) {
    auto [it, inserted] = updates.try_emplace(u.id, json{{"id", u.id}});
    if (inserted) update_order.push_back(u.id);
    json& doc = it->second;
    if (u.status) doc["status"] = *u.status;
    if (u.progress) doc["progress"] = *u.progress;
    if (u.started_at) doc["started_at"] = *u.started_at;
    if (u.finished_at) doc["finished_at"] = *u.finished_at;
    if (u.usage) doc["usage"] = *u.usage;
    if (u.error) doc["error"] = *u.error;
    if (u.result) doc["result"] = *u.result;
    if (u.output) doc["output"] = *u.output;
    if (u.status || u.progress || u.finished_at || u.usage || u.error) lekhika_sync.insert(u.id);
  }
  void add(const event_record& e) {
    if (!event_keys.emplace(e.execution_id, e.seq).second) return;  // the first one wins
    events.push_back({{"execution_id", e.execution_id},
                      {"seq", e.seq},
                      {"type", e.type},
                      {"data", e.data},
                      {"created_at", e.created_at}});
  }
  void add(const node_run_record& r) {
    node_runs[{r.execution_id, r.node_id}] = {{"execution_id", r.execution_id},
                                              {"node_id", r.node_id},
                                              {"status", r.status},
                                              {"attempts", r.attempts},
                                              {"started_at", r.started_at},
                                              {"finished_at", r.finished_at},
                                              {"usage", r.usage},
                                              {"error", r.error},
                                              {"chapters_done", r.chapters_done},
                                              {"chapters_total", r.chapters_total}};
  }
  void add(const node_output_record& o) {
    node_outputs[{o.execution_id, o.node_id}] = {
        {"execution_id", o.execution_id}, {"node_id", o.node_id}, {"output", o.output}};
  }
  void add(const chapter_record& c) {
    chapters[{c.execution_id, c.node_id, c.number}] = {{"execution_id", c.execution_id},
                                                       {"node_id", c.node_id},
                                                       {"number", c.number},
                                                       {"title", c.title},
                                                       {"content", c.content},
                                                       {"words", c.words},
                                                       {"usage", c.usage}};
  }
  void add(const artifact_record& a) {
    artifacts[{a.execution_id, a.format}] = {
        {"execution_id", a.execution_id}, {"format", a.format}, {"path", a.path},
        {"mime_type", a.mime_type},       {"bytes", a.bytes},   {"sha256", a.sha256},
        {"created_at", a.created_at}};
    lekhika_sync.insert(a.execution_id);  // the summary lists the formats
  }
  void add(const provider_call_record& c) {
    if (!call_keys.emplace(c.execution_id, c.node_id, c.seq).second) return;
    provider_calls.push_back({{"execution_id", c.execution_id},
                              {"node_id", c.node_id},
                              {"seq", c.seq},
                              {"provider", c.provider},
                              {"model", c.model},
                              {"attempt", c.attempt},
                              {"status", c.status},
                              {"latency_ms", c.latency_ms},
                              {"ttft_ms", c.ttft_ms},
                              {"input_tokens", c.input_tokens},
                              {"output_tokens", c.output_tokens},
                              {"estimated", c.estimated},
                              {"cost_usd", c.cost_usd},
                              {"created_at", c.created_at}});
  }
};

template <class Map>
[[nodiscard]] json values_of(const Map& rows) {
  json out = json::array();
  for (const auto& [key, row] : rows) out.push_back(row);
  return out;
}

// ---- the store ------------------------------------------------------------------------------

class pg_store final : public store {
 public:
  explicit pg_store(pg_url url) : url_(std::move(url)) {}
  pg_store(const pg_store&) = delete;
  pg_store& operator=(const pg_store&) = delete;
  ~pg_store() override { disconnect(); }

  /// Connects now (open_store reports an unreachable server at once).
  [[nodiscard]] result<void> open() {
    return run<void>([](pqxx::connection& /*conn*/) {});
  }

  result<void> migrate() override {
    return run<void>([&](pqxx::connection& conn) {
      apply_pg_migrations(conn, now_ms());
      lekhika_ = detect_lekhika(conn);
    });
  }

  bool ping() override {
    auto answered = run<bool>([&](pqxx::connection& conn) {
      pqxx::nontransaction tx{conn};
      return tx.exec("SELECT 1")[0][0].as<int>() == 1;
    });
    return answered.ok() && answered.value();
  }

  result<create_outcome> create_execution(const execution_record& r) override {
    return run<create_outcome>([&](pqxx::connection& conn) {
      // One transaction: when the id exists, the row read is the one that won.
      pqxx::work tx{conn};
      const auto inserted = tx.exec_prepared(
          use(conn, "create_execution"), pg_clean_text(r.id), pg_clean_text(r.user_id),
          pg_clean_text(r.engine_id), pg_clean_text(r.status), r.progress,
          pg_clean_text(r.request_json), pg_clean_text(r.request_hash), r.created_at, r.started_at,
          r.finished_at, json_or_null(r.usage).get(), json_or_null(r.error).get(),
          json_or_null(r.result).get(), json_or_null(r.output).get(), r.last_seq,
          text_or_null(r.lease_owner).get(), time_or_null(r.lease_expires_at).get(), r.lease_epoch,
          r.cancel_requested, text_or_null(r.cancel_reason).get());
      create_outcome outcome;
      outcome.created = !inserted.empty();
      if (!outcome.created) {
        auto existing = read_execution(tx, conn, r.id, std::nullopt);
        if (!existing) {
          throw store_exception(
              failure{"store_error", "execution '" + r.id + "' conflicted but cannot be read"});
        }
        outcome.existing = std::move(*existing);
      }
      tx.commit();
      return outcome;
    });
  }

  result<void> apply(const write_batch& batch) override {
    return run<void>([&](pqxx::connection& conn) {
      if (batch.empty()) return;
      pqxx::work tx{conn};
      apply_writes(tx, conn, batch, {});
      tx.commit();
    });
  }

  result<std::vector<std::string>> apply_fenced(const write_batch& batch,
                                                const std::vector<fence>& fences) override {
    return run<std::vector<std::string>>([&](pqxx::connection& conn) {
      std::vector<std::string> stale;
      if (batch.empty() && fences.empty()) return stale;
      pqxx::work tx{conn};
      id_set skip;
      if (!fences.empty()) {
        json ids = json::array();
        for (const fence& f : fences) ids.push_back(f.execution_id);
        std::map<std::string, std::int64_t, std::less<>> epochs;
        for (const auto& row : tx.exec_prepared(use(conn, "fence_check"), pg_json_text(ids))) {
          epochs.emplace(text_of(row[0]), int_of(row[1]));
        }
        for (const fence& f : fences) {
          if (skip.contains(f.execution_id)) continue;
          const auto found = epochs.find(f.execution_id);
          // A row that does not exist holds no lease either: its writes go nowhere.
          if (found == epochs.end() || found->second != f.epoch) {
            stale.push_back(f.execution_id);
            skip.insert(f.execution_id);
          }
        }
      }
      apply_writes(tx, conn, batch, skip);
      tx.commit();
      return stale;
    });
  }

  result<std::optional<execution_record>> get_execution(
      const std::string& id, const std::optional<std::string>& user_id) override {
    return run<std::optional<execution_record>>([&](pqxx::connection& conn) {
      pqxx::nontransaction tx{conn};
      return read_execution(tx, conn, id, user_id);
    });
  }

  result<execution_page> list_executions(const execution_filter& filter) override {
    return run<execution_page>([&](pqxx::connection& conn) {
      const std::optional<list_cursor> after = cursor_of(filter);
      const int limit = page_limit(filter);
      // One prepared statement per filter shape (8 shapes), so that each keeps a plan that
      // uses the index of its shape. A statement must mention every parameter it is given, so
      // an absent filter is passed as NULL and tested as such.
      std::string name = "list";
      std::string sql =
          "SELECT id, user_id, engine_id, status, progress, created_at, started_at, "
          "finished_at FROM executions WHERE ";
      name += filter.user_id ? "_user" : "";
      sql += filter.user_id ? "user_id = $1" : "$1::text IS NULL";
      name += filter.status ? "_status" : "";
      sql += filter.status ? " AND status = $2" : " AND $2::text IS NULL";
      name += after ? "_after" : "";
      sql += after ? " AND (created_at, id) < ($3::bigint, $4::text)"
                   : " AND $3::bigint IS NULL AND $4::text IS NULL";
      sql += " ORDER BY created_at DESC, id DESC LIMIT $5";
      const nullable after_time = after ? nullable{std::to_string(after->created_at)} : nullable{};
      const nullable after_id = after ? nullable{pg_clean_text(after->id)} : nullable{};
      pqxx::nontransaction tx{conn};
      const auto rows = tx.exec_prepared(
          use_dynamic(conn, name, sql), optional_text(filter.user_id).get(),
          optional_text(filter.status).get(), after_time.get(), after_id.get(), limit + 1);
      execution_page page;
      page.items.reserve(rows.size());
      for (const auto& row : rows) {
        execution_summary s;
        s.id = text_of(row[0]);
        s.user_id = text_of(row[1]);
        s.engine_id = text_of(row[2]);
        s.status = text_of(row[3]);
        s.progress = static_cast<int>(int_of(row[4]));
        s.created_at = int_of(row[5]);
        s.started_at = int_of(row[6]);
        s.finished_at = int_of(row[7]);
        page.items.push_back(std::move(s));
      }
      if (page.items.size() > static_cast<std::size_t>(limit)) {
        page.items.pop_back();
        page.next_cursor = encode_cursor(page.items.back());
      }
      return page;
    });
  }

  result<std::vector<event_record>> events_after(const std::string& id, std::int64_t after_seq,
                                                 int limit) override {
    return scoped_events_after(id, std::nullopt, after_seq, limit);
  }

  result<std::vector<event_record>> scoped_events_after(const std::string& id,
                                                        const std::optional<std::string>& user_id,
                                                        std::int64_t after_seq,
                                                        int limit) override {
    return run<std::vector<event_record>>([&](pqxx::connection& conn) {
      std::vector<event_record> events;
      if (limit <= 0) return events;
      pqxx::nontransaction tx{conn};
      const auto rows = tx.exec_prepared(use(conn, "events"), pg_clean_text(id), after_seq, limit,
                                         optional_text(user_id).get());
      events.reserve(rows.size());
      for (const auto& row : rows) {
        events.push_back(
            event_record{id, int_of(row[0]), text_of(row[1]), json_of(row[2]), int_of(row[3])});
      }
      return events;
    });
  }

  result<std::vector<node_run_record>> node_runs(const std::string& id) override {
    return run<std::vector<node_run_record>>([&](pqxx::connection& conn) {
      pqxx::nontransaction tx{conn};
      std::vector<node_run_record> runs;
      for (const auto& row : tx.exec_prepared(use(conn, "node_runs"), pg_clean_text(id))) {
        node_run_record r;
        r.execution_id = id;
        r.node_id = text_of(row[0]);
        r.status = text_of(row[1]);
        r.attempts = static_cast<int>(int_of(row[2]));
        r.started_at = int_of(row[3]);
        r.finished_at = int_of(row[4]);
        r.usage = json_of(row[5]);
        r.error = json_of(row[6]);
        r.chapters_done = static_cast<int>(int_of(row[7]));
        r.chapters_total = static_cast<int>(int_of(row[8]));
        runs.push_back(std::move(r));
      }
      return runs;
    });
  }

  result<std::vector<node_output_record>> node_outputs(const std::string& id) override {
    return run<std::vector<node_output_record>>([&](pqxx::connection& conn) {
      pqxx::nontransaction tx{conn};
      std::vector<node_output_record> outputs;
      for (const auto& row : tx.exec_prepared(use(conn, "node_outputs"), pg_clean_text(id))) {
        outputs.push_back(node_output_record{id, text_of(row[0]), json_of(row[1])});
      }
      return outputs;
    });
  }

  result<std::vector<chapter_record>> chapters(const std::string& id) override {
    return run<std::vector<chapter_record>>([&](pqxx::connection& conn) {
      pqxx::nontransaction tx{conn};
      std::vector<chapter_record> out;
      for (const auto& row : tx.exec_prepared(use(conn, "chapters"), pg_clean_text(id))) {
        chapter_record c;
        c.execution_id = id;
        c.node_id = text_of(row[0]);
        c.number = static_cast<int>(int_of(row[1]));
        c.title = text_of(row[2]);
        c.content = text_of(row[3]);
        c.words = int_of(row[4]);
        c.usage = json_of(row[5]);
        out.push_back(std::move(c));
      }
      return out;
    });
  }

  result<std::vector<artifact_record>> artifacts(const std::string& id) override {
    return scoped_artifacts(id, std::nullopt);
  }

  result<std::vector<artifact_record>> scoped_artifacts(
      const std::string& id, const std::optional<std::string>& user_id) override {
    return run<std::vector<artifact_record>>([&](pqxx::connection& conn) {
      pqxx::nontransaction tx{conn};
      std::vector<artifact_record> out;
      for (const auto& row : tx.exec_prepared(use(conn, "artifacts"), pg_clean_text(id),
                                              optional_text(user_id).get())) {
        artifact_record a;
        a.execution_id = id;
        a.format = text_of(row[0]);
        a.path = text_of(row[1]);
        a.mime_type = text_of(row[2]);
        a.bytes = int_of(row[3]);
        a.sha256 = text_of(row[4]);
        a.created_at = int_of(row[5]);
        out.push_back(std::move(a));
      }
      return out;
    });
  }

  result<std::vector<provider_call_record>> provider_calls(const std::string& id) override {
    return run<std::vector<provider_call_record>>([&](pqxx::connection& conn) {
      pqxx::nontransaction tx{conn};
      std::vector<provider_call_record> out;
      for (const auto& row : tx.exec_prepared(use(conn, "provider_calls"), pg_clean_text(id))) {
        provider_call_record c;
        c.execution_id = id;
        c.node_id = text_of(row[0]);
        c.seq = int_of(row[1]);
        c.provider = text_of(row[2]);
        c.model = text_of(row[3]);
        c.attempt = static_cast<int>(int_of(row[4]));
        c.status = text_of(row[5]);
        c.latency_ms = int_of(row[6]);
        c.ttft_ms = int_of(row[7]);
        c.input_tokens = int_of(row[8]);
        c.output_tokens = int_of(row[9]);
        c.estimated = !row[10].is_null() && row[10].as<bool>();
        c.cost_usd = row[11].is_null() ? 0.0 : row[11].as<double>();
        c.created_at = int_of(row[12]);
        out.push_back(std::move(c));
      }
      return out;
    });
  }

  // ---- durable execution ----------------------------------------------------------------

  result<std::vector<execution_record>> claim_executions(const std::string& worker, epoch_ms now,
                                                         std::chrono::milliseconds lease, int limit,
                                                         bool reclaim_own) override {
    return run<std::vector<execution_record>>([&](pqxx::connection& conn) {
      std::vector<execution_record> claimed;
      if (limit <= 0) return claimed;
      // One statement: SKIP LOCKED passes over rows another claimer has locked, so two
      // workers claiming at once get disjoint sets.
      pqxx::work tx{conn};
      for (const auto& row : tx.exec_prepared(use(conn, "claim"), pg_clean_text(worker),
                                              now + lease.count(), now, reclaim_own, limit)) {
        claimed.push_back(read_execution_row(row));
      }
      tx.commit();
      sort_oldest_first(claimed);
      return claimed;
    });
  }

  result<int> renew_leases(const std::string& worker, epoch_ms now,
                           std::chrono::milliseconds lease) override {
    return run<int>([&](pqxx::connection& conn) {
      pqxx::work tx{conn};
      const auto renewed =
          tx.exec_prepared(use(conn, "renew"), pg_clean_text(worker), now + lease.count());
      tx.commit();
      return static_cast<int>(renewed.affected_rows());
    });
  }

  result<bool> request_cancel(const std::string& id, const std::optional<std::string>& user_id,
                              const std::string& reason) override {
    return run<bool>([&](pqxx::connection& conn) {
      pqxx::work tx{conn};
      const auto updated = tx.exec_prepared(use(conn, "request_cancel"), pg_clean_text(id),
                                            optional_text(user_id).get(), pg_clean_text(reason));
      tx.commit();
      return updated.affected_rows() > 0;
    });
  }

  result<void> notify(const std::string& channel, const std::string& payload) override {
    if (!valid_channel(channel)) return invalid_channel();
    return run<void>([&](pqxx::connection& conn) {
      pqxx::work tx{conn};
      tx.exec_prepared(use(conn, "notify"), channel, pg_clean_text(payload));
      tx.commit();  // delivered at commit
    });
  }

  result<void> listen(const std::vector<std::string>& channels) override {
    for (const auto& channel : channels) {
      if (!valid_channel(channel)) return invalid_channel();
    }
    // Remembered before LISTEN is sent: if the server is away now, the next call that
    // connects subscribes them all the same.
    for (const auto& channel : channels) {
      if (std::find(channels_.begin(), channels_.end(), channel) == channels_.end()) {
        channels_.push_back(channel);
      }
    }
    return run<void>([&](pqxx::connection& conn) { subscribe(conn); });
  }

  result<std::vector<notification>> wait_notifications(std::chrono::milliseconds timeout) override {
    return run<std::vector<notification>>([&](pqxx::connection& conn) {
      if (pending_.empty()) conn.get_notifs();
      if (pending_.empty() && timeout.count() > 0) {
        const auto ms = timeout.count();
        conn.await_notification(static_cast<long>(ms / 1000), static_cast<long>(ms % 1000) * 1000);
      }
      std::vector<notification> out;
      out.swap(pending_);
      return out;
    });
  }

  [[nodiscard]] bool shared() const override { return true; }

 private:
  // Runs `fn` on a live connection and turns every exception into a failure. When the
  // connection turns out to be broken (the server restarted, the network dropped), it
  // reconnects and tries once more, unless the connection was new already; a server that is
  // away gives "store_unavailable", which the store writer answers by keeping its batch and
  // retrying with backoff. Writes are idempotent, so a retried batch lands exactly once.
  template <class T, class F>
  [[nodiscard]] result<T> run(F&& fn) {
    bool retried = false;
    for (;;) {
      bool fresh = false;
      try {
        if (!conn_ || !conn_->is_open() || !idle_connection_alive(*conn_)) {
          disconnect();
          fresh = true;
          connect();
        }
        if constexpr (std::is_void_v<T>) {
          fn(*conn_);
          return result<void>{};
        } else {
          return result<T>(fn(*conn_));
        }
      } catch (const store_exception& e) {
        return e.error();
      } catch (const pqxx::in_doubt_error& e) {
        // Not retried here: the commit may have happened. The caller's retry is safe (writes
        // are idempotent), and a claim whose answer was lost expires like any lease.
        disconnect();
        return failure{
            "store_unavailable",
            "PostgreSQL connection lost during commit (outcome unknown): " + scrub(e.what())};
      } catch (const std::exception& e) {
        bool lost = false;
        failure f = classify(e, lost);
        if (lost) {
          disconnect();
          if (!fresh && !retried) {
            retried = true;
            continue;
          }
        }
        return f;
      } catch (...) {
        return failure{"store_error", "unexpected error in the PostgreSQL store"};
      }
    }
  }

  [[nodiscard]] std::string scrub(std::string_view message) const {
    return scrub_message(message, url_.secrets);
  }

  [[nodiscard]] failure classify(const std::exception& e, bool& lost) const {
    const std::string message = scrub(e.what());
    if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
      const std::string& state = sql->sqlstate();
      if (connection_lost_state(state)) {
        lost = true;
      } else if (transient_state(state)) {
        return failure{"store_unavailable", "PostgreSQL is busy, retry: " + message};
      } else if (conn_ && conn_->is_open()) {
        return failure{"store_error", "PostgreSQL error: " + message};
      } else {
        lost = true;
      }
    } else if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
      if (is_url_error(message)) {
        return failure{"invalid_database_url", "DATABASE_URL is not usable: " + message};
      }
      lost = true;
    } else if (!conn_ || !conn_->is_open()) {
      lost = true;
    } else {
      return failure{"store_error", "PostgreSQL store error: " + message};
    }
    return failure{"store_unavailable", "PostgreSQL is unavailable: " + message};
  }

  // Whether an idle connection still has a server behind it, found without a round trip: a
  // server that shut down or restarted has sent its goodbye, so the socket is readable (or
  // hung up) while no query is running. Reconnecting then, before the call's first statement,
  // spares that statement a failure (and libpqxx 6.4 leaks a result on that failure path).
  [[nodiscard]] static bool idle_connection_alive(pqxx::connection& conn) noexcept {
    try {
      pollfd watched{conn.sock(), POLLIN, 0};
      if (watched.fd < 0) return false;
      if (::poll(&watched, 1, 0) <= 0) return true;  // nothing pending
      if ((watched.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return false;
      // Readable: a notification (kept for wait_notifications) or the server's last words.
      conn.get_notifs();
      return conn.is_open();
    } catch (...) {
      return false;
    }
  }

  void connect() {
    auto conn = std::make_unique<pqxx::connection>(url_.connect);
    // Notices ("relation already exists, skipping" and the like) would go to stderr.
    quiet_ = std::make_unique<pqxx::quiet_errorhandler>(*conn);
    conn_ = std::move(conn);
    subscribe(*conn_);
    lekhika_ = detect_lekhika(*conn_);
  }

  // LISTENs on every subscribed channel that has no receiver on this connection yet (each
  // receiver sends LISTEN when it is made).
  void subscribe(pqxx::connection& conn) {
    for (const auto& channel : channels_) {
      const bool listening = std::any_of(receivers_.begin(), receivers_.end(),
                                         [&](const auto& r) { return r->channel() == channel; });
      if (!listening) {
        receivers_.push_back(std::make_unique<channel_receiver>(conn, channel, pending_));
      }
    }
    // libpqxx 6 swallows a broken connection during LISTEN (it counts on re-listening when
    // it reconnects by itself); the closed connection is what tells.
    if (!conn.is_open()) throw pqxx::broken_connection{"connection lost while sending LISTEN"};
  }

  void disconnect() noexcept {
    // Closing first makes the receivers' destructors skip UNLISTEN (nothing to talk to), and
    // stops pqxx from quietly reconnecting the old connection object.
    if (conn_) conn_->disconnect();
    receivers_.clear();
    quiet_.reset();
    conn_.reset();
    prepared_.clear();
  }

  // The name of a fixed statement, prepared on this connection first if needed.
  [[nodiscard]] const std::string& use(pqxx::connection& conn, std::string_view name) {
    const auto& all = statements();
    const auto found = all.find(name);
    if (found == all.end()) {
      throw store_exception(failure{"store_error", "unknown statement " + std::string(name)});
    }
    if (!prepared_.contains(found->first)) {
      conn.prepare(found->first, found->second);
      prepared_.insert(found->first);
    }
    return found->first;
  }

  [[nodiscard]] const std::string& use_dynamic(pqxx::connection& conn, const std::string& name,
                                               const std::string& sql) {
    auto [it, inserted] = prepared_.insert(name);
    if (inserted) conn.prepare(name, sql);
    return *it;
  }

  [[nodiscard]] bool detect_lekhika(pqxx::connection& conn) {
    pqxx::nontransaction tx{conn};
    return tx.exec_prepared(use(conn, "lekhika_detect"))[0][0].as<bool>();
  }

  template <class Tx>
  [[nodiscard]] std::optional<execution_record> read_execution(
      Tx& tx, pqxx::connection& conn, const std::string& id,
      const std::optional<std::string>& user_id) {
    // Scoped in the query: another tenant's execution looks exactly like a missing one.
    const auto rows = tx.exec_prepared(use(conn, "get_execution"), pg_clean_text(id),
                                       optional_text(user_id).get());
    if (rows.empty()) return std::nullopt;
    return read_execution_row(rows[0]);
  }

  // Applies the batch's writes (except those of executions in `skip`) inside `tx`, one
  // statement per kind; if any write cannot apply, throws the failure of the first such write
  // in batch order (the caller's transaction then rolls everything back).
  void apply_writes(pqxx::work& tx, pqxx::connection& conn, const write_batch& batch,
                    const id_set& skip) {
    grouped_batch g;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const std::string& id = execution_id_of(batch[i]);
      if (!skip.empty() && skip.contains(id)) continue;
      g.first_write[batch[i].index()].try_emplace(id, i);
      std::visit([&](const auto& w) { g.add(w); }, batch[i]);
    }

    std::optional<std::pair<std::size_t, failure>> first_failure;
    const auto fail = [&](std::size_t kind, const std::string& id, const std::string& code,
                          const std::string& why) {
      const auto found = g.first_write[kind].find(id);
      if (found == g.first_write[kind].end()) return;
      if (!first_failure || found->second < first_failure->first) {
        first_failure.emplace(found->second, failure{code, why});
      }
    };

    if (!g.update_order.empty()) {
      json docs = json::array();
      for (const auto& id : g.update_order) docs.push_back(g.updates[id]);
      id_set updated;
      for (const auto& row : tx.exec_prepared(use(conn, "apply_updates"), pg_json_text(docs))) {
        updated.insert(text_of(row[0]));
      }
      for (const auto& id : g.update_order) {
        if (!updated.contains(id)) fail(0, id, "not_found", "no such execution");
      }
    }
    const auto run_rowset = [&](std::size_t kind, std::string_view statement, const json& rows) {
      if (rows.empty()) return;
      for (const auto& row : tx.exec_prepared(use(conn, statement), pg_json_text(rows))) {
        fail(kind, text_of(row[0]), "store_error",
             "the execution does not exist (foreign key constraint)");
      }
    };
    run_rowset(1, "apply_events", g.events);
    run_rowset(2, "apply_node_runs", values_of(g.node_runs));
    run_rowset(3, "apply_node_outputs", values_of(g.node_outputs));
    run_rowset(4, "apply_chapters", values_of(g.chapters));
    run_rowset(5, "apply_artifacts", values_of(g.artifacts));
    run_rowset(6, "apply_provider_calls", g.provider_calls);

    if (first_failure) {
      throw batch_failure(batch, first_failure->first, first_failure->second.code,
                          first_failure->second.message);
    }
    for (const auto& id : g.lekhika_sync) sync_lekhika(tx, conn, id);
  }

  // Keeps the Lekhika engine_executions row of `id` current, in the caller's transaction.
  void sync_lekhika(pqxx::work& tx, pqxx::connection& conn, const std::string& id) {
    if (!lekhika_ || !is_uuid(id)) return;
    const auto rows = tx.exec_prepared(use(conn, "lekhika_state"), id);
    if (rows.empty()) return;
    const auto& r = rows[0];
    const lekhika_row row =
        lekhika_row_for(text_of(r[0]), static_cast<int>(int_of(r[1])), int_of(r[2]), int_of(r[3]),
                        json_of(r[4]), json_of(r[5]), int_of(r[6]), json_of(r[7]));
    const nullable execution_ms =
        row.execution_ms ? nullable{std::to_string(*row.execution_ms)} : nullable{};
    tx.exec_prepared(use(conn, "lekhika_update"), id, row.status, row.tokens_used,
                     row.cost_estimate, execution_ms.get(), optional_text(row.error_message).get(),
                     row.completed_at, pg_json_text(row.execution_data));
  }

  pg_url url_;  // never printed: it may carry a password
  // Declared before the connection so it outlives the receivers that write into it.
  std::vector<notification> pending_;
  std::vector<std::string> channels_;  // subscribed; survives reconnects
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::quiet_errorhandler> quiet_;
  std::vector<std::unique_ptr<channel_receiver>> receivers_;
  std::set<std::string, std::less<>> prepared_;  // statements prepared on conn_
  bool lekhika_ = false;                         // engine_executions is there and writable
};

}  // namespace

result<std::unique_ptr<store>> open_pg_store(const std::string& url) {
  try {
    auto opened = std::make_unique<pg_store>(prepare_pg_url(url));
    auto connected = opened->open();
    if (!connected.ok()) return connected.error();
    return std::unique_ptr<store>(std::move(opened));
  } catch (const std::exception& e) {
    return failure{"store_error", std::string("cannot open the PostgreSQL store: ") + e.what()};
  }
}

}  // namespace lekhika::persistence::detail
