#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lekhika/persistence/store.hpp"
#include "store_backend.hpp"

// Durable execution (leases, claims, fencing, cancel requests, notifications) and tenant
// isolation, against both back ends.

namespace {

namespace lp = lekhika::persistence;
using lekhika::store_testing::make_event;
using lekhika::store_testing::make_execution;
using nlohmann::json;
using std::chrono::milliseconds;

class DurableStore : public lekhika::store_testing::store_fixture {
 protected:
  // An execution some worker holds.
  static lp::execution_record leased(const std::string& id, lp::epoch_ms created_at,
                                     const std::string& status, const std::string& owner,
                                     lp::epoch_ms expires_at, std::int64_t epoch) {
    auto r = make_execution(id, "alice", created_at, status);
    r.lease_owner = owner;
    r.lease_expires_at = expires_at;
    r.lease_epoch = epoch;
    return r;
  }

  std::vector<std::string> ids_of(const std::vector<lp::execution_record>& rows) {
    std::vector<std::string> ids;
    for (const auto& r : rows) ids.push_back(r.id);
    return ids;
  }

  std::vector<lp::execution_record> claim(const std::string& worker, lp::epoch_ms now, int limit,
                                          bool reclaim_own) {
    auto claimed = store_->claim_executions(worker, now, milliseconds(30000), limit, reclaim_own);
    EXPECT_TRUE(claimed.ok()) << claimed.error().message;
    return claimed.ok() ? claimed.value() : std::vector<lp::execution_record>{};
  }
};

TEST_P(DurableStore, LeaseAndCancelFieldsRoundTrip) {
  auto record = leased("exec-1", 1000, "running", "worker-a", 45000, 7);
  record.cancel_requested = true;
  record.cancel_reason = "operator said so";
  create(record);
  const auto row = get("exec-1");
  EXPECT_EQ(row.lease_owner, "worker-a");
  EXPECT_EQ(row.lease_expires_at, 45000);
  EXPECT_EQ(row.lease_epoch, 7);
  EXPECT_TRUE(row.cancel_requested);
  EXPECT_EQ(row.cancel_reason, "operator said so");

  // The losing create sees the stored lease too.
  auto again = store_->create_execution(make_execution("exec-1", "alice", 2000));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value().created);
  EXPECT_EQ(again.value().existing.lease_owner, "worker-a");
  EXPECT_EQ(again.value().existing.lease_epoch, 7);

  // No lease: empty owner, zero expiry and epoch.
  create(make_execution("exec-2", "alice", 1000));
  const auto plain = get("exec-2");
  EXPECT_EQ(plain.lease_owner, "");
  EXPECT_EQ(plain.lease_expires_at, 0);
  EXPECT_EQ(plain.lease_epoch, 0);
  EXPECT_FALSE(plain.cancel_requested);
  EXPECT_EQ(plain.cancel_reason, "");
}

TEST_P(DurableStore, ClaimTakesUnleasedAndExpiredOldestFirst) {
  create(leased("queued-free", 100, "queued", "", 0, 0));
  create(leased("running-expired", 200, "running", "dead-worker", 500, 2));
  create(leased("awaiting-free", 300, "awaiting_approval", "", 0, 4));
  create(leased("cancelling-expired", 400, "cancelling", "dead-worker", 999, 1));
  create(leased("running-held", 50, "running", "other-worker", 5000, 3));
  create(leased("mine-held", 150, "running", "me", 9000, 5));
  create(leased("completed", 10, "completed", "", 0, 0));
  create(leased("failed-expired", 20, "failed", "dead-worker", 1, 0));

  const auto claimed = claim("me", 1000, 10, false);
  ASSERT_EQ(ids_of(claimed), (std::vector<std::string>{"queued-free", "running-expired",
                                                       "awaiting-free", "cancelling-expired"}));
  const std::map<std::string, std::int64_t> epochs{
      {"queued-free", 1}, {"running-expired", 3}, {"awaiting-free", 5}, {"cancelling-expired", 2}};
  for (const auto& r : claimed) {
    EXPECT_EQ(r.lease_owner, "me") << r.id;
    EXPECT_EQ(r.lease_expires_at, 31000) << r.id;
    EXPECT_EQ(r.lease_epoch, epochs.at(r.id)) << r.id;
    EXPECT_EQ(r.request_json, R"({"input":{"title":"A book"}})") << r.id;
    EXPECT_EQ(r.user_id, "alice");
    // The returned values are the stored ones.
    const auto stored = get(r.id);
    EXPECT_EQ(stored.lease_owner, "me");
    EXPECT_EQ(stored.lease_epoch, r.lease_epoch);
    EXPECT_EQ(stored.lease_expires_at, 31000);
  }
  // Not expired, finished: untouched.
  EXPECT_EQ(get("running-held").lease_owner, "other-worker");
  EXPECT_EQ(get("running-held").lease_epoch, 3);
  EXPECT_EQ(get("mine-held").lease_epoch, 5);
  EXPECT_EQ(get("completed").lease_owner, "");
  EXPECT_EQ(get("failed-expired").lease_epoch, 0);

  // Nothing left for anyone else now.
  EXPECT_TRUE(claim("someone", 1000, 10, false).empty());

  // After a restart, "me" takes back everything it holds (the fresh claims included), each
  // with a new epoch, so its own earlier incarnation is fenced out too.
  const auto mine = claim("me", 2000, 10, true);
  EXPECT_EQ(ids_of(mine), (std::vector<std::string>{"queued-free", "mine-held", "running-expired",
                                                    "awaiting-free", "cancelling-expired"}));
  EXPECT_EQ(get("mine-held").lease_epoch, 6);
  EXPECT_EQ(get("queued-free").lease_epoch, 2);
  EXPECT_EQ(get("mine-held").lease_expires_at, 32000);
  EXPECT_EQ(get("running-held").lease_owner, "other-worker");

  // Once the other worker's lease has run out, its execution can be taken over.
  const auto taken = claim("me", 5001, 10, false);
  EXPECT_EQ(ids_of(taken), (std::vector<std::string>{"running-held"}));
  EXPECT_EQ(get("running-held").lease_epoch, 4);
}

TEST_P(DurableStore, ClaimHonoursTheLimit) {
  for (int i = 0; i < 5; ++i) create(leased("e" + std::to_string(i), 100 - i, "queued", "", 0, 0));
  EXPECT_EQ(ids_of(claim("w", 1000, 2, false)), (std::vector<std::string>{"e4", "e3"}));
  EXPECT_EQ(ids_of(claim("w", 1000, 2, false)), (std::vector<std::string>{"e2", "e1"}));
  EXPECT_EQ(ids_of(claim("w", 1000, 2, false)), (std::vector<std::string>{"e0"}));
  EXPECT_TRUE(claim("w", 1000, 2, false).empty());
  EXPECT_TRUE(claim("w", 1000, 0, true).empty());
}

TEST_P(DurableStore, ConcurrentClaimersNeverGetTheSameRow) {
  constexpr int executions = 60;
  for (int i = 0; i < executions; ++i) {
    create(leased("e" + std::to_string(100 + i), i, "queued", "", 0, 0));
  }
  struct claimer {
    std::vector<lp::execution_record> got;
    std::string error;
  };
  std::vector<claimer> claimers(2);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < claimers.size(); ++t) {
    threads.emplace_back([&, t] {
      auto own = open_migrated();  // its own connection, as another worker would have
      if (!own) {
        claimers[t].error = "cannot open";
        return;
      }
      const std::string worker = "worker-" + std::to_string(t);
      for (int round = 0; round < 1000; ++round) {
        auto claimed = own->claim_executions(worker, 1000, milliseconds(60000), 3, false);
        if (!claimed.ok()) {
          claimers[t].error = claimed.error().message;
          return;
        }
        if (claimed.value().empty()) return;
        for (auto& r : claimed.value()) claimers[t].got.push_back(std::move(r));
      }
    });
  }
  for (auto& t : threads) t.join();

  std::set<std::string> seen;
  for (std::size_t t = 0; t < claimers.size(); ++t) {
    EXPECT_EQ(claimers[t].error, "") << "claimer " << t;
    for (const auto& r : claimers[t].got) {
      EXPECT_TRUE(seen.insert(r.id).second) << r.id << " was claimed twice";
      EXPECT_EQ(r.lease_owner, "worker-" + std::to_string(t));
      EXPECT_EQ(r.lease_epoch, 1) << r.id;
      EXPECT_EQ(get(r.id).lease_owner, r.lease_owner);
    }
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(executions));
  RecordProperty("claimed_by_0", static_cast<int>(claimers[0].got.size()));
  RecordProperty("claimed_by_1", static_cast<int>(claimers[1].got.size()));
}

TEST_P(DurableStore, RenewExtendsOnlyTheWorkersUnfinishedLeases) {
  create(leased("running", 1, "running", "w1", 1500, 1));
  create(leased("queued", 2, "queued", "w1", 1500, 1));
  create(leased("done", 3, "completed", "w1", 1500, 1));
  create(leased("theirs", 4, "running", "w2", 1500, 1));

  auto renewed = store_->renew_leases("w1", 2000, milliseconds(60000));
  ASSERT_TRUE(renewed.ok()) << renewed.error().message;
  EXPECT_EQ(renewed.value(), 2);
  EXPECT_EQ(get("running").lease_expires_at, 62000);
  EXPECT_EQ(get("queued").lease_expires_at, 62000);
  EXPECT_EQ(get("done").lease_expires_at, 1500);
  EXPECT_EQ(get("theirs").lease_expires_at, 1500);
  EXPECT_EQ(get("running").lease_epoch, 1);  // renewing is not claiming

  auto none = store_->renew_leases("nobody", 2000, milliseconds(60000));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.value(), 0);
}

TEST_P(DurableStore, ApplyFencedDropsAStaleWorkersWritesAndKeepsTheRest) {
  create(leased("taken", 1, "running", "w1", 100, 1));
  create(leased("kept", 2, "running", "w1", 100000, 1));
  create(leased("unfenced", 3, "running", "w3", 100000, 1));
  // w2 takes "taken" over after w1's lease ran out: its epoch becomes 2.
  auto takeover = store_->claim_executions("w2", 1000, milliseconds(30000), 10, false);
  ASSERT_TRUE(takeover.ok());
  ASSERT_EQ(takeover.value().size(), 1U);
  ASSERT_EQ(takeover.value()[0].lease_epoch, 2);

  // w1 does not know yet and writes for both of its executions, plus an unfenced one.
  lp::execution_update stale_update;
  stale_update.id = "taken";
  stale_update.status = "completed";
  lp::execution_update kept_update;
  kept_update.id = "kept";
  kept_update.progress = 50;
  const lp::write_batch batch{
      stale_update,
      make_event("taken", 1, "execution.completed"),
      lp::node_run_record{"taken", "writer", "completed", 1, 1, 2, nullptr, nullptr, 0, 0},
      lp::chapter_record{"taken", "writer", 1, "One", "stale text", 2, nullptr},
      kept_update,
      make_event("kept", 1, "node.started"),
      make_event("unfenced", 1, "node.started"),
  };
  auto applied = store_->apply_fenced(
      batch, {lp::fence{"taken", 1}, lp::fence{"kept", 1}, lp::fence{"ghost", 1}});
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(applied.value(), (std::vector<std::string>{"taken", "ghost"}));

  const auto taken = get("taken");
  EXPECT_EQ(taken.status, "running");
  EXPECT_EQ(taken.lease_owner, "w2");
  EXPECT_EQ(taken.last_seq, 0);
  EXPECT_TRUE(store_->events_after("taken", 0, 10).value().empty());
  EXPECT_TRUE(store_->node_runs("taken").value().empty());
  EXPECT_TRUE(store_->chapters("taken").value().empty());

  EXPECT_EQ(get("kept").progress, 50);
  EXPECT_EQ(get("kept").last_seq, 1);
  EXPECT_EQ(store_->events_after("unfenced", 0, 10).value().size(), 1U);

  // The new holder writes with its own epoch.
  auto current = store_->apply_fenced({stale_update, make_event("taken", 1, "execution.done")},
                                      {lp::fence{"taken", 2}});
  ASSERT_TRUE(current.ok()) << current.error().message;
  EXPECT_TRUE(current.value().empty());
  EXPECT_EQ(get("taken").status, "completed");
  ASSERT_EQ(store_->events_after("taken", 0, 10).value().size(), 1U);
  EXPECT_EQ(store_->events_after("taken", 0, 10).value()[0].type, "execution.done");

  // Fences alone (no writes) still report the stale ones.
  auto check = store_->apply_fenced({}, {lp::fence{"taken", 1}, lp::fence{"taken", 2}});
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check.value(), (std::vector<std::string>{"taken"}));
}

TEST_P(DurableStore, ApplyFencedIsStillOneTransaction) {
  create(leased("mine", 1, "running", "w1", 100000, 1));
  lp::execution_update ghost;
  ghost.id = "ghost";
  ghost.status = "running";
  auto applied = store_->apply_fenced({make_event("mine", 1, "a"), ghost}, {lp::fence{"mine", 1}});
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, "not_found");
  EXPECT_TRUE(store_->events_after("mine", 0, 10).value().empty());
}

TEST_P(DurableStore, RequestCancelIsScopedToTheUserAndToUnfinishedRuns) {
  create(make_execution("running", "alice", 1, "running"));
  create(make_execution("done", "alice", 2, "completed"));

  auto other = store_->request_cancel("running", std::string("bob"), "not mine");
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_FALSE(other.value());
  EXPECT_FALSE(get("running").cancel_requested);

  auto own = store_->request_cancel("running", std::string("alice"), "changed my mind");
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(own.value());
  EXPECT_TRUE(get("running").cancel_requested);
  EXPECT_EQ(get("running").cancel_reason, "changed my mind");

  // An operator (no user) may cancel too; the first reason stays.
  auto operator_cancel = store_->request_cancel("running", std::nullopt, "maintenance");
  ASSERT_TRUE(operator_cancel.ok());
  EXPECT_TRUE(operator_cancel.value());
  EXPECT_EQ(get("running").cancel_reason, "changed my mind");

  auto finished = store_->request_cancel("done", std::nullopt, "too late");
  ASSERT_TRUE(finished.ok());
  EXPECT_FALSE(finished.value());
  EXPECT_FALSE(get("done").cancel_requested);

  auto missing = store_->request_cancel("ghost", std::nullopt, "who?");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing.value());
}

TEST_P(DurableStore, AnotherTenantsRowsAreInvisibleWhenScoped) {
  create(make_execution("alice-run", "alice", 1000, "running"));
  create(make_execution("bob-run", "bob", 2000, "running"));
  const lp::artifact_record art{"alice-run", "md", "/a/alice-run/book.md", "text/markdown", 10,
                                "ff00",      1500};
  ASSERT_TRUE(store_
                  ->apply({make_event("alice-run", 1, "execution.started"),
                           make_event("alice-run", 2, "node.started"), art,
                           make_event("bob-run", 1, "execution.started")})
                  .ok());

  const std::optional<std::string> bob = std::string("bob");
  const std::optional<std::string> alice = std::string("alice");

  auto seen_by_bob = store_->get_execution("alice-run", bob);
  ASSERT_TRUE(seen_by_bob.ok());
  EXPECT_FALSE(seen_by_bob.value().has_value());
  auto events_by_bob = store_->scoped_events_after("alice-run", bob, 0, 100);
  ASSERT_TRUE(events_by_bob.ok()) << events_by_bob.error().message;
  EXPECT_TRUE(events_by_bob.value().empty());
  auto artifacts_by_bob = store_->scoped_artifacts("alice-run", bob);
  ASSERT_TRUE(artifacts_by_bob.ok()) << artifacts_by_bob.error().message;
  EXPECT_TRUE(artifacts_by_bob.value().empty());
  lp::execution_filter bobs;
  bobs.user_id = "bob";
  auto listed = store_->list_executions(bobs);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed.value().items.size(), 1U);
  EXPECT_EQ(listed.value().items[0].id, "bob-run");

  // The owner (and an unscoped operator read) sees everything.
  EXPECT_EQ(store_->scoped_events_after("alice-run", alice, 0, 100).value().size(), 2U);
  EXPECT_EQ(store_->scoped_events_after("alice-run", alice, 1, 100).value().size(), 1U);
  EXPECT_EQ(store_->scoped_events_after("alice-run", std::nullopt, 0, 100).value().size(), 2U);
  EXPECT_EQ(store_->events_after("alice-run", 0, 100).value().size(), 2U);
  ASSERT_EQ(store_->scoped_artifacts("alice-run", alice).value().size(), 1U);
  EXPECT_EQ(store_->scoped_artifacts("alice-run", alice).value()[0].path, art.path);
  EXPECT_EQ(store_->artifacts("alice-run").value().size(), 1U);
  EXPECT_TRUE(store_->get_execution("alice-run", alice).value().has_value());

  // The base class's default (scoped get, then read) agrees with the back ends' single query.
  EXPECT_TRUE(store_->store::scoped_events_after("alice-run", bob, 0, 100).value().empty());
  EXPECT_EQ(store_->store::scoped_events_after("alice-run", alice, 0, 100).value().size(), 2U);
  EXPECT_TRUE(store_->store::scoped_artifacts("alice-run", bob).value().empty());
}

TEST_P(DurableStore, ABatchLeavesTheSameRowsAsItsWritesInOrder) {
  create(make_execution("exec-1", "alice", 1000));
  lp::execution_update first;
  first.id = "exec-1";
  first.progress = 10;
  first.error = json{{"code", "x"}};
  lp::execution_update second;
  second.id = "exec-1";
  second.status = "running";
  second.error = json(nullptr);
  lp::execution_update third;
  third.id = "exec-1";
  third.progress = 20;
  const lp::write_batch batch{
      first,
      lp::node_run_record{"exec-1", "writer", "running", 1, 5, 0, nullptr, nullptr, 0, 2},
      make_event("exec-1", 1, "first"),
      lp::chapter_record{"exec-1", "writer", 1, "One", "draft", 1, nullptr},
      second,
      make_event("exec-1", 1, "duplicate"),
      lp::node_run_record{"exec-1", "writer", "completed", 1, 5, 9, json{{"calls", 1}}, nullptr, 2,
                          2},
      lp::chapter_record{"exec-1", "writer", 1, "One", "final", 1, nullptr},
      lp::provider_call_record{"exec-1", "writer", 7, "openai", "m", 1, "ok", 10, 5, 1, 2, false,
                               0.5, 1},
      lp::provider_call_record{"exec-1", "writer", 7, "openai", "m", 2, "429", 10, 5, 1, 2, false,
                               0.5, 1},
      third,
  };
  auto applied = store_->apply(batch);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  const auto row = get("exec-1");
  EXPECT_EQ(row.status, "running");
  EXPECT_EQ(row.progress, 20);
  EXPECT_TRUE(row.error.is_null());
  EXPECT_EQ(row.last_seq, 1);
  const auto events = store_->events_after("exec-1", 0, 10).value();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].type, "first");
  const auto runs = store_->node_runs("exec-1").value();
  ASSERT_EQ(runs.size(), 1U);
  EXPECT_EQ(runs[0].status, "completed");
  EXPECT_EQ(runs[0].usage, (json{{"calls", 1}}));
  const auto chapters = store_->chapters("exec-1").value();
  ASSERT_EQ(chapters.size(), 1U);
  EXPECT_EQ(chapters[0].content, "final");
  const auto calls = store_->provider_calls("exec-1").value();
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].status, "ok");
  EXPECT_EQ(calls[0].ttft_ms, 5);
  EXPECT_DOUBLE_EQ(calls[0].cost_usd, 0.5);
}

TEST_P(DurableStore, TextThatPostgresRefusesIsStoredCleaned) {
  // Model output may contain NUL bytes or broken UTF-8; a batch must not fail because of it.
  create(make_execution("exec-1", "alice", 1000));
  const std::string nul_text = std::string("before") + '\0' + "after";
  const std::string bad_utf8 = "caf\xC3";  // cut in the middle of a character
  const lp::write_batch batch{
      lp::chapter_record{"exec-1", "writer", 1, bad_utf8, nul_text, 1, nullptr},
      lp::event_record{"exec-1", 1, "chapter.delta", json{{"text", nul_text}}, 1},
      // Not a NUL: a backslash and "u0000" as text, which must come back as it was.
      lp::event_record{"exec-1", 2, "chapter.delta", json{{"text", "\\u0000 and \\\\u0000"}}, 2},
  };
  auto applied = store_->apply(batch);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  const auto chapters = store_->chapters("exec-1").value();
  ASSERT_EQ(chapters.size(), 1U);
  EXPECT_NE(chapters[0].content.find("before"), std::string::npos);
  EXPECT_NE(chapters[0].content.find("after"), std::string::npos);
  const auto events = store_->events_after("exec-1", 0, 10).value();
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[1].data["text"], "\\u0000 and \\\\u0000");
}

TEST_P(DurableStore, NotificationsReachAnotherStoreOnlyWhenShared) {
  auto listener = open_migrated();
  ASSERT_NE(listener, nullptr);
  ASSERT_TRUE(listener->listen({"lekhika_work", "lekhika_cancel"}).ok());
  ASSERT_TRUE(listener->listen({"lekhika_work"}).ok());  // again: no double delivery

  if (!postgres()) {
    EXPECT_FALSE(store_->shared());
    ASSERT_TRUE(store_->notify("lekhika_work", "exec-1").ok());
    const auto start = std::chrono::steady_clock::now();
    auto none = listener->wait_notifications(milliseconds(2000));
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none.value().empty());
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(500));  // at once
    return;
  }

  EXPECT_TRUE(store_->shared());
  ASSERT_TRUE(store_->notify("lekhika_work", "exec-1").ok());
  ASSERT_TRUE(store_->notify("lekhika_cancel", R"({"id":"exec-2"})").ok());
  ASSERT_TRUE(store_->notify("not_listened", "ignored").ok());
  ASSERT_TRUE(store_->notify("lekhika_work", "exec-3").ok());

  std::vector<lp::notification> got;
  for (int i = 0; i < 20 && got.size() < 3; ++i) {
    auto some = listener->wait_notifications(milliseconds(500));
    ASSERT_TRUE(some.ok()) << some.error().message;
    for (auto& n : some.value()) got.push_back(std::move(n));
  }
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].channel, "lekhika_work");
  EXPECT_EQ(got[0].payload, "exec-1");
  EXPECT_EQ(got[1].channel, "lekhika_cancel");
  EXPECT_EQ(got[1].payload, R"({"id":"exec-2"})");
  EXPECT_EQ(got[2].payload, "exec-3");

  // Nothing more: the wait times out empty.
  auto after = listener->wait_notifications(milliseconds(100));
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after.value().empty());

  auto bad = store_->notify("no spaces allowed", "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "invalid_channel");
}

INSTANTIATE_TEST_SUITE_P(Backends, DurableStore, ::testing::Values("sqlite", "postgres"),
                         lekhika::store_testing::backend_name{});

}  // namespace
