// The registry: the running limit, the queue, tenant fairness, overload, idempotency.

#include <gtest/gtest.h>

#include "actor_harness.hpp"

namespace lekhika::actor_tests {
namespace {

// Waits for the end of an execution by attaching to it (or reading the store once it ended).
persistence::execution_record wait_end(engine_harness& h, const actors::execution_plan_ptr& plan) {
  auto reply = h.submit(plan, true);
  if (reply.error) {
    ADD_FAILURE() << "attach failed: " << reply.error->message;
    return {};
  }
  if (reply.final) return reply.final->record;
  auto row = h.wait_stored_end(plan->execution_id);
  if (!row) {
    ADD_FAILURE() << "execution " << plan->execution_id << " never ended";
    return {};
  }
  return *row;
}

TEST(Registry, ExecutionsBeyondTheRunningLimitWaitInTheQueue) {
  engine_harness h{with_latency(std::chrono::milliseconds{150}).limit_running(2)};
  ASSERT_TRUE(h.ready());
  auto a = h.plan(writer_body("tenant-one", 3));
  auto b = h.plan(writer_body("tenant-two", 3));
  auto c = h.plan(writer_body("tenant-three", 2));
  ASSERT_TRUE(a && b && c);
  ASSERT_FALSE(h.submit(a, false).error);
  ASSERT_FALSE(h.submit(b, false).error);
  auto third = h.submit(c, false);
  ASSERT_FALSE(third.error);
  EXPECT_EQ(third.status, "queued");

  auto waiting = h.live(c->execution_id);
  ASSERT_TRUE(waiting.found);
  EXPECT_EQ(waiting.record.status, "queued");
  ASSERT_TRUE(waiting.queue_position.has_value());
  EXPECT_EQ(*waiting.queue_position, 1);
  EXPECT_EQ(waiting.record.started_at, 0);
  ASSERT_EQ(waiting.nodes.size(), 3U);
  for (const auto& run : waiting.nodes) EXPECT_EQ(run.status, "pending") << run.node_id;
  auto counters = h.stats();
  EXPECT_EQ(counters.running, 2);
  EXPECT_EQ(counters.queued, 1);
  EXPECT_EQ(h.live(a->execution_id).record.status, "running");
  EXPECT_FALSE(h.live(a->execution_id).queue_position.has_value());

  const auto third_end = wait_end(h, c);
  EXPECT_EQ(third_end.status, "completed") << third_end.error.dump();
  const auto first_end = wait_end(h, a);
  const auto second_end = wait_end(h, b);
  EXPECT_EQ(first_end.status, "completed");
  EXPECT_EQ(second_end.status, "completed");

  // The third started only once a slot was free.
  auto stored_c = h.stored(c->execution_id);
  ASSERT_TRUE(stored_c);
  EXPECT_GT(stored_c->started_at, 0);
  EXPECT_GE(stored_c->started_at, std::min(first_end.finished_at, second_end.finished_at));
  const auto log = h.events(c->execution_id);
  EXPECT_EQ(count(log, "execution.started"), 1U) << describe(log);
  EXPECT_EQ(count(log, "execution.completed"), 1U) << describe(log);
  counters = h.stats();
  EXPECT_EQ(counters.running, 0);
  EXPECT_EQ(counters.queued, 0);
  EXPECT_EQ(counters.ended_by_status["completed"], 3);
}

TEST(Registry, ATenantAtItsLimitDoesNotHoldUpOtherTenants) {
  engine_harness h{with_latency(std::chrono::milliseconds{100}).limit_per_tenant(1)};
  ASSERT_TRUE(h.ready());
  auto a1 = h.plan(writer_body("tenant-a", 3));
  auto a2 = h.plan(writer_body("tenant-a", 2));
  auto a3 = h.plan(writer_body("tenant-a", 2));
  auto b1 = h.plan(writer_body("tenant-b", 2));
  ASSERT_TRUE(a1 && a2 && a3 && b1);
  for (const auto& p : {a1, a2, a3, b1}) ASSERT_FALSE(h.submit(p, false).error);

  // A's second and third wait behind A's first; B runs at once.
  EXPECT_EQ(h.live(b1->execution_id).record.status, "running");
  auto a2_live = h.live(a2->execution_id);
  auto a3_live = h.live(a3->execution_id);
  EXPECT_EQ(a2_live.record.status, "queued");
  EXPECT_EQ(a3_live.record.status, "queued");
  ASSERT_TRUE(a2_live.queue_position && a3_live.queue_position);
  EXPECT_EQ(*a2_live.queue_position, 1);
  EXPECT_EQ(*a3_live.queue_position, 2);
  EXPECT_EQ(h.stats().running_by_tenant["tenant-a"], 1);

  std::map<std::string, persistence::execution_record> ended;
  for (const auto& p : {a1, a2, a3, b1}) ended[p->execution_id] = wait_end(h, p);
  for (const auto& [id, record] : ended) EXPECT_EQ(record.status, "completed") << id;
  const auto started = [&](const actors::execution_plan_ptr& p) {
    auto row = h.stored(p->execution_id);
    return row ? row->started_at : 0;
  };
  EXPECT_LT(started(b1), started(a3));
  EXPECT_LT(started(b1), started(a2));
  // A's executions ran one after the other.
  EXPECT_GE(started(a2), ended[a1->execution_id].finished_at);
  EXPECT_GE(started(a3), ended[a2->execution_id].finished_at);
}

TEST(Registry, FreedSlotsAreSharedRoundRobinBetweenTenants) {
  engine_harness h{
      with_latency(std::chrono::milliseconds{60}).limit_running(1).limit_per_tenant(1)};
  ASSERT_TRUE(h.ready());
  auto a1 = h.plan(single_call_body("tenant-a"));
  auto a2 = h.plan(single_call_body("tenant-a"));
  auto a3 = h.plan(single_call_body("tenant-a"));
  auto b1 = h.plan(single_call_body("tenant-b"));
  ASSERT_TRUE(a1 && a2 && a3 && b1);
  for (const auto& p : {a1, a2, a3, b1}) ASSERT_FALSE(h.submit(p, false).error);
  EXPECT_EQ(h.live(b1->execution_id).record.status, "queued");
  for (const auto& p : {a1, a2, a3, b1}) EXPECT_EQ(wait_end(h, p).status, "completed");
  const auto started = [&](const actors::execution_plan_ptr& p) {
    auto row = h.stored(p->execution_id);
    return row ? row->started_at : 0;
  };
  // B submitted last but got the slot A's first execution freed, before A's second.
  EXPECT_LE(started(a1), started(b1));
  EXPECT_LE(started(b1), started(a2));
  EXPECT_LE(started(a2), started(a3));
}

TEST(Registry, AsyncSubmitTellsWhetherTheExecutionStartedAtOnce) {
  engine_harness h{with_latency(std::chrono::milliseconds{100}).limit_running(1)};
  ASSERT_TRUE(h.ready());
  auto first_plan = h.plan(writer_body("tenant-async", 3));
  auto second_plan = h.plan(writer_body("tenant-async", 3));
  ASSERT_TRUE(first_plan && second_plan);
  // api.md 2.1: the 202 answer carries status "queued" or "running". A slot was free for the
  // first one, which the registry starts while handling the admission.
  auto first_reply = h.submit(first_plan, false);
  ASSERT_FALSE(first_reply.error);
  EXPECT_EQ(h.live(first_plan->execution_id).record.status, "running");
  EXPECT_EQ(first_reply.status, "running");
  auto second_reply = h.submit(second_plan, false);
  ASSERT_FALSE(second_reply.error);
  EXPECT_EQ(second_reply.status, "queued");
  EXPECT_EQ(h.live(second_plan->execution_id).record.status, "queued");
  // Attaching to a running execution without waiting reports it running.
  auto attached = h.submit(first_plan, false);
  ASSERT_FALSE(attached.error);
  EXPECT_TRUE(attached.attached);
  EXPECT_EQ(attached.status, "running");
  (void)h.cancel(second_plan->execution_id, false);
  (void)h.cancel(first_plan->execution_id, true);
}

TEST(Registry, AFullQueueRefusesWithOverloaded) {
  engine_harness h{with_latency(std::chrono::milliseconds{150}).limit_running(1).limit_queued(2)};
  ASSERT_TRUE(h.ready());
  std::vector<actors::execution_plan_ptr> plans;
  for (int i = 0; i < 4; ++i) {
    plans.push_back(h.plan(writer_body("tenant-" + std::to_string(i), 4)));
    ASSERT_NE(plans.back(), nullptr);
  }
  ASSERT_FALSE(h.submit(plans[0], false).error);
  ASSERT_FALSE(h.submit(plans[1], false).error);
  ASSERT_FALSE(h.submit(plans[2], false).error);
  auto refused = h.submit(plans[3], false);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, "overloaded") << refused.error->message;
  // A refused execution leaves no trace.
  EXPECT_FALSE(h.live(plans[3]->execution_id).found);
  EXPECT_FALSE(h.stored(plans[3]->execution_id).has_value());
  auto counters = h.stats();
  EXPECT_EQ(counters.running, 1);
  EXPECT_EQ(counters.queued, 2);

  // Once the queue has room again, submissions are accepted.
  auto freed = h.cancel(plans[1]->execution_id, false);
  EXPECT_EQ(freed.status, "cancelled");
  auto accepted = h.submit(plans[3], false);
  EXPECT_FALSE(accepted.error) << (accepted.error ? accepted.error->code : "");
  for (const auto& p : plans) (void)h.cancel(p->execution_id, true);
}

TEST(Registry, DrainingRefusesNewWorkAndLetsRunningExecutionsFinish) {
  engine_harness h{with_latency(std::chrono::milliseconds{100}).limit_running(1)};
  ASSERT_TRUE(h.ready());
  auto running = h.plan(writer_body("tenant-drain", 4));
  auto waiting = h.plan(single_call_body("tenant-drain"));
  auto late = h.plan(single_call_body("tenant-late"));
  ASSERT_TRUE(running && waiting && late);
  ASSERT_FALSE(h.submit(running, false).error);
  ASSERT_FALSE(h.submit(waiting, false).error);
  // The grace period ends long before the running execution does.
  h.engine().drain(std::chrono::milliseconds{20});
  EXPECT_TRUE(h.stats().draining);
  auto refused = h.submit(late, false);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, "not_ready");
  // The running execution goes on to its end; the queued one is not started.
  EXPECT_EQ(wait_end(h, running).status, "completed");
  EXPECT_EQ(h.live(waiting->execution_id).record.status, "queued");
  EXPECT_EQ(h.stats().running, 0);
  EXPECT_EQ(count(h.events(waiting->execution_id), "execution.started"), 0U);
}

TEST(Registry, ARestartResumesExecutionsThePreviousProcessLeftRunning) {
  engine_harness h{with_latency(std::chrono::milliseconds{150})};
  ASSERT_TRUE(h.ready());
  const std::string id = "exec_restart-1";
  auto plan = h.plan(writer_body("tenant-restart", 8, id));
  ASSERT_NE(plan, nullptr);
  auto [observer, live_log] = h.observer();
  ASSERT_FALSE(h.submit(plan, false, observer).error);
  ASSERT_TRUE(live_log->wait_until([](const auto& events) {
    return count(events, "node.progress", std::string{"writer"}) >= 1;
  }));
  h.restart();
  ASSERT_TRUE(h.ready());
  // docs/persistence.md: the same worker claims its unfinished execution back and resumes it.
  auto row = h.wait_stored_end(plan->execution_id);
  ASSERT_TRUE(row) << "the interrupted execution never reached a terminal status";
  EXPECT_EQ(row->status, "completed") << row->error.dump();
  const auto log = h.events(plan->execution_id);
  for (std::size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].seq, static_cast<std::int64_t>(i) + 1) << describe(log);
  }
  EXPECT_EQ(row->last_seq, static_cast<std::int64_t>(log.size()));
  // One start per process; the second says it resumed.
  std::vector<nlohmann::json> starts;
  for (const auto& e : log) {
    if (e.type == "execution.started") starts.push_back(e.data);
  }
  ASSERT_EQ(starts.size(), 2U) << describe(log);
  EXPECT_FALSE(starts[0].value("resumed", false));
  EXPECT_TRUE(starts[1].value("resumed", false));
  // Chapters finished before the restart are not written again: the writer's progress
  // never counts backwards, and every chapter is stored once.
  std::int64_t last_done = 0;
  for (const auto& e : log) {
    if (e.type != "node.progress" || e.data.value("nodeId", "") != "writer") continue;
    const auto done = e.data.value("chapter", std::int64_t{0});
    EXPECT_GE(done, last_done) << describe(log);
    last_done = done;
  }
  EXPECT_EQ(last_done, 8);
  const auto chapters = h.chapters(plan->execution_id, "writer");
  ASSERT_EQ(chapters.size(), 8U);
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    EXPECT_EQ(chapters[i].number, static_cast<int>(i) + 1);
  }
  // The same id and body is answered from the store, never run again (once the registry has
  // let go of it: its end is stored a moment before the supervisor reports back).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (h.stats().running > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  ASSERT_EQ(h.stats().running, 0);
  auto again = h.submit(h.plan(writer_body("tenant-restart", 8, id)), false);
  ASSERT_FALSE(again.error) << again.error->code;
  EXPECT_TRUE(again.ended_in_store);
  EXPECT_EQ(again.status, row->status);
  EXPECT_EQ(count(h.events(id), "execution.started"), 2U);
}

TEST(Idempotency, SameIdAndBodyRunsOnce) {
  engine_harness h{with_latency(std::chrono::milliseconds{100})};
  ASSERT_TRUE(h.ready());
  const std::string id = "exec_idempotent-1";
  const auto body = writer_body("tenant-idem", 3, id);
  auto first_plan = h.plan(body);
  auto second_plan = h.plan(body);
  ASSERT_TRUE(first_plan && second_plan);
  EXPECT_EQ(first_plan->request_hash, second_plan->request_hash);

  auto async_reply = h.submit(first_plan, false);
  ASSERT_FALSE(async_reply.error) << async_reply.error->message;
  EXPECT_EQ(async_reply.execution_id, id);
  EXPECT_FALSE(async_reply.attached);
  auto waiting_reply = h.submit(second_plan, true);
  ASSERT_FALSE(waiting_reply.error) << waiting_reply.error->message;
  EXPECT_TRUE(waiting_reply.attached);
  ASSERT_NE(waiting_reply.final, nullptr);
  EXPECT_EQ(waiting_reply.final->record.status, "completed");

  const auto log = h.events(id);
  EXPECT_EQ(count(log, "execution.queued"), 1U) << describe(log);
  EXPECT_EQ(count(log, "execution.started"), 1U) << describe(log);
  EXPECT_EQ(count(log, "execution.completed"), 1U) << describe(log);
  EXPECT_EQ(h.chapters(id, "writer").size(), 3U);

  // After the end: answered from the store, nothing runs again.
  auto late = h.submit(h.plan(body), true);
  ASSERT_FALSE(late.error) << late.error->message;
  EXPECT_TRUE(late.attached);
  EXPECT_TRUE(late.ended_in_store || late.final != nullptr);
  EXPECT_EQ(late.status, "completed");
  auto late_async = h.submit(h.plan(body), false);
  ASSERT_FALSE(late_async.error) << late_async.error->message;
  EXPECT_EQ(late_async.status, "completed");
  EXPECT_TRUE(late_async.ended_in_store || late_async.final != nullptr);
  const auto after = h.events(id);
  EXPECT_EQ(after.size(), log.size()) << describe(after);
  EXPECT_EQ(count(after, "execution.started"), 1U) << describe(after);
  EXPECT_EQ(h.chapters(id, "writer").size(), 3U);
}

TEST(Idempotency, WaitingSubmitFirstThenAsyncRunsOnce) {
  engine_harness h{with_latency(std::chrono::milliseconds{100})};
  ASSERT_TRUE(h.ready());
  const std::string id = "exec_idempotent-2";
  const auto body = writer_body("tenant-idem", 2, id);
  auto waiting_plan = h.plan(body);
  auto async_plan = h.plan(body);
  ASSERT_TRUE(waiting_plan && async_plan);

  // Both requests are in the registry's mailbox before either is answered.
  caf::scoped_actor self{h.engine().system()};
  auto waiting = self->request(h.engine().registry(), reply_timeout,
                               actors::submit_execution{waiting_plan, true, {}});
  auto async = self->request(h.engine().registry(), reply_timeout,
                             actors::submit_execution{async_plan, false, {}});
  actors::submit_reply async_reply;
  async.receive([&](actors::submit_reply& r) { async_reply = std::move(r); },
                [&](caf::error& err) { FAIL() << to_string(err); });
  actors::submit_reply waiting_reply;
  waiting.receive([&](actors::submit_reply& r) { waiting_reply = std::move(r); },
                  [&](caf::error& err) { FAIL() << to_string(err); });
  ASSERT_FALSE(async_reply.error);
  ASSERT_FALSE(waiting_reply.error);
  EXPECT_NE(async_reply.status, "");
  ASSERT_NE(waiting_reply.final, nullptr);
  EXPECT_EQ(waiting_reply.final->record.status, "completed");
  const auto log = h.events(id);
  EXPECT_EQ(count(log, "execution.started"), 1U) << describe(log);
  EXPECT_EQ(count(log, "execution.completed"), 1U) << describe(log);
}

TEST(Idempotency, AttachedFlagTellsWhichRequestJoined) {
  engine_harness h{with_latency(std::chrono::milliseconds{50})};
  ASSERT_TRUE(h.ready());
  const std::string id = "exec_idempotent-5";
  const auto body = single_call_body("tenant-idem", id);
  auto creating_plan = h.plan(body);
  auto joining_plan = h.plan(body);
  ASSERT_TRUE(creating_plan && joining_plan);
  // The creating request waits for the end; the joining one arrives while the row is being
  // created. submit_reply::attached is "the id existed: this request joined it".
  caf::scoped_actor self{h.engine().system()};
  auto creating = self->request(h.engine().registry(), reply_timeout,
                                actors::submit_execution{creating_plan, true, {}});
  auto joining = self->request(h.engine().registry(), reply_timeout,
                               actors::submit_execution{joining_plan, false, {}});
  actors::submit_reply joining_reply;
  joining.receive([&](actors::submit_reply& r) { joining_reply = std::move(r); },
                  [&](caf::error& err) { FAIL() << to_string(err); });
  actors::submit_reply creating_reply;
  creating.receive([&](actors::submit_reply& r) { creating_reply = std::move(r); },
                   [&](caf::error& err) { FAIL() << to_string(err); });
  ASSERT_FALSE(creating_reply.error);
  ASSERT_FALSE(joining_reply.error);
  ASSERT_NE(creating_reply.final, nullptr);
  EXPECT_FALSE(creating_reply.attached) << "the request that created the execution joined nothing";
  EXPECT_TRUE(joining_reply.attached) << "the second request with the same id joined the first";
  EXPECT_EQ(count(h.events(id), "execution.started"), 1U);
}

TEST(Idempotency, SameIdWithADifferentBodyIsAConflict) {
  engine_harness h{with_latency(std::chrono::milliseconds{100})};
  ASSERT_TRUE(h.ready());
  const std::string id = "exec_idempotent-3";
  auto original = h.plan(writer_body("tenant-idem", 3, id));
  auto different = h.plan(writer_body("tenant-idem", 4, id));
  ASSERT_TRUE(original && different);
  ASSERT_NE(original->request_hash, different->request_hash);

  ASSERT_FALSE(h.submit(original, false).error);
  // While it runs.
  auto live_conflict = h.submit(different, true);
  ASSERT_TRUE(live_conflict.error);
  EXPECT_EQ(live_conflict.error->code, "conflict");

  auto done = h.submit(original, true);
  ASSERT_NE(done.final, nullptr);
  EXPECT_EQ(done.final->record.status, "completed");
  // After it ended (answered from the store).
  auto stored_conflict = h.submit(h.plan(writer_body("tenant-idem", 4, id)), false);
  ASSERT_TRUE(stored_conflict.error);
  EXPECT_EQ(stored_conflict.error->code, "conflict");

  const auto log = h.events(id);
  EXPECT_EQ(count(log, "execution.started"), 1U) << describe(log);
  EXPECT_EQ(h.chapters(id, "writer").size(), 3U);
}

TEST(Idempotency, TheAsyncSwitchDoesNotMakeABodyDifferent) {
  engine_harness h{with_latency(std::chrono::milliseconds{50})};
  ASSERT_TRUE(h.ready());
  const std::string id = "exec_idempotent-4";
  auto body = single_call_body("tenant-idem", id);
  auto plain = h.plan(body);
  body["async"] = true;
  auto flagged = h.plan(body);
  ASSERT_TRUE(plain && flagged);
  EXPECT_EQ(plain->request_hash, flagged->request_hash);
  ASSERT_FALSE(h.submit(flagged, false).error);
  auto joined = h.submit(plain, true);
  ASSERT_FALSE(joined.error) << joined.error->message;
  ASSERT_NE(joined.final, nullptr);
  EXPECT_EQ(joined.final->record.status, "completed");
  EXPECT_EQ(count(h.events(id), "execution.started"), 1U);
}

}  // namespace
}  // namespace lekhika::actor_tests

namespace lekhika::actor_tests {
namespace {

TEST(Registry, QueuePositionsStayExactWhenAnEntryBehindOrAheadIsCancelled) {
  // One slot, held by a long book for the whole test, so that the others stay queued.
  engine_harness h{with_latency(std::chrono::milliseconds{300}).limit_running(1)};
  ASSERT_TRUE(h.ready());
  auto running = h.plan(writer_body("tenant-q", 20));
  auto second = h.plan(writer_body("tenant-q", 1));
  auto third = h.plan(writer_body("tenant-q", 1));
  auto fourth = h.plan(writer_body("tenant-q", 1));
  ASSERT_TRUE(running && second && third && fourth);
  for (const auto& p : {running, second, third, fourth}) ASSERT_FALSE(h.submit(p, false).error);
  EXPECT_EQ(h.live(second->execution_id).queue_position, 1);
  EXPECT_EQ(h.live(third->execution_id).queue_position, 2);
  EXPECT_EQ(h.live(fourth->execution_id).queue_position, 3);

  // Cancelling the last one moves nobody; cancelling the first waiting one moves the rest up.
  EXPECT_EQ(h.cancel(fourth->execution_id, false).status, "cancelled");
  EXPECT_EQ(h.live(second->execution_id).queue_position, 1);
  EXPECT_EQ(h.live(third->execution_id).queue_position, 2);
  EXPECT_EQ(h.cancel(second->execution_id, false).status, "cancelled");
  EXPECT_EQ(h.live(third->execution_id).queue_position, 1);

  EXPECT_EQ(h.cancel(running->execution_id, true).status, "cancelled");
  EXPECT_EQ(wait_end(h, third).status, "completed");
}

}  // namespace
}  // namespace lekhika::actor_tests
