// api.md §2.2: what GET /executions/{id} shows while an execution runs and ends.

#include <mutex>

#include "lekhika/persistence/store.hpp"
#include "server_harness.hpp"

namespace lekhika::e2e {
namespace {

// Why a view is inconsistent, or "" when it is fine: a terminal status must come with its end
// (finishedAt, result, usage; output when completed), since a client that polls stops at the
// first terminal status it sees.
std::string inconsistency(const json& d) {
  const auto status = d.value("status", std::string{});
  if (!is_terminal(status)) return {};
  std::string why;
  if (!d.contains("finishedAt") || !d["finishedAt"].is_string()) why += "no finishedAt; ";
  if (!d.contains("result") || !d["result"].is_object()) why += "no result; ";
  if (!d.contains("usage") || !d["usage"].is_object()) why += "no usage; ";
  if (status == "completed") {
    if (!d.contains("output") || !d["output"].is_object()) why += "no output; ";
    if (d.value("progress", 0) != 100) why += "progress below 100; ";
  }
  return why;
}

// Why a terminal view is not yet backed by the store, or "": a client that sees a terminal
// status may read what was stored (events, calls, artifacts) at once.
std::string not_stored(persistence::store& store, const std::string& id,
                       const std::string& status) {
  auto found = store.get_execution(id, std::nullopt);
  if (!found) return "store: " + found.error().message;
  if (!found.value()) return "no stored row";
  const auto& row = *found.value();
  if (row.status != status) return "stored status is still " + row.status;
  if (row.finished_at <= 0) return "stored row has no finishedAt";
  return {};
}

TEST(HttpExecutionView, TerminalStatusComesWithItsEnd) {
  server_options options;
  options.offline_latency = 60ms;
  test_server server{options};
  constexpr int kExecutions = 12;
  std::vector<std::string> ids;
  for (int i = 0; i < kExecutions; ++i) {
    auto data = ok_data(server.execute_async(book_request("view-user", 3)), 202);
    ASSERT_TRUE(data.is_object());
    ids.push_back(data.value("executionId", std::string{}));
  }

  // Every other one is cancelled once it runs; all are polled as fast as possible.
  std::mutex mutex;
  std::vector<std::string> problems;
  std::vector<std::thread> pollers;
  for (int i = 0; i < kExecutions; ++i) {
    pollers.emplace_back([&, i] {
      const auto& id = ids[static_cast<std::size_t>(i)];
      bool cancel_sent = i % 2 == 0;  // even ones run to completion
      const auto deadline = std::chrono::steady_clock::now() + kPatience;
      while (std::chrono::steady_clock::now() < deadline) {
        auto response = server.get("/executions/" + id);
        auto body = json::parse(response.body, nullptr, false);
        if (response.status != 200 || body.is_discarded()) {
          std::lock_guard lock{mutex};
          problems.push_back(id + ": " + describe(response));
          return;
        }
        const auto& d = body["data"];
        const auto status = d.value("status", std::string{});
        if (auto why = inconsistency(d); !why.empty()) {
          std::lock_guard lock{mutex};
          problems.push_back(id + " (" + status + "): " + why);
          return;
        }
        if (is_terminal(status)) {
          // Its own connection: a store instance is used by one thread at a time.
          auto store = persistence::open_store("sqlite://" + (server.dir() / "db.sqlite").string());
          auto why = store ? not_stored(*store.value(), id, status) : store.error().message;
          if (!why.empty()) {
            std::lock_guard lock{mutex};
            problems.push_back(id + " (" + status + "): " + why);
          }
          return;
        }
        if (!cancel_sent && status == "running") {
          cancel_sent = true;
          static_cast<void>(server.request("POST", "/executions/" + id + "/cancel"));
        }
      }
      std::lock_guard lock{mutex};
      problems.push_back(id + ": never ended");
    });
  }
  for (auto& p : pollers) p.join();
  std::string all;
  for (const auto& p : problems) all += "\n  " + p;
  EXPECT_TRUE(problems.empty()) << problems.size() << " inconsistent views:" << all;
}

// After a 200/202 answer that says "cancelled", a read must not say otherwise.
TEST(HttpExecutionView, CancelledQueuedExecutionReadsCancelledRightAway) {
  server_options options;
  options.offline_latency = 200ms;
  options.max_running = 1;
  test_server server{options};
  auto first = ok_data(server.execute_async(book_request("view-user", 6)), 202);
  ASSERT_TRUE(first.is_object());
  for (int i = 0; i < 5; ++i) {
    auto queued = ok_data(server.execute_async(book_request("view-user", 6)), 202);
    ASSERT_TRUE(queued.is_object());
    const auto id = queued.value("executionId", std::string{});
    auto cancel = server.request("POST", "/executions/" + id + "/cancel");
    auto answer = body_of(cancel);
    ASSERT_EQ(answer["data"].value("status", std::string{}), "cancelled") << cancel.body;
    auto view = ok_data(server.get("/executions/" + id));
    EXPECT_EQ(view.value("status", std::string{}), "cancelled") << "read after the cancel answer";
  }
  static_cast<void>(server.request(
      "POST", "/executions/" + first.value("executionId", std::string{}) + "/cancel"));
}

}  // namespace
}  // namespace lekhika::e2e
