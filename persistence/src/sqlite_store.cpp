#include "sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "sqlite_db.hpp"
#include "sqlite_migrations.hpp"

namespace lekhika::persistence::detail {

namespace {

// ---- row readers --------------------------------------------------------------------------

// Every column of an execution, in the order read_execution_row() reads them.
// Every column of an execution, in the order read_execution_row() reads them.
constexpr std::string_view execution_columns =
    "id, user_id, engine_id, status, progress, request_json, request_hash, created_at, "
    "started_at, finished_at, usage_json, error_json, result_json, output_json, last_seq, "
    "lease_owner, lease_expires_at, lease_epoch, cancel_requested, cancel_reason";

// SQL put together once from the shared pieces (function statics: built on first use).
[[nodiscard]] const std::string& select_execution_sql() {
  static const std::string sql = "SELECT " + std::string(execution_columns) +
                                 " FROM executions WHERE id = ?1 AND (?2 IS NULL OR user_id = ?2)";
  return sql;
}

[[nodiscard]] execution_record read_execution_row(const statement_use& q) {
  execution_record r;
  r.id = q.column_text(0);
  r.user_id = q.column_text(1);
  r.engine_id = q.column_text(2);
  r.status = q.column_text(3);
  r.progress = q.column_int(4);
  r.request_json = q.column_text(5);
  r.request_hash = q.column_text(6);
  r.created_at = q.column_int64(7);
  r.started_at = q.column_int64(8);
  r.finished_at = q.column_int64(9);
  r.usage = q.column_json(10);
  r.error = q.column_json(11);
  r.result = q.column_json(12);
  r.output = q.column_json(13);
  r.last_seq = q.column_int64(14);
  r.lease_owner = q.column_text(15);  // NULL: nobody holds it
  r.lease_expires_at = q.column_int64(16);
  r.lease_epoch = q.column_int64(17);
  r.cancel_requested = q.column_int(18) != 0;
  r.cancel_reason = q.column_text(19);
  return r;
}

// Binds text, or SQL NULL when it is empty (lease_owner: "" means nobody).
void bind_text_or_null(statement_use& q, int index, const std::string& text) {
  if (text.empty()) {
    q.bind_null(index);
  } else {
    q.bind_text(index, text);
  }
}

// Binds a time, or SQL NULL when it is 0 (unset).
void bind_time_or_null(statement_use& q, int index, epoch_ms value) {
  if (value == 0) {
    q.bind_null(index);
  } else {
    q.bind_int64(index, value);
  }
}

// Binds an optional field as (is_set flag, value) for the CASE-based partial update.
template <class T, class Bind>
void bind_optional(statement_use& q, int flag_index, const std::optional<T>& value, Bind bind) {
  q.bind_int64(flag_index, value.has_value() ? 1 : 0);
  if (value) bind(q, flag_index + 1, *value);
}

// ---- the store ----------------------------------------------------------------------------

class sqlite_store final : public store {
 public:
  explicit sqlite_store(const std::string& path) : conn_(path) {}

  result<void> migrate() override {
    return guarded<void>([&] { apply_sqlite_migrations(conn_, now_ms()); });
  }

  bool ping() override {
    try {
      auto q = conn_.prepare("SELECT 1");
      return q.step() && q.column_int(0) == 1;
    } catch (...) {
      return false;
    }
  }

  result<create_outcome> create_execution(const execution_record& r) override {
    return guarded<create_outcome>([&] {
      // One transaction so "insert, else read the winner" is atomic against other writers.
      transaction tx(conn_);
      auto insert = conn_.prepare(
          "INSERT INTO executions (id, user_id, engine_id, status, progress, request_json, "
          "request_hash, created_at, started_at, finished_at, usage_json, error_json, "
          "result_json, output_json, last_seq, lease_owner, lease_expires_at, lease_epoch, "
          "cancel_requested, cancel_reason) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
          "?17, ?18, ?19, ?20) ON CONFLICT (id) DO NOTHING");
      insert.bind_text(1, r.id)
          .bind_text(2, r.user_id)
          .bind_text(3, r.engine_id)
          .bind_text(4, r.status)
          .bind_int64(5, r.progress)
          .bind_text(6, r.request_json)
          .bind_text(7, r.request_hash)
          .bind_int64(8, r.created_at)
          .bind_int64(9, r.started_at)
          .bind_int64(10, r.finished_at)
          .bind_json(11, r.usage)
          .bind_json(12, r.error)
          .bind_json(13, r.result)
          .bind_json(14, r.output)
          .bind_int64(15, r.last_seq);
      // The lease is stored as given: a worker creates its executions already holding them.
      bind_text_or_null(insert, 16, r.lease_owner);
      bind_time_or_null(insert, 17, r.lease_expires_at);
      insert.bind_int64(18, r.lease_epoch).bind_int64(19, r.cancel_requested ? 1 : 0);
      bind_text_or_null(insert, 20, r.cancel_reason);
      insert.run();
      create_outcome outcome;
      outcome.created = conn_.changes() > 0;
      if (!outcome.created) {
        auto existing = read_execution(r.id);
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
    return guarded<void>([&] {
      if (batch.empty()) return;
      transaction tx(conn_);
      apply_writes(batch, {});
      tx.commit();
    });
  }

  result<std::vector<std::string>> apply_fenced(const write_batch& batch,
                                                const std::vector<fence>& fences) override {
    return guarded<std::vector<std::string>>([&] {
      // BEGIN IMMEDIATE holds the write lock from the epoch check to the commit, so no claim
      // can raise an epoch in between.
      transaction tx(conn_);
      std::vector<std::string> stale;
      std::set<std::string, std::less<>> skip;
      for (const fence& f : fences) {
        if (skip.contains(f.execution_id)) continue;
        auto q = conn_.prepare("SELECT lease_epoch FROM executions WHERE id = ?1");
        q.bind_text(1, f.execution_id);
        // A row that does not exist holds no lease either: its writes go nowhere.
        if (!q.step() || q.column_int64(0) != f.epoch) {
          stale.push_back(f.execution_id);
          skip.insert(f.execution_id);
        }
      }
      apply_writes(batch, skip);
      tx.commit();
      return stale;
    });
  }

  result<std::optional<execution_record>> get_execution(
      const std::string& id, const std::optional<std::string>& user_id) override {
    // Scoped in the query: another tenant's execution looks exactly like a missing one.
    return guarded<std::optional<execution_record>>([&] { return read_execution(id, user_id); });
  }

  result<execution_page> list_executions(const execution_filter& filter) override {
    return guarded<execution_page>([&] {
      const std::optional<list_cursor> after = cursor_of(filter);
      const int limit = page_limit(filter);
      // The SQL varies only by which filters are present (8 shapes), so each shape is
      // prepared once and cached like any other statement.
      std::string sql =
          "SELECT id, user_id, engine_id, status, progress, created_at, started_at, "
          "finished_at FROM executions";
      int next_param = 1;
      const char* joiner = " WHERE ";
      const auto add_condition = [&](std::string_view condition, int params) {
        sql += joiner;
        joiner = " AND ";
        std::string text(condition);
        for (int p = 0; p < params; ++p) {
          const auto mark = text.find('#');
          text.replace(mark, 1, "?" + std::to_string(next_param++));
        }
        sql += text;
      };
      if (filter.user_id) add_condition("user_id = #", 1);
      if (filter.status) add_condition("status = #", 1);
      if (after) add_condition("(created_at, id) < (#, #)", 2);
      sql += " ORDER BY created_at DESC, id DESC LIMIT ?" + std::to_string(next_param);

      auto q = conn_.prepare(sql);
      int p = 1;
      if (filter.user_id) q.bind_text(p++, *filter.user_id);
      if (filter.status) q.bind_text(p++, *filter.status);
      if (after) {
        q.bind_int64(p++, after->created_at);
        q.bind_text(p++, after->id);
      }
      q.bind_int64(p, limit + 1);  // one extra row says whether another page exists

      execution_page page;
      page.items.reserve(static_cast<std::size_t>(limit) + 1);
      while (q.step()) {
        execution_summary s;
        s.id = q.column_text(0);
        s.user_id = q.column_text(1);
        s.engine_id = q.column_text(2);
        s.status = q.column_text(3);
        s.progress = q.column_int(4);
        s.created_at = q.column_int64(5);
        s.started_at = q.column_int64(6);
        s.finished_at = q.column_int64(7);
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
    return guarded<std::vector<event_record>>(
        [&] { return read_events(id, std::nullopt, after_seq, limit); });
  }

  result<std::vector<event_record>> scoped_events_after(const std::string& id,
                                                        const std::optional<std::string>& user_id,
                                                        std::int64_t after_seq,
                                                        int limit) override {
    return guarded<std::vector<event_record>>(
        [&] { return read_events(id, user_id, after_seq, limit); });
  }

  result<std::vector<node_run_record>> node_runs(const std::string& id) override {
    return guarded<std::vector<node_run_record>>([&] {
      auto q = conn_.prepare(
          "SELECT node_id, status, attempts, started_at, finished_at, usage_json, error_json, "
          "chapters_done, chapters_total FROM node_runs WHERE execution_id = ?1 "
          "ORDER BY node_id");
      q.bind_text(1, id);
      std::vector<node_run_record> runs;
      while (q.step()) {
        node_run_record r;
        r.execution_id = id;
        r.node_id = q.column_text(0);
        r.status = q.column_text(1);
        r.attempts = q.column_int(2);
        r.started_at = q.column_int64(3);
        r.finished_at = q.column_int64(4);
        r.usage = q.column_json(5);
        r.error = q.column_json(6);
        r.chapters_done = q.column_int(7);
        r.chapters_total = q.column_int(8);
        runs.push_back(std::move(r));
      }
      return runs;
    });
  }

  result<std::vector<node_output_record>> node_outputs(const std::string& id) override {
    return guarded<std::vector<node_output_record>>([&] {
      auto q = conn_.prepare(
          "SELECT node_id, output_json FROM node_outputs WHERE execution_id = ?1 "
          "ORDER BY node_id");
      q.bind_text(1, id);
      std::vector<node_output_record> outputs;
      while (q.step()) {
        outputs.push_back(node_output_record{id, q.column_text(0), q.column_json(1)});
      }
      return outputs;
    });
  }

  result<std::vector<chapter_record>> chapters(const std::string& id) override {
    return guarded<std::vector<chapter_record>>([&] {
      auto q = conn_.prepare(
          "SELECT node_id, number, title, content, words, usage_json FROM chapters "
          "WHERE execution_id = ?1 ORDER BY node_id, number");
      q.bind_text(1, id);
      std::vector<chapter_record> out;
      while (q.step()) {
        chapter_record c;
        c.execution_id = id;
        c.node_id = q.column_text(0);
        c.number = q.column_int(1);
        c.title = q.column_text(2);
        c.content = q.column_text(3);
        c.words = q.column_int64(4);
        c.usage = q.column_json(5);
        out.push_back(std::move(c));
      }
      return out;
    });
  }

  result<std::vector<provider_call_record>> provider_calls(const std::string& id) override {
    return guarded<std::vector<provider_call_record>>([&] {
      auto q = conn_.prepare(
          "SELECT node_id, seq, provider, model, attempt, status, latency_ms, ttft_ms, "
          "input_tokens, output_tokens, estimated, cost_usd, created_at FROM provider_calls "
          "WHERE execution_id = ?1 ORDER BY seq");
      q.bind_text(1, id);
      std::vector<provider_call_record> out;
      while (q.step()) {
        provider_call_record c;
        c.execution_id = id;
        c.node_id = q.column_text(0);
        c.seq = q.column_int64(1);
        c.provider = q.column_text(2);
        c.model = q.column_text(3);
        c.attempt = q.column_int(4);
        c.status = q.column_text(5);
        c.latency_ms = q.column_int64(6);
        c.ttft_ms = q.column_int64(7);
        c.input_tokens = q.column_int64(8);
        c.output_tokens = q.column_int64(9);
        c.estimated = q.column_int(10) != 0;
        c.cost_usd = q.column_double(11);
        c.created_at = q.column_int64(12);
        out.push_back(std::move(c));
      }
      return out;
    });
  }

  result<std::vector<artifact_record>> artifacts(const std::string& id) override {
    return guarded<std::vector<artifact_record>>([&] { return read_artifacts(id, std::nullopt); });
  }

  result<std::vector<artifact_record>> scoped_artifacts(
      const std::string& id, const std::optional<std::string>& user_id) override {
    return guarded<std::vector<artifact_record>>([&] { return read_artifacts(id, user_id); });
  }

  // ---- durable execution ----------------------------------------------------------------

  result<std::vector<execution_record>> claim_executions(const std::string& worker, epoch_ms now,
                                                         std::chrono::milliseconds lease, int limit,
                                                         bool reclaim_own) override {
    return guarded<std::vector<execution_record>>([&] {
      std::vector<execution_record> claimed;
      if (limit <= 0) return claimed;
      // BEGIN IMMEDIATE takes the database's write lock before the rows are chosen, so two
      // claimers (other connections or processes) are serialised and never pick the same row.
      transaction tx(conn_);
      static const std::string sql =
          "UPDATE executions SET lease_owner = ?1, lease_expires_at = ?2, "
          "lease_epoch = lease_epoch + 1 WHERE id IN (SELECT id FROM executions "
          "WHERE status IN " +
          std::string(unfinished_statuses_sql) +
          " AND (lease_owner IS NULL OR coalesce(lease_expires_at, 0) < ?3 "
          "OR (?4 AND lease_owner = ?1)) ORDER BY cancel_requested DESC, created_at, id LIMIT ?5) "
          "RETURNING " +
          std::string(execution_columns);
      auto q = conn_.prepare(sql);
      q.bind_text(1, worker)
          .bind_int64(2, now + lease.count())
          .bind_int64(3, now)
          .bind_int64(4, reclaim_own ? 1 : 0)
          .bind_int64(5, limit);
      while (q.step()) claimed.push_back(read_execution_row(q));
      tx.commit();
      sort_oldest_first(claimed);
      return claimed;
    });
  }

  result<int> renew_leases(const std::string& worker, epoch_ms now,
                           std::chrono::milliseconds lease) override {
    return guarded<int>([&] {
      static const std::string sql =
          "UPDATE executions SET lease_expires_at = ?2 WHERE lease_owner = ?1 AND status IN " +
          std::string(unfinished_statuses_sql);
      conn_.prepare(sql).bind_text(1, worker).bind_int64(2, now + lease.count()).run();
      return static_cast<int>(conn_.changes());
    });
  }

  result<bool> request_cancel(const std::string& id, const std::optional<std::string>& user_id,
                              const std::string& reason) override {
    return guarded<bool>([&] {
      // The first reason stays: a repeated request does not rewrite what the operator said.
      static const std::string sql =
          "UPDATE executions SET cancel_requested = 1, cancel_reason = CASE WHEN "
          "cancel_requested THEN cancel_reason ELSE ?3 END WHERE id = ?1 "
          "AND (?2 IS NULL OR user_id = ?2) AND status IN " +
          std::string(unfinished_statuses_sql);
      auto q = conn_.prepare(sql);
      q.bind_text(1, id).bind_text(3, reason);
      if (user_id) q.bind_text(2, *user_id);
      q.run();
      return conn_.changes() > 0;
    });
  }

  // One process owns an SQLite file: nobody else could hear a notification.
  result<void> notify(const std::string& /*channel*/, const std::string& /*payload*/) override {
    return {};
  }
  result<void> listen(const std::vector<std::string>& /*channels*/) override { return {}; }
  result<std::vector<notification>> wait_notifications(
      std::chrono::milliseconds /*timeout*/) override {
    return std::vector<notification>{};
  }
  [[nodiscard]] bool shared() const override { return false; }

 private:
  using seq_map = std::map<std::string, std::int64_t, std::less<>>;
  using id_set = std::set<std::string, std::less<>>;

  static void sort_oldest_first(std::vector<execution_record>& rows) {
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
    });
  }

  // Applies the writes of the batch in order inside the caller's transaction, skipping those
  // of executions in `skip` (fenced out).
  void apply_writes(const write_batch& batch, const id_set& skip) {
    // last_seq is raised once per execution at the end instead of once per event: a batch
    // of thousands of events then costs one extra UPDATE, not thousands.
    seq_map max_seq;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!skip.empty() && skip.contains(execution_id_of(batch[i]))) continue;
      try {
        std::visit([&](const auto& w) { write_one(w, max_seq); }, batch[i]);
      } catch (const store_exception& e) {
        throw batch_failure(batch, i, e.error().code, e.what());
      } catch (const std::exception& e) {
        throw batch_failure(batch, i, "store_error", e.what());
      }
    }
    for (const auto& [id, seq] : max_seq) {
      conn_.prepare("UPDATE executions SET last_seq = max(last_seq, ?2) WHERE id = ?1")
          .bind_text(1, id)
          .bind_int64(2, seq)
          .run();
    }
  }

  [[nodiscard]] std::vector<event_record> read_events(const std::string& id,
                                                      const std::optional<std::string>& user_id,
                                                      std::int64_t after_seq, int limit) {
    std::vector<event_record> events;
    if (limit <= 0) return events;
    // The join scopes the events to the tenant in the same query that reads them.
    auto q = conn_.prepare(
        "SELECT ev.seq, ev.type, ev.data_json, ev.created_at FROM execution_events ev "
        "JOIN executions e ON e.id = ev.execution_id WHERE ev.execution_id = ?1 "
        "AND ev.seq > ?2 AND (?4 IS NULL OR e.user_id = ?4) ORDER BY ev.seq LIMIT ?3");
    q.bind_text(1, id).bind_int64(2, after_seq).bind_int64(3, limit);
    if (user_id) q.bind_text(4, *user_id);
    while (q.step()) {
      event_record e;
      e.execution_id = id;
      e.seq = q.column_int64(0);
      e.type = q.column_text(1);
      e.data = q.column_json(2);
      e.created_at = q.column_int64(3);
      events.push_back(std::move(e));
    }
    return events;
  }

  [[nodiscard]] std::vector<artifact_record> read_artifacts(
      const std::string& id, const std::optional<std::string>& user_id) {
    auto q = conn_.prepare(
        "SELECT a.format, a.path, a.mime_type, a.bytes, a.sha256, a.created_at "
        "FROM artifacts a JOIN executions e ON e.id = a.execution_id "
        "WHERE a.execution_id = ?1 AND (?2 IS NULL OR e.user_id = ?2) ORDER BY a.format");
    q.bind_text(1, id);
    if (user_id) q.bind_text(2, *user_id);
    std::vector<artifact_record> out;
    while (q.step()) {
      artifact_record a;
      a.execution_id = id;
      a.format = q.column_text(0);
      a.path = q.column_text(1);
      a.mime_type = q.column_text(2);
      a.bytes = q.column_int64(3);
      a.sha256 = q.column_text(4);
      a.created_at = q.column_int64(5);
      out.push_back(std::move(a));
    }
    return out;
  }

  [[nodiscard]] std::optional<execution_record> read_execution(
      const std::string& id, const std::optional<std::string>& user_id = std::nullopt) {
    auto q = conn_.prepare(select_execution_sql());
    q.bind_text(1, id);
    if (user_id) q.bind_text(2, *user_id);  // unbound parameters are NULL: unscoped
    if (!q.step()) return std::nullopt;
    return read_execution_row(q);
  }

  void write_one(const execution_update& u, seq_map& /*max_seq*/) {
    // One statement for every combination of set fields: each field has an "is set" flag, so
    // an unset field keeps its value and a set JSON null clears the column.
    auto q = conn_.prepare(
        "UPDATE executions SET "
        "status = CASE WHEN ?2 THEN ?3 ELSE status END, "
        "progress = CASE WHEN ?4 THEN ?5 ELSE progress END, "
        "started_at = CASE WHEN ?6 THEN ?7 ELSE started_at END, "
        "finished_at = CASE WHEN ?8 THEN ?9 ELSE finished_at END, "
        "usage_json = CASE WHEN ?10 THEN ?11 ELSE usage_json END, "
        "error_json = CASE WHEN ?12 THEN ?13 ELSE error_json END, "
        "result_json = CASE WHEN ?14 THEN ?15 ELSE result_json END, "
        "output_json = CASE WHEN ?16 THEN ?17 ELSE output_json END "
        "WHERE id = ?1");
    const auto text = [](statement_use& s, int i, const std::string& v) { s.bind_text(i, v); };
    const auto integer = [](statement_use& s, int i, std::int64_t v) { s.bind_int64(i, v); };
    const auto json = [](statement_use& s, int i, const nlohmann::json& v) { s.bind_json(i, v); };
    q.bind_text(1, u.id);
    bind_optional(q, 2, u.status, text);
    bind_optional(q, 4, u.progress, integer);
    bind_optional(q, 6, u.started_at, integer);
    bind_optional(q, 8, u.finished_at, integer);
    bind_optional(q, 10, u.usage, json);
    bind_optional(q, 12, u.error, json);
    bind_optional(q, 14, u.result, json);
    bind_optional(q, 16, u.output, json);
    q.run();
    if (conn_.changes() == 0) {
      throw store_exception(failure{"not_found", "no such execution"});
    }
  }

  void write_one(const event_record& e, seq_map& max_seq) {
    // Idempotent on (execution_id, seq) so a retried batch never duplicates events. Unlike
    // INSERT OR IGNORE, the conflict target ignores only that key, not NOT NULL or foreign-key
    // violations.
    conn_
        .prepare(
            "INSERT INTO execution_events (execution_id, seq, type, data_json, created_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (execution_id, seq) DO NOTHING")
        .bind_text(1, e.execution_id)
        .bind_int64(2, e.seq)
        .bind_text(3, e.type)
        .bind_json(4, e.data)
        .bind_int64(5, e.created_at)
        .run();
    auto found = max_seq.find(e.execution_id);
    if (found == max_seq.end()) {
      max_seq.emplace(e.execution_id, e.seq);
    } else {
      found->second = std::max(found->second, e.seq);
    }
  }

  void write_one(const node_run_record& r, seq_map& /*max_seq*/) {
    conn_
        .prepare(
            "INSERT INTO node_runs (execution_id, node_id, status, attempts, started_at, "
            "finished_at, usage_json, error_json, chapters_done, chapters_total) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
            "ON CONFLICT (execution_id, node_id) DO UPDATE SET status = excluded.status, "
            "attempts = excluded.attempts, started_at = excluded.started_at, "
            "finished_at = excluded.finished_at, usage_json = excluded.usage_json, "
            "error_json = excluded.error_json, chapters_done = excluded.chapters_done, "
            "chapters_total = excluded.chapters_total")
        .bind_text(1, r.execution_id)
        .bind_text(2, r.node_id)
        .bind_text(3, r.status)
        .bind_int64(4, r.attempts)
        .bind_int64(5, r.started_at)
        .bind_int64(6, r.finished_at)
        .bind_json(7, r.usage)
        .bind_json(8, r.error)
        .bind_int64(9, r.chapters_done)
        .bind_int64(10, r.chapters_total)
        .run();
  }

  void write_one(const node_output_record& o, seq_map& /*max_seq*/) {
    conn_
        .prepare(
            "INSERT INTO node_outputs (execution_id, node_id, output_json) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (execution_id, node_id) DO UPDATE SET output_json = "
            "excluded.output_json")
        .bind_text(1, o.execution_id)
        .bind_text(2, o.node_id)
        .bind_json(3, o.output)
        .run();
  }

  void write_one(const chapter_record& c, seq_map& /*max_seq*/) {
    conn_
        .prepare(
            "INSERT INTO chapters (execution_id, node_id, number, title, content, words, "
            "usage_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
            "ON CONFLICT (execution_id, node_id, number) DO UPDATE SET title = excluded.title, "
            "content = excluded.content, words = excluded.words, "
            "usage_json = excluded.usage_json")
        .bind_text(1, c.execution_id)
        .bind_text(2, c.node_id)
        .bind_int64(3, c.number)
        .bind_text(4, c.title)
        .bind_text(5, c.content)
        .bind_int64(6, c.words)
        .bind_json(7, c.usage)
        .run();
  }

  void write_one(const artifact_record& a, seq_map& /*max_seq*/) {
    conn_
        .prepare(
            "INSERT INTO artifacts (execution_id, format, path, mime_type, bytes, sha256, "
            "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
            "ON CONFLICT (execution_id, format) DO UPDATE SET path = excluded.path, "
            "mime_type = excluded.mime_type, bytes = excluded.bytes, "
            "sha256 = excluded.sha256, created_at = excluded.created_at")
        .bind_text(1, a.execution_id)
        .bind_text(2, a.format)
        .bind_text(3, a.path)
        .bind_text(4, a.mime_type)
        .bind_int64(5, a.bytes)
        .bind_text(6, a.sha256)
        .bind_int64(7, a.created_at)
        .run();
  }

  void write_one(const provider_call_record& c, seq_map& /*max_seq*/) {
    conn_
        .prepare(
            "INSERT INTO provider_calls (execution_id, node_id, seq, provider, model, attempt, "
            "status, latency_ms, ttft_ms, input_tokens, output_tokens, estimated, cost_usd, "
            "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
            "ON CONFLICT (execution_id, node_id, seq) DO NOTHING")
        .bind_text(1, c.execution_id)
        .bind_text(2, c.node_id)
        .bind_int64(3, c.seq)
        .bind_text(4, c.provider)
        .bind_text(5, c.model)
        .bind_int64(6, c.attempt)
        .bind_text(7, c.status)
        .bind_int64(8, c.latency_ms)
        .bind_int64(9, c.ttft_ms)
        .bind_int64(10, c.input_tokens)
        .bind_int64(11, c.output_tokens)
        .bind_int64(12, c.estimated ? 1 : 0)
        .bind_double(13, c.cost_usd)
        .bind_int64(14, c.created_at)
        .run();
  }

  connection conn_;
};

}  // namespace

result<std::unique_ptr<store>> open_sqlite_store(const std::string& path) {
  if (path.empty()) return failure{"store_unavailable", "the SQLite database path is empty"};
  if (path != ":memory:") {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return failure{"store_unavailable", "cannot create the folder '" + parent.string() +
                                                "' for the SQLite database: " + ec.message()};
      }
    }
  }
  return guarded<std::unique_ptr<store>>(
      [&]() -> std::unique_ptr<store> { return std::make_unique<sqlite_store>(path); });
}

}  // namespace lekhika::persistence::detail
