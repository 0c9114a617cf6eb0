// Failures: a provider that cannot be reached, the fallback chain, the execution timeout.

#include <gtest/gtest.h>

#include "actor_harness.hpp"

namespace lekhika::actor_tests {
namespace {

// OpenAI resolves (a key is set) but its base URL points at a loopback port nobody listens on:
// every attempt is refused at once, and two attempts with a short backoff keep the test quick.
harness_options with_unreachable_openai(std::chrono::milliseconds latency) {
  auto options = with_latency(latency)
                     .set_env("OPENAI_API_KEY", "sk-test-not-a-real-key-0000")
                     .set_env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1");
  options.calls.max_attempts = 2;
  options.calls.backoff_base = std::chrono::milliseconds{20};
  return options;
}

TEST(Failures, UnreachableProviderFailsTheExecutionAndCancelsParallelWork) {
  engine_harness h{with_unreachable_openai(std::chrono::milliseconds{150})};
  ASSERT_TRUE(h.ready());
  // in -> prep -> remote ; in -> writer (6 chapters) ; both -> out. The remote node fails
  // while the writer is in the middle of its book.
  auto body = make_body(
      "tenant-fail",
      json::array({input_node("in"), process_node("prep", "researcher"),
                   process_node("remote", "market_analyst", json::array({"openai:gpt-4o"})),
                   process_node("writer", "content_writer"), output_node("out")}),
      json::array({edge("in", "prep"), edge("prep", "remote"), edge("in", "writer"),
                   edge("remote", "out"), edge("writer", "out")}),
      {{"topic", "glaciers"}, {"chapter_count", "6"}});
  auto final = h.run(body);
  ASSERT_NE(final, nullptr);
  const auto& record = final->record;
  ASSERT_EQ(record.status, "failed");
  ASSERT_TRUE(record.error.is_object()) << record.error.dump();
  EXPECT_EQ(record.error.value("code", ""), "transport_error") << record.error.dump();
  EXPECT_EQ(record.error.value("nodeId", ""), "remote") << record.error.dump();
  EXPECT_FALSE(record.error.value("message", "").empty());

  const auto& id = record.id;
  const auto remote = h.node_run(id, "remote");
  EXPECT_EQ(remote.status, "failed");
  EXPECT_EQ(remote.error.value("code", ""), "transport_error") << remote.error.dump();
  EXPECT_EQ(h.node_run(id, "prep").status, "completed");
  EXPECT_EQ(h.node_run(id, "writer").status, "cancelled");
  EXPECT_EQ(h.node_run(id, "out").status, "cancelled");
  EXPECT_LT(h.chapters(id, "writer").size(), 6U);

  const auto log = h.events(id);
  const auto failed = first(log, "node.failed", "remote");
  const auto writer_started = first(log, "node.started", "writer");
  ASSERT_TRUE(failed && writer_started) << describe(log);
  // The writer was running when the failure came, and never completed.
  EXPECT_LT(*writer_started, *failed) << describe(log);
  EXPECT_EQ(count(log, "node.completed", "writer"), 0U) << describe(log);
  EXPECT_EQ(log[*failed].data.at("error").value("code", ""), "transport_error");
  EXPECT_EQ(count(log, "execution.failed"), 1U);
  EXPECT_EQ(log.back().type, "execution.failed") << describe(log);
  EXPECT_EQ(log.back().data.at("error").value("code", ""), "transport_error");
  const auto& nodes = record.result.at("nodes");
  EXPECT_EQ(nodes.at("remote").value("status", ""), "failed");
  EXPECT_EQ(nodes.at("writer").value("status", ""), "cancelled");
}

TEST(Failures, FallbackModelAnswersWhenTheFirstCannotBeCalled) {
  engine_harness h{with_unreachable_openai(std::chrono::milliseconds{30})};
  ASSERT_TRUE(h.ready());
  auto body = make_body(
      "tenant-fallback",
      json::array(
          {input_node("in"),
           process_node("notes", "researcher", json::array({"openai:gpt-4o", "offline:draft"})),
           output_node("out")}),
      json::array({edge("in", "notes"), edge("notes", "out")}), {{"topic", "owls"}});
  auto final = h.run(body);
  ASSERT_NE(final, nullptr);
  const auto& record = final->record;
  ASSERT_EQ(record.status, "completed") << record.error.dump();
  const auto& notes = record.result.at("nodes").at("notes");
  EXPECT_EQ(notes.value("status", ""), "completed");
  EXPECT_EQ(notes.value("provider", ""), "offline") << notes.dump();
  EXPECT_EQ(notes.value("model", ""), "draft") << notes.dump();
  ASSERT_TRUE(notes.contains("warnings")) << notes.dump();
  ASSERT_FALSE(notes.at("warnings").empty());
  const auto warning = notes.at("warnings")[0].get<std::string>();
  EXPECT_NE(warning.find("openai"), std::string::npos) << warning;
  EXPECT_FALSE(notes.value("text", "").empty());

  const auto log = h.events(record.id);
  const auto completed = first(log, "node.completed", "notes");
  ASSERT_TRUE(completed) << describe(log);
  EXPECT_TRUE(log[*completed].data.contains("warnings")) << log[*completed].data.dump();
  EXPECT_EQ(h.node_run(record.id, "notes").status, "completed");
}

TEST(Failures, ExecutionTimeoutStopsALongRun) {
  engine_harness h{
      with_latency(std::chrono::milliseconds{600}).time_limit(std::chrono::seconds{1})};
  ASSERT_TRUE(h.ready());
  auto final = h.run(writer_body("tenant-timeout", 5));
  ASSERT_NE(final, nullptr);
  const auto& record = final->record;
  ASSERT_EQ(record.status, "failed");
  EXPECT_EQ(record.error.value("code", ""), "execution_timeout") << record.error.dump();
  const auto stored = h.chapters(record.id, "writer");
  EXPECT_LT(stored.size(), 5U);
  EXPECT_EQ(h.node_run(record.id, "writer").status, "cancelled");
  // The partial output is kept, as with a cancellation.
  if (!stored.empty()) {
    const auto& book = record.result.at("book");
    ASSERT_TRUE(book.is_object()) << record.result.dump();
    EXPECT_EQ(book.at("chapters").size(), stored.size());
  }
  const auto log = h.events(record.id);
  EXPECT_EQ(count(log, "node.completed", "writer"), 0U) << describe(log);
  EXPECT_EQ(log.back().type, "execution.failed") << describe(log);
  auto row = h.stored(record.id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "failed");
  EXPECT_EQ(row->error.value("code", ""), "execution_timeout");
}

TEST(Failures, CatalogRefusesAProviderWithoutKeyAtAdmission) {
  engine_harness h{with_latency(std::chrono::milliseconds{10})};
  ASSERT_TRUE(h.ready());
  auto body =
      make_body("tenant-fail",
                json::array({input_node("in"),
                             process_node("remote", "researcher", json::array({"openai:gpt-4o"})),
                             output_node("out")}),
                json::array({edge("in", "remote"), edge("remote", "out")}), {{"topic", "owls"}});
  auto made = actors::make_plan(body, h.engine().catalog(), {}, actors::new_execution_id(),
                                actors::now_ms());
  auto* refused = std::get_if<actors::admission_error>(&made);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->code, "validation_failed");
  ASSERT_FALSE(refused->details.empty());
  EXPECT_EQ(refused->details[0].path, "/workflow/nodes/1/data/selectedModels/0");
}

}  // namespace
}  // namespace lekhika::actor_tests
