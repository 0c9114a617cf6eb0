#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/connection>
#include <pqxx/transaction>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lekhika/persistence/store.hpp"
#include "lekhika/testing/postgres.hpp"
#include "lekhika/testing/temp_dir.hpp"
#include "store_backend.hpp"

// What only the PostgreSQL back end does: keeping Lekhika's engine_executions row current,
// SKIP LOCKED claims against a row another transaction holds, and riding out a server restart.

namespace {

namespace lp = lekhika::persistence;
using lekhika::store_testing::make_event;
using lekhika::store_testing::make_execution;
using nlohmann::json;
using std::chrono::milliseconds;

using lekhika::testing::engine_executions_ddl;

constexpr const char* run_id = "5f0c7a52-2f1e-4c3a-9d61-0b8e2a7d4c11";
constexpr const char* user_uuid = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

class PgStore : public lekhika::store_testing::store_fixture {
 protected:
  // Creates Lekhika's table with one row, as the Edge Function would, and a store that sees it.
  void with_lekhika_row(const std::string& id) {
    (void)backend_->query(std::string(engine_executions_ddl) + "SELECT 1");
    (void)backend_->query(
        "INSERT INTO engine_executions (id, engine_id, user_id, execution_data, input_data) "
        "VALUES ('" +
        id + "', gen_random_uuid(), '" + user_uuid +
        "', '{\"userInput\": {\"title\": \"A book\"}, \"progress\": 0}', '{\"x\": 1}') "
        "RETURNING id");
    // The table is looked up when a store connects or migrates.
    ASSERT_TRUE(store_->migrate().ok());
  }

  std::vector<std::string> lekhika_row(const std::string& id) {
    const auto rows = backend_->query(
        "SELECT status, tokens_used, cost_estimate, execution_time_ms, "
        "coalesce(error_message, 'NULL'), coalesce(extract(epoch FROM completed_at)::text, "
        "'NULL'), execution_data::text, octet_length(execution_data::text), input_data::text "
        "FROM engine_executions WHERE id = '" +
        id + "'");
    EXPECT_EQ(rows.size(), 1U);
    return rows.empty() ? std::vector<std::string>(9, "") : rows[0];
  }

  void update(const std::string& id, const std::function<void(lp::execution_update&)>& set) {
    lp::execution_update u;
    u.id = id;
    set(u);
    auto applied = store_->apply({u});
    ASSERT_TRUE(applied.ok()) << applied.error().message;
  }
};

TEST_P(PgStore, KeepsTheLekhikaRowCurrent) {
  with_lekhika_row(run_id);
  auto record = make_execution(run_id, user_uuid, 1000);
  create(record);

  update(run_id, [](auto& u) {
    u.status = "running";
    u.started_at = 1000;
    u.progress = 5;
  });
  auto row = lekhika_row(run_id);
  EXPECT_EQ(row[0], "running");
  EXPECT_EQ(row[1], "0");
  EXPECT_EQ(row[3], "NULL");
  EXPECT_EQ(row[5], "NULL");
  auto data = json::parse(row[6]);
  EXPECT_EQ(data["engine"], "lekhika-cpp");
  EXPECT_EQ(data["status"], "running");
  EXPECT_EQ(data["progress"], 5);
  EXPECT_EQ(data["userInput"]["title"], "A book");  // the Edge Function's keys stay

  update(run_id, [](auto& u) {
    u.usage = json{{"inputTokens", 1200}, {"outputTokens", 800}, {"costUsd", 0.01234},
                   {"calls", 3},          {"words", 600},        {"perModel", {{"m", 1}}}};
    u.progress = 60;
  });
  row = lekhika_row(run_id);
  EXPECT_EQ(row[1], "2000");
  EXPECT_EQ(row[2], "0.0123");
  data = json::parse(row[6]);
  EXPECT_EQ(data["progress"], 60);
  EXPECT_EQ(data["usage"]["calls"], 3);
  EXPECT_FALSE(data["usage"].contains("perModel"));  // only the known, small fields

  ASSERT_TRUE(
      store_
          ->apply({lp::artifact_record{run_id, "md", "/a/book.md", "text/markdown", 10, "ff", 1},
                   lp::artifact_record{run_id, "epub", "/a/book.epub", "application/epub+zip", 10,
                                       "ee", 1}})
          .ok());
  update(run_id, [](auto& u) {
    u.status = "completed";
    u.finished_at = 61500;
    u.progress = 100;
    u.output = json{{"content", "The whole book"}};
  });
  row = lekhika_row(run_id);
  EXPECT_EQ(row[0], "completed");
  EXPECT_EQ(row[3], "60500");
  EXPECT_EQ(row[4], "NULL");
  EXPECT_EQ(std::stod(row[5]), 61.5);
  data = json::parse(row[6]);
  EXPECT_EQ(data["status"], "completed");
  EXPECT_EQ(data["formats"], (json{"epub", "md"}));
  EXPECT_EQ(row[6].find("The whole book"), std::string::npos);
  EXPECT_EQ(row[8], R"({"x": 1})");  // input_data untouched
  EXPECT_EQ(backend_->query("SELECT count(*) FROM engine_executions")[0][0], "1");
}

TEST_P(PgStore, ACancelledRunIsWrittenAsFailedWithLekhikasMessage) {
  with_lekhika_row(run_id);
  create(make_execution(run_id, user_uuid, 1000, "running"));
  update(run_id, [](auto& u) {
    u.status = "cancelled";
    u.started_at = 1000;
    u.finished_at = 3000;
    u.error = json{{"code", "cancelled"}, {"message", "cancelled by the user"}};
  });
  const auto row = lekhika_row(run_id);
  EXPECT_EQ(row[0], "failed");  // the CHECK constraint knows no "cancelled"
  EXPECT_EQ(row[4], "Execution cancelled by user");
  EXPECT_EQ(row[3], "2000");
  EXPECT_EQ(json::parse(row[6])["status"], "cancelled");
}

TEST_P(PgStore, AFailedRunCarriesItsMessage) {
  with_lekhika_row(run_id);
  create(make_execution(run_id, user_uuid, 1000, "running"));
  update(run_id, [](auto& u) {
    u.status = "failed";
    u.finished_at = 5000;
    u.error =
        json{{"code", "provider_error"}, {"message", std::string(5000, 'x')}, {"nodeId", "writer"}};
  });
  const auto row = lekhika_row(run_id);
  EXPECT_EQ(row[0], "failed");
  EXPECT_LE(row[4].size(), 520U);  // a long provider message is cut
  EXPECT_EQ(row[4].substr(0, 10), "xxxxxxxxxx");
  EXPECT_EQ(row[3], "NULL");  // never started
  const auto data = json::parse(row[6]);
  EXPECT_EQ(data["error"]["code"], "provider_error");
  EXPECT_EQ(data["error"]["nodeId"], "writer");
}

TEST_P(PgStore, ExecutionDataStaysSmallForATwoHundredChapterBook) {
  with_lekhika_row(run_id);
  create(make_execution(run_id, user_uuid, 1000, "running"));
  const std::string chapter_text(6000, 'w');  // about 1000 words
  lp::write_batch batch;
  std::string book;
  for (int n = 1; n <= 200; ++n) {
    batch.push_back(lp::chapter_record{run_id, "writer", n, "Chapter " + std::to_string(n),
                                       chapter_text, 1000, json{{"calls", 1}}});
    book += chapter_text;
  }
  batch.push_back(
      lp::artifact_record{run_id, "pdf", "/a/book.pdf", "application/pdf", 5000000, "ab", 1});
  lp::execution_update done;
  done.id = run_id;
  done.status = "completed";
  done.started_at = 1000;
  done.finished_at = 7201000;
  done.progress = 100;
  done.usage = json{{"inputTokens", 900000}, {"outputTokens", 300000}, {"costUsd", 12.5}};
  done.result = json{{"chapters", 200}, {"book", book}};
  done.output = json{{"content", book}, {"pdf", std::string(100000, 'P')}};
  batch.push_back(done);
  auto applied = store_->apply(batch);
  ASSERT_TRUE(applied.ok()) << applied.error().message;

  const auto row = lekhika_row(run_id);
  EXPECT_EQ(row[0], "completed");
  EXPECT_EQ(row[1], "1200000");
  EXPECT_EQ(row[3], "7200000");
  EXPECT_LT(std::stoi(row[7]), 2048) << row[6];
  const auto data = json::parse(row[6]);
  EXPECT_EQ(data["chapters"], 200);
  EXPECT_EQ(data["formats"], (json{"pdf"}));
  EXPECT_EQ(row[6].find("wwwwwwwwww"), std::string::npos);
  EXPECT_EQ(row[6].find("PPPPPPPPPP"), std::string::npos);
  // Our own tables have the book.
  EXPECT_EQ(store_->chapters(run_id).value().size(), 200U);
}

TEST_P(PgStore, RowsLekhikaDoesNotHaveAreLeftAlone) {
  with_lekhika_row(run_id);
  // Not a UUID: cannot be an engine_executions id.
  create(make_execution("exec-1", "alice", 1000, "running"));
  update("exec-1", [](auto& u) { u.status = "completed"; });
  // A UUID without a row: nothing is inserted.
  const std::string unknown = "7f0c7a52-2f1e-4c3a-9d61-0b8e2a7d4c13";
  create(make_execution(unknown, user_uuid, 1000, "running"));
  update(unknown, [](auto& u) { u.status = "failed"; });
  EXPECT_EQ(backend_->query("SELECT count(*) FROM engine_executions")[0][0], "1");
  EXPECT_EQ(lekhika_row(run_id)[0], "running");
  EXPECT_EQ(get(unknown).status, "failed");
}

TEST_P(PgStore, WithoutLekhikasTableNothingIsWrittenThere) {
  // The default schema of every other test; the store must not create the table either.
  create(make_execution(run_id, user_uuid, 1000, "running"));
  update(run_id, [](auto& u) { u.status = "completed"; });
  EXPECT_EQ(backend_->query("SELECT to_regclass('engine_executions') IS NULL")[0][0], "t");
}

TEST_P(PgStore, ClaimSkipsARowAnotherTransactionHolds) {
  create(make_execution("locked", "alice", 1, "queued"));
  create(make_execution("free", "alice", 2, "queued"));
  pqxx::connection other{url()};
  pqxx::work holder{other};
  holder.exec("SELECT 1 FROM executions WHERE id = 'locked' FOR UPDATE");

  // Does not wait for the lock: the locked row is skipped, the next one taken.
  const auto start = std::chrono::steady_clock::now();
  auto claimed = store_->claim_executions("w", 1000, milliseconds(30000), 10, false);
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  ASSERT_EQ(claimed.value().size(), 1U);
  EXPECT_EQ(claimed.value()[0].id, "free");
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  holder.abort();

  auto rest = store_->claim_executions("w", 1000, milliseconds(30000), 10, false);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest.value().size(), 1U);
  EXPECT_EQ(rest.value()[0].id, "locked");
}

TEST_P(PgStore, NewerSchemaThanThisBuildIsRefused) {
  (void)backend_->query(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0) "
      "RETURNING version");
  auto migrated = store_->migrate();
  ASSERT_FALSE(migrated.ok());
  EXPECT_EQ(migrated.error().code, "store_error");
  EXPECT_NE(migrated.error().message.find("newer"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, PgStore, ::testing::Values("postgres"),
                         lekhika::store_testing::backend_name{});

// ---- a server restart -------------------------------------------------------------------------

// A private server of this test's own (scripts/pg-test-server with its own folder and port),
// so that stopping it disturbs no other test running in parallel.
using lekhika::testing::own_pg_server;

TEST(PgRestart, CallsFailWhileTheServerIsAwayAndRecoverWithoutDuplicates) {
  const char* script = std::getenv("PG_TEST_SERVER");
  if (script == nullptr || lekhika::store_testing::pg_test_dsn().empty()) {
    GTEST_SKIP() << "PG_TEST_SERVER is not set: start the test server with "
                    "eval \"$(scripts/pg-test-server start)\"";
  }
  own_pg_server server;
  ASSERT_FALSE(server.dsn().empty()) << server.start_output();
  const std::string dsn = server.dsn();

  auto opened = lp::open_store(dsn);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto store = std::move(opened).value();
  ASSERT_TRUE(store->migrate().ok());
  ASSERT_TRUE(store->create_execution(make_execution("exec-1", "alice", 1000, "running")).ok());
  ASSERT_TRUE(store
                  ->apply({make_event("exec-1", 1, "a"), make_event("exec-1", 2, "b"),
                           make_event("exec-1", 3, "c")})
                  .ok());

  // A fast restart while the store is idle: the next call reconnects by itself.
  const std::string restarted = server.control("restart");
  ASSERT_TRUE(server.last_ok()) << restarted;
  auto after_restart = store->get_execution("exec-1", std::nullopt);
  ASSERT_TRUE(after_restart.ok()) << after_restart.error().message;
  EXPECT_EQ(after_restart.value()->last_seq, 3);

  // The server goes away: every call fails with store_unavailable, nothing hangs.
  const std::string down = server.control("down");
  ASSERT_TRUE(server.last_ok()) << down;
  lp::execution_update progress;
  progress.id = "exec-1";
  progress.progress = 50;
  const lp::write_batch batch{make_event("exec-1", 4, "d"), make_event("exec-1", 5, "e"), progress};
  auto failed = store->apply(batch);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "store_unavailable") << failed.error().message;
  EXPECT_FALSE(store->ping());
  auto read = store->get_execution("exec-1", std::nullopt);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, "store_unavailable");
  auto claim = store->claim_executions("w", 1, milliseconds(1000), 1, false);
  ASSERT_FALSE(claim.ok());
  EXPECT_EQ(claim.error().code, "store_unavailable");
  auto another = lp::open_store(dsn);
  ASSERT_FALSE(another.ok());
  EXPECT_EQ(another.error().code, "store_unavailable");

  // Back: the kept batch is retried (twice, as a writer unsure of the outcome would) and
  // lands exactly once.
  const std::string up = server.control("up");
  ASSERT_TRUE(server.last_ok()) << up;
  auto retried = store->apply(batch);
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_TRUE(store->ping());
  ASSERT_TRUE(store->apply(batch).ok());
  const auto events = store->events_after("exec-1", 0, 100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events.value().size(), 5U);
  for (std::size_t i = 0; i < events.value().size(); ++i) {
    EXPECT_EQ(events.value()[i].seq, static_cast<std::int64_t>(i + 1));
  }
  const auto row = store->get_execution("exec-1", std::nullopt);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row.value()->last_seq, 5);
  EXPECT_EQ(row.value()->progress, 50);
}

TEST(PgRestart, NotificationsResumeAfterAReconnect) {
  const char* script = std::getenv("PG_TEST_SERVER");
  if (script == nullptr || lekhika::store_testing::pg_test_dsn().empty()) {
    GTEST_SKIP() << "PG_TEST_SERVER is not set";
  }
  own_pg_server server;
  ASSERT_FALSE(server.dsn().empty()) << server.start_output();
  const std::string dsn = server.dsn();
  auto listener = lp::open_store(dsn);
  auto sender = lp::open_store(dsn);
  ASSERT_TRUE(listener.ok() && sender.ok());
  ASSERT_TRUE(listener.value()->listen({"work"}).ok());

  const std::string restarted = server.control("restart");
  ASSERT_TRUE(server.last_ok()) << restarted;
  // The first wait finds the connection gone, reconnects and listens again.
  auto first = listener.value()->wait_notifications(milliseconds(100));
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(sender.value()->notify("work", "after-restart").ok());
  std::vector<lp::notification> got;
  for (int i = 0; i < 20 && got.empty(); ++i) {
    auto some = listener.value()->wait_notifications(milliseconds(250));
    ASSERT_TRUE(some.ok()) << some.error().message;
    got = some.value();
  }
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, "after-restart");

  // A channel subscribed while the server is away is listened to once it is back.
  const std::string down = server.control("down");
  ASSERT_TRUE(server.last_ok()) << down;
  auto away = listener.value()->listen({"later"});
  ASSERT_FALSE(away.ok());
  EXPECT_EQ(away.error().code, "store_unavailable");
  auto waited = listener.value()->wait_notifications(milliseconds(50));
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.error().code, "store_unavailable");
  const std::string up = server.control("up");
  ASSERT_TRUE(server.last_ok()) << up;
  ASSERT_TRUE(listener.value()->wait_notifications(milliseconds(10)).ok());  // reconnects
  ASSERT_TRUE(sender.value()->notify("later", "one").ok());
  ASSERT_TRUE(sender.value()->notify("work", "two").ok());
  got.clear();
  for (int i = 0; i < 20 && got.size() < 2; ++i) {
    auto some = listener.value()->wait_notifications(milliseconds(250));
    ASSERT_TRUE(some.ok()) << some.error().message;
    for (auto& n : some.value()) got.push_back(std::move(n));
  }
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].channel, "later");
  EXPECT_EQ(got[1].channel, "work");
}

}  // namespace
