// api.md §2.1 (asynchronous and idempotent POST /execute), §2.2 and §2.7 (GET /status/{id}).

#include "server_harness.hpp"

namespace lekhika::e2e {
namespace {

// Checks a 202 answer and returns the execution id.
std::string accepted_id(const http_response& response) {
  auto data = ok_data(response, 202);
  if (!data.is_object()) return {};
  const auto id = data.value("executionId", std::string{});
  EXPECT_FALSE(id.empty()) << response.body;
  const auto status = data.value("status", std::string{});
  EXPECT_TRUE(status == "queued" || status == "running") << status;
  EXPECT_EQ(data.value("statusUrl", std::string{}), "/executions/" + id);
  EXPECT_EQ(data.value("eventsUrl", std::string{}), "/executions/" + id + "/events");
  auto location = response.headers.find("location");
  EXPECT_TRUE(location != response.headers.end()) << "no Location header";
  if (location != response.headers.end()) {
    EXPECT_TRUE(location->second == "/executions/" + id ||
                location->second.ends_with("/executions/" + id))
        << location->second;
  }
  return id;
}

// Polls to the end, checking that progress never goes down and stays within 0..100.
json follow_to_the_end(const test_server& server, const std::string& id) {
  int last_progress = -1;
  std::vector<std::string> statuses;
  auto final = wait_terminal(server, id, [&](const json& d) {
    const int progress = d.value("progress", -1);
    EXPECT_GE(progress, 0) << d.dump().substr(0, 500);
    EXPECT_LE(progress, 100);
    EXPECT_GE(progress, last_progress) << "progress went down for " << id;
    last_progress = std::max(last_progress, progress);
    const auto status = d.value("status", std::string{});
    if (statuses.empty() || statuses.back() != status) statuses.push_back(status);
  });
  for (const auto& s : statuses) {
    EXPECT_TRUE(s == "queued" || s == "running" || s == "completed") << "unexpected status " << s;
  }
  return final;
}

void expect_completed_view(const json& data, const std::string& id, const std::string& user,
                           int chapters) {
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data.value("executionId", std::string{}), id);
  EXPECT_EQ(data.value("userId", std::string{}), user);
  EXPECT_EQ(data.value("status", std::string{}), "completed");
  EXPECT_EQ(data.value("progress", 0), 100);
  for (const char* key : {"createdAt", "startedAt", "finishedAt"}) {
    EXPECT_TRUE(data.contains(key) && data[key].is_string())
        << key << ": " << data.dump().substr(0, 500);
  }
  ASSERT_TRUE(data.contains("nodes") && data["nodes"].is_object());
  for (const char* node : {"input", "outline", "writer", "output"}) {
    SCOPED_TRACE(node);
    ASSERT_TRUE(data["nodes"].contains(node));
    const auto& n = data["nodes"][node];
    EXPECT_EQ(n.value("status", std::string{}), "completed");
    EXPECT_TRUE(n.contains("attempts"));
    EXPECT_TRUE(n.contains("usage"));
  }
  EXPECT_EQ(data["nodes"]["writer"]["chapters"].value("done", 0), chapters);
  EXPECT_EQ(data["nodes"]["writer"]["chapters"].value("total", 0), chapters);
  ASSERT_TRUE(data.contains("usage"));
  EXPECT_EQ(data["usage"].value("calls", 0), chapters + 1);
  ASSERT_TRUE(data.contains("result") && data["result"].is_object());
  EXPECT_EQ(data["result"]["book"]["chapters"].size(), static_cast<std::size_t>(chapters));
  ASSERT_TRUE(data.contains("output") && data["output"].is_object());
  EXPECT_TRUE(data["output"]["formats"].contains("md"));
}

TEST(HttpExecuteAsync, PreferHeaderQueryAndBodyFlagEachAnswer202) {
  server_options options;
  options.offline_latency = 100ms;
  test_server server{options};
  const int chapters = 3;

  auto by_header =
      server.post_json("/execute", book_request("async-user", chapters), {"Prefer: respond-async"});
  auto by_query = server.post_json("/execute?async=1", book_request("async-user", chapters));
  auto flagged = book_request("async-user", chapters);
  flagged["async"] = true;
  auto by_body = server.post_json("/execute", flagged);

  for (const auto* response : {&by_header, &by_query, &by_body}) {
    const auto id = accepted_id(*response);
    ASSERT_FALSE(id.empty());
    SCOPED_TRACE(id);
    auto final = follow_to_the_end(server, id);
    expect_completed_view(final, id, "async-user", chapters);
  }
}

TEST(HttpExecuteAsync, StatusCompatRouteGivesTheSameView) {
  server_options options;
  options.offline_latency = 50ms;
  test_server server{options};
  const auto id = accepted_id(server.execute_async(book_request("compat-user", 2)));
  ASSERT_FALSE(id.empty());
  // While it runs, the compat route answers too.
  auto running = ok_data(server.get("/status/" + id));
  EXPECT_EQ(running.value("executionId", std::string{}), id);
  auto final = wait_terminal(server, id);
  ASSERT_EQ(final.value("status", std::string{}), "completed");
  auto via_status = ok_data(server.get("/status/" + id));
  auto via_executions = ok_data(server.get("/executions/" + id));
  EXPECT_EQ(via_status, via_executions);
  expect_completed_view(via_status, id, "compat-user", 2);
}

TEST(HttpExecuteIdempotency, SameIdAndBodyAttachesToTheSameExecution) {
  server_options options;
  options.offline_latency = 150ms;
  test_server server{options};
  const int chapters = 3;
  auto body = book_request("idem-user", chapters);
  body["executionId"] = "e2e-idempotent-1";

  const auto id = accepted_id(server.execute_async(body));
  ASSERT_EQ(id, "e2e-idempotent-1");
  // The same body again, synchronously, while it runs: it waits for that execution.
  auto attached = server.execute_sync(body);
  auto data = ok_data(attached);
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data.value("executionId", std::string{}), id);
  EXPECT_EQ(data.value("status", std::string{}), "completed");
  EXPECT_EQ(data["usage"].value("calls", 0), chapters + 1) << "the execution ran more than once";

  // Once more after the end: the same stored result, nothing runs again.
  auto again = ok_data(server.execute_sync(body));
  ASSERT_TRUE(again.is_object());
  EXPECT_EQ(again.value("status", std::string{}), "completed");
  EXPECT_EQ(again["result"], data["result"]);
  EXPECT_EQ(again["usage"], data["usage"]);
  EXPECT_EQ(again["output"]["formats"]["md"].value("sha256", std::string{}),
            data["output"]["formats"]["md"].value("sha256", std::string{}));
  EXPECT_EQ(again["output"]["formats"]["md"].value("content", std::string{}),
            data["output"]["formats"]["md"].value("content", std::string{}));

  // An async resubmission answers 202 with the current (final) status.
  auto async_again = ok_data(server.execute_async(body), 202);
  EXPECT_EQ(async_again.value("executionId", std::string{}), id);

  // Exactly one execution exists.
  auto listed = ok_data(server.get("/executions?userId=idem-user"));
  ASSERT_TRUE(listed.is_object());
  EXPECT_EQ(listed["items"].size(), 1U) << listed.dump();
  auto view = ok_data(server.get("/executions/" + id));
  EXPECT_EQ(view["usage"].value("calls", 0), chapters + 1);
}

TEST(HttpExecuteIdempotency, SameIdWithADifferentBodyIsAConflict) {
  server_options options;
  options.offline_latency = 100ms;
  test_server server{options};
  auto body = book_request("idem-user", 3);
  body["executionId"] = "e2e-idempotent-2";
  const auto id = accepted_id(server.execute_async(body));
  ASSERT_EQ(id, "e2e-idempotent-2");

  auto different = body;
  different["inputs"]["book_title"] = "Another Book Entirely";
  // While it runs...
  EXPECT_TRUE(is_error(server.execute_async(different), 409, "conflict"));
  EXPECT_TRUE(is_error(server.execute_sync(different), 409, "conflict"));
  auto final = wait_terminal(server, id);
  EXPECT_EQ(final.value("status", std::string{}), "completed");
  // ...and after it ended.
  EXPECT_TRUE(is_error(server.execute_sync(different), 409, "conflict"));
  EXPECT_TRUE(is_error(server.execute_async(different), 409, "conflict"));
  // The original body still attaches.
  auto data = ok_data(server.execute_sync(body));
  EXPECT_EQ(data.value("status", std::string{}), "completed");
  EXPECT_EQ(data["result"]["book"].value("title", std::string{}), "The Cartographer's Daughter");
}

}  // namespace
}  // namespace lekhika::e2e
