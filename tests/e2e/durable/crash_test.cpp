// Crash recovery (docs/persistence.md): a worker is killed with SIGKILL in the middle of many
// executions; the same worker started again, or another worker on the same database, finishes
// every one of them. Each model call that had been answered before the crash is never paid
// again (the fake provider's request log shows each prompt answered exactly once), and every
// event log stays whole.
//
// To make "answered before the crash" exact, the fake is frozen before the kill: new calls stall
// (they are lost with the process, which is the only work a crash may lose), and the kill comes
// only once every call started before the freeze has been answered and stored.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "durable_harness.hpp"

namespace lekhika::e2e::durable {
namespace {

constexpr int kBooks = 10;
constexpr int kChapters = 4;
constexpr int kCallsPerBook = 1 + kChapters;  // the outline, then one call per chapter
constexpr std::string_view kModel = "openai:fake-durable-book";

json durable_book(int n) {
  // A title of its own per book, so that every prompt of every book is distinct.
  auto body = book_request_on("tenant-" + std::to_string(n % 3), std::string{kModel}, kChapters);
  body["inputs"]["book_title"] = "Durable Book Number " + std::to_string(n);
  return body;
}

/// Freezes the fake: calls from now on stall. Then waits until every call that began before
/// has its answer, and gives the worker time to store what it received (its writer commits
/// every few milliseconds; the pause only keeps the test exact, nothing is asserted on time).
void freeze_and_settle(const testing::fake_provider_process& fake) {
  fake.configure({{"latency_ms", 3600000}, {"ttft_ms", 3600000}});
  const auto frozen_at = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& entry : fake.log()) {
          if (entry.value("outcome", std::string{}) == "active" && start_us(entry) < frozen_at) {
            return false;
          }
        }
        return true;
      },
      kPatience));
  std::this_thread::sleep_for(1s);
}

void thaw(const testing::fake_provider_process& fake) {
  fake.configure({{"latency_ms", 150}, {"ttft_ms", 20}});
}

class CrashRecovery : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres" && pg_test_dsn().empty()) {
      GTEST_SKIP() << "PG_TEST_DSN is not set (scripts/test starts a PostgreSQL server)";
    }
    db_ = make_database(GetParam());
    fake_.configure({{"latency_ms", 400}, {"ttft_ms", 20}, {"words", 40}});
  }

  /// Submits the books to `worker` and waits until a good part of their calls were answered.
  std::vector<std::string> submit_books(const serve_process& worker) {
    std::vector<std::string> ids;
    for (int n = 0; n < kBooks; ++n) {
      ids.push_back(worker.submit(durable_book(n)));
      EXPECT_FALSE(ids.back().empty());
    }
    EXPECT_TRUE(fake_.wait_until(
        [](const auto& s) { return s.completed >= kBooks * kCallsPerBook / 3; }, kPatience));
    return ids;
  }

  /// Every execution completed, with every chapter, each prompt answered once, whole logs.
  void expect_all_finished_once(const std::vector<std::string>& ids) {
    auto store = db_->open();
    for (const auto& id : ids) {
      ASSERT_TRUE(eventually([&] { return terminal(stored_status(*store, id)); }, kPatience))
          << id << " never ended";
    }
    for (const auto& id : ids) {
      SCOPED_TRACE(id);
      auto row = store->get_execution(id, std::nullopt);
      ASSERT_TRUE(row && row.value());
      EXPECT_EQ(row.value()->status, "completed") << row.value()->error.dump();
      ASSERT_TRUE(row.value()->result.is_object());
      EXPECT_EQ(row.value()->result["book"]["chapters"].size(),
                static_cast<std::size_t>(kChapters));
      expect_whole_event_log(*store, id);
    }
    const auto paid = completed_by_prompt(fake_);
    EXPECT_EQ(paid.size(), static_cast<std::size_t>(kBooks * kCallsPerBook))
        << "distinct prompts answered";
    for (const auto& [prompt, times] : paid) {
      EXPECT_EQ(times, 1) << "prompt " << prompt << " was answered " << times << " times";
    }
  }

  testing::temp_dir dir_;
  testing::fake_provider_process fake_;
  std::unique_ptr<shared_database> db_;
};

TEST_P(CrashRecovery, TheSameWorkerStartedAgainFinishesEveryExecution) {
  auto first = std::make_unique<serve_process>(*db_, fake_, dir_.path(), worker_named("worker-a"));
  ASSERT_TRUE(first->wait_ready());
  const auto ids = submit_books(*first);
  freeze_and_settle(fake_);
  first->kill();
  first.reset();

  // Something was left unfinished, or the test proves nothing.
  {
    auto store = db_->open();
    int unfinished = 0;
    for (const auto& id : ids) unfinished += terminal(stored_status(*store, id)) ? 0 : 1;
    ASSERT_GT(unfinished, 0) << "every execution ended before the kill";
  }

  thaw(fake_);
  // The same WORKER_ID takes its executions back at once, without waiting for the leases.
  serve_process again{*db_, fake_, dir_.path(), worker_named("worker-a", 600000ms)};
  ASSERT_TRUE(again.wait_ready());
  expect_all_finished_once(ids);
  auto store = db_->open();
  for (const auto& id : ids) {
    for (const auto& worker : starts_of(*store, id)) EXPECT_EQ(worker, "worker-a") << id;
  }
}

TEST_P(CrashRecovery, AnotherWorkerTakesOverOnceTheLeasesExpire) {
  auto dead = std::make_unique<serve_process>(*db_, fake_, dir_.path(),
                                              worker_named("worker-dead", 3000ms));
  ASSERT_TRUE(dead->wait_ready());
  const auto ids = submit_books(*dead);
  freeze_and_settle(fake_);
  dead->kill();
  dead.reset();
  thaw(fake_);

  serve_process heir{*db_, fake_, dir_.path(), worker_named("worker-heir")};
  ASSERT_TRUE(heir.wait_ready());
  expect_all_finished_once(ids);
  // Whatever was unfinished was resumed by the heir, and only by it.
  auto store = db_->open();
  int taken_over = 0;
  for (const auto& id : ids) {
    const auto starts = starts_of(*store, id);
    ASSERT_FALSE(starts.empty()) << id;
    EXPECT_EQ(starts.front(), "worker-dead") << id;
    for (std::size_t i = 1; i < starts.size(); ++i) EXPECT_EQ(starts[i], "worker-heir") << id;
    if (starts.size() > 1) ++taken_over;
  }
  EXPECT_GT(taken_over, 0);
  // The heir answers for them over HTTP as for its own.
  auto data = heir.execution(ids.front());
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data.value("status", std::string{}), "completed");
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashRecovery, ::testing::Values("sqlite", "postgres"),
                         backend_name);

}  // namespace
}  // namespace lekhika::e2e::durable
