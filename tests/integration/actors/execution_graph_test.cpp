// How the graph runs: parallel branches, joins, condition routing.

#include <gtest/gtest.h>

#include "actor_harness.hpp"

namespace lekhika::actor_tests {
namespace {

// input -> {left, right} -> join -> out, every process node one offline call.
json diamond_body() {
  return make_body("tenant-graph",
                   json::array({input_node("in"), process_node("left", "researcher"),
                                process_node("right", "world_builder"),
                                process_node("join", "researcher"), output_node("out")}),
                   json::array({edge("in", "left"), edge("in", "right"), edge("left", "join"),
                                edge("right", "join"), edge("join", "out")}),
                   {{"topic", "mountain railways"}});
}

TEST(ExecutionGraph, IndependentBranchesRunInParallel) {
  engine_harness h{with_latency(std::chrono::milliseconds{250})};
  ASSERT_TRUE(h.ready());
  auto final = h.run(diamond_body());
  ASSERT_NE(final, nullptr);
  EXPECT_EQ(final->record.status, "completed") << final->record.error.dump();

  const auto log = h.events(final->record.id);
  const auto left_started = first(log, "node.started", "left");
  const auto right_started = first(log, "node.started", "right");
  const auto left_done = first(log, "node.completed", "left");
  const auto right_done = first(log, "node.completed", "right");
  ASSERT_TRUE(left_started && right_started && left_done && right_done) << describe(log);
  const auto first_done = std::min(*left_done, *right_done);
  // Both calls were in flight at once: neither branch waited for the other to finish.
  EXPECT_LT(*left_started, first_done) << describe(log);
  EXPECT_LT(*right_started, first_done) << describe(log);
}

TEST(ExecutionGraph, JoinWaitsForAllItsInputs) {
  engine_harness h{with_latency(std::chrono::milliseconds{150})};
  ASSERT_TRUE(h.ready());
  auto final = h.run(diamond_body());
  ASSERT_NE(final, nullptr);
  EXPECT_EQ(final->record.status, "completed") << final->record.error.dump();

  const auto log = h.events(final->record.id);
  const auto join_started = first(log, "node.started", "join");
  const auto left_done = first(log, "node.completed", "left");
  const auto right_done = first(log, "node.completed", "right");
  ASSERT_TRUE(join_started && left_done && right_done) << describe(log);
  EXPECT_GT(*join_started, *left_done) << describe(log);
  EXPECT_GT(*join_started, *right_done) << describe(log);
  EXPECT_EQ(count(log, "node.started", "join"), 1U);
  EXPECT_EQ(count(log, "node.completed", "join"), 1U);

  // The join saw both branches' text (they reach it as upstream outputs).
  const auto& nodes = final->record.result.at("nodes");
  EXPECT_EQ(nodes.at("join").value("status", ""), "completed");
  EXPECT_EQ(nodes.at("out").value("status", ""), "completed");
}

// input -> gate -> {ebook_notes | print_notes -> print_layout} -> join -> out
json gate_body(const std::string& format) {
  json rules = json::array({
      {{"field", "format"}, {"operator", "equals"}, {"value", "ebook"}, {"target", "ebook_notes"}},
      {{"field", "format"}, {"operator", "equals"}, {"value", "print"}, {"target", "print_notes"}},
  });
  return make_body(
      "tenant-gate",
      json::array({input_node("in"), condition_node("gate", std::move(rules)),
                   process_node("ebook_notes", "researcher"),
                   process_node("print_notes", "researcher"),
                   process_node("print_layout", "world_builder"),
                   process_node("join", "researcher"), output_node("out")}),
      json::array({edge("in", "gate"), edge("gate", "ebook_notes"), edge("gate", "print_notes"),
                   edge("print_notes", "print_layout"), edge("ebook_notes", "join"),
                   edge("print_layout", "join"), edge("join", "out")}),
      {{"topic", "paper boats"}, {"format", format}});
}

TEST(ExecutionGraph, ConditionRoutesAndSkipsTheUntakenArm) {
  engine_harness h{with_latency(std::chrono::milliseconds{50})};
  ASSERT_TRUE(h.ready());
  // "equals" is case-insensitive for strings.
  auto final = h.run(gate_body("EBook"));
  ASSERT_NE(final, nullptr);
  ASSERT_EQ(final->record.status, "completed") << final->record.error.dump();
  const auto& id = final->record.id;

  const auto log = h.events(id);
  EXPECT_EQ(count(log, "node.completed", "ebook_notes"), 1U) << describe(log);
  EXPECT_EQ(count(log, "node.skipped", "print_notes"), 1U) << describe(log);
  EXPECT_EQ(count(log, "node.skipped", "print_layout"), 1U) << describe(log);
  EXPECT_EQ(count(log, "node.started", "print_notes"), 0U) << describe(log);
  EXPECT_EQ(count(log, "node.started", "print_layout"), 0U) << describe(log);
  EXPECT_EQ(count(log, "node.completed", "join"), 1U) << describe(log);
  EXPECT_EQ(count(log, "node.completed", "out"), 1U) << describe(log);

  EXPECT_EQ(h.node_run(id, "ebook_notes").status, "completed");
  EXPECT_EQ(h.node_run(id, "print_notes").status, "skipped");
  EXPECT_EQ(h.node_run(id, "print_layout").status, "skipped");
  EXPECT_EQ(h.node_run(id, "join").status, "completed");
  EXPECT_EQ(h.node_run(id, "out").status, "completed");

  const auto& nodes = final->record.result.at("nodes");
  ASSERT_TRUE(nodes.at("gate").contains("decision")) << nodes.at("gate").dump();
  const auto& decision = nodes.at("gate").at("decision");
  EXPECT_EQ(decision.at("taken"), json::array({"ebook_notes"})) << decision.dump();
  EXPECT_EQ(decision.at("notTaken"), json::array({"print_notes"})) << decision.dump();
  EXPECT_EQ(nodes.at("print_notes").value("status", ""), "skipped");
  EXPECT_EQ(nodes.at("print_layout").value("status", ""), "skipped");
  EXPECT_EQ(nodes.at("join").value("status", ""), "completed");
  // Only the taken arm called a model: ebook_notes and join.
  EXPECT_EQ(final->record.usage.value("calls", -1), 2) << final->record.usage.dump();
}

TEST(ExecutionGraph, ConditionTakesTheOtherArmForTheOtherValue) {
  engine_harness h{with_latency(std::chrono::milliseconds{20})};
  ASSERT_TRUE(h.ready());
  auto final = h.run(gate_body("print"));
  ASSERT_NE(final, nullptr);
  ASSERT_EQ(final->record.status, "completed") << final->record.error.dump();
  const auto& id = final->record.id;
  EXPECT_EQ(h.node_run(id, "ebook_notes").status, "skipped");
  EXPECT_EQ(h.node_run(id, "print_notes").status, "completed");
  EXPECT_EQ(h.node_run(id, "print_layout").status, "completed");
  EXPECT_EQ(h.node_run(id, "join").status, "completed");
  const auto& decision = final->record.result.at("nodes").at("gate").at("decision");
  EXPECT_EQ(decision.at("taken"), json::array({"print_notes"})) << decision.dump();
}

TEST(ExecutionGraph, ConditionWithTrueAndFalseTargets) {
  engine_harness h{with_latency(std::chrono::milliseconds{20})};
  ASSERT_TRUE(h.ready());
  json rules = json::array({{{"field", "illustrated"},
                             {"operator", "equals"},
                             {"value", true},
                             {"trueTarget", "pictures"},
                             {"falseTarget", "plain"}}});
  auto body =
      make_body("tenant-gate",
                json::array({input_node("in"), condition_node("gate", std::move(rules)),
                             process_node("pictures", "researcher"),
                             process_node("plain", "researcher"), output_node("out")}),
                json::array({edge("in", "gate"), edge("gate", "pictures"), edge("gate", "plain"),
                             edge("pictures", "out"), edge("plain", "out")}),
                {{"topic", "kites"}, {"illustrated", "false"}});
  auto final = h.run(body);
  ASSERT_NE(final, nullptr);
  ASSERT_EQ(final->record.status, "completed") << final->record.error.dump();
  EXPECT_EQ(h.node_run(final->record.id, "pictures").status, "skipped");
  EXPECT_EQ(h.node_run(final->record.id, "plain").status, "completed");
  EXPECT_EQ(h.node_run(final->record.id, "out").status, "completed");
}

TEST(ExecutionGraph, ConditionWithoutMatchingRuleFailsWithNoRoute) {
  engine_harness h{with_latency(std::chrono::milliseconds{20})};
  ASSERT_TRUE(h.ready());
  auto final = h.run(gate_body("audiobook"));
  ASSERT_NE(final, nullptr);
  const auto& record = final->record;
  ASSERT_EQ(record.status, "failed");
  ASSERT_TRUE(record.error.is_object()) << record.error.dump();
  EXPECT_EQ(record.error.value("code", ""), "no_route") << record.error.dump();
  EXPECT_EQ(record.error.value("nodeId", ""), "gate") << record.error.dump();
  EXPECT_NE(record.error.value("message", "").find("gate"), std::string::npos)
      << record.error.dump();

  const auto log = h.events(record.id);
  EXPECT_EQ(count(log, "node.failed", "gate"), 1U) << describe(log);
  EXPECT_EQ(count(log, "execution.failed"), 1U) << describe(log);
  EXPECT_EQ(count(log, "node.started", "ebook_notes"), 0U) << describe(log);
  EXPECT_EQ(count(log, "node.started", "print_notes"), 0U) << describe(log);
  EXPECT_EQ(h.node_run(record.id, "gate").status, "failed");
  EXPECT_EQ(h.node_run(record.id, "gate").error.value("code", ""), "no_route");
  // Nothing downstream of the gate ran.
  for (const char* node : {"ebook_notes", "print_notes", "print_layout", "join", "out"}) {
    const auto status = h.node_run(record.id, node).status;
    EXPECT_NE(status, "completed") << node;
    EXPECT_NE(status, "running") << node;
  }
  EXPECT_EQ(record.usage.value("calls", -1), 0) << record.usage.dump();
}

TEST(ExecutionGraph, ImageNodeWithoutImageModelIsSkippedAndTheBookGoesOn) {
  engine_harness h{with_latency(std::chrono::milliseconds{20})};
  ASSERT_TRUE(h.ready());
  auto body =
      make_body("tenant-image",
                json::array({input_node("in"), process_node("writer", "content_writer"),
                             process_node("cover", "ecover_generator"), output_node("out")}),
                json::array({edge("in", "writer"), edge("writer", "cover"), edge("cover", "out")}),
                {{"topic", "foxes"}, {"book_title", "The Fox Book"}, {"chapter_count", "2"}});
  auto final = h.run(body);
  ASSERT_NE(final, nullptr);
  const auto& record = final->record;
  ASSERT_EQ(record.status, "completed") << record.error.dump();
  const auto log = h.events(record.id);
  const auto skipped = first(log, "node.skipped", "cover");
  ASSERT_TRUE(skipped) << describe(log);
  EXPECT_FALSE(log[*skipped].data.value("reason", "").empty()) << log[*skipped].data.dump();
  EXPECT_EQ(h.node_run(record.id, "cover").status, "skipped");
  EXPECT_EQ(h.node_run(record.id, "out").status, "completed");
  const auto& cover = record.result.at("nodes").at("cover");
  EXPECT_EQ(cover.value("status", ""), "skipped");
  EXPECT_TRUE(cover.contains("reason")) << cover.dump();
  // The writer's book went past the image node to the output node.
  EXPECT_EQ(record.result.at("book").at("chapters").size(), 2U) << record.result.dump();
  EXPECT_EQ(record.usage.value("calls", -1), 2);
}

TEST(ExecutionGraph, ParallelWritersMeetingAtTheOutputKeepEveryChapter) {
  engine_harness h{with_latency(std::chrono::milliseconds{40})};
  ASSERT_TRUE(h.ready());
  auto body =
      make_body("tenant-graph",
                json::array({input_node("in"), process_node("part_one", "content_writer"),
                             process_node("part_two", "technical_writer"), output_node("out")}),
                json::array({edge("in", "part_one"), edge("in", "part_two"),
                             edge("part_one", "out"), edge("part_two", "out")}),
                {{"topic", "windmills"}, {"chapter_count", "2"}});
  auto final = h.run(body);
  ASSERT_NE(final, nullptr);
  ASSERT_EQ(final->record.status, "completed") << final->record.error.dump();
  EXPECT_EQ(h.chapters(final->record.id, "part_one").size(), 2U);
  EXPECT_EQ(h.chapters(final->record.id, "part_two").size(), 2U);
  const auto& chapters = final->record.result.at("book").at("chapters");
  ASSERT_EQ(chapters.size(), 4U) << final->record.result.at("book").dump();
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    EXPECT_EQ(chapters[i].value("number", -1), static_cast<int>(i) + 1);
  }
}

}  // namespace
}  // namespace lekhika::actor_tests
