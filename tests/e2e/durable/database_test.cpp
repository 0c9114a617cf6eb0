// The worker process against a real PostgreSQL server: Lekhika's own `engine_executions` table
// kept current (spec/api.md §4), and a database outage in the middle of a run (/ready says 503
// while it lasts, and no event is lost or doubled).

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "durable_harness.hpp"

namespace lekhika::e2e::durable {
namespace {

constexpr const char* kUser = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
constexpr std::string_view kModel = "openai:fake-lekhika-book";

// `lekhika-worker migrate` applies the versioned schema to PostgreSQL, and again is harmless.
TEST(Migrate, AppliesTheSchemaToPostgresOnceAndIsSafeToRepeat) {
  if (pg_test_dsn().empty()) GTEST_SKIP() << "PG_TEST_DSN is not set";
  pg_database db{pg_test_dsn()};
  testing::temp_dir dir;
  const std::map<std::string, std::string> env{{"DATABASE_URL", db.url()}, {"LOG_LEVEL", "warn"}};
  auto first = run_worker({"migrate"}, env, dir.path(), "migrate-1");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto versions = db.exec("SELECT count(*), max(version) FROM schema_migrations");
  const auto applied = versions[0][0].as<long>();
  EXPECT_GT(applied, 0);
  for (const char* table : {"executions", "execution_events", "node_runs", "node_outputs",
                            "chapters", "artifacts", "provider_calls"}) {
    EXPECT_EQ(
        db.exec(std::string{"SELECT to_regclass('"} + table + "') IS NOT NULL")[0][0].as<bool>(),
        true)
        << table;
  }
  auto second = run_worker({"migrate"}, env, dir.path(), "migrate-2");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(db.exec("SELECT count(*) FROM schema_migrations")[0][0].as<long>(), applied);
  // A database URL that cannot work is refused with its reason and without the password.
  auto refused =
      run_worker({"migrate"}, {{"DATABASE_URL", "postgres://lekhika:s3cret-pass@127.0.0.1:1/none"}},
                 dir.path(), "migrate-refused");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(refused.err.find("s3cret-pass"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.out.find("s3cret-pass"), std::string::npos) << refused.out;
}

TEST(LekhikaTable, TheWorkerKeepsTheEdgeFunctionsRowCurrent) {
  if (pg_test_dsn().empty()) GTEST_SKIP() << "PG_TEST_DSN is not set";
  pg_database db{pg_test_dsn()};
  db.exec(testing::engine_executions_ddl);
  const std::string done_id = "5f0c7a52-2f1e-4c3a-9d61-0b8e2a7d4c11";
  const std::string cancelled_id = "6a1d8b63-3f2a-4d4b-8e72-1c9f3b8e5d22";
  for (const auto& id : {done_id, cancelled_id}) {
    // The Edge Function creates the row before it calls the worker.
    db.exec("INSERT INTO engine_executions (id, engine_id, user_id, input_data) VALUES ('" + id +
            "', gen_random_uuid(), '" + kUser + "', '{\"from\": \"edge\"}')");
  }
  testing::temp_dir dir;
  testing::fake_provider_process fake;
  fake.configure({{"latency_ms", 50}, {"ttft_ms", 5}, {"words", 40}});
  serve_process worker{db, fake, dir.path(), worker_named("worker-lekhika")};
  ASSERT_TRUE(worker.wait_ready());

  auto body = book_request_on(kUser, std::string{kModel}, 3);
  body["executionId"] = done_id;
  auto answer = worker.request("POST", "/execute", body.dump(), {}, kPatience);
  ASSERT_EQ(answer.status, 200) << describe(answer);

  auto row = db.exec(
      "SELECT status, tokens_used, execution_time_ms, completed_at IS NOT NULL, "
      "error_message IS NULL, execution_data::text, octet_length(execution_data::text), "
      "input_data::text FROM engine_executions WHERE id = '" +
      done_id + "'");
  ASSERT_EQ(row.size(), 1U);
  EXPECT_EQ(row[0][0].as<std::string>(), "completed");
  EXPECT_GT(row[0][1].as<long>(), 0) << "tokens_used";
  EXPECT_GE(row[0][2].as<long>(), 0) << "execution_time_ms";
  EXPECT_TRUE(row[0][3].as<bool>()) << "completed_at";
  EXPECT_TRUE(row[0][4].as<bool>()) << "error_message";
  const auto data = json::parse(row[0][5].as<std::string>());
  EXPECT_EQ(data.value("status", std::string{}), "completed");
  // A summary, never the book: no chapter text, and small.
  EXPECT_FALSE(data.contains("book"));
  EXPECT_FALSE(data.contains("result"));
  EXPECT_LT(row[0][6].as<long>(), 4096);
  EXPECT_EQ(row[0][7].as<std::string>(), R"({"from": "edge"})");  // the Edge Function's input

  // A cancel is written as Lekhika's CHECK constraint allows: failed, with its message.
  fake.configure({{"latency_ms", 3600000}, {"ttft_ms", 3600000}});
  body["executionId"] = cancelled_id;
  ASSERT_EQ(worker.submit(body), cancelled_id);
  ASSERT_TRUE(fake.wait_until([](const auto& s) { return s.active >= 1; }, kPatience));
  auto cancel = worker.request("POST", "/executions/" + cancelled_id + "/cancel?wait=1", "{}");
  EXPECT_EQ(cancel.status, 200) << describe(cancel);
  ASSERT_TRUE(eventually([&] {
    auto r = db.exec("SELECT status FROM engine_executions WHERE id = '" + cancelled_id + "'");
    return r.size() == 1 && r[0][0].as<std::string>() == "failed";
  }));
  auto cancelled =
      db.exec("SELECT error_message FROM engine_executions WHERE id = '" + cancelled_id + "'");
  EXPECT_EQ(cancelled[0][0].as<std::string>(), "Execution cancelled by user");
  // The worker's own view says what really happened.
  EXPECT_EQ(worker.execution(cancelled_id).value("status", std::string{}), "cancelled");
}

TEST(DatabaseOutage, ReadyIsUnavailableWhileTheDatabaseIsAwayAndNothingIsLost) {
  own_pg_server server;
  if (server.dsn().empty()) GTEST_SKIP() << "PG_TEST_SERVER is not set or did not start";
  pg_database db{server.dsn()};
  testing::temp_dir dir;
  testing::fake_provider_process fake;
  fake.configure({{"latency_ms", 300}, {"ttft_ms", 20}, {"words", 40}});
  serve_process worker{db, fake, dir.path(), worker_named("worker-outage", 600000ms)};
  ASSERT_TRUE(worker.wait_ready());

  auto body = book_request_on("tenant-outage", std::string{kModel}, 6);
  const auto id = worker.submit(body);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(fake.wait_until([](const auto& s) { return s.completed >= 2; }, kPatience));

  const auto down = server.control("down");
  ASSERT_TRUE(server.last_ok()) << down;
  EXPECT_TRUE(eventually([&] { return worker.request("GET", "/ready").status == 503; }, kPatience))
      << "/ready kept answering 200 without a database";
  // The execution goes on (its model calls need no database) while its writes wait.
  ASSERT_TRUE(fake.wait_until([](const auto& s) { return s.completed >= 4; }, kPatience));

  const auto up = server.control("up");
  ASSERT_TRUE(server.last_ok()) << up;
  EXPECT_TRUE(eventually([&] { return worker.request("GET", "/ready").status == 200; }, kPatience));
  auto store = db.open();
  ASSERT_TRUE(eventually([&] { return terminal(stored_status(*store, id)); }, kPatience));
  EXPECT_EQ(stored_status(*store, id), "completed");
  expect_whole_event_log(*store, id);
  auto row = store->get_execution(id, std::nullopt);
  ASSERT_TRUE(row && row.value());
  EXPECT_EQ(row.value()->result["book"]["chapters"].size(), 6U);
}

}  // namespace
}  // namespace lekhika::e2e::durable
