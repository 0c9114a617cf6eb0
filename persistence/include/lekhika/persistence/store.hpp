#pragma once

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

/// The storage interface every back end implements (SQLite now, PostgreSQL later).
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
  /// Every recorded model-call attempt of the execution, in seq order.
  [[nodiscard]] virtual result<std::vector<provider_call_record>> provider_calls(
      const std::string& id) = 0;

  /// Marks every execution a previous process left unfinished (queued, running, cancelling,
  /// awaiting_approval) as failed with error code "interrupted", appending the matching
  /// execution.failed event; returns how many. Single-worker stores call it at start.
  [[nodiscard]] virtual result<int> interrupt_unfinished(epoch_ms now) = 0;
};

/// Opens the store a DATABASE_URL names: `sqlite://PATH` (PATH relative to the working
/// directory, parent folders created) or, later, `postgres://...`.
[[nodiscard]] result<std::unique_ptr<store>> open_store(const std::string& database_url);

}  // namespace lekhika::persistence
