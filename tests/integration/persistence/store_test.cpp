#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "lekhika/persistence/store.hpp"
#include "store_backend.hpp"

// The store conformance suite: every test runs against SQLite and against PostgreSQL.

namespace {

namespace lp = lekhika::persistence;
using lekhika::store_testing::make_event;
using lekhika::store_testing::make_execution;
using nlohmann::json;

class Store : public lekhika::store_testing::store_fixture {};

TEST_P(Store, MigrateTwiceIsHarmlessAndRecordsEachVersion) {
  ASSERT_TRUE(store_->migrate().ok());
  ASSERT_TRUE(store_->migrate().ok());
  EXPECT_TRUE(store_->ping());

  const auto versions =
      backend_->query("SELECT version, name FROM schema_migrations ORDER BY version");
  ASSERT_EQ(versions.size(), 2U);
  EXPECT_EQ(versions[0][0], "1");
  EXPECT_EQ(versions[1][0], "2");
  const std::string names =
      "('executions', 'execution_events', 'node_runs', 'node_outputs', 'chapters', "
      "'artifacts', 'provider_calls')";
  const auto tables = backend_->query(
      postgres() ? "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                   "current_schema() AND table_name IN " +
                       names
                 : "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN " + names);
  EXPECT_EQ(tables.size(), 7U);
  if (!postgres()) {
    EXPECT_EQ(backend_->query("PRAGMA journal_mode")[0][0], "wal");
  }
}

TEST_P(Store, ConcurrentMigrationsOfOneDatabaseAreSafe) {
  std::string skip;
  auto fresh = lekhika::store_testing::make_backend(GetParam(), &skip);
  ASSERT_NE(fresh, nullptr) << skip;
  const std::string url = fresh->url();
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    threads.emplace_back([&, i] {
      auto opened = lp::open_store(url);
      if (!opened.ok()) {
        errors[i] = opened.error().message;
        return;
      }
      auto migrated = opened.value()->migrate();
      if (!migrated.ok()) errors[i] = migrated.error().message;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(fresh->query("SELECT count(*) FROM schema_migrations")[0][0], "2");
}

TEST_P(Store, CreateExecutionIsIdempotent) {
  auto first = make_execution("exec-1", "alice", 1000);
  first.usage = json{{"calls", 0}};
  auto created = store_->create_execution(first);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(created.value().created);

  auto second = make_execution("exec-1", "bob", 2000, "running");
  auto again = store_->create_execution(second);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again.value().created);
  const auto& existing = again.value().existing;
  EXPECT_EQ(existing.id, "exec-1");
  EXPECT_EQ(existing.user_id, "alice");
  EXPECT_EQ(existing.status, "queued");
  EXPECT_EQ(existing.created_at, 1000);
  EXPECT_EQ(existing.request_json, first.request_json);
  EXPECT_EQ(existing.request_hash, "abc123");
  EXPECT_EQ(existing.usage, (json{{"calls", 0}}));
  EXPECT_TRUE(existing.error.is_null());

  EXPECT_EQ(get("exec-1").user_id, "alice");
}

TEST_P(Store, ApplyWritesEveryKindAndReadsThemBack) {
  create(make_execution("exec-1", "alice", 1000));

  lp::execution_update update;
  update.id = "exec-1";
  update.status = "running";
  update.progress = 40;
  update.started_at = 1500;
  update.usage = json{{"inputTokens", 10}, {"outputTokens", 20}};
  update.result = json{{"chapters", 2}};

  lp::node_run_record run{"exec-1", "writer", "running", 1, 1600, 0, nullptr, nullptr, 1, 2};
  lp::node_output_record output{"exec-1", "outline", json{{"outline", {"one", "two"}}}};
  lp::chapter_record ch2{"exec-1", "writer", 2, "Two", "Second text", 2, json{{"calls", 1}}};
  lp::chapter_record ch1{"exec-1", "writer", 1, "One", "First text", 2, nullptr};
  lp::chapter_record rev1{"exec-1", "reviser", 1, "One*", "Revised", 1, nullptr};
  lp::artifact_record art{"exec-1", "md", "/a/exec-1/book.md", "text/markdown", 42, "ff", 1700};

  ASSERT_TRUE(store_
                  ->apply({update, make_event("exec-1", 1, "execution.started"), run, output, ch2,
                           ch1, rev1, art, make_event("exec-1", 2, "node.started")})
                  .ok());

  const auto row = get("exec-1");
  EXPECT_EQ(row.status, "running");
  EXPECT_EQ(row.progress, 40);
  EXPECT_EQ(row.started_at, 1500);
  EXPECT_EQ(row.finished_at, 0);
  EXPECT_EQ(row.usage, update.usage.value());
  EXPECT_EQ(row.result, update.result.value());
  EXPECT_TRUE(row.error.is_null());
  EXPECT_TRUE(row.output.is_null());
  EXPECT_EQ(row.last_seq, 2);

  auto events = store_->events_after("exec-1", 0, 100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events.value().size(), 2U);
  EXPECT_EQ(events.value()[0].type, "execution.started");
  EXPECT_EQ(events.value()[0].data, (json{{"seq", 1}}));
  EXPECT_EQ(events.value()[0].created_at, 1001);
  EXPECT_EQ(events.value()[1].seq, 2);

  auto runs = store_->node_runs("exec-1");
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs.value().size(), 1U);
  EXPECT_EQ(runs.value()[0].status, "running");
  EXPECT_EQ(runs.value()[0].chapters_total, 2);
  EXPECT_TRUE(runs.value()[0].usage.is_null());

  auto outputs = store_->node_outputs("exec-1");
  ASSERT_TRUE(outputs.ok());
  ASSERT_EQ(outputs.value().size(), 1U);
  EXPECT_EQ(outputs.value()[0].output, output.output);

  auto chapters = store_->chapters("exec-1");
  ASSERT_TRUE(chapters.ok());
  ASSERT_EQ(chapters.value().size(), 3U);
  // By node id, then number.
  EXPECT_EQ(chapters.value()[0].node_id, "reviser");
  EXPECT_EQ(chapters.value()[1].number, 1);
  EXPECT_EQ(chapters.value()[1].content, "First text");
  EXPECT_EQ(chapters.value()[2].number, 2);
  EXPECT_EQ(chapters.value()[2].usage, (json{{"calls", 1}}));

  auto artifacts = store_->artifacts("exec-1");
  ASSERT_TRUE(artifacts.ok());
  ASSERT_EQ(artifacts.value().size(), 1U);
  EXPECT_EQ(artifacts.value()[0].path, "/a/exec-1/book.md");
  EXPECT_EQ(artifacts.value()[0].bytes, 42);

  // Upserts: the same keys again replace the rows.
  run.status = "completed";
  run.attempts = 2;
  run.finished_at = 1800;
  run.usage = json{{"calls", 3}};
  ch1.content = "First text, rewritten";
  art.bytes = 43;
  art.sha256 = "ee";
  output.output = json{{"outline", {"only"}}};
  ASSERT_TRUE(store_->apply({run, ch1, art, output}).ok());

  runs = store_->node_runs("exec-1");
  ASSERT_EQ(runs.value().size(), 1U);
  EXPECT_EQ(runs.value()[0].status, "completed");
  EXPECT_EQ(runs.value()[0].attempts, 2);
  EXPECT_EQ(runs.value()[0].usage, (json{{"calls", 3}}));
  chapters = store_->chapters("exec-1");
  ASSERT_EQ(chapters.value().size(), 3U);
  EXPECT_EQ(chapters.value()[1].content, "First text, rewritten");
  artifacts = store_->artifacts("exec-1");
  ASSERT_EQ(artifacts.value().size(), 1U);
  EXPECT_EQ(artifacts.value()[0].sha256, "ee");
  outputs = store_->node_outputs("exec-1");
  EXPECT_EQ(outputs.value()[0].output, output.output);
}

TEST_P(Store, ExecutionUpdateChangesOnlySetFields) {
  auto record = make_execution("exec-1", "alice", 1000);
  record.error = json{{"code", "x"}};
  create(record);

  lp::execution_update progress_only;
  progress_only.id = "exec-1";
  progress_only.progress = 55;
  ASSERT_TRUE(store_->apply({progress_only}).ok());
  auto row = get("exec-1");
  EXPECT_EQ(row.progress, 55);
  EXPECT_EQ(row.status, "queued");
  EXPECT_EQ(row.error, (json{{"code", "x"}}));

  lp::execution_update finish;
  finish.id = "exec-1";
  finish.status = "completed";
  finish.finished_at = 9000;
  finish.error = json(nullptr);  // set to null: clears the column
  finish.output = json{{"content", "The book"}};
  ASSERT_TRUE(store_->apply({finish}).ok());
  row = get("exec-1");
  EXPECT_EQ(row.status, "completed");
  EXPECT_EQ(row.progress, 55);
  EXPECT_EQ(row.finished_at, 9000);
  EXPECT_TRUE(row.error.is_null());
  EXPECT_EQ(row.output, (json{{"content", "The book"}}));
}

TEST_P(Store, EventInsertIsIdempotent) {
  create(make_execution("exec-1", "alice", 1000));
  ASSERT_TRUE(store_->apply({make_event("exec-1", 1, "a"), make_event("exec-1", 2, "b")}).ok());
  // A retried write of seq 2 (with different content) and a new seq 3.
  ASSERT_TRUE(
      store_->apply({make_event("exec-1", 2, "b-again"), make_event("exec-1", 3, "c")}).ok());
  // An old event again does not lower last_seq.
  ASSERT_TRUE(store_->apply({make_event("exec-1", 1, "a-again")}).ok());

  auto events = store_->events_after("exec-1", 0, 100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events.value().size(), 3U);
  EXPECT_EQ(events.value()[0].type, "a");
  EXPECT_EQ(events.value()[1].type, "b");
  EXPECT_EQ(events.value()[2].type, "c");
  EXPECT_EQ(get("exec-1").last_seq, 3);

  auto tail = store_->events_after("exec-1", 1, 100);
  ASSERT_EQ(tail.value().size(), 2U);
  EXPECT_EQ(tail.value()[0].seq, 2);
  auto limited = store_->events_after("exec-1", 0, 2);
  ASSERT_EQ(limited.value().size(), 2U);
  EXPECT_EQ(limited.value()[1].seq, 2);
  EXPECT_TRUE(store_->events_after("exec-1", 0, 0).value().empty());
  EXPECT_TRUE(store_->events_after("nope", 0, 10).value().empty());
}

TEST_P(Store, ApplyIsOneTransaction) {
  create(make_execution("exec-1", "alice", 1000));
  lp::execution_update update;
  update.id = "exec-1";
  update.status = "running";
  const lp::write_batch batch{
      update,
      make_event("exec-1", 1, "execution.started"),
      lp::node_run_record{"exec-1", "writer", "running", 1, 5, 0, nullptr, nullptr, 0, 1},
      make_event("no-such-execution", 1, "orphan"),  // the foreign key refuses this one
      lp::chapter_record{"exec-1", "writer", 1, "One", "Text", 1, nullptr},
  };
  auto applied = store_->apply(batch);
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, "store_error");
  EXPECT_NE(applied.error().message.find("event_record"), std::string::npos)
      << applied.error().message;
  EXPECT_NE(applied.error().message.find("no-such-execution"), std::string::npos)
      << applied.error().message;

  // Nothing of the batch is visible.
  const auto row = get("exec-1");
  EXPECT_EQ(row.status, "queued");
  EXPECT_EQ(row.last_seq, 0);
  EXPECT_TRUE(store_->events_after("exec-1", 0, 10).value().empty());
  EXPECT_TRUE(store_->node_runs("exec-1").value().empty());
  EXPECT_TRUE(store_->chapters("exec-1").value().empty());

  // The store is still usable afterwards.
  ASSERT_TRUE(store_->apply({update, make_event("exec-1", 1, "execution.started")}).ok());
  EXPECT_EQ(get("exec-1").status, "running");
  EXPECT_EQ(get("exec-1").last_seq, 1);
}

TEST_P(Store, UpdateOfUnknownExecutionFailsTheBatch) {
  create(make_execution("exec-1", "alice", 1000));
  lp::execution_update missing;
  missing.id = "ghost";
  missing.status = "running";
  auto applied = store_->apply({make_event("exec-1", 1, "a"), missing});
  ASSERT_FALSE(applied.ok());
  EXPECT_EQ(applied.error().code, "not_found");
  EXPECT_NE(applied.error().message.find("execution_update"), std::string::npos);
  EXPECT_NE(applied.error().message.find("ghost"), std::string::npos);
  EXPECT_TRUE(store_->events_after("exec-1", 0, 10).value().empty());
}

TEST_P(Store, GetExecutionIsScopedToUser) {
  create(make_execution("exec-1", "alice", 1000));
  auto own = store_->get_execution("exec-1", std::string("alice"));
  ASSERT_TRUE(own.ok());
  ASSERT_TRUE(own.value().has_value());
  EXPECT_EQ(own.value()->id, "exec-1");

  auto other = store_->get_execution("exec-1", std::string("bob"));
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other.value().has_value());

  auto unscoped = store_->get_execution("exec-1", std::nullopt);
  ASSERT_TRUE(unscoped.ok());
  EXPECT_TRUE(unscoped.value().has_value());

  auto missing = store_->get_execution("nope", std::nullopt);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing.value().has_value());
}

class StoreListing : public Store {
 protected:
  void SetUp() override {
    Store::SetUp();
    if (IsSkipped()) return;
    // Ties on created_at are ordered by id, so pages must not split or repeat them.
    const std::vector<std::tuple<std::string, std::string, lp::epoch_ms, std::string>> rows{
        {"a1", "alice", 1000, "completed"}, {"a2", "alice", 2000, "failed"},
        {"a3", "alice", 2000, "completed"}, {"a4", "alice", 2000, "completed"},
        {"a5", "alice", 3000, "failed"},    {"a6", "alice", 4000, "completed"},
        {"a7", "alice", 5000, "running"},   {"b1", "bob", 1500, "completed"},
        {"b2", "bob", 2000, "completed"},   {"b3", "bob", 6000, "failed"},
    };
    for (const auto& [id, user, created, status] : rows) {
      create(make_execution(id, user, created, status));
    }
  }

  std::vector<std::string> list_all(lp::execution_filter filter, std::size_t* pages) {
    std::vector<std::string> ids;
    *pages = 0;
    for (;;) {
      auto page = store_->list_executions(filter);
      EXPECT_TRUE(page.ok()) << page.error().message;
      if (!page.ok()) break;
      ++*pages;
      for (const auto& s : page.value().items) ids.push_back(s.id);
      if (!page.value().next_cursor) break;
      filter.cursor = page.value().next_cursor;
      if (*pages > 20) break;
    }
    return ids;
  }
};

TEST_P(StoreListing, PaginatesNewestFirstAcrossThreePages) {
  lp::execution_filter filter;
  filter.user_id = "alice";
  filter.limit = 3;
  auto first = store_->list_executions(filter);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first.value().items.size(), 3U);
  EXPECT_EQ(first.value().items[0].id, "a7");
  EXPECT_EQ(first.value().items[0].status, "running");
  EXPECT_EQ(first.value().items[0].created_at, 5000);
  ASSERT_TRUE(first.value().next_cursor.has_value());

  std::size_t pages = 0;
  const auto ids = list_all(filter, &pages);
  EXPECT_EQ(pages, 3U);
  EXPECT_EQ(ids, (std::vector<std::string>{"a7", "a6", "a5", "a4", "a3", "a2", "a1"}));
}

TEST_P(StoreListing, FiltersByStatusAndUser) {
  std::size_t pages = 0;
  lp::execution_filter completed_alice;
  completed_alice.user_id = "alice";
  completed_alice.status = "completed";
  completed_alice.limit = 1;
  EXPECT_EQ(list_all(completed_alice, &pages), (std::vector<std::string>{"a6", "a4", "a3", "a1"}));
  EXPECT_EQ(pages, 4U);

  lp::execution_filter failed_anyone;
  failed_anyone.status = "failed";
  failed_anyone.limit = 2;
  EXPECT_EQ(list_all(failed_anyone, &pages), (std::vector<std::string>{"b3", "a5", "a2"}));
  EXPECT_EQ(pages, 2U);

  lp::execution_filter everyone;
  everyone.limit = 4;
  EXPECT_EQ(list_all(everyone, &pages),
            (std::vector<std::string>{"b3", "a7", "a6", "a5", "b2", "a4", "a3", "a2", "b1", "a1"}));
  EXPECT_EQ(pages, 3U);

  lp::execution_filter nobody;
  nobody.user_id = "carol";
  auto empty = store_->list_executions(nobody);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty.value().items.empty());
  EXPECT_FALSE(empty.value().next_cursor.has_value());
}

TEST_P(StoreListing, ClampsTheLimit) {
  lp::execution_filter filter;
  filter.limit = 0;
  auto one = store_->list_executions(filter);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one.value().items.size(), 1U);
  filter.limit = 100000;
  auto all = store_->list_executions(filter);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.value().items.size(), 10U);
  EXPECT_FALSE(all.value().next_cursor.has_value());
}

TEST_P(StoreListing, RejectsAMalformedCursor) {
  for (const std::string cursor : {"!!not-base64!!", "bm9jb2xvbg", "OmExCg", "eDpheA", "A"}) {
    lp::execution_filter filter;
    filter.cursor = cursor;
    auto page = store_->list_executions(filter);
    ASSERT_FALSE(page.ok()) << cursor;
    EXPECT_EQ(page.error().code, "invalid_cursor") << cursor;
  }
  lp::execution_filter empty_cursor;
  empty_cursor.cursor = "";
  EXPECT_TRUE(store_->list_executions(empty_cursor).ok());
}

TEST_P(Store, ReaderSeesCommittedWritesWhileWriterCommits) {
  create(make_execution("exec-1", "alice", 1000));
  constexpr int batches = 200;
  constexpr int events_per_batch = 10;
  constexpr int readers = 2;
  std::atomic<bool> writer_done{false};
  std::atomic<int> readers_ready{0};
  std::atomic<int> partial_views{0};  // reads that landed between the first and last commit

  std::string writer_error;
  std::thread writer([&] {
    // Start only once the readers are reading, so the commits really overlap their reads.
    while (readers_ready.load() < readers) std::this_thread::yield();
    std::int64_t seq = 0;
    for (int b = 0; b < batches && writer_error.empty(); ++b) {
      lp::write_batch batch;
      for (int e = 0; e < events_per_batch; ++e)
        batch.push_back(make_event("exec-1", ++seq, "tick"));
      lp::execution_update update;
      update.id = "exec-1";
      update.progress = b / 2;
      batch.push_back(update);
      auto applied = store_->apply(batch);
      if (!applied.ok()) writer_error = applied.error().message;
    }
    writer_done = true;
  });

  std::vector<std::string> reader_errors(readers);
  std::vector<std::int64_t> final_seq(readers, -1);
  std::vector<std::size_t> final_events(readers, 0);
  std::vector<std::thread> reader_threads;
  for (int r = 0; r < readers; ++r) {
    reader_threads.emplace_back([&, r] {
      auto opened = lp::open_store(url());
      ++readers_ready;  // even on failure, so the writer never waits forever
      if (!opened.ok()) {
        reader_errors[r] = opened.error().message;
        return;
      }
      auto& reader = *opened.value();
      std::int64_t previous = 0;
      for (;;) {
        const bool last_round = writer_done.load();
        auto row = reader.get_execution("exec-1", std::string("alice"));
        if (!row.ok() || !row.value()) {
          reader_errors[r] = row.ok() ? "execution vanished" : row.error().message;
          return;
        }
        const std::int64_t seq = row.value()->last_seq;
        if (seq < previous || seq % events_per_batch != 0) {
          reader_errors[r] = "saw a partial or older batch: last_seq " + std::to_string(seq);
          return;
        }
        previous = seq;
        if (seq > 0 && seq < batches * events_per_batch) ++partial_views;
        auto events = reader.events_after("exec-1", 0, 1000000);
        if (!events.ok()) {
          reader_errors[r] = events.error().message;
          return;
        }
        if (static_cast<std::int64_t>(events.value().size()) < seq) {
          reader_errors[r] = "fewer events than last_seq";
          return;
        }
        if (last_round) {
          final_seq[r] = seq;
          final_events[r] = events.value().size();
          return;
        }
      }
    });
  }
  writer.join();
  for (auto& t : reader_threads) t.join();

  EXPECT_EQ(writer_error, "");
  for (int r = 0; r < readers; ++r) {
    EXPECT_EQ(reader_errors[r], "") << "reader " << r;
    EXPECT_EQ(final_seq[r], batches * events_per_batch) << "reader " << r;
    EXPECT_EQ(final_events[r], static_cast<std::size_t>(batches * events_per_batch));
  }
  RecordProperty("partial_views", partial_views.load());
}

TEST_P(Store, AppliesTenThousandEventsInOneBatch) {
  create(make_execution("exec-1", "alice", 1000));
  lp::write_batch batch;
  batch.reserve(10000);
  for (std::int64_t seq = 1; seq <= 10000; ++seq) {
    batch.push_back(lp::event_record{"exec-1", seq, "chapter.progress",
                                     json{{"chapter", seq}, {"text", "some words here"}}, seq});
  }
  auto applied = store_->apply(batch);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  auto events = store_->events_after("exec-1", 0, 20000);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events.value().size(), 10000U);
  EXPECT_EQ(events.value().back().seq, 10000);
  EXPECT_EQ(get("exec-1").last_seq, 10000);
}

TEST_P(Store, JsonValuesRoundTrip) {
  auto record = make_execution("exec-1", "alice", 1000);
  record.usage = json::array({1, "two", 3.5});
  record.result = json("plain string");
  record.output = json{{"nested", {{"deep", json::array()}}}, {"unicode", "नमस्ते"}};
  create(record);
  const auto row = get("exec-1");
  EXPECT_EQ(row.usage, record.usage);
  EXPECT_EQ(row.result, record.result);
  EXPECT_EQ(row.output, record.output);
  EXPECT_TRUE(row.error.is_null());
}

TEST_P(Store, ReopenedStoreKeepsData) {
  create(make_execution("exec-1", "alice", 1000));
  ASSERT_TRUE(store_->apply({make_event("exec-1", 1, "a")}).ok());
  store_.reset();
  store_ = open_migrated();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(get("exec-1").last_seq, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, Store, ::testing::Values("sqlite", "postgres"),
                         lekhika::store_testing::backend_name{});
INSTANTIATE_TEST_SUITE_P(Backends, StoreListing, ::testing::Values("sqlite", "postgres"),
                         lekhika::store_testing::backend_name{});

}  // namespace
