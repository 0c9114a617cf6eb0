#pragma once

// Private to lekhika_persistence: what both back ends share (error plumbing, list cursors,
// batch failure messages, the Lekhika `engine_executions` mapping). Nothing here talks to a
// database.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "lekhika/persistence/records.hpp"
#include "lekhika/workflow/result.hpp"

namespace lekhika::persistence::detail {

/// A failure thrown inside the library; never escapes a public function.
class store_exception : public std::exception {
 public:
  /// Wraps the failure that the boundary will return.
  explicit store_exception(failure error) : error_(std::move(error)) {}
  /// The message, for std::exception users.
  [[nodiscard]] const char* what() const noexcept override { return error_.message.c_str(); }
  /// The failure to hand back.
  [[nodiscard]] const failure& error() const noexcept { return error_; }

 private:
  failure error_;
};

/// Runs `fn` and turns anything it throws into a failure, so no exception crosses the boundary.
template <class T, class F>
[[nodiscard]] result<T> guarded(F&& fn) {
  try {
    if constexpr (std::is_void_v<T>) {
      std::invoke(std::forward<F>(fn));
      return result<void>{};
    } else {
      return result<T>(std::invoke(std::forward<F>(fn)));
    }
  } catch (const store_exception& e) {
    return e.error();
  } catch (const std::exception& e) {
    return failure{"store_error", e.what()};
  } catch (...) {
    return failure{"store_error", "unexpected error in the store"};
  }
}

/// Milliseconds since the epoch, now.
[[nodiscard]] epoch_ms now_ms();

/// Serialises JSON for a TEXT column; JSON null becomes SQL NULL at bind time. Invalid UTF-8
/// (model output can contain it) is replaced rather than failing a whole batch.
[[nodiscard]] std::string dump_json(const nlohmann::json& value);

/// The statuses of an execution that has not finished (what claims and cancels look at).
inline constexpr std::string_view unfinished_statuses_sql =
    "('queued', 'running', 'cancelling', 'awaiting_approval')";

// ---- list cursors ---------------------------------------------------------------------------

/// Where the previous page of a listing ended (keyset pagination on created_at DESC, id DESC).
struct list_cursor {
  epoch_ms created_at = 0;
  std::string id;
};

/// The opaque, URL-safe cursor that continues after `last`.
[[nodiscard]] std::string encode_cursor(const execution_summary& last);
/// The cursor back, or nullopt when the text is not one encode_cursor() made.
[[nodiscard]] std::optional<list_cursor> decode_cursor(std::string_view text);
/// decode_cursor() of the filter's cursor, throwing "invalid_cursor"; nullopt for none/empty.
[[nodiscard]] std::optional<list_cursor> cursor_of(const execution_filter& filter);

/// The page size a filter asks for, clamped to 1..500.
[[nodiscard]] int page_limit(const execution_filter& filter);

// ---- batches --------------------------------------------------------------------------------

/// The execution a write belongs to.
[[nodiscard]] const std::string& execution_id_of(const write& w);

/// The failure of a whole batch, naming the write that broke it so the caller can find it.
[[nodiscard]] store_exception batch_failure(const write_batch& batch, std::size_t index,
                                            const std::string& code, std::string_view why);

// ---- Lekhika compatibility (engine_executions) ----------------------------------------------

/// True for the canonical 8-4-4-4-12 hex form of a UUID (engine_executions.id is a uuid).
[[nodiscard]] bool is_uuid(std::string_view text) noexcept;

/// The values one execution contributes to its Lekhika `engine_executions` row.
struct lekhika_row {
  std::string status;                        ///< running, completed or failed (CHECK constraint)
  std::int64_t tokens_used = 0;              ///< input + output, clamped to int4
  double cost_estimate = 0.0;                ///< clamped to numeric(10,4)
  std::optional<std::int64_t> execution_ms;  ///< finished - started, terminal states only
  std::optional<std::string> error_message;  ///< failed and cancelled runs
  epoch_ms completed_at = 0;                 ///< finished_at on terminal states, else 0
  nlohmann::json execution_data;             ///< the small summary merged into execution_data
};

/// What the execution's state maps to in engine_executions. `chapters` is the number of
/// finished chapters, `formats` the exported formats; neither the book nor any file goes in.
[[nodiscard]] lekhika_row lekhika_row_for(const std::string& status, int progress,
                                          epoch_ms started_at, epoch_ms finished_at,
                                          const nlohmann::json& usage, const nlohmann::json& error,
                                          std::int64_t chapters, const nlohmann::json& formats);

}  // namespace lekhika::persistence::detail
