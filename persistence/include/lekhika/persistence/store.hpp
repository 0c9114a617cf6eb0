#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lekhika/persistence/records.hpp"
#include "lekhika/workflow/result.hpp"

namespace lekhika::persistence {

/// What create_execution() found.
struct create_outcome {
  bool created = false;       ///< false: the id existed already
  execution_record existing;  ///< the stored row when created == false
};

/// Writes of one execution are only applied while its row's lease epoch is still `epoch`.
struct fence {
  std::string execution_id;
  std::int64_t epoch = 0;
};

/// A message of another worker (PostgreSQL LISTEN/NOTIFY).
struct notification {
  std::string channel;
  std::string payload;
};

/// The storage interface every back end implements (SQLite and PostgreSQL).
/// Calls are blocking: only store actors (on their own threads) call them. One instance is
/// used by one thread at a time. No method throws; failures come back as values.
class store {
 public:
  store() = default;
  store(const store&) = delete;
  store& operator=(const store&) = delete;
  virtual ~store() = default;

  /// Applies pending schema migrations (idempotent).
  [[nodiscard]] virtual result<void> migrate() = 0;
  /// True when the database answers.
  [[nodiscard]] virtual bool ping() = 0;

  /// Inserts the execution unless its id exists; then returns the existing row instead.
  [[nodiscard]] virtual result<create_outcome> create_execution(const execution_record& record) = 0;
  /// Applies every write of the batch in one transaction. Event inserts are idempotent by
  /// (execution_id, seq); node runs, outputs, chapters and artifacts are upserts.
  [[nodiscard]] virtual result<void> apply(const write_batch& batch) = 0;

  /// The execution, if it exists and (when user_id is given) belongs to that user.
  [[nodiscard]] virtual result<std::optional<execution_record>> get_execution(
      const std::string& id, const std::optional<std::string>& user_id) = 0;
  /// Summaries, newest first, filtered; `next_cursor` continues the listing.
  [[nodiscard]] virtual result<execution_page> list_executions(const execution_filter& filter) = 0;
  /// Events with seq > after_seq, in order, at most `limit`.
  [[nodiscard]] virtual result<std::vector<event_record>> events_after(const std::string& id,
                                                                       std::int64_t after_seq,
                                                                       int limit) = 0;
  /// Every node run of the execution.
  [[nodiscard]] virtual result<std::vector<node_run_record>> node_runs(const std::string& id) = 0;
  /// Every stored node output of the execution.
  [[nodiscard]] virtual result<std::vector<node_output_record>> node_outputs(
      const std::string& id) = 0;
  /// Every stored chapter of the execution, by node then number.
  [[nodiscard]] virtual result<std::vector<chapter_record>> chapters(const std::string& id) = 0;
  /// Every artifact of the execution.
  [[nodiscard]] virtual result<std::vector<artifact_record>> artifacts(const std::string& id) = 0;
  /// events_after() scoped to a tenant in the same query: empty when the execution belongs to
  /// another user than `user_id` (unscoped when it is nullopt). The default runs a scoped
  /// get_execution() first; both back ends override it with one query.
  [[nodiscard]] virtual result<std::vector<event_record>> scoped_events_after(
      const std::string& id, const std::optional<std::string>& user_id, std::int64_t after_seq,
      int limit);
  /// artifacts() scoped to a tenant in the same way.
  [[nodiscard]] virtual result<std::vector<artifact_record>> scoped_artifacts(
      const std::string& id, const std::optional<std::string>& user_id);
  /// Every recorded model-call attempt of the execution, in seq order.
  [[nodiscard]] virtual result<std::vector<provider_call_record>> provider_calls(
      const std::string& id) = 0;

  // ---- durable execution ----------------------------------------------------------------------

  /// apply() for writes that may be fenced: the writes of an execution listed in `fences` are
  /// applied only if its row's lease_epoch still equals the fence's epoch; otherwise (another
  /// worker took it over) they are dropped, and its id is returned. Everything else of the batch
  /// is applied in the same transaction.
  [[nodiscard]] virtual result<std::vector<std::string>> apply_fenced(
      const write_batch& batch, const std::vector<fence>& fences) = 0;

  /// Claims up to `limit` executions for `worker`, oldest first: unfinished ones (queued,
  /// running, cancelling, awaiting_approval) whose lease has expired or is held by nobody, and,
  /// when `reclaim_own`, those `worker` itself held before a restart. Each claimed row gets
  /// lease_owner = worker, lease_expires_at = now + lease and lease_epoch + 1, and is returned
  /// with those values (and its request_json). Concurrent claimers never get the same row
  /// (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED).
  [[nodiscard]] virtual result<std::vector<execution_record>> claim_executions(
      const std::string& worker, epoch_ms now, std::chrono::milliseconds lease, int limit,
      bool reclaim_own) = 0;

  /// Extends every lease `worker` holds on unfinished executions to now + lease; returns how
  /// many rows it holds.
  [[nodiscard]] virtual result<int> renew_leases(const std::string& worker, epoch_ms now,
                                                 std::chrono::milliseconds lease) = 0;

  /// Records an operator's cancellation on an unfinished execution (so that whichever worker
  /// holds it, now or after a takeover, stops it); false when there is no such unfinished
  /// execution (or it belongs to another user than `user_id`).
  [[nodiscard]] virtual result<bool> request_cancel(const std::string& id,
                                                    const std::optional<std::string>& user_id,
                                                    const std::string& reason) = 0;

  /// Sends a notification to every worker listening on `channel` (no-op without a server).
  [[nodiscard]] virtual result<void> notify(const std::string& channel,
                                            const std::string& payload) = 0;
  /// Subscribes this connection to `channels` (no-op without a server).
  [[nodiscard]] virtual result<void> listen(const std::vector<std::string>& channels) = 0;
  /// Waits up to `timeout` for notifications on the subscribed channels; empty when none came
  /// (an embedded store returns at once with none).
  [[nodiscard]] virtual result<std::vector<notification>> wait_notifications(
      std::chrono::milliseconds timeout) = 0;
  /// True when other processes share this database (PostgreSQL): notifications then reach
  /// other workers, and leases matter between processes.
  [[nodiscard]] virtual bool shared() const = 0;
};

/// Opens the store a DATABASE_URL names: `sqlite://PATH` (PATH relative to the working
/// directory, parent folders created) or `postgres://...` / `postgresql://...` (a libpq
/// connection URI; the connection is made here, so an unreachable server or bad credentials
/// fail with "store_unavailable"; later calls reconnect by themselves). Failure messages
/// never contain the URL's password.
[[nodiscard]] result<std::unique_ptr<store>> open_store(const std::string& database_url);

}  // namespace lekhika::persistence
