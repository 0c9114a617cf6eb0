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
/// `supervisor`.
[[nodiscard]] node_actor spawn_node(caf::actor_system& system, execution_plan_ptr plan,
                                    std::size_t index, std::vector<successor> successors,
                                    supervisor_actor supervisor, execution_env_ptr env);

}  // namespace lekhika::actors
