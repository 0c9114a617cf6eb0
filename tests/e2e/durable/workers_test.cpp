// Several workers on one PostgreSQL database (docs/persistence.md, "Several workers"): each
// execution runs on exactly one of them, and reading or cancelling it works from any of them
// (the cancel reaches its owner through the database: LISTEN/NOTIFY).

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <string>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "durable_harness.hpp"

namespace lekhika::e2e::durable {
namespace {

constexpr int kChapters = 3;
constexpr std::string_view kModel = "openai:fake-shared-book";

json shared_book(const std::string& user, int n) {
  auto body = book_request_on(user, std::string{kModel}, kChapters);
  body["inputs"]["book_title"] = "Shared Book Number " + std::to_string(n);
  return body;
}

class SeveralWorkers : public ::testing::Test {
 protected:
  void SetUp() override {
    if (pg_test_dsn().empty()) {
      GTEST_SKIP() << "PG_TEST_DSN is not set (scripts/test starts a PostgreSQL server)";
    }
    db_ = make_database("postgres");
    fake_.configure({{"latency_ms", 200}, {"ttft_ms", 20}, {"words", 40}});
    for (const char* id : {"worker-1", "worker-2", "worker-3"}) {
      workers_.push_back(
          std::make_unique<serve_process>(*db_, fake_, dir_.path(), worker_named(id, 30000ms)));
    }
    for (auto& w : workers_) ASSERT_TRUE(w->wait_ready());
  }

  testing::temp_dir dir_;
  testing::fake_provider_process fake_;
  std::unique_ptr<shared_database> db_;
  std::vector<std::unique_ptr<serve_process>> workers_;
};

TEST_F(SeveralWorkers, EachExecutionRunsOnceAndAnyWorkerAnswersForIt) {
  // Two books submitted to each worker.
  std::map<std::string, std::size_t> owner;  // execution id -> index of the worker it went to
  int n = 0;
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    for (int i = 0; i < 2; ++i) {
      const auto id = workers_[w]->submit(shared_book("tenant-" + std::to_string(w), n++));
      ASSERT_FALSE(id.empty());
      owner[id] = w;
    }
  }
  // Any worker answers GET for any execution, with the same id and owner's tenant.
  for (const auto& [id, w] : owner) {
    for (const auto& worker : workers_) {
      auto data = worker->execution(id);
      ASSERT_TRUE(data.is_object()) << worker->name() << " does not know " << id;
      EXPECT_EQ(data.value("executionId", data.value("id", std::string{})), id);
    }
  }
  auto store = db_->open();
  for (const auto& [id, w] : owner) {
    ASSERT_TRUE(eventually([&] { return terminal(stored_status(*store, id)); }, kPatience)) << id;
  }
  for (const auto& [id, w] : owner) {
    SCOPED_TRACE(id);
    EXPECT_EQ(stored_status(*store, id), "completed");
    // Started once, by the worker it was submitted to.
    EXPECT_EQ(starts_of(*store, id), std::vector<std::string>{workers_[w]->name()});
    expect_whole_event_log(*store, id);
    // A worker that did not run it reads the stored result.
    const auto& other = workers_[(w + 1) % workers_.size()];
    auto data = other->execution(id);
    ASSERT_TRUE(data.is_object());
    EXPECT_EQ(data.value("status", std::string{}), "completed");
  }
  // Every prompt was answered once: no execution ran on two workers.
  const auto paid = completed_by_prompt(fake_);
  EXPECT_EQ(paid.size(), owner.size() * (1 + kChapters));
  for (const auto& [prompt, times] : paid) EXPECT_EQ(times, 1) << prompt;
}

TEST_F(SeveralWorkers, ACancelSentToAnyWorkerReachesTheOwner) {
  // Calls that never answer: the execution stays running until it is cancelled.
  fake_.configure({{"latency_ms", 3600000}, {"ttft_ms", 3600000}});
  const auto id = workers_[0]->submit(shared_book("tenant-cancel", 100));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(fake_.wait_until([](const auto& s) { return s.active >= 1; }, kPatience));

  // Cancelled through worker 2, which does not run it.
  auto answer = workers_[1]->request("POST", "/executions/" + id + "/cancel?wait=1", "{}");
  EXPECT_TRUE(answer.status == 200 || answer.status == 202) << describe(answer);
  auto store = db_->open();
  ASSERT_TRUE(eventually([&] { return stored_status(*store, id) == "cancelled"; }, kPatience))
      << stored_status(*store, id);
  // The owner closed its provider connection (the cancel really reached it).
  EXPECT_TRUE(
      fake_.wait_until([](const auto& s) { return s.active == 0 && s.aborted >= 1; }, kPatience));
  expect_whole_event_log(*store, id);
  // Every worker reports the end.
  for (const auto& worker : workers_) {
    auto data = worker->execution(id);
    ASSERT_TRUE(data.is_object());
    EXPECT_EQ(data.value("status", std::string{}), "cancelled") << worker->name();
  }
  // A tenant that does not own it cannot cancel it from anywhere: it looks missing.
  const auto other = workers_[2]->submit(shared_book("tenant-owner", 101));
  ASSERT_FALSE(other.empty());
  auto refused =
      workers_[1]->request("POST", "/executions/" + other + "/cancel?userId=someone-else", "{}");
  EXPECT_EQ(refused.status, 404) << describe(refused);
  auto mine =
      workers_[1]->request("POST", "/executions/" + other + "/cancel?userId=tenant-owner", "{}");
  EXPECT_TRUE(mine.status == 200 || mine.status == 202) << describe(mine);
  ASSERT_TRUE(eventually([&] { return stored_status(*store, other) == "cancelled"; }, kPatience));
}

}  // namespace
}  // namespace lekhika::e2e::durable

namespace lekhika::e2e::durable {
namespace {

// The queue is shared: what a busy worker cannot start waits in the database, and the first
// worker with a free slot runs it.
TEST(SharedQueue, ABusyWorkersBacklogRunsOnTheOthers) {
  if (pg_test_dsn().empty()) GTEST_SKIP() << "PG_TEST_DSN is not set";
  pg_database db{pg_test_dsn()};
  testing::temp_dir dir;
  testing::fake_provider_process fake;
  fake.configure({{"latency_ms", 300}, {"ttft_ms", 20}, {"words", 40}});
  auto busy_options = worker_named("worker-busy", 30000ms);
  busy_options.extra_env["MAX_RUNNING_EXECUTIONS"] = "1";
  serve_process busy{db, fake, dir.path(), busy_options};
  serve_process idle{db, fake, dir.path(), worker_named("worker-idle", 30000ms)};
  ASSERT_TRUE(busy.wait_ready());
  ASSERT_TRUE(idle.wait_ready());

  std::vector<std::string> ids;
  for (int n = 0; n < 5; ++n) {
    ids.push_back(busy.submit(shared_book("tenant-backlog", 200 + n)));
    ASSERT_FALSE(ids.back().empty());
  }
  // A synchronous caller of the busy worker gets its book, wherever it ran.
  auto sync_body = shared_book("tenant-backlog", 299);
  auto sync = busy.request("POST", "/execute", sync_body.dump(), {}, kPatience);
  ASSERT_EQ(sync.status, 200) << describe(sync);
  const auto sync_data = json::parse(sync.body)["data"];
  EXPECT_EQ(sync_data.value("status", std::string{}), "completed");
  ids.push_back(sync_data.value("executionId", std::string{}));

  auto store = db.open();
  std::map<std::string, int> ran_on;
  for (const auto& id : ids) {
    ASSERT_TRUE(eventually([&] { return terminal(stored_status(*store, id)); }, kPatience)) << id;
    EXPECT_EQ(stored_status(*store, id), "completed") << id;
    const auto starts = starts_of(*store, id);
    ASSERT_EQ(starts.size(), 1U) << id;  // started once, on one worker
    ++ran_on[starts.front()];
    expect_whole_event_log(*store, id);
  }
  EXPECT_GT(ran_on["worker-idle"], 0) << "the idle worker ran none of the backlog";
  EXPECT_GT(ran_on["worker-busy"], 0);
  const auto paid = completed_by_prompt(fake);
  EXPECT_EQ(paid.size(), ids.size() * (1 + kChapters));
  for (const auto& [prompt, times] : paid) EXPECT_EQ(times, 1) << prompt;
}

/// One worker with one slot, held by an execution whose model never answers: what is submitted
/// to it next waits in the shared queue. The holder is cancelled at the end.
class one_busy_slot {
 public:
  explicit one_busy_slot(const std::string& worker_id) : db_{pg_test_dsn()} {
    fake_.configure({{"latency_ms", 3600000}, {"ttft_ms", 3600000}});
    auto options = worker_named(worker_id, 30000ms);
    options.extra_env["MAX_RUNNING_EXECUTIONS"] = "1";
    worker_ = std::make_unique<serve_process>(db_, fake_, dir_.path(), options);
  }
  one_busy_slot(const one_busy_slot&) = delete;
  one_busy_slot& operator=(const one_busy_slot&) = delete;
  ~one_busy_slot() {
    if (!holder_.empty())
      (void)worker_->request("POST", "/executions/" + holder_ + "/cancel", "{}");
  }

  /// Starts the worker and the execution that holds its slot (its model call in flight).
  [[nodiscard]] ::testing::AssertionResult hold_the_slot(const std::string& user) {
    if (auto ready = worker_->wait_ready(); !ready) return ready;
    holder_ = worker_->submit(shared_book(user, 900));
    if (holder_.empty()) return ::testing::AssertionFailure() << "the holder was refused";
    if (!fake_.wait_until([](const auto& s) { return s.active >= 1; }, kPatience)) {
      return ::testing::AssertionFailure() << "the holder never called the model";
    }
    return ::testing::AssertionSuccess();
  }

  /// Only the holder ever called the model, and it still runs.
  void expect_only_the_holder_ran(persistence::store& store) const {
    EXPECT_EQ(fake_.stats().requests, 1);
    EXPECT_EQ(stored_status(store, holder_), "running");
  }

  [[nodiscard]] const pg_database& db() const noexcept { return db_; }
  [[nodiscard]] const serve_process& worker() const noexcept { return *worker_; }

 private:
  pg_database db_;
  testing::temp_dir dir_;
  testing::fake_provider_process fake_;
  std::unique_ptr<serve_process> worker_;
  std::string holder_;
};

// An execution cancelled while it waits in the shared queue ends at once, without running.
TEST(SharedQueue, ACancelledWaitingExecutionNeverRuns) {
  if (pg_test_dsn().empty()) GTEST_SKIP() << "PG_TEST_DSN is not set";
  one_busy_slot busy{"worker-only"};
  ASSERT_TRUE(busy.hold_the_slot("tenant-wait"));
  const auto& worker = busy.worker();
  const auto& db = busy.db();
  const auto waiting = worker.submit(shared_book("tenant-wait", 301));
  ASSERT_FALSE(waiting.empty());
  auto store = db.open();
  EXPECT_EQ(stored_status(*store, waiting), "queued");

  auto answer = worker.request("POST", "/executions/" + waiting + "/cancel?wait=1", "{}");
  EXPECT_TRUE(answer.status == 200 || answer.status == 202) << describe(answer);
  ASSERT_TRUE(eventually([&] { return stored_status(*store, waiting) == "cancelled"; }, kPatience));
  EXPECT_TRUE(starts_of(*store, waiting).empty());
  expect_whole_event_log(*store, waiting);
  busy.expect_only_the_holder_ran(*store);
}

// A cancel that arrives while a waiting execution's row is still being written (the database
// holds the insert) is kept, and applied through the database once the row exists: the
// execution never runs, and a caller who asked to wait for the cancel is answered when it ends.
TEST(SharedQueue, ACancelDuringAdmissionIsKeptAndApplied) {
  if (pg_test_dsn().empty()) GTEST_SKIP() << "PG_TEST_DSN is not set";
  one_busy_slot busy{"worker-admits"};
  ASSERT_TRUE(busy.hold_the_slot("tenant-admit"));
  const auto& worker = busy.worker();
  const auto& db = busy.db();

  // Hold every insert into the executions table: the next admission waits in the database.
  pqxx::connection holder{db.url()};
  pqxx::work hold{holder};
  hold.exec("LOCK TABLE executions IN SHARE ROW EXCLUSIVE MODE");
  const std::string id = "admit-then-cancel-1";
  auto body = shared_book("tenant-admit", 311);
  body["executionId"] = id;
  auto submitted = std::async(std::launch::async, [&] {
    return worker.request("POST", "/execute", body.dump(), {"Prefer: respond-async"}, kPatience);
  });
  // The worker knows the execution (GET answers from its registry) while its row is not there.
  ASSERT_TRUE(eventually([&] { return worker.request("GET", "/executions/" + id).status == 200; },
                         kPatience))
      << worker.err();
  EXPECT_EQ(db.exec("SELECT id FROM executions WHERE id = '" + id + "'").size(), 0U);
  auto cancelled = std::async(std::launch::async, [&] {
    return worker.request("POST", "/executions/" + id + "/cancel?wait=1", "{}", {}, kPatience);
  });
  // The cancel is with the worker (it waits for the end) before the row exists.
  EXPECT_EQ(cancelled.wait_for(300ms), std::future_status::timeout);
  hold.commit();

  auto accepted = ok_data(submitted.get(), 202);
  EXPECT_EQ(accepted.value("status", std::string{}), "cancelling") << accepted.dump();
  auto answer = cancelled.get();
  ASSERT_EQ(answer.status, 200) << describe(answer);
  EXPECT_EQ(json::parse(answer.body)["data"].value("status", std::string{}), "cancelled")
      << answer.body;
  auto store = db.open();
  EXPECT_EQ(stored_status(*store, id), "cancelled");
  EXPECT_TRUE(starts_of(*store, id).empty());
  expect_whole_event_log(*store, id);
  busy.expect_only_the_holder_ran(*store);
}

}  // namespace
}  // namespace lekhika::e2e::durable
