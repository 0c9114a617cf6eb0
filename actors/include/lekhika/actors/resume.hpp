#pragma once

// What an execution taken over after a crash (or by another worker) starts from: the nodes that
// had finished, rebuilt from their stored checkpoints, and the chapters already written by nodes
// that had not. Nothing finished is generated again.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lekhika/actors/execution_plan.hpp"
#include "lekhika/actors/node_output.hpp"
#include "lekhika/persistence/records.hpp"

namespace lekhika::actors {

/// One node's stored state.
struct node_checkpoint {
  bool completed = false;                   ///< restored: the node is not run again
  node_output_ptr output;                   ///< completed: what it delivered
  persistence::node_run_record run;         ///< its stored run (status, usage, attempts, times)
  std::vector<workflow::chapter> chapters;  ///< chapters it had written (also when unfinished)
  usage_totals chapters_usage;              ///< what those chapters cost
};

/// Everything a resumed execution starts from.
struct resume_state {
  std::int64_t epoch = 0;     ///< the lease epoch this worker claimed
  std::int64_t last_seq = 0;  ///< the last stored event; new events continue after it
  int progress = 0;
  std::int64_t started_at = 0;
  bool cancel_requested = false;
  std::string cancel_reason;
  std::vector<node_checkpoint> nodes;  ///< per node, in workflow order
};

using resume_state_ptr = std::shared_ptr<const resume_state>;

/// Rebuilds the outputs of finished nodes (manuscripts from their chapters, outlines from
/// their structural nodes) and collects unfinished nodes' chapters.
[[nodiscard]] resume_state build_resume_state(
    const execution_plan& plan, const persistence::execution_record& record,
    const std::vector<persistence::node_run_record>& runs,
    const std::vector<persistence::node_output_record>& outputs,
    const std::vector<persistence::chapter_record>& chapters);

}  // namespace lekhika::actors
