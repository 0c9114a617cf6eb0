#include "lekhika/workflow/graph.hpp"

#include <algorithm>
#include <functional>
#include <queue>

namespace lekhika::workflow {

workflow_graph::workflow_graph(const workflow& flow)
    : incoming_(flow.nodes.size()), outgoing_(flow.nodes.size()) {
  for (std::size_t i = 0; i < flow.nodes.size(); ++i) {
    // First occurrence wins, so that an unvalidated flow still gives a usable graph.
    if (!flow.nodes[i].id.empty()) index_.try_emplace(flow.nodes[i].id, i);
  }
  for (const auto& e : flow.edges) {
    const std::size_t from = index_of(e.source);
    const std::size_t to = index_of(e.target);
    if (from == npos || to == npos) continue;
    auto& out = outgoing_[from];
    if (std::find(out.begin(), out.end(), to) != out.end()) continue;
    out.push_back(to);
    incoming_[to].push_back(from);
  }
}

std::size_t workflow_graph::index_of(std::string_view node_id) const {
  const auto it = index_.find(std::string{node_id});
  return it == index_.end() ? npos : it->second;
}

std::vector<std::size_t> workflow_graph::topological_order() const {
  std::vector<std::size_t> pending(size());
  // A min-heap of ready nodes keeps ties in node order, so the order is deterministic.
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < size(); ++i) {
    pending[i] = incoming_[i].size();
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<std::size_t> order;
  order.reserve(size());
  while (!ready.empty()) {
    const std::size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (std::size_t next : outgoing_[i]) {
      if (--pending[next] == 0) ready.push(next);
    }
  }
  return order;
}

std::vector<std::vector<std::size_t>> workflow_graph::find_cycles() const {
  enum class mark { unseen, on_stack, done };
  std::vector<mark> marks(size(), mark::unseen);
  std::vector<std::vector<std::size_t>> cycles;
  std::vector<std::size_t> stack;  // the current DFS path

  // Iterative DFS (a deep chain of nodes must not overflow the call stack). Each back edge
  // u -> v closes the cycle formed by the path from v to u.
  struct frame {
    std::size_t node;
    std::size_t next_edge;
  };
  for (std::size_t root = 0; root < size(); ++root) {
    if (marks[root] != mark::unseen) continue;
    std::vector<frame> frames{{root, 0}};
    marks[root] = mark::on_stack;
    stack.push_back(root);
    while (!frames.empty()) {
      frame& top = frames.back();
      const auto& out = outgoing_[top.node];
      if (top.next_edge == out.size()) {
        marks[top.node] = mark::done;
        stack.pop_back();
        frames.pop_back();
        continue;
      }
      const std::size_t next = out[top.next_edge++];
      if (marks[next] == mark::on_stack) {
        const auto from = std::find(stack.begin(), stack.end(), next);
        cycles.emplace_back(from, stack.end());
      } else if (marks[next] == mark::unseen) {
        marks[next] = mark::on_stack;
        stack.push_back(next);
        frames.push_back({next, 0});
      }
    }
  }
  return cycles;
}

}  // namespace lekhika::workflow
