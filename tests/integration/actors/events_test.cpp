// The event log: numbering, progress, what observers see, live state.

#include <gtest/gtest.h>

#include "actor_harness.hpp"

namespace lekhika::actor_tests {
namespace {

// in -> outline -> writer (3 chapters) -> editor -> out, with a researcher beside it.
json book_body(const std::string& user) {
  return make_body(
      user,
      json::array({input_node("in"), process_node("outline", "story_outliner"),
                   process_node("writer", "content_writer"), process_node("edit", "editor"),
                   process_node("notes", "researcher"), output_node("out")}),
      json::array({edge("in", "outline"), edge("outline", "writer"), edge("writer", "edit"),
                   edge("in", "notes"), edge("notes", "out"), edge("edit", "out")}),
      {{"topic", "city gardens"}, {"book_title", "Green Corners"}, {"chapter_count", "3"}});
}

void expect_gapless(const std::vector<persistence::event_record>& log) {
  for (std::size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].seq, static_cast<std::int64_t>(i) + 1) << describe(log);
  }
}

TEST(Events, ProgressNeverDecreasesAndSequenceHasNoGaps) {
  engine_harness h{with_latency(std::chrono::milliseconds{40})};
  ASSERT_TRUE(h.ready());
  auto final = h.run(book_body("tenant-events"));
  ASSERT_NE(final, nullptr);
  const auto& record = final->record;
  ASSERT_EQ(record.status, "completed") << record.error.dump();
  EXPECT_EQ(record.progress, 100);

  const auto log = h.events(record.id);
  ASSERT_GE(log.size(), 10U) << describe(log);
  expect_gapless(log);
  EXPECT_EQ(log.front().type, "execution.queued");
  EXPECT_EQ(log[1].type, "execution.started");
  EXPECT_EQ(log.back().type, "execution.completed");
  EXPECT_EQ(count(log, "execution.completed"), 1U);

  int last = 0;
  int seen = 0;
  for (const auto& e : log) {
    if (!e.data.contains("progress")) continue;
    ++seen;
    const int progress = e.data.at("progress").get<int>();
    EXPECT_GE(progress, last) << "event " << e.seq << " " << e.type << ": " << describe(log);
    EXPECT_GE(progress, 0);
    EXPECT_LE(progress, 100);
    if (e.type != "execution.completed") {
      EXPECT_LT(progress, 100) << e.type;
    }
    last = progress;
  }
  EXPECT_GE(seen, static_cast<int>(log.size()) - 1);
  EXPECT_EQ(log.back().data.value("progress", -1), 100);

  // Every node started once and completed once, and the editor revised each chapter.
  for (const char* node : {"in", "outline", "writer", "edit", "notes", "out"}) {
    EXPECT_EQ(count(log, "node.started", node), 1U) << node << ": " << describe(log);
    EXPECT_EQ(count(log, "node.completed", node), 1U) << node << ": " << describe(log);
  }
  EXPECT_EQ(h.chapters(record.id, "edit").size(), 3U);

  auto row = h.stored(record.id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "completed");
  EXPECT_EQ(row->progress, 100);
  EXPECT_EQ(row->last_seq, static_cast<std::int64_t>(log.size()));
  EXPECT_EQ(record.last_seq, static_cast<std::int64_t>(log.size()));
  EXPECT_GT(row->started_at, 0);
  EXPECT_GE(row->finished_at, row->started_at);
  for (const auto& run : h.node_runs(record.id)) {
    EXPECT_EQ(run.status, "completed") << run.node_id;
  }

  // The execution's usage is the sum of its nodes'.
  std::int64_t calls = 0;
  std::int64_t output_tokens = 0;
  for (const auto& [node, entry] : record.result.at("nodes").items()) {
    calls += entry.at("usage").value("calls", std::int64_t{0});
    output_tokens += entry.at("usage").value("outputTokens", std::int64_t{0});
  }
  // outline 1, notes 1, writer 3 chapters, editor 3 chapters.
  EXPECT_EQ(record.usage.value("calls", std::int64_t{-1}), 8) << record.usage.dump();
  EXPECT_EQ(calls, 8);
  EXPECT_EQ(record.usage.value("outputTokens", std::int64_t{-1}), output_tokens);
  EXPECT_GT(output_tokens, 0);
}

TEST(Events, ProgressOfACancelledRunStaysBelowHundred) {
  engine_harness h{with_latency(std::chrono::milliseconds{150})};
  ASSERT_TRUE(h.ready());
  auto plan = h.plan(writer_body("tenant-events", 6));
  ASSERT_NE(plan, nullptr);
  auto [observer, live_log] = h.observer();
  ASSERT_FALSE(h.submit(plan, false, observer).error);
  ASSERT_TRUE(live_log->wait_until([](const auto& events) {
    return count(events, "node.progress", std::string{"writer"}) >= 1;
  }));
  auto cancelled = h.cancel(plan->execution_id, true);
  ASSERT_NE(cancelled.final, nullptr);
  const auto log = h.events(plan->execution_id);
  expect_gapless(log);
  int last = 0;
  for (const auto& e : log) {
    if (!e.data.contains("progress")) continue;
    EXPECT_GE(e.data.at("progress").get<int>(), last) << describe(log);
    last = e.data.at("progress").get<int>();
  }
  EXPECT_LT(last, 100);
  EXPECT_EQ(cancelled.final->record.last_seq, static_cast<std::int64_t>(log.size()));
}

TEST(Events, ObserverReceivesEveryStoredEventInOrder) {
  engine_harness h{with_latency(std::chrono::milliseconds{30})};
  ASSERT_TRUE(h.ready());
  auto plan = h.plan(book_body("tenant-observer"));
  ASSERT_NE(plan, nullptr);
  auto [observer, live_log] = h.observer();
  auto reply = h.submit(plan, true, observer);
  ASSERT_FALSE(reply.error);
  ASSERT_NE(reply.final, nullptr);
  ASSERT_TRUE(live_log->wait_for_end());
  const auto stored = h.events(plan->execution_id);
  const auto seen = live_log->events();
  // The live stream is the stored log: same events, same numbers, same order, from the
  // admission event (execution.queued, seq 1) to the terminal one.
  std::vector<std::int64_t> seen_seqs;
  for (const auto& e : seen) seen_seqs.push_back(e.seq);
  std::vector<std::int64_t> stored_seqs;
  for (const auto& e : stored) stored_seqs.push_back(e.seq);
  EXPECT_EQ(seen_seqs, stored_seqs)
      << "live: " << describe(seen) << "\nstored: " << describe(stored);
  for (const auto& e : seen) {
    if (e.seq < 1 || e.seq > static_cast<std::int64_t>(stored.size())) continue;
    EXPECT_EQ(e.type, stored[static_cast<std::size_t>(e.seq - 1)].type) << e.seq;
  }
}

TEST(Events, EveryEventCarriesExecutionIdAndProgress) {
  engine_harness h{with_latency(std::chrono::milliseconds{20}).limit_running(1)};
  ASSERT_TRUE(h.ready());
  auto running = h.plan(writer_body("tenant-data", 3));
  auto queued = h.plan(single_call_body("tenant-data"));
  ASSERT_TRUE(running && queued);
  ASSERT_FALSE(h.submit(running, false).error);
  ASSERT_FALSE(h.submit(queued, false).error);
  ASSERT_EQ(h.cancel(queued->execution_id, false).status, "cancelled");
  ASSERT_EQ(h.submit(running, true).status, "completed");
  ASSERT_TRUE(h.wait_stored_end(queued->execution_id));
  // docs/behaviour.md: "Event data carries executionId and the execution's progress at that
  // moment" -- also the events the registry writes (execution.queued, a queued cancellation).
  for (const auto& id : {running->execution_id, queued->execution_id}) {
    const auto log = h.events(id);
    ASSERT_FALSE(log.empty());
    for (const auto& e : log) {
      EXPECT_EQ(e.data.value("executionId", ""), id) << e.seq << " " << e.type;
      EXPECT_TRUE(e.data.contains("progress")) << e.seq << " " << e.type << ": " << e.data.dump();
    }
  }
}

TEST(Events, LiveQueryShowsARunningExecutionAndItsNodes) {
  engine_harness h{with_latency(std::chrono::milliseconds{150})};
  ASSERT_TRUE(h.ready());
  auto plan = h.plan(writer_body("tenant-live", 5));
  ASSERT_NE(plan, nullptr);
  auto [observer, live_log] = h.observer();
  ASSERT_FALSE(h.submit(plan, false, observer).error);
  ASSERT_TRUE(live_log->wait_until([](const auto& events) {
    return count(events, "node.progress", std::string{"writer"}) >= 2;
  }));
  auto snap = h.live(plan->execution_id);
  ASSERT_TRUE(snap.found);
  EXPECT_EQ(snap.record.status, "running");
  EXPECT_GT(snap.record.started_at, 0);
  EXPECT_FALSE(snap.queue_position.has_value());
  ASSERT_EQ(snap.nodes.size(), 3U);
  EXPECT_EQ(snap.nodes[0].node_id, "in");
  EXPECT_EQ(snap.nodes[0].status, "completed");
  EXPECT_EQ(snap.nodes[1].node_id, "writer");
  EXPECT_EQ(snap.nodes[1].status, "running");
  EXPECT_GE(snap.nodes[1].chapters_done, 2);
  EXPECT_EQ(snap.nodes[1].chapters_total, 5);
  EXPECT_EQ(snap.nodes[2].status, "pending");
  EXPECT_GT(snap.record.progress, 0);
  EXPECT_LT(snap.record.progress, 100);
  // Another tenant does not see it.
  actors::execution_snapshot other;
  {
    caf::scoped_actor self{h.engine().system()};
    self->request(h.engine().registry(), reply_timeout,
                  actors::live_query{plan->execution_id, std::string{"someone-else"}})
        .receive([&](actors::execution_snapshot& s) { other = std::move(s); },
                 [&](caf::error& err) { FAIL() << to_string(err); });
  }
  EXPECT_FALSE(other.found);
  // Nor can it cancel it.
  actors::cancel_reply foreign;
  {
    caf::scoped_actor self{h.engine().system()};
    self->request(
            h.engine().registry(), reply_timeout,
            actors::cancel_request{plan->execution_id, std::string{"someone-else"}, "", false})
        .receive([&](actors::cancel_reply& r) { foreign = std::move(r); },
                 [&](caf::error& err) { FAIL() << to_string(err); });
  }
  EXPECT_FALSE(foreign.live);
  EXPECT_EQ(h.live(plan->execution_id).record.status, "running");
  (void)h.cancel(plan->execution_id, true);
  EXPECT_FALSE(h.live(plan->execution_id).found);
}

}  // namespace
}  // namespace lekhika::actor_tests
