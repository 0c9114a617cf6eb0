// api.md §2.2: tenant scoping with ?userId= and the GET /executions listing.

#include "server_harness.hpp"

namespace lekhika::e2e {
namespace {

std::string run_sync(const test_server& server, const std::string& user) {
  auto data = ok_data(server.execute_sync(book_request(user, 1)));
  EXPECT_EQ(data.value("status", std::string{}), "completed");
  return data.value("executionId", std::string{});
}

TEST(HttpTenants, AnotherUsersExecutionIsNotFound) {
  server_options options;
  options.offline_latency = 200ms;
  test_server server{options};
  // While it runs (live state)...
  auto accepted = ok_data(server.execute_async(book_request("owner", 4)), 202);
  const auto live_id = accepted.value("executionId", std::string{});
  ASSERT_FALSE(live_id.empty());
  EXPECT_TRUE(
      is_error(server.get("/executions/" + live_id + "?userId=intruder"), 404, "not_found"));
  EXPECT_TRUE(is_error(server.get("/status/" + live_id + "?userId=intruder"), 404, "not_found"));
  EXPECT_TRUE(is_error(server.request("POST", "/executions/" + live_id + "/cancel?userId=intruder"),
                       404, "not_found"));
  EXPECT_EQ(ok_data(server.get("/executions/" + live_id + "?userId=owner"))
                .value("userId", std::string{}),
            "owner");
  auto final = wait_terminal(server, live_id);
  // The intruder's cancel did not stop it.
  EXPECT_EQ(final.value("status", std::string{}), "completed");

  // ...and once stored.
  EXPECT_TRUE(
      is_error(server.get("/executions/" + live_id + "?userId=intruder"), 404, "not_found"));
  EXPECT_TRUE(is_error(server.get("/executions/" + live_id + "/artifacts/md?userId=intruder"), 404,
                       "not_found"));
  EXPECT_TRUE(is_error(server.request("POST", "/executions/" + live_id + "/cancel?userId=intruder"),
                       404, "not_found"));
  EXPECT_EQ(ok_data(server.get("/executions/" + live_id + "?userId=owner"))
                .value("status", std::string{}),
            "completed");
  EXPECT_EQ(server.get("/executions/" + live_id + "/artifacts/md?userId=owner").status, 200);
}

TEST(HttpTenants, ListingShowsOnlyThatUsersExecutionsNewestFirstWithPagination) {
  test_server server;
  std::vector<std::string> alice;
  std::vector<std::string> bob;
  for (int i = 0; i < 5; ++i) {
    alice.push_back(run_sync(server, "alice"));
    // Distinct creation instants, so that "newest first" has one answer.
    std::this_thread::sleep_for(3ms);
    if (i < 2) {
      bob.push_back(run_sync(server, "bob"));
      std::this_thread::sleep_for(3ms);
    }
  }

  std::vector<std::string> listed;
  std::optional<std::string> cursor;
  int pages = 0;
  for (;;) {
    std::string path = "/executions?userId=alice&limit=2";
    if (cursor) path += "&cursor=" + *cursor;
    auto data = ok_data(server.get(path));
    ASSERT_TRUE(data.is_object());
    ASSERT_TRUE(data.contains("items") && data["items"].is_array());
    EXPECT_LE(data["items"].size(), 2U);
    ++pages;
    for (const auto& item : data["items"]) {
      EXPECT_EQ(item.value("userId", std::string{}), "alice") << item.dump();
      EXPECT_EQ(item.value("status", std::string{}), "completed");
      for (const char* key : {"executionId", "progress", "createdAt"}) {
        EXPECT_TRUE(item.contains(key)) << key << " missing in " << item.dump();
      }
      listed.push_back(item.value("executionId", std::string{}));
    }
    ASSERT_TRUE(data.contains("nextCursor"));
    if (data["nextCursor"].is_null()) break;
    ASSERT_TRUE(data["nextCursor"].is_string());
    cursor = data["nextCursor"].get<std::string>();
    ASSERT_LT(pages, 10) << "pagination does not end";
  }
  const std::vector<std::string> newest_first(alice.rbegin(), alice.rend());
  EXPECT_EQ(listed, newest_first);
  EXPECT_EQ(pages, 3);

  auto bobs = ok_data(server.get("/executions?userId=bob"));
  ASSERT_EQ(bobs["items"].size(), 2U);
  EXPECT_EQ(bobs["items"][0].value("executionId", std::string{}), bob[1]);
  EXPECT_EQ(bobs["items"][1].value("executionId", std::string{}), bob[0]);
  EXPECT_TRUE(bobs["nextCursor"].is_null());

  auto nobody = ok_data(server.get("/executions?userId=nobody"));
  EXPECT_TRUE(nobody["items"].empty());

  // Without userId (operator view): everything.
  auto all = ok_data(server.get("/executions?limit=100"));
  EXPECT_EQ(all["items"].size(), 7U);

  // The status filter.
  auto completed = ok_data(server.get("/executions?userId=alice&status=completed"));
  EXPECT_EQ(completed["items"].size(), 5U);
  auto failed = ok_data(server.get("/executions?userId=alice&status=failed"));
  EXPECT_TRUE(failed["items"].empty());
}

}  // namespace
}  // namespace lekhika::e2e
