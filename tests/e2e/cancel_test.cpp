// api.md §2.3 (POST /executions/{id}/cancel) and §2.7 (POST /stop/{id}).

#include "server_harness.hpp"

namespace lekhika::e2e {
namespace {

std::string submit(const test_server& server, const json& body) {
  auto data = ok_data(server.execute_async(body), 202);
  return data.is_object() ? data.value("executionId", std::string{}) : std::string{};
}

json wait_running(const test_server& server, const std::string& id) {
  return poll_execution(server, id, [](const json& d) {
    return d.value("status", std::string{}) == "running" ||
           is_terminal(d.value("status", std::string{}));
  });
}

TEST(HttpCancel, RunningExecutionEndsCancelledAndKeepsItsChapters) {
  server_options options;
  options.offline_latency = 400ms;
  test_server server{options};
  const int chapters = 8;
  const auto id = submit(server, book_request("cancel-user", chapters));
  ASSERT_FALSE(id.empty());

  // Let the writer finish two chapters, then cancel.
  auto before = poll_execution(server, id, [](const json& d) {
    return writer_chapters_done(d) >= 2 || is_terminal(d.value("status", std::string{}));
  });
  ASSERT_EQ(before.value("status", std::string{}), "running") << before.dump().substr(0, 1000);
  const int done_before_cancel = writer_chapters_done(before);

  auto cancel = server.request("POST", "/executions/" + id + "/cancel");
  auto answer = ok_data(cancel, 202);
  ASSERT_TRUE(answer.is_object());
  EXPECT_EQ(answer.value("executionId", std::string{}), id);
  EXPECT_EQ(answer.value("status", std::string{}), "cancelling");

  auto final = wait_terminal(server, id);
  ASSERT_TRUE(final.is_object());
  EXPECT_EQ(final.value("status", std::string{}), "cancelled");
  ASSERT_TRUE(final.contains("result") && final["result"].is_object())
      << "no result kept: " << final.dump().substr(0, 2000);
  const auto& book = final["result"]["book"];
  ASSERT_TRUE(book.is_object()) << "partial book not kept: "
                                << final["result"].dump().substr(0, 2000);
  EXPECT_GE(book["chapters"].size(), static_cast<std::size_t>(done_before_cancel));
  EXPECT_LT(book["chapters"].size(), static_cast<std::size_t>(chapters));
  for (const auto& ch : book["chapters"]) EXPECT_FALSE(ch.value("content", std::string{}).empty());
  // The usage consumed so far is kept: the outline and at least the chapters seen done.
  EXPECT_GE(final["usage"].value("calls", 0), 1 + done_before_cancel);
  EXPECT_GT(final["usage"].value("outputTokens", 0), 0);

  // Cancelling again (idempotent) reports the final status (waiting, because the registry may
  // still be letting go of the execution whose end is already visible).
  auto again = ok_data(server.request("POST", "/executions/" + id + "/cancel?wait=1"));
  EXPECT_EQ(again.value("status", std::string{}), "cancelled");
}

TEST(HttpCancel, WaitAnswersOnceTheExecutionHasEnded) {
  server_options options;
  options.offline_latency = 300ms;
  test_server server{options};
  const auto id = submit(server, book_request("cancel-user", 8));
  ASSERT_FALSE(id.empty());
  auto running = wait_running(server, id);
  ASSERT_EQ(running.value("status", std::string{}), "running");

  auto cancel =
      server.request("POST", "/executions/" + id + "/cancel?wait=1", {}, {}, true, kPatience);
  auto answer = ok_data(cancel, 200);
  ASSERT_TRUE(answer.is_object());
  EXPECT_EQ(answer.value("executionId", std::string{}), id);
  EXPECT_EQ(answer.value("status", std::string{}), "cancelled");
  // Terminal by the time the answer came.
  auto view = ok_data(server.get("/executions/" + id));
  EXPECT_EQ(view.value("status", std::string{}), "cancelled");
}

TEST(HttpCancel, CancelBodyWithReasonIsAccepted) {
  server_options options;
  options.offline_latency = 300ms;
  test_server server{options};
  const auto id = submit(server, book_request("cancel-user", 6));
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(wait_running(server, id).value("status", std::string{}), "running");
  auto cancel =
      server.post_json("/executions/" + id + "/cancel",
                       {{"reason", "operator changed their mind"}, {"userId", "cancel-user"}});
  auto answer = ok_data(cancel, 202);
  EXPECT_EQ(answer.value("status", std::string{}), "cancelling");
  EXPECT_EQ(wait_terminal(server, id).value("status", std::string{}), "cancelled");
}

TEST(HttpCancel, FinishedExecutionAnswersItsFinalStatus) {
  test_server server;
  auto data = ok_data(server.execute_sync(book_request("cancel-user", 1)));
  const auto id = data.value("executionId", std::string{});
  ASSERT_EQ(data.value("status", std::string{}), "completed");

  auto answer = ok_data(server.request("POST", "/executions/" + id + "/cancel"), 200);
  EXPECT_EQ(answer.value("executionId", std::string{}), id);
  EXPECT_EQ(answer.value("status", std::string{}), "completed");
  auto waited = ok_data(server.request("POST", "/executions/" + id + "/cancel?wait=1"), 200);
  EXPECT_EQ(waited.value("status", std::string{}), "completed");

  EXPECT_TRUE(
      is_error(server.request("POST", "/executions/" + id + "/cancel?strict=1"), 409, "conflict"));

  // Nothing changed.
  auto view = ok_data(server.get("/executions/" + id));
  EXPECT_EQ(view.value("status", std::string{}), "completed");
}

TEST(HttpCancel, UnknownExecutionIsNotFound) {
  test_server server;
  EXPECT_TRUE(is_error(server.request("POST", "/executions/exec_nope/cancel"), 404, "not_found"));
  EXPECT_TRUE(
      is_error(server.request("POST", "/executions/exec_nope/cancel?wait=1"), 404, "not_found"));
  EXPECT_TRUE(is_error(server.request("POST", "/stop/exec_nope"), 404, "not_found"));
}

TEST(HttpCancel, QueuedExecutionIsCancelledAtOnce) {
  server_options options;
  options.offline_latency = 300ms;
  options.max_running = 1;
  test_server server{options};
  const auto first = submit(server, book_request("queue-user", 6));
  const auto second = submit(server, book_request("queue-user", 6));
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());
  auto queued = ok_data(server.get("/executions/" + second));
  ASSERT_EQ(queued.value("status", std::string{}), "queued") << queued.dump().substr(0, 1000);
  EXPECT_EQ(queued.value("queuePosition", 0), 1);

  auto cancel = server.request("POST", "/executions/" + second + "/cancel");
  EXPECT_TRUE(cancel.status == 200 || cancel.status == 202) << describe(cancel);
  auto answer = body_of(cancel);
  EXPECT_EQ(answer["data"].value("status", std::string{}), "cancelled") << cancel.body;
  // (That a read right after this answer already says "cancelled" is checked by
  // HttpExecutionView.CancelledQueuedExecutionReadsCancelledRightAway.)
  auto view = wait_terminal(server, second);
  EXPECT_EQ(view.value("status", std::string{}), "cancelled");
  EXPECT_EQ(view["usage"].value("calls", -1), 0) << "a queued execution never calls a model";

  // Do not make the test wait for the first one.
  static_cast<void>(server.request("POST", "/executions/" + first + "/cancel"));
}

TEST(HttpCancel, StopCompatRouteCancels) {
  server_options options;
  options.offline_latency = 300ms;
  test_server server{options};
  const auto id = submit(server, book_request("stop-user", 8));
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(wait_running(server, id).value("status", std::string{}), "running");
  auto stop = server.request("POST", "/stop/" + id);
  auto answer = ok_data(stop, 202);
  EXPECT_EQ(answer.value("executionId", std::string{}), id);
  EXPECT_EQ(answer.value("status", std::string{}), "cancelling");
  EXPECT_EQ(wait_terminal(server, id).value("status", std::string{}), "cancelled");
}

}  // namespace
}  // namespace lekhika::e2e
