#include <gtest/gtest.h>

#include <string>

#include "lekhika/workflow/graph.hpp"

namespace lekhika::workflow {
namespace {

workflow make_flow(const std::vector<std::string>& ids,
                   const std::vector<std::pair<std::string, std::string>>& edges) {
  workflow flow;
  for (const auto& id : ids) {
    node n;
    n.id = id;
    flow.nodes.push_back(n);
  }
  for (const auto& [from, to] : edges) flow.edges.push_back({from + "->" + to, from, to});
  return flow;
}

TEST(WorkflowGraph, BuildsAdjacencyAndIgnoresDuplicateEdges) {
  const workflow_graph g{
      make_flow({"a", "b", "c"}, {{"a", "b"}, {"a", "c"}, {"a", "b"}, {"b", "c"}})};
  EXPECT_EQ(g.size(), 3U);
  EXPECT_EQ(g.index_of("b"), 1U);
  EXPECT_EQ(g.index_of("zzz"), workflow_graph::npos);
  EXPECT_EQ(g.outgoing(0), (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(g.incoming(2), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(g.incoming(1), (std::vector<std::size_t>{0}));
}

TEST(WorkflowGraph, TopologicalOrderBreaksTiesByNodeOrder) {
  // d has no inputs and comes last in node order; c depends on b, which depends on a.
  const workflow_graph g{make_flow({"c", "b", "a", "d"}, {{"a", "b"}, {"b", "c"}})};
  EXPECT_EQ(g.topological_order(), (std::vector<std::size_t>{2, 1, 0, 3}));
  const workflow_graph fan{
      make_flow({"in", "x", "y", "out"}, {{"in", "y"}, {"in", "x"}, {"x", "out"}, {"y", "out"}})};
  EXPECT_EQ(fan.topological_order(), (std::vector<std::size_t>{0, 1, 2, 3}));
}

TEST(WorkflowGraph, TopologicalOrderIsShortWithACycle) {
  const workflow_graph g{make_flow({"a", "b", "c"}, {{"a", "b"}, {"b", "a"}})};
  EXPECT_EQ(g.topological_order(), (std::vector<std::size_t>{2}));
}

TEST(WorkflowGraph, FindsEachCycle) {
  const workflow_graph acyclic{make_flow({"a", "b", "c"}, {{"a", "b"}, {"a", "c"}, {"b", "c"}})};
  EXPECT_TRUE(acyclic.find_cycles().empty());

  const workflow_graph g{
      make_flow({"a", "b", "c", "d", "e"},
                {{"a", "b"}, {"b", "c"}, {"c", "a"}, {"d", "e"}, {"e", "d"}, {"c", "c"}})};
  const auto cycles = g.find_cycles();
  ASSERT_EQ(cycles.size(), 3U);
  EXPECT_EQ(cycles[0], (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(cycles[1], (std::vector<std::size_t>{2}));
  EXPECT_EQ(cycles[2], (std::vector<std::size_t>{3, 4}));
}

TEST(WorkflowGraph, HandlesLongChainsWithoutRecursion) {
  std::vector<std::string> ids;
  std::vector<std::pair<std::string, std::string>> edges;
  for (int i = 0; i < 20000; ++i) {
    ids.push_back("n" + std::to_string(i));
    if (i > 0) edges.emplace_back(ids[static_cast<std::size_t>(i - 1)], ids.back());
  }
  const workflow_graph g{make_flow(ids, edges)};
  EXPECT_TRUE(g.find_cycles().empty());
  EXPECT_EQ(g.topological_order().size(), ids.size());
}

TEST(WorkflowGraph, ToleratesUnvalidatedFlows) {
  const workflow_graph g{make_flow({"a", "a", ""}, {{"a", "ghost"}, {"", "a"}})};
  EXPECT_EQ(g.index_of("a"), 0U);
  EXPECT_TRUE(g.outgoing(0).empty());
  EXPECT_EQ(g.topological_order().size(), 3U);
}

}  // namespace
}  // namespace lekhika::workflow
