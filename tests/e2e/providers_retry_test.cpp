// api.md §3.2, the failures of a provider call end to end: retries with backoff on 5xx and
// transport errors, none on other 4xx, Retry-After and the key-wide pause of a 429, first-token
// and idle timeouts, and the fallback chain of selectedModels.

#include "provider_harness.hpp"

namespace lekhika::e2e {
namespace {

using persistence::provider_call_record;

std::vector<std::string> statuses(const std::vector<provider_call_record>& rows) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(r.status);
  return out;
}

TEST(ProviderRetries, ServerErrorIsRetriedUntilItSucceeds) {
  testing::fake_provider_process fake;
  const auto calls = quick_calls();  // 3 attempts
  test_server server{fake_server_options(fake, calls)};
  const std::string model = "fake-fail-503-times-2";

  auto data = run_sync(server, one_call_request("retry-user", {"openai:" + model}));
  ASSERT_EQ(status_of(data), "completed") << data.dump().substr(0, 3000);
  const auto id = data.value("executionId", std::string{});
  EXPECT_EQ(data["result"]["nodes"]["ask"].value("provider", std::string{}), "openai");
  EXPECT_EQ(data["result"]["nodes"]["ask"].value("model", std::string{}), model);

  // The fake failed twice, then answered.
  auto stats = fake.stats();
  EXPECT_EQ(model_counts(stats, model).requests, 3) << stats.raw.dump();
  EXPECT_EQ(stats.by_status[503], 2) << stats.raw.dump();
  EXPECT_EQ(stats.by_status[200], 1) << stats.raw.dump();

  // Every attempt counts in the usage, and in the node's attempts.
  EXPECT_EQ(data["usage"].value("calls", 0), 3) << data["usage"].dump();
  auto view = ok_data(server.get("/executions/" + id));
  EXPECT_EQ(view["nodes"]["ask"].value("attempts", 0), 3) << view["nodes"].dump();

  // Two node.retrying events: the next attempt, its backoff (full jitter, exponential) and
  // the cause.
  stored_view db{server};
  const auto retrying = db.events(id, "node.retrying");
  ASSERT_EQ(retrying.size(), 2U);
  for (std::size_t i = 0; i < retrying.size(); ++i) {
    const auto& e = retrying[i];
    SCOPED_TRACE(e.dump());
    EXPECT_EQ(e.value("nodeId", std::string{}), "ask");
    EXPECT_EQ(e.value("attempt", 0), static_cast<int>(i) + 2);
    const auto cause = e.value("cause", std::string{});
    EXPECT_NE(cause.find("503"), std::string::npos);
    const auto delay = e.value("delayMs", std::int64_t{-1});
    EXPECT_GE(delay, 0);
    EXPECT_LE(delay, calls.backoff_base.count() << i);  // base * 2^(attempt-1)
    EXPECT_LE(delay, calls.backoff_cap.count());
  }

  // Three recorded attempts: 503, 503, ok.
  const auto rows = db.calls(id);
  EXPECT_EQ(statuses(rows), (std::vector<std::string>{"503", "503", "ok"})) << describe_calls(rows);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].attempt, static_cast<int>(i) + 1);
    EXPECT_EQ(rows[i].provider, "openai");
    EXPECT_EQ(rows[i].model, model);
  }
  expect_no_keys_stored(server, id);
}

TEST(ProviderRetries, ClientErrorsAreNotRetried) {
  testing::fake_provider_process fake;
  test_server server{fake_server_options(fake)};
  const std::vector<std::pair<std::string, std::string>> cases{{"fake-fail-400", "bad_request"},
                                                               {"fake-fail-401", "unauthorized"}};
  for (const auto& [model, code] : cases) {
    SCOPED_TRACE(model);
    auto data = run_sync(server, one_call_request("no-retry-user", {"openai:" + model}));
    ASSERT_EQ(status_of(data), "failed") << data.dump().substr(0, 3000);
    const auto id = data.value("executionId", std::string{});
    const auto& error = data["error"];
    ASSERT_TRUE(error.is_object()) << data.dump().substr(0, 2000);
    EXPECT_EQ(error.value("code", std::string{}), code) << error.dump();
    EXPECT_EQ(error.value("nodeId", std::string{}), "ask") << error.dump();
    EXPECT_EQ(error.value("attempts", 0), 1) << error.dump();
    EXPECT_EQ(error.value("providerStatus", 0), std::stoi(model.substr(10))) << error.dump();
    EXPECT_FALSE(error.value("message", std::string{}).empty());

    EXPECT_EQ(model_counts(fake.stats(), model).requests, 1) << fake.stats().raw.dump();
    stored_view db{server};
    EXPECT_TRUE(db.events(id, "node.retrying").empty());
    const auto rows = db.calls(id);
    ASSERT_EQ(rows.size(), 1U) << describe_calls(rows);
    EXPECT_EQ(rows[0].status, model.substr(10));  // "400", "401"
    EXPECT_EQ(data["usage"].value("calls", 0), 1);
    const auto failed = db.events(id, "node.failed");
    ASSERT_EQ(failed.size(), 1U);
    EXPECT_EQ(failed[0]["error"].value("code", std::string{}), code);
    expect_no_keys_stored(server, id);
  }
}

// A 429 with Retry-After: 1 delays the retry by that second, and pauses the key for every
// execution: another tenant's call submitted during the pause waits for its end too.
TEST(ProviderRetries, RetryAfterOfA429PausesTheKeyForEveryone) {
  testing::fake_provider_process fake;
  test_server server{fake_server_options(fake)};
  const std::string limited = "fake-ratelimit-1-times-1";
  const std::string other = "fake-chat";

  const auto first = submit_async(server, one_call_request("tenant-a", {"openai:" + limited}));
  ASSERT_FALSE(first.empty());
  // Wait until the engine has taken the 429 in (its node.retrying event is stored).
  stored_view db{server};
  ASSERT_TRUE(eventually([&] { return !db.events(first, "node.retrying").empty(); }))
      << "no node.retrying after the 429";
  const auto second = submit_async(server, one_call_request("tenant-b", {"openai:" + other}));
  ASSERT_FALSE(second.empty());
  // Another key (Anthropic's) is not paused by OpenAI's 429.
  const std::string elsewhere = "fake-other-key";
  const auto third = submit_async(server, one_call_request("tenant-c", {"anthropic:" + elsewhere}));
  ASSERT_FALSE(third.empty());

  EXPECT_EQ(status_of(wait_terminal(server, first)), "completed");
  EXPECT_EQ(status_of(wait_terminal(server, second)), "completed");
  EXPECT_EQ(status_of(wait_terminal(server, third)), "completed");

  const auto retrying = db.events(first, "node.retrying");
  ASSERT_EQ(retrying.size(), 1U);
  EXPECT_EQ(retrying[0].value("attempt", 0), 2) << retrying[0].dump();
  EXPECT_EQ(retrying[0].value("delayMs", std::int64_t{0}), 1000) << retrying[0].dump();
  EXPECT_NE(retrying[0].value("cause", std::string{}).find("429"), std::string::npos)
      << retrying[0].dump();
  EXPECT_EQ(statuses(db.calls(first)), (std::vector<std::string>{"429", "ok"}));

  // From the fake's clock: the retry and the other execution's call both start once the
  // second of Retry-After has passed since the 429 was sent.
  const auto limited_log = log_of_model(fake, limited);
  ASSERT_EQ(limited_log.size(), 2U) << fake.log().dump();
  EXPECT_EQ(limited_log[0].value("status", 0), 429);
  EXPECT_EQ(limited_log[1].value("status", 0), 200);
  const auto other_log = log_of_model(fake, other);
  ASSERT_EQ(other_log.size(), 1U) << fake.log().dump();
  const std::int64_t pause_end = end_us(limited_log[0]) + 1'000'000;
  const std::int64_t tolerance = 50'000;
  EXPECT_GE(start_us(limited_log[1]), pause_end - tolerance)
      << "retry started " << (start_us(limited_log[1]) - end_us(limited_log[0])) / 1000
      << " ms after the 429";
  EXPECT_GE(start_us(other_log[0]), pause_end - tolerance)
      << "the other execution's call started "
      << (start_us(other_log[0]) - end_us(limited_log[0])) / 1000
      << " ms after the 429, inside the pause";
  const auto elsewhere_log = log_of_model(fake, elsewhere);
  ASSERT_EQ(elsewhere_log.size(), 1U) << fake.log().dump();
  EXPECT_LT(elsewhere_log[0].value("seq", 0), limited_log[1].value("seq", 0))
      << "the Anthropic key waited for OpenAI's pause: " << fake.log().dump();
  expect_no_keys_stored(server, first);
  expect_no_keys_stored(server, second);
  expect_no_keys_stored(server, third);
}

TEST(ProviderRetries, StalledStreamTimesOut) {
  testing::fake_provider_process fake;
  auto calls = quick_calls();
  calls.idle_timeout = 300ms;
  calls.max_attempts = 2;
  test_server server{fake_server_options(fake, calls)};
  const std::string model = "fake-stall-after-first";

  auto data = run_sync(server, one_call_request("stall-user", {"openai:" + model}));
  ASSERT_EQ(status_of(data), "failed") << data.dump().substr(0, 3000);
  const auto id = data.value("executionId", std::string{});
  EXPECT_EQ(data["error"].value("code", std::string{}), "timeout") << data["error"].dump();
  EXPECT_EQ(data["error"].value("attempts", 0), 2) << data["error"].dump();
  EXPECT_EQ(data["error"].value("nodeId", std::string{}), "ask");

  // Both stalled connections were closed by the engine.
  EXPECT_TRUE(fake.wait_until([](const auto& s) { return s.aborted == 2; }))
      << fake.stats().raw.dump();
  EXPECT_EQ(model_counts(fake.stats(), model).requests, 2);

  stored_view db{server};
  const auto rows = db.calls(id);
  EXPECT_EQ(statuses(rows), (std::vector<std::string>{"timeout", "timeout"}))
      << describe_calls(rows);
  for (const auto& row : rows) {
    EXPECT_GE(row.ttft_ms, 0) << "the first chunk came";
  }
  // The first chunk of each attempt was streamed: billed, estimated and marked so.
  EXPECT_EQ(data["usage"].value("calls", 0), 2);
  EXPECT_GT(data["usage"].value("outputTokens", 0), 0) << data["usage"].dump();
  EXPECT_TRUE(data["usage"].value("estimated", false)) << data["usage"].dump();
  const auto retrying = db.events(id, "node.retrying");
  ASSERT_EQ(retrying.size(), 1U);
  EXPECT_NE(retrying[0].value("cause", std::string{}).find("timeout"), std::string::npos)
      << retrying[0].dump();
  expect_no_keys_stored(server, id);
}

// `fake-slow-5000` alone sends its first chunk after the default ttft (20 ms): `slow` only caps
// the ttft. The first token itself is held back with `ttft-5000`.
TEST(ProviderRetries, MissingFirstTokenTimesOut) {
  testing::fake_provider_process fake;
  auto calls = quick_calls();
  calls.first_token_timeout = 300ms;
  calls.max_attempts = 2;
  test_server server{fake_server_options(fake, calls)};
  const std::string model = "fake-slow-5000,ttft-5000";

  auto data = run_sync(server, one_call_request("ttft-user", {"openai:" + model}));
  ASSERT_EQ(status_of(data), "failed") << data.dump().substr(0, 3000);
  const auto id = data.value("executionId", std::string{});
  EXPECT_EQ(data["error"].value("code", std::string{}), "timeout") << data["error"].dump();
  EXPECT_NE(data["error"].value("message", std::string{}).find("first token"), std::string::npos)
      << data["error"].dump();
  EXPECT_EQ(data["error"].value("attempts", 0), 2);
  EXPECT_TRUE(fake.wait_until([](const auto& s) { return s.aborted == 2; }))
      << fake.stats().raw.dump();

  stored_view db{server};
  const auto rows = db.calls(id);
  EXPECT_EQ(statuses(rows), (std::vector<std::string>{"timeout", "timeout"}))
      << describe_calls(rows);
  for (const auto& row : rows) EXPECT_EQ(row.ttft_ms, -1) << "no token came";
  const auto retrying = db.events(id, "node.retrying");
  ASSERT_EQ(retrying.size(), 1U);
  EXPECT_NE(retrying[0].value("cause", std::string{}).find("first token"), std::string::npos)
      << retrying[0].dump();
  expect_no_keys_stored(server, id);
}

TEST(ProviderRetries, DroppedConnectionsAreRetriedThenFail) {
  testing::fake_provider_process fake;
  const auto calls = quick_calls();  // 3 attempts
  test_server server{fake_server_options(fake, calls)};
  const std::string model = "fake-drop";

  auto data = run_sync(server, one_call_request("drop-user", {"openai:" + model}));
  ASSERT_EQ(status_of(data), "failed") << data.dump().substr(0, 3000);
  const auto id = data.value("executionId", std::string{});
  EXPECT_EQ(data["error"].value("code", std::string{}), "transport_error") << data["error"].dump();
  EXPECT_EQ(data["error"].value("attempts", 0), calls.max_attempts) << data["error"].dump();
  EXPECT_EQ(model_counts(fake.stats(), model).requests, calls.max_attempts)
      << fake.stats().raw.dump();

  stored_view db{server};
  const auto rows = db.calls(id);
  EXPECT_EQ(statuses(rows), std::vector<std::string>(static_cast<std::size_t>(calls.max_attempts),
                                                     "transport_error"))
      << describe_calls(rows);
  EXPECT_EQ(db.events(id, "node.retrying").size(),
            static_cast<std::size_t>(calls.max_attempts - 1));
  EXPECT_EQ(data["usage"].value("calls", 0), calls.max_attempts);
  expect_no_keys_stored(server, id);
}

// A stream cut in the middle (no closing events) is a transport error too; what it streamed
// before the cut is counted, estimated and marked so.
TEST(ProviderRetries, StreamCutMidwayIsRetriedAndItsTokensCount) {
  testing::fake_provider_process fake;
  auto calls = quick_calls();
  calls.max_attempts = 2;
  test_server server{fake_server_options(fake, calls)};
  const std::string model = "fake-drop-mid-stream";

  auto data = run_sync(server, one_call_request("cut-user", {"openai:" + model}));
  ASSERT_EQ(status_of(data), "failed") << data.dump().substr(0, 3000);
  const auto id = data.value("executionId", std::string{});
  EXPECT_EQ(data["error"].value("code", std::string{}), "transport_error") << data["error"].dump();
  EXPECT_EQ(model_counts(fake.stats(), model).requests, 2) << fake.stats().raw.dump();

  stored_view db{server};
  const auto rows = db.calls(id);
  EXPECT_EQ(statuses(rows), (std::vector<std::string>{"transport_error", "transport_error"}))
      << describe_calls(rows);
  for (const auto& row : rows) {
    EXPECT_TRUE(row.estimated);
    EXPECT_GT(row.output_tokens, 0) << "half the answer was streamed";
  }
  EXPECT_EQ(data["usage"].value("calls", 0), 2);
  EXPECT_GT(data["usage"].value("outputTokens", 0), 0) << data["usage"].dump();
  EXPECT_TRUE(data["usage"].value("estimated", false)) << data["usage"].dump();
  expect_no_keys_stored(server, id);
}

TEST(ProviderRetries, FallbackChainTakesOverWhenAModelIsSpent) {
  testing::fake_provider_process fake;
  auto calls = quick_calls();
  calls.max_attempts = 2;
  test_server server{fake_server_options(fake, calls)};

  auto data = run_sync(
      server, one_call_request("fallback-user", {"openai:fake-fail-500", "anthropic:fake-chat"}));
  ASSERT_EQ(status_of(data), "completed") << data.dump().substr(0, 3000);
  const auto id = data.value("executionId", std::string{});
  const auto& node = data["result"]["nodes"]["ask"];
  EXPECT_EQ(node.value("provider", std::string{}), "anthropic") << node.dump();
  EXPECT_EQ(node.value("model", std::string{}), "fake-chat") << node.dump();

  // The node warns which model failed and which one took over.
  bool named_both = false;
  for (const auto& w : node.value("warnings", json::array())) {
    const auto text = w.get<std::string>();
    if (text.find("fake-fail-500") != std::string::npos &&
        text.find("anthropic:fake-chat") != std::string::npos)
      named_both = true;
  }
  EXPECT_TRUE(named_both) << node.dump();

  stored_view db{server};
  const auto rows = db.calls(id);
  ASSERT_EQ(rows.size(), 3U) << describe_calls(rows);
  EXPECT_EQ(rows[0].provider, "openai");
  EXPECT_EQ(rows[0].model, "fake-fail-500");
  EXPECT_EQ(rows[0].status, "500");
  EXPECT_EQ(rows[0].attempt, 1);
  EXPECT_EQ(rows[1].provider, "openai");
  EXPECT_EQ(rows[1].status, "500");
  EXPECT_EQ(rows[1].attempt, 2);
  EXPECT_EQ(rows[2].provider, "anthropic");
  EXPECT_EQ(rows[2].model, "fake-chat");
  EXPECT_EQ(rows[2].status, "ok");
  EXPECT_EQ(rows[2].attempt, 1);

  auto stats = fake.stats();
  EXPECT_EQ(model_counts(stats, "fake-fail-500").requests, 2) << stats.raw.dump();
  EXPECT_EQ(model_counts(stats, "fake-chat").completed, 1) << stats.raw.dump();
  EXPECT_EQ(data["usage"].value("calls", 0), 3) << data["usage"].dump();
  auto view = ok_data(server.get("/executions/" + id));
  EXPECT_EQ(view["nodes"]["ask"].value("attempts", 0), 3) << view["nodes"].dump();
  expect_no_keys_stored(server, id);
}

}  // namespace
}  // namespace lekhika::e2e
