// api.md §2.3 and §3.2, provider keys shared by executions: cancellation aborts the requests in
// flight (and only those), per-key max concurrency, fair sharing between tenants, and the
// requests-per-minute budget.

#include "provider_harness.hpp"

namespace lekhika::e2e {
namespace {

TEST(ProviderLimits, CancelAbortsTheRequestInFlightOnly) {
  testing::fake_provider_process fake;
  test_server server{fake_server_options(fake)};
  const std::string endless = "fake-endless";
  const std::string slow = "fake-slow-1500";

  const auto id = submit_async(server, one_call_request("cancel-user", {"openai:" + endless}));
  const auto other = submit_async(server, one_call_request("other-user", {"openai:" + slow}));
  ASSERT_FALSE(id.empty());
  ASSERT_FALSE(other.empty());

  // Both requests are being answered by the fake, on the same key.
  auto active = [&](const std::string& model) {
    for (const auto& entry : log_of_model(fake, model)) {
      if (entry.value("outcome", std::string{}) == "active") return true;
    }
    return false;
  };
  ASSERT_TRUE(eventually([&] { return active(endless) && active(slow); })) << fake.log().dump();
  // Let the endless stream deliver some chunks (one every 20 ms) before cancelling.
  std::this_thread::sleep_for(300ms);

  auto cancel = ok_data(server.request("POST", "/executions/" + id + "/cancel"), 202);
  EXPECT_EQ(status_of(cancel), "cancelling") << cancel.dump();

  // The fake saw the connection closed, and the execution ended cancelled.
  EXPECT_TRUE(fake.wait_until([&](const auto& s) { return model_counts(s, endless).aborted == 1; }))
      << fake.stats().raw.dump();
  auto final = wait_terminal(server, id);
  EXPECT_EQ(status_of(final), "cancelled") << final.dump().substr(0, 2000);

  // What was streamed before the cancel is counted, estimated and marked so.
  const auto& usage = final["usage"];
  EXPECT_EQ(usage.value("calls", 0), 1) << usage.dump();
  EXPECT_GT(usage.value("outputTokens", 0), 0) << usage.dump();
  EXPECT_TRUE(usage.value("estimated", false)) << usage.dump();
  stored_view db{server};
  const auto rows = db.calls(id);
  ASSERT_EQ(rows.size(), 1U) << describe_calls(rows);
  EXPECT_EQ(rows[0].status, "aborted");
  EXPECT_TRUE(rows[0].estimated);
  EXPECT_GT(rows[0].output_tokens, 0);
  EXPECT_GT(rows[0].cost_usd, 0.0);

  // The other execution on the same key was not touched.
  auto other_final = wait_terminal(server, other);
  EXPECT_EQ(status_of(other_final), "completed") << other_final.dump().substr(0, 2000);
  auto stats = fake.stats();
  EXPECT_EQ(model_counts(stats, slow).aborted, 0) << stats.raw.dump();
  EXPECT_EQ(model_counts(stats, slow).completed, 1) << stats.raw.dump();
  EXPECT_EQ(model_counts(stats, endless).requests, 1) << "no retry after a cancel";
  EXPECT_EQ(stats.active, 0) << stats.raw.dump();
  expect_no_keys_stored(server, id);
  expect_no_keys_stored(server, other);
}

// A call still waiting for a slot of its key when its execution is cancelled is never sent.
TEST(ProviderLimits, CancelledCallWaitingForASlotIsNeverSent) {
  testing::fake_provider_process fake;
  auto options = fake_server_options(fake);
  options.providers_file = {{"FAKE-01-limited", limited_openai_entry(fake, 1)}};
  test_server server{options};
  const std::string busy = "fake-slow-800";
  const std::string queued = "fake-never-sent";
  const std::string after = "fake-after-the-cancel";

  const auto holder =
      submit_async(server, one_call_request("busy-user", {"FAKE-01-limited:" + busy}));
  ASSERT_FALSE(holder.empty());
  ASSERT_TRUE(eventually([&] { return fake.stats().active == 1; })) << fake.stats().raw.dump();
  const auto waiting =
      submit_async(server, one_call_request("queued-user", {"FAKE-01-limited:" + queued}));
  ASSERT_FALSE(waiting.empty());
  auto running = poll_execution(server, waiting, [](const json& d) {
    return d.contains("nodes") && d["nodes"].contains("ask") &&
           d["nodes"]["ask"].value("status", std::string{}) == "running";
  });
  ASSERT_EQ(status_of(running), "running");

  auto cancelled = ok_data(
      server.request("POST", "/executions/" + waiting + "/cancel?wait=1", {}, {}, true, kPatience));
  EXPECT_EQ(status_of(cancelled), "cancelled") << cancelled.dump();
  EXPECT_EQ(status_of(wait_terminal(server, holder)), "completed");
  // A later call on the key goes through; the cancelled one never did.
  auto later = run_sync(server, one_call_request("later-user", {"FAKE-01-limited:" + after}));
  EXPECT_EQ(status_of(later), "completed");

  EXPECT_TRUE(log_of_model(fake, queued).empty()) << fake.log().dump();
  EXPECT_EQ(log_of_model(fake, after).size(), 1U) << fake.log().dump();
  auto final = wait_terminal(server, waiting);
  EXPECT_EQ(final["usage"].value("calls", -1), 0) << final["usage"].dump();
  stored_view db{server};
  EXPECT_TRUE(db.calls(waiting).empty()) << describe_calls(db.calls(waiting));
  expect_no_keys_stored(server, waiting);
}

// A call on a key does not wait for another call's connection to become free: over HTTP/1.1
// (Ollama, a self-hosted endpoint, a proxy) a connection carries one answer at a time, and the
// first one's headers may take as long as its model needs to start. Here they take 2 s; the
// second call, started meanwhile, must be answered on a connection of its own before that.
TEST(ProviderLimits, ACallDoesNotWaitForAnotherCallsConnection) {
  testing::fake_provider_process fake;
  test_server server{fake_server_options(fake)};
  const std::string late_headers = "fake-nostream+slow-2000";
  const std::string quick = "fake-chat";

  const auto first = submit_async(server, one_call_request("tenant-a", {"openai:" + late_headers}));
  ASSERT_FALSE(first.empty());
  ASSERT_TRUE(eventually([&] { return !log_of_model(fake, late_headers).empty(); }))
      << fake.log().dump();
  auto second = run_sync(server, one_call_request("tenant-b", {"openai:" + quick}));
  EXPECT_EQ(status_of(second), "completed") << second.dump().substr(0, 2000);
  auto first_final = wait_terminal(server, first);
  EXPECT_EQ(status_of(first_final), "completed") << first_final.dump().substr(0, 2000);

  const auto slow_log = log_of_model(fake, late_headers);
  const auto quick_log = log_of_model(fake, quick);
  ASSERT_EQ(slow_log.size(), 1U) << fake.log().dump();
  ASSERT_EQ(quick_log.size(), 1U) << fake.log().dump();
  EXPECT_LT(end_us(quick_log[0]), end_us(slow_log[0]))
      << "the second call waited for the first one's connection: " << fake.log().dump();
  EXPECT_NE(quick_log[0].value("connection", 0), slow_log[0].value("connection", 0));
}

TEST(ProviderLimits, MaxConcurrentBoundsRequestsInFlightOnAKey) {
  testing::fake_provider_process fake;
  auto options = fake_server_options(fake);
  options.providers_file = {{"FAKE-01-limited", limited_openai_entry(fake, 2)}};
  test_server server{options};
  const std::string model = "fake-slow-300";
  const int nodes = 6;

  auto data =
      run_sync(server, parallel_request("concurrency-user", {"FAKE-01-limited:" + model}, nodes));
  ASSERT_EQ(status_of(data), "completed") << data.dump().substr(0, 3000);
  const auto id = data.value("executionId", std::string{});
  for (int i = 1; i <= nodes; ++i) {
    EXPECT_EQ(data["result"]["nodes"]["ask-" + std::to_string(i)].value("status", std::string{}),
              "completed");
  }
  EXPECT_EQ(data["usage"].value("calls", 0), nodes);

  const auto log = log_of_model(fake, model);
  ASSERT_EQ(log.size(), static_cast<std::size_t>(nodes)) << fake.log().dump();
  for (const auto& entry : log) {
    EXPECT_EQ(entry.value("outcome", std::string{}), "completed") << entry.dump();
    EXPECT_EQ(entry.value("key_tail", std::string{}), kFileKey.substr(kFileKey.size() - 4));
  }
  // Never more than 2 requests at once on the key; and the 2 slots were used.
  EXPECT_EQ(max_overlap(log), 2) << json(log).dump();
  expect_no_keys_stored(server, id);
}

// Round robin between tenants: one tenant's backlog on a key does not make another tenant's
// call wait for all of it.
TEST(ProviderLimits, TenantsShareASaturatedKeyFairly) {
  testing::fake_provider_process fake;
  auto options = fake_server_options(fake);
  options.providers_file = {{"FAKE-01-limited", limited_openai_entry(fake, 1)}};
  test_server server{options};
  // The model names tell the tenants apart in the fake's log (same behaviour).
  const std::string model_a = "fake-slow-300,words-11";
  const std::string model_b = "fake-slow-300,words-12";

  std::vector<std::string> a_ids;
  for (int i = 0; i < 4; ++i) {
    a_ids.push_back(
        submit_async(server, one_call_request("tenant-a", {"FAKE-01-limited:" + model_a},
                                              "topic " + std::to_string(i))));
    ASSERT_FALSE(a_ids.back().empty());
  }
  // A's first call holds the only slot and A's others are queued on the key before B comes.
  ASSERT_TRUE(eventually([&] { return fake.stats().requests >= 1; }));
  for (const auto& a : a_ids) {
    auto running = poll_execution(server, a, [](const json& d) {
      return status_of(d) == "running" || is_terminal(status_of(d));
    });
    ASSERT_EQ(status_of(running), "running");
  }
  ASSERT_EQ(fake.stats().requests, 1) << "the key's single slot is busy";
  const auto b_id =
      submit_async(server, one_call_request("tenant-b", {"FAKE-01-limited:" + model_b}));
  ASSERT_FALSE(b_id.empty());

  for (const auto& a : a_ids) EXPECT_EQ(status_of(wait_terminal(server, a)), "completed");
  EXPECT_EQ(status_of(wait_terminal(server, b_id)), "completed");

  const auto log = fake.log();
  ASSERT_EQ(log.size(), 5U) << log.dump();
  std::vector<std::string> order;
  std::size_t b_index = log.size();
  std::size_t last_a_index = 0;
  for (std::size_t i = 0; i < log.size(); ++i) {
    const auto model = log[i].value("model", std::string{});
    order.push_back(model == model_b ? "B" : "A");
    if (model == model_b) b_index = i;
    if (model == model_a) last_a_index = i;
  }
  std::string seen;
  for (const auto& o : order) seen += o;
  EXPECT_LT(b_index, last_a_index) << "order at the fake: " << seen;
  EXPECT_EQ(max_overlap(log.get<std::vector<json>>()), 1) << log.dump();
}

TEST(ProviderLimits, RequestsPerMinuteSpaceOutCalls) {
  testing::fake_provider_process fake;
  auto options = fake_server_options(fake);
  options.providers_file = {{"FAKE-01-limited", limited_openai_entry(fake, 0, 60)}};
  test_server server{options};
  const std::string model = "fake-rpm-chat";

  auto data = run_sync(server, parallel_request("rpm-user", {"FAKE-01-limited:" + model}, 3));
  ASSERT_EQ(status_of(data), "completed") << data.dump().substr(0, 3000);
  EXPECT_EQ(data["usage"].value("calls", 0), 3);

  auto log = log_of_model(fake, model);
  ASSERT_EQ(log.size(), 3U) << fake.log().dump();
  std::sort(log.begin(), log.end(),
            [](const json& a, const json& b) { return start_us(a) < start_us(b); });
  // 60 per minute is one a second: three calls cannot all start within the same second.
  const auto spread_ms = (start_us(log[2]) - start_us(log[0])) / 1000;
  EXPECT_GE(spread_ms, 950) << "3 calls at rpm 60 started within " << spread_ms << " ms";
  expect_no_keys_stored(server, data.value("executionId", std::string{}));
}

}  // namespace
}  // namespace lekhika::e2e

namespace lekhika::e2e {
namespace {

// api.md §3 / issue: hundreds of requests in flight on one provider key, on two cores. Three
// hundred calls of one second each, from a hundred executions, are on the wire together (the
// fake's log shows them overlapping), and every one completes.
TEST(ProviderLimits, HundredsOfCallsAreInFlightOnOneKeyAtOnce) {
  if (kUnderThreadSanitizer) GTEST_SKIP() << "a load test (see kUnderThreadSanitizer)";
  testing::fake_provider_options two_threads;
  two_threads.threads = 2;
  testing::fake_provider_process fake{two_threads};
  test_server server{fake_server_options(fake)};
  const std::string model = "fake-slow-1500";
  constexpr int executions = 100;
  constexpr int calls_each = 3;

  std::vector<std::string> ids;
  for (int e = 0; e < executions; ++e) {
    ids.push_back(submit_async(server, parallel_request("load-" + std::to_string(e % 10),
                                                        {"openai:" + model}, calls_each)));
  }
  for (const auto& id : ids) {
    ASSERT_FALSE(id.empty());
    const auto end = wait_terminal(server, id);
    EXPECT_EQ(end.value("status", std::string{}), "completed") << end.dump().substr(0, 1000);
  }
  const auto log = log_of_model(fake, model);
  ASSERT_EQ(log.size(), static_cast<std::size_t>(executions * calls_each));
  for (const auto& entry : log) EXPECT_EQ(entry.value("outcome", std::string{}), "completed");
  EXPECT_GE(max_overlap(log), 200) << "calls did not overlap: the key serialised them";
}

}  // namespace
}  // namespace lekhika::e2e

namespace lekhika::e2e {
namespace {

// Tokens per minute: each call reserves its estimated prompt plus its max tokens. At 6000 a
// minute (100 a second) calls of about 150 tokens cannot start together: the budget spaces them
// about 1.5 s apart.
TEST(ProviderLimits, TokensPerMinuteSpaceOutCalls) {
  testing::fake_provider_process fake;
  auto options = fake_server_options(fake);
  auto entry = limited_openai_entry(fake, 0);
  entry["tpm"] = 6000;
  options.providers_file = {{"FAKE-01-limited", entry}};
  test_server server{options};
  const std::string model = "fake-tpm-chat";

  auto body = parallel_request("tpm-user", {"FAKE-01-limited:" + model}, 3);
  for (auto& node : body["workflow"]["nodes"]) {
    if (node.value("type", std::string{}) == "process") node["data"]["maxTokens"] = 100;
  }
  auto data = run_sync(server, body);
  ASSERT_EQ(status_of(data), "completed") << data.dump().substr(0, 3000);

  auto log = log_of_model(fake, model);
  ASSERT_EQ(log.size(), 3U) << fake.log().dump();
  std::sort(log.begin(), log.end(),
            [](const json& a, const json& b) { return start_us(a) < start_us(b); });
  const auto spread_ms = (start_us(log[2]) - start_us(log[0])) / 1000;
  EXPECT_GE(spread_ms, 1500) << "3 calls at tpm 6000 started within " << spread_ms << " ms";
}

}  // namespace
}  // namespace lekhika::e2e
