#pragma once

// Private to actors/: the actor of one workflow node.

#include <utility>
#include <vector>

#include "lekhika/actors/env.hpp"
#include "lekhika/actors/messages.hpp"

namespace lekhika::actors {

/// A successor's handle and the index of the node it runs.
using successor = std::pair<std::size_t, node_actor>;

/// Spawns the actor of node `index`; it delivers its output to `successors` and reports to
/// `supervisor`. A writer or reviser of a taken-over execution keeps `written_before` (stored
/// chapters, costing `written_before_usage`) and writes only the missing ones.
[[nodiscard]] node_actor spawn_node(caf::actor_system& system, execution_plan_ptr plan,
                                    std::size_t index, std::vector<successor> successors,
                                    supervisor_actor supervisor, execution_env_ptr env,
                                    std::vector<workflow::chapter> written_before = {},
                                    usage_totals written_before_usage = {});

}  // namespace lekhika::actors
