#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lekhika/workflow/model.hpp"

namespace lekhika::workflow {

/// Index-based adjacency over a workflow whose node ids are unique and whose edges all
/// point to known nodes (validate first). Indices are positions in `workflow::nodes`.
class workflow_graph {
 public:
  /// Builds the adjacency; duplicate edges between the same pair are kept once.
  explicit workflow_graph(const workflow& flow);

  /// Number of nodes.
  [[nodiscard]] std::size_t size() const noexcept { return incoming_.size(); }
  /// Index of the node with this id, or npos.
  [[nodiscard]] std::size_t index_of(std::string_view node_id) const;
  /// Direct predecessors of node i, in edge order.
  [[nodiscard]] const std::vector<std::size_t>& incoming(std::size_t i) const {
    return incoming_[i];
  }
  /// Direct successors of node i, in edge order.
  [[nodiscard]] const std::vector<std::size_t>& outgoing(std::size_t i) const {
    return outgoing_[i];
  }
  /// A topological order (Kahn, ties by node order); shorter than size() when there is a cycle.
  [[nodiscard]] std::vector<std::size_t> topological_order() const;
  /// Every cycle found, each as the node indices along it (first node not repeated).
  [[nodiscard]] std::vector<std::vector<std::size_t>> find_cycles() const;

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

 private:
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::vector<std::size_t>> incoming_;
  std::vector<std::vector<std::size_t>> outgoing_;
};

}  // namespace lekhika::workflow
