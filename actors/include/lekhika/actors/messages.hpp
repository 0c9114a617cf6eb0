#pragma once

// Every message the actors exchange, and the typed interface of each actor. Messages are small
// structs with one line of comment each; large payloads travel as shared_ptr<const T> so that a
// message copy is cheap. All messages stay inside the process, so they are whitelisted for CAF
// instead of being made serialisable.

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lekhika/actors/execution_plan.hpp"
#include "lekhika/actors/node_output.hpp"
#include "lekhika/persistence/records.hpp"
#include "lekhika/persistence/store.hpp"
#include "lekhika/providers/completion.hpp"
#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/exporters.hpp"
#include "lekhika/workflow/manuscript.hpp"
#include "lekhika/workflow/result.hpp"

namespace lekhika::actors {

// --- atoms (CAF 0.17: at most 10 characters) -------------------------------------------------

using start_atom = caf::atom_constant<caf::atom("start")>;        ///< begin work
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;      ///< stop work, keep what is done
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;  ///< execution timeout fired
using flush_atom = caf::atom_constant<caf::atom("flush")>;        ///< commit pending writes now
using tick_atom = caf::atom_constant<caf::atom("tick")>;          ///< internal timer
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;  ///< describe yourself
using stats_atom = caf::atom_constant<caf::atom("stats")>;        ///< counters for /ready, /metrics
using ping_atom = caf::atom_constant<caf::atom("ping")>;          ///< is the store there?
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using claim_atom = caf::atom_constant<caf::atom("claim")>;    ///< look for work to take over
using renew_atom = caf::atom_constant<caf::atom("renew")>;    ///< extend this worker's leases
using listen_atom = caf::atom_constant<caf::atom("listen")>;  ///< wait for notifications
using watch_atom = caf::atom_constant<caf::atom("watch")>;  ///< report lost leases to me ///< stop
                                                            ///< admitting (shutdown)
using due_atom = caf::atom_constant<caf::atom("due")>;      ///< offline answer is ready
using retry_atom = caf::atom_constant<caf::atom("retry")>;  ///< a backed-off call may go
using pump_atom = caf::atom_constant<caf::atom("pump")>;    ///< rate limits may allow more

// --- shared values ---------------------------------------------------------------------------

/// Everything known about one execution at one moment (live from its actors, or stored).
struct execution_snapshot {
  bool found = false;  ///< false: unknown (or another tenant's)
  persistence::execution_record record;
  std::vector<persistence::node_run_record> nodes;  ///< in workflow order
  std::optional<int> queue_position;                ///< 1-based, within the tenant's queue
};

/// The end of an execution as waiters receive it.
struct final_result {
  persistence::execution_record record;  ///< terminal row: status, result, output, usage, error
  std::map<std::string, std::string> inline_text;  ///< text formats' content, by format
};
using final_result_ptr = std::shared_ptr<const final_result>;

// --- registry --------------------------------------------------------------------------------

/// Admit an execution (HTTP or CLI); with wait_for_end the reply comes when it has ended.
struct submit_execution {
  execution_plan_ptr plan;
  bool wait_for_end = false;
  caf::actor observer;  ///< optional: receives the execution's events from admission on
};

/// Answer to submit_execution.
struct submit_reply {
  std::optional<failure> error;  ///< conflict, overloaded, not_ready, store_error
  std::string execution_id;
  std::string status;           ///< queued, running, ... or the terminal status
  bool attached = false;        ///< the id existed: this request joined it
  final_result_ptr final;       ///< set when the execution has ended and it is in memory
  bool ended_in_store = false;  ///< ended earlier: read the final state from the store
};

/// Operator cancellation (api.md §2.3).
struct cancel_request {
  std::string execution_id;
  std::optional<std::string> user_id;
  std::string reason;
  bool wait_for_end = false;
};

/// Answer to cancel_request.
struct cancel_reply {
  bool live = false;       ///< false: not running here; the caller consults the store
  std::string status;      ///< cancelled, cancelling or the terminal status
  final_result_ptr final;  ///< with wait_for_end, once ended
  bool remote = false;     ///< running on another worker, which was told to cancel it
};

/// Ask for the live state of an execution (GET /executions/{id}).
struct live_query {
  std::string execution_id;
  std::optional<std::string> user_id;
};

/// One stored event as observers receive it.
struct execution_event {
  persistence::event_record event;
};

/// Sent to an observer when the execution it asked for is not live (nothing will follow).
struct not_live {
  std::string execution_id;
};

/// Subscribe `observer` to the events of an execution; it receives execution_event messages,
/// or not_live when the execution is not running here.
struct subscribe_events {
  std::string execution_id;
  caf::actor observer;
};

/// Counters of the registry.
struct registry_stats {
  int running = 0;
  int queued = 0;
  int admitting = 0;
  bool draining = false;
  std::map<std::string, int> running_by_tenant;  ///< top tenants only
  std::map<std::string, std::int64_t> ended_by_status;
};

/// A supervisor reports the end of its execution (already persisted).
struct execution_ended {
  std::string execution_id;
  final_result_ptr final;
};

// --- supervisor <-> nodes --------------------------------------------------------------------

/// An upstream node finished: its output, or null when the edge was not taken.
struct edge_delivery {
  std::size_t from = 0;
  node_output_ptr output;
};

/// A node began work.
struct node_started {
  std::size_t node = 0;
};

/// A node advanced (chapter i of n, tokens so far).
struct node_progress {
  std::size_t node = 0;
  int chapters_done = 0;
  int chapters_total = 0;
  std::int64_t output_tokens = 0;
};

/// A model call of a node waits for a retry (becomes the node.retrying event).
struct node_retrying {
  std::size_t node = 0;
  int attempt = 0;
  std::int64_t delay_ms = 0;
  std::string cause;
  std::string model;
};

/// A chapter was written or revised; it is stored as a checkpoint right away.
struct chapter_finished {
  std::size_t node = 0;
  workflow::chapter chapter;
  usage_totals usage;
};

/// A node ended: completed, skipped (with a reason), failed or cancelled.
struct node_finished {
  std::size_t node = 0;
  std::string status;      ///< completed, skipped, failed, cancelled
  node_output_ptr output;  ///< what it delivered (null when failed or cancelled early)
  usage_totals usage;
  std::optional<failure> error;  ///< failed: why
  std::string reason;            ///< skipped: why
  int attempts = 0;
};

// --- providers -------------------------------------------------------------------------------

/// One model call on behalf of a node.
struct complete_prompt {
  std::uint64_t call_id = 0;
  providers::completion_request request;
  std::string tenant;  ///< userId, for fair sharing of provider limits
  std::string execution_id;
  std::string node_id;
};

/// The answer to complete_prompt.
struct prompt_result {
  std::uint64_t call_id = 0;
  std::optional<providers::completion> answer;
  std::optional<failure> error;
  int attempts = 1;
  usage_totals spent;  ///< every attempt of the call: tokens, cost, calls
};

/// Abort an in-flight call: its connection is closed and nothing is delivered.
struct abort_prompt {
  std::uint64_t call_id = 0;
};

/// Answer to abort_prompt: what the call had consumed (tokens already streamed count).
struct abort_receipt {
  std::uint64_t call_id = 0;
  usage_totals spent;
};

/// Told to the requesting node when its call waits for a retry.
struct call_retrying {
  std::uint64_t call_id = 0;
  int attempt = 0;  ///< the attempt about to start (2 = first retry)
  std::int64_t delay_ms = 0;
  std::string cause;
  std::string model;
};

/// The transport reports the status line and headers of an attempt.
struct transfer_headers {
  std::uint64_t call_id = 0;
  int attempt = 0;
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// The transport reports a piece of an attempt's body.
struct transfer_data {
  std::uint64_t call_id = 0;
  int attempt = 0;
  std::string bytes;
};

/// The transport reports the end of an attempt.
struct transfer_done {
  std::uint64_t call_id = 0;
  int attempt = 0;
  long http_status = 0;
  bool transport_failed = false;
  bool timed_out = false;
  bool tls_refused = false;
  std::string error;
};

// --- store -----------------------------------------------------------------------------------

/// Writes to apply in the next batch (fire and forget; order per sender is kept).
struct persist {
  persistence::write_batch writes;
  std::optional<persistence::fence> fence;  ///< only while this worker still holds the lease
};

/// Claim unfinished executions nobody holds (or this worker held before a restart).
struct claim_cmd {
  int limit = 0;
  bool reclaim_own = false;
};

/// Answer to claim_cmd: the claimed rows, with their new lease epoch.
struct claim_reply {
  std::optional<failure> error;
  std::vector<persistence::execution_record> claimed;
};

/// Record an operator's cancellation of an execution that runs elsewhere (another worker).
struct remote_cancel_cmd {
  std::string execution_id;
  std::optional<std::string> user_id;
  std::string reason;
};

/// Answer to remote_cancel_cmd: whether an unfinished execution was marked.
struct remote_cancel_reply {
  std::optional<failure> error;
  bool marked = false;
};

/// Tell other workers (PostgreSQL NOTIFY).
struct notify_cmd {
  std::string channel;
  std::string payload;
};

/// The store refused the writes of these executions: another worker holds them now.
struct lease_lost {
  std::vector<std::string> execution_ids;
};

/// Another worker said something (a cancel, an end) through the database.
struct remote_notice {
  persistence::notification note;
};

/// Read what a resumed execution needs: node runs, node outputs, chapters.
struct resume_query {
  std::string execution_id;
};

/// Answer to resume_query.
struct resume_data {
  std::optional<failure> error;
  std::vector<persistence::node_run_record> runs;
  std::vector<persistence::node_output_record> outputs;
  std::vector<persistence::chapter_record> chapters;
};

/// Create an execution row and its first event, unless the id exists.
struct create_execution_cmd {
  persistence::execution_record record;
  persistence::event_record first_event;
};

/// Answer to create_execution_cmd.
struct create_reply {
  std::optional<failure> error;
  bool created = false;
  persistence::execution_record existing;  ///< when created == false
};

/// Answer to flush_atom: pending writes are committed (or why not).
struct flush_reply {
  std::optional<failure> error;
};

/// Render a compiled book in these formats. Exporters run on threads of their own: laying out
/// a long PDF (and fontconfig's first font scan) takes real time that must not hold up the
/// scheduler threads every other execution runs on.
struct export_cmd {
  std::shared_ptr<const publishing::book> book;
  std::vector<const publishing::format_info*> formats;
};

/// Answer to export_cmd: the files in request order, and the formats that could not be made.
struct export_reply {
  std::vector<publishing::exported_file> files;
  std::vector<std::string> failed;
};

/// Write an exported file and record it.
struct store_artifact_cmd {
  std::string execution_id;
  std::string format;
  std::string file_name;
  std::string mime_type;
  std::shared_ptr<const std::string> bytes;
};

/// Answer to store_artifact_cmd.
struct artifact_reply {
  std::optional<failure> error;
  persistence::artifact_record artifact;
};

/// Read one execution with its node runs (and the text artifacts' content when asked).
struct execution_query {
  std::string execution_id;
  std::optional<std::string> user_id;
  bool with_inline_text = false;
};

/// Answer to execution_query.
struct execution_view {
  std::optional<failure> error;
  execution_snapshot snapshot;
  std::map<std::string, std::string> inline_text;
};

/// List executions (GET /executions).
struct list_query {
  persistence::execution_filter filter;
};

/// Answer to list_query.
struct list_reply {
  std::optional<failure> error;
  persistence::execution_page page;
};

/// Read one artifact's bytes (GET /executions/{id}/artifacts/{fmt}).
struct artifact_query {
  std::string execution_id;
  std::optional<std::string> user_id;
  std::string format;
};

/// Answer to artifact_query; `bytes` is null when there is no such artifact.
struct artifact_bytes {
  std::optional<failure> error;
  persistence::artifact_record artifact;
  std::shared_ptr<const std::string> bytes;
};

/// Read stored events after a sequence number.
struct events_query {
  std::string execution_id;
  std::optional<std::string> user_id;
  std::int64_t after_seq = 0;
  int limit = 500;
};

/// Answer to events_query.
struct events_reply {
  std::optional<failure> error;
  bool found = false;
  std::string status;  ///< the execution's status when read
  std::vector<persistence::event_record> events;
};

// --- typed interfaces ------------------------------------------------------------------------
// One signature a line, so that an interface reads like a list of what the actor understands.
// clang-format off

/// Admission, queue, tenant fairness, idempotency; one per process.
using registry_actor = caf::typed_actor<
    caf::replies_to<submit_execution>::with<submit_reply>,
    caf::replies_to<cancel_request>::with<cancel_reply>,
    caf::replies_to<live_query>::with<execution_snapshot>,
    caf::reacts_to<subscribe_events>,
    caf::replies_to<stats_atom>::with<registry_stats>,
    caf::replies_to<drain_atom>::with<registry_stats>,
    caf::reacts_to<execution_ended>,
    caf::reacts_to<lease_lost>,
    caf::reacts_to<remote_notice>,
    caf::reacts_to<claim_atom>,
    caf::reacts_to<tick_atom>>;

/// One execution: spawns and wires the node actors, owns status, progress, usage and cancel.
using supervisor_actor = caf::typed_actor<
    caf::reacts_to<start_atom>,
    caf::reacts_to<cancel_atom, std::string>,
    caf::replies_to<snapshot_atom>::with<execution_snapshot>,
    caf::reacts_to<subscribe_events>,
    caf::reacts_to<node_started>,
    caf::reacts_to<node_progress>,
    caf::reacts_to<chapter_finished>,
    caf::reacts_to<node_retrying>,
    caf::reacts_to<node_finished>,
    caf::reacts_to<deadline_atom>>;

/// One workflow node.
using node_actor = caf::typed_actor<
    caf::reacts_to<start_atom>,
    caf::reacts_to<edge_delivery>,
    caf::reacts_to<call_retrying>,
    caf::reacts_to<cancel_atom>>;

/// One provider key: runs model calls, aborts them on request. Nodes see only this interface.
using provider_actor = caf::typed_actor<
    caf::replies_to<complete_prompt>::with<prompt_result>,
    caf::replies_to<abort_prompt>::with<abort_receipt>>;

/// The built-in offline provider: answers on its own timer.
using offline_provider_actor = provider_actor::extend<
    caf::reacts_to<due_atom, std::uint64_t>>;

/// A network provider key: its transport reports through messages; retries, rate limits and
/// stall detection run on its own timers.
using network_provider_actor = provider_actor::extend<
    caf::reacts_to<transfer_headers>,
    caf::reacts_to<transfer_data>,
    caf::reacts_to<transfer_done>,
    caf::reacts_to<retry_atom, std::uint64_t>,
    caf::reacts_to<pump_atom>,
    caf::reacts_to<tick_atom>>;

/// The single writer: batches writes into transactions off the actor threads.
using store_writer_actor = caf::typed_actor<
    caf::reacts_to<persist>,
    caf::replies_to<create_execution_cmd>::with<create_reply>,
    caf::replies_to<flush_atom>::with<flush_reply>,
    caf::replies_to<store_artifact_cmd>::with<artifact_reply>,
    caf::replies_to<claim_cmd>::with<claim_reply>,
    caf::replies_to<remote_cancel_cmd>::with<remote_cancel_reply>,
    caf::reacts_to<notify_cmd>,
    caf::reacts_to<watch_atom, registry_actor>,
    caf::reacts_to<renew_atom>,
    caf::reacts_to<tick_atom>>;

/// Waits for other workers' notifications on its own connection and thread.
using store_listener_actor = caf::typed_actor<
    caf::reacts_to<listen_atom>>;

/// Reads for the HTTP API, on its own connection and thread.
using store_reader_actor = caf::typed_actor<
    caf::replies_to<execution_query>::with<execution_view>,
    caf::replies_to<list_query>::with<list_reply>,
    caf::replies_to<artifact_query>::with<artifact_bytes>,
    caf::replies_to<events_query>::with<events_reply>,
    caf::replies_to<resume_query>::with<resume_data>,
    caf::replies_to<ping_atom>::with<bool>>;

/// Renders books (actors/src/exporter.cpp).
using exporter_actor = caf::typed_actor<caf::replies_to<export_cmd>::with<export_reply>>;

// clang-format on

}  // namespace lekhika::actors

// Local-only message types: no serialisation needed.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::execution_snapshot)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::export_cmd)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::export_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::submit_execution)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::submit_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::cancel_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::cancel_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::live_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::execution_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::not_live)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::subscribe_events)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::registry_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::execution_ended)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::edge_delivery)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::node_started)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::node_progress)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::chapter_finished)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::node_finished)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::complete_prompt)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::prompt_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::abort_prompt)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::abort_receipt)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::call_retrying)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::node_retrying)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::transfer_headers)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::transfer_data)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::transfer_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::persist)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::claim_cmd)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::claim_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::remote_cancel_cmd)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::remote_cancel_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::notify_cmd)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::lease_lost)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::remote_notice)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::resume_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::resume_data)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::create_execution_cmd)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::create_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::flush_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::store_artifact_cmd)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::artifact_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::execution_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::execution_view)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::list_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::list_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::artifact_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::artifact_bytes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::events_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(lekhika::actors::events_reply)
