// api.md §1 (MAX_RUNNING_EXECUTIONS, MAX_QUEUED_EXECUTIONS) and §2: many executions at once, and
// a full queue.

#include <algorithm>
#include <mutex>

#include "server_harness.hpp"

namespace lekhika::e2e {
namespace {

TEST(HttpLoad, TwoHundredAsyncExecutionsAllComplete) {
  if (kUnderThreadSanitizer) GTEST_SKIP() << "a load test (see kUnderThreadSanitizer)";
  server_options options;
  options.offline_latency = 20ms;
  test_server server{options};
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  constexpr int kTotal = kThreads * kPerThread;

  std::mutex mutex;
  std::vector<std::string> ids;
  std::vector<std::string> refusals;
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Two tenants, so that both the global and the per-tenant queues are exercised.
        auto body = book_request(t % 2 == 0 ? "load-even" : "load-odd", 2,
                                 "Book " + std::to_string(t) + "-" + std::to_string(i));
        auto response = server.execute_async(body);
        std::lock_guard lock{mutex};
        auto parsed = json::parse(response.body, nullptr, false);
        if (response.status == 202 && !parsed.is_discarded() && parsed.contains("data")) {
          ids.push_back(parsed["data"].value("executionId", std::string{}));
        } else {
          refusals.push_back(describe(response));
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  ASSERT_TRUE(refusals.empty()) << refusals.size() << " refused, first: " << refusals.front();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kTotal));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "duplicate ids";

  // Poll until every one has ended.
  std::set<std::string> pending(ids.begin(), ids.end());
  std::map<std::string, std::string> final_status;
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
    for (auto it = pending.begin(); it != pending.end();) {
      auto response = server.get("/executions/" + *it);
      ASSERT_EQ(response.status, 200) << *it << ": " << describe(response);
      const auto status = body_of(response)["data"].value("status", std::string{});
      if (is_terminal(status)) {
        final_status[*it] = status;
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    if (!pending.empty()) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(pending.empty()) << pending.size() << " executions never ended";
  for (const auto& [id, status] : final_status) EXPECT_EQ(status, "completed") << id;

  // The listing has them all.
  std::set<std::string> listed;
  for (const char* user : {"load-even", "load-odd"}) {
    std::optional<std::string> cursor;
    for (int page = 0; page < 20; ++page) {
      std::string path = std::string{"/executions?limit=500&userId="} + user;
      if (cursor) path += "&cursor=" + *cursor;
      auto data = ok_data(server.get(path));
      ASSERT_TRUE(data.is_object());
      for (const auto& item : data["items"]) {
        EXPECT_EQ(item.value("status", std::string{}), "completed");
        listed.insert(item.value("executionId", std::string{}));
      }
      if (!data["nextCursor"].is_string()) break;
      cursor = data["nextCursor"].get<std::string>();
    }
  }
  EXPECT_EQ(listed, std::set<std::string>(ids.begin(), ids.end()));
}

TEST(HttpLoad, FullQueueAnswersOverloadedWithRetryAfter) {
  server_options options;
  options.offline_latency = 1000ms;
  options.max_running = 1;
  options.max_queued = 2;
  test_server server{options};
  std::vector<long> statuses;
  std::vector<std::string> accepted;
  for (int i = 0; i < 6; ++i) {
    auto response = server.execute_async(book_request("busy-user", 4));
    statuses.push_back(response.status);
    if (response.status == 202) {
      accepted.push_back(body_of(response)["data"].value("executionId", std::string{}));
      continue;
    }
    EXPECT_TRUE(is_error(response, 429, "overloaded"));
    auto retry = response.headers.find("retry-after");
    ASSERT_TRUE(retry != response.headers.end()) << "no Retry-After header";
    EXPECT_FALSE(retry->second.empty());
    EXPECT_TRUE(std::all_of(retry->second.begin(), retry->second.end(), [](char c) {
      return c >= '0' && c <= '9';
    })) << retry->second;
  }
  // One running and two queued are accepted; the rest are refused.
  EXPECT_EQ(statuses, (std::vector<long>{202, 202, 202, 429, 429, 429}));

  // A synchronous request is refused the same way rather than waiting.
  auto sync = server.execute_sync(book_request("busy-user", 1));
  EXPECT_TRUE(is_error(sync, 429, "overloaded"));
  EXPECT_TRUE(sync.headers.contains("retry-after"));

  // Room again once the queue drains (cancel the waiting ones).
  for (std::size_t i = 1; i < accepted.size(); ++i) {
    static_cast<void>(server.request("POST", "/executions/" + accepted[i] + "/cancel"));
  }
  auto after = server.execute_async(book_request("busy-user", 1));
  EXPECT_EQ(after.status, 202) << describe(after);
  for (const auto& id : accepted)
    static_cast<void>(server.request("POST", "/executions/" + id + "/cancel"));
}

}  // namespace
}  // namespace lekhika::e2e
