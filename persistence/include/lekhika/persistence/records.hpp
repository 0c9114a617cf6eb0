#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lekhika::persistence {

/// Milliseconds since the Unix epoch (UTC); 0 means "not set".
using epoch_ms = std::int64_t;

/// One execution row.
struct execution_record {
  std::string id;
  std::string user_id;
  std::string engine_id;
  std::string
      status;  ///< queued, running, awaiting_approval, cancelling, completed, failed, cancelled
  int progress = 0;          ///< 0-100
  std::string request_json;  ///< the request body as accepted (for idempotency and resume)
  std::string request_hash;  ///< hex SHA-256 of the canonical request
  epoch_ms created_at = 0;
  epoch_ms started_at = 0;
  epoch_ms finished_at = 0;
  nlohmann::json
      usage;  ///< {inputTokens, outputTokens, totalTokens, costUsd, calls, words} or null
  nlohmann::json error;       ///< {code, message, nodeId?} or null
  nlohmann::json result;      ///< api.md data.result or null
  nlohmann::json output;      ///< api.md data.output or null
  std::int64_t last_seq = 0;  ///< highest event sequence stored
  // Durable execution: the worker that holds the execution, until when, and the fencing epoch
  // (raised by every claim; a worker whose epoch is stale can no longer write).
  std::string lease_owner;
  epoch_ms lease_expires_at = 0;
  std::int64_t lease_epoch = 0;
  bool cancel_requested = false;  ///< an operator asked, possibly on another worker
  std::string cancel_reason;
};

/// A short line of `GET /executions`.
struct execution_summary {
  std::string id;
  std::string user_id;
  std::string engine_id;
  std::string status;
  int progress = 0;
  epoch_ms created_at = 0;
  epoch_ms started_at = 0;
  epoch_ms finished_at = 0;
};

/// One entry of the append-only event log; (execution_id, seq) is unique.
struct event_record {
  std::string execution_id;
  std::int64_t seq = 0;
  std::string type;  ///< e.g. "node.completed"
  nlohmann::json data;
  epoch_ms created_at = 0;
};

/// The state of one node of one execution.
struct node_run_record {
  std::string execution_id;
  std::string node_id;
  std::string status;  ///< pending, running, completed, failed, skipped, cancelled, awaiting_review
  int attempts = 0;
  epoch_ms started_at = 0;
  epoch_ms finished_at = 0;
  nlohmann::json usage;  ///< may be null
  nlohmann::json error;  ///< may be null
  int chapters_done = 0;
  int chapters_total = 0;
};

/// A node's finished output (a checkpoint).
struct node_output_record {
  std::string execution_id;
  std::string node_id;
  nlohmann::json output;
};

/// One finished chapter of a writer or reviser node (a checkpoint).
struct chapter_record {
  std::string execution_id;
  std::string node_id;
  int number = 0;
  std::string title;
  std::string content;
  std::int64_t words = 0;
  nlohmann::json usage;  ///< may be null
};

/// One exported file.
struct artifact_record {
  std::string execution_id;
  std::string format;  ///< md, html, txt, ...
  std::string path;    ///< file path under the artifact directory
  std::string mime_type;
  std::int64_t bytes = 0;
  std::string sha256;  ///< hex
  epoch_ms created_at = 0;
};

/// One attempt of one model call (every attempt is recorded, failed and aborted ones too).
struct provider_call_record {
  std::string execution_id;
  std::string node_id;
  std::int64_t seq = 0;  ///< unique per attempt (process-wide counter)
  std::string provider;  ///< provider type name, e.g. "openai"
  std::string model;
  int attempt = 1;     ///< 1-based attempt of this call on this model
  std::string status;  ///< "ok", an HTTP status ("429"), "timeout", "transport_error", "aborted"
  std::int64_t latency_ms = 0;
  std::int64_t ttft_ms = -1;  ///< time to first token; -1 when none came
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  bool estimated = false;  ///< tokens estimated (the provider reported none)
  double cost_usd = 0.0;
  epoch_ms created_at = 0;
};

/// Partial update of an execution row: only the fields that are set change.
struct execution_update {
  std::string id;
  std::optional<std::string> status;
  std::optional<int> progress;
  std::optional<epoch_ms> started_at;
  std::optional<epoch_ms> finished_at;
  std::optional<nlohmann::json> usage;
  std::optional<nlohmann::json> error;
  std::optional<nlohmann::json> result;
  std::optional<nlohmann::json> output;
};

/// One write of a batch.
using write = std::variant<execution_update, event_record, node_run_record, node_output_record,
                           chapter_record, artifact_record, provider_call_record>;

/// Writes applied together in one transaction, in order.
using write_batch = std::vector<write>;

/// Filter of `GET /executions`.
struct execution_filter {
  std::optional<std::string> user_id;
  std::optional<std::string> status;
  int limit = 50;                     ///< 1..500
  std::optional<std::string> cursor;  ///< opaque; from the previous page
};

/// One page of summaries, newest first.
struct execution_page {
  std::vector<execution_summary> items;
  std::optional<std::string> next_cursor;
};

}  // namespace lekhika::persistence
