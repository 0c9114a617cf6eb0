// api.md §3.1 (wire formats) and §3.2 (what every call records), end to end: the real engine
// and HTTP server call the fake provider over loopback in the OpenAI, Anthropic and Gemini
// formats; the secrets of those calls never reach storage.

#include <set>

#include "provider_harness.hpp"

namespace lekhika::e2e {
namespace {

/// book_workflow() on `provider:fake-chat` with 2 chapters: the outline, then one call per
/// chapter, every one streamed by the fake with provider-reported usage.
void expect_book_written_by(const std::string& provider) {
  testing::fake_provider_process fake;
  test_server server{fake_server_options(fake)};
  const std::string model = "fake-chat";
  const int chapters = 2;
  const int calls = 1 + chapters;

  auto data =
      run_sync(server, book_request_on(provider + "-user", provider + ":" + model, chapters));
  ASSERT_EQ(status_of(data), "completed") << data.dump().substr(0, 3000);
  const auto id = data.value("executionId", std::string{});

  // The nodes say who answered.
  const auto& nodes = data["result"]["nodes"];
  for (const char* node : {"outline", "writer"}) {
    SCOPED_TRACE(node);
    EXPECT_EQ(nodes[node].value("status", std::string{}), "completed");
    EXPECT_EQ(nodes[node].value("provider", std::string{}), provider);
    EXPECT_EQ(nodes[node].value("model", std::string{}), model);
  }
  ASSERT_TRUE(data["result"]["book"].is_object()) << data["result"].dump().substr(0, 2000);
  ASSERT_EQ(data["result"]["book"]["chapters"].size(), static_cast<std::size_t>(chapters));
  for (const auto& ch : data["result"]["book"]["chapters"]) {
    EXPECT_FALSE(ch.value("content", std::string{}).empty());
  }

  // The fake answered every call, in full, in this provider's format, streamed.
  auto stats = fake.stats();
  EXPECT_EQ(stats.requests, calls) << stats.raw.dump();
  EXPECT_EQ(stats.completed, calls) << stats.raw.dump();
  EXPECT_EQ(stats.aborted, 0);
  EXPECT_EQ(stats.errors, 0);
  const auto log = fake.log();
  ASSERT_EQ(log.size(), static_cast<std::size_t>(calls)) << log.dump();
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  for (const auto& entry : log) {
    EXPECT_EQ(entry.value("provider", std::string{}), provider) << entry.dump();
    EXPECT_EQ(entry.value("model", std::string{}), model) << entry.dump();
    EXPECT_EQ(entry.value("status", 0), 200) << entry.dump();
    EXPECT_EQ(entry.value("outcome", std::string{}), "completed") << entry.dump();
    EXPECT_TRUE(entry.value("stream", false))
        << "streaming is used where supported: " << entry.dump();
    prompt_tokens += entry.value("prompt_tokens", std::int64_t{0});
    completion_tokens += entry.value("completion_tokens", std::int64_t{0});
  }

  // Usage is what the provider reported (not an estimate), and the fake-* models are priced.
  const auto& usage = data["usage"];
  EXPECT_EQ(usage.value("calls", 0), calls) << usage.dump();
  EXPECT_FALSE(usage.value("estimated", false))
      << "provider-reported usage marked estimated: " << usage.dump();
  EXPECT_EQ(usage.value("inputTokens", std::int64_t{0}), prompt_tokens) << usage.dump();
  EXPECT_EQ(usage.value("outputTokens", std::int64_t{0}), completion_tokens) << usage.dump();
  EXPECT_EQ(usage.value("totalTokens", std::int64_t{0}), prompt_tokens + completion_tokens);
  const double cost = usage.value("costUsd", 0.0);
  EXPECT_GT(cost, 0.0) << usage.dump();
  // The built-in price of fake-*: 1 USD per million input tokens, 2 per million output tokens.
  EXPECT_NEAR(
      cost,
      (static_cast<double>(prompt_tokens) + 2.0 * static_cast<double>(completion_tokens)) / 1e6,
      1e-9);

  // Every call is recorded: provider, model, attempt, status, latency, ttft, tokens, cost.
  stored_view db{server};
  const auto rows = db.calls(id);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(calls)) << describe_calls(rows);
  std::int64_t row_input = 0;
  std::int64_t row_output = 0;
  for (const auto& row : rows) {
    EXPECT_EQ(row.provider, provider);
    EXPECT_EQ(row.model, model);
    EXPECT_EQ(row.attempt, 1);
    EXPECT_EQ(row.status, "ok");
    EXPECT_FALSE(row.estimated);
    EXPECT_GE(row.latency_ms, 0);
    EXPECT_GE(row.ttft_ms, 0) << "a streamed answer has a first token";
    EXPECT_LE(row.ttft_ms, row.latency_ms);
    EXPECT_GT(row.cost_usd, 0.0);
    row_input += row.input_tokens;
    row_output += row.output_tokens;
  }
  EXPECT_EQ(row_input, prompt_tokens);
  EXPECT_EQ(row_output, completion_tokens);
  expect_no_keys_stored(server, id);
}

TEST(ProviderCalls, OpenAiWireWritesTheBook) { expect_book_written_by("openai"); }

TEST(ProviderCalls, AnthropicWireWritesTheBook) { expect_book_written_by("anthropic"); }

TEST(ProviderCalls, GeminiWireWritesTheBook) { expect_book_written_by("gemini"); }

// api.md §3.2 / workflow.md "Usage and cost": a provider that reports no usage gets an
// estimate, marked so, in every family.
// api.md §3.2 (transport): calls on one provider keep their connection alive and reuse it, so a
// book does not pay a TCP (and, against a real provider, TLS) handshake per call.
TEST(ProviderCalls, CallsOneAfterAnotherReuseTheirConnection) {
  testing::fake_provider_process fake;
  test_server server{fake_server_options(fake)};
  const std::string model = "fake-keep-alive";
  constexpr int kExecutions = 4;
  for (int i = 0; i < kExecutions; ++i) {
    auto data = run_sync(server, one_call_request("reuse-user", {"openai:" + model}));
    ASSERT_EQ(status_of(data), "completed") << data.dump().substr(0, 2000);
  }
  const auto log = log_of_model(fake, model);
  ASSERT_EQ(log.size(), static_cast<std::size_t>(kExecutions)) << fake.log().dump();
  std::set<std::uint64_t> connections;
  for (const auto& entry : log) connections.insert(entry.value("connection", std::uint64_t{0}));
  EXPECT_EQ(connections.size(), 1U)
      << "one connection per call instead of one kept alive: " << fake.log().dump();
  EXPECT_EQ(connections.count(0), 0U);
}

TEST(ProviderCalls, UnreportedUsageIsEstimatedAndMarked) {
  testing::fake_provider_process fake;
  test_server server{fake_server_options(fake)};
  const std::string model = "fake-no-usage";
  const std::vector<std::string> families{"openai", "anthropic", "gemini"};
  auto body = parallel_request("estimate-user", {}, 3);
  for (std::size_t i = 0; i < families.size(); ++i) {
    body["workflow"]["nodes"][i + 2]["data"]["selectedModels"] =
        json::array({families[i] + ":" + model});
  }
  auto data = run_sync(server, body);
  ASSERT_EQ(status_of(data), "completed") << data.dump().substr(0, 3000);
  const auto id = data.value("executionId", std::string{});
  const auto& usage = data["usage"];
  EXPECT_EQ(usage.value("calls", 0), 3);
  EXPECT_TRUE(usage.value("estimated", false)) << usage.dump();
  EXPECT_GT(usage.value("inputTokens", 0), 0) << usage.dump();
  EXPECT_GT(usage.value("outputTokens", 0), 0) << usage.dump();
  EXPECT_GT(usage.value("costUsd", 0.0), 0.0) << usage.dump();
  for (const auto& entry : fake.log()) {
    EXPECT_EQ(entry.value("outcome", std::string{}), "completed") << entry.dump();
  }

  stored_view db{server};
  const auto rows = db.calls(id);
  ASSERT_EQ(rows.size(), 3U) << describe_calls(rows);
  std::set<std::string> providers_seen;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.provider);
    providers_seen.insert(row.provider);
    EXPECT_EQ(row.status, "ok");
    EXPECT_TRUE(row.estimated) << "no usage was reported";
    EXPECT_GT(row.input_tokens, 0);
    EXPECT_GT(row.output_tokens, 0);
  }
  EXPECT_EQ(providers_seen, (std::set<std::string>{"openai", "anthropic", "gemini"}));
  for (int i = 1; i <= 3; ++i) {
    const auto& node = data["result"]["nodes"]["ask-" + std::to_string(i)];
    EXPECT_TRUE(node["usage"].value("estimated", false)) << node.dump();
  }
  expect_no_keys_stored(server, id);
}

// A real saved Lekhika payload (6 nodes on OPENA-01-first, 3 chapters) through the OpenAI wire.
TEST(ProviderCalls, FixturePayloadRunsThroughTheOpenAiWire) {
  LEKHIKA_REQUIRE_FIXTURES();
  auto body = lekhika::testing::load_fixture("payload-execute-story-3ch-openai.json");
  ASSERT_TRUE(body.is_object());
  const auto lekhika_key = body.value("lekhikaApiKey", std::string{});
  const int chapters = std::stoi(body["inputs"].value("chapter_count", std::string{"0"}));
  ASSERT_EQ(chapters, 3);

  testing::fake_provider_process fake;
  test_server server{fake_server_options(fake)};
  auto data = run_sync(server, body);
  ASSERT_EQ(status_of(data), "completed") << data.dump().substr(0, 3000);
  const auto id = data.value("executionId", std::string{});
  EXPECT_EQ(id, body.value("executionId", std::string{}));

  ASSERT_TRUE(data["result"]["book"].is_object()) << data["result"].dump().substr(0, 2000);
  EXPECT_EQ(data["result"]["book"]["chapters"].size(), static_cast<std::size_t>(chapters));
  EXPECT_EQ(data["result"]["nodes"]["process-4"].value("provider", std::string{}), "openai");

  // Every call went to the fake, and each one was answered.
  const auto stats = fake.stats();
  const auto calls = data["usage"].value("calls", std::int64_t{0});
  EXPECT_GE(calls, 1 + chapters);  // at least the planners, then one call per chapter
  EXPECT_EQ(stats.requests, calls) << stats.raw.dump();
  EXPECT_EQ(stats.completed, calls) << stats.raw.dump();
  for (const auto& entry : fake.log()) {
    EXPECT_EQ(entry.value("provider", std::string{}), "openai") << entry.dump();
    EXPECT_EQ(entry.value("key_tail", std::string{}), std::string{kOpenAiKey.substr(12)});
  }
  stored_view db{server};
  EXPECT_EQ(static_cast<std::int64_t>(db.calls(id).size()), calls);

  // No key (the provider's, or Lekhika's own API key of the request) in what was stored.
  std::vector<std::string> extra;
  if (!lekhika_key.empty()) extra.push_back(lekhika_key);
  expect_no_keys_stored(server, id, extra);
  EXPECT_EQ(data.dump().find(kOpenAiKey), std::string::npos);
}

// api.md §1 (never log secrets) and §3.2: the provider sees the key, nothing else keeps it.
TEST(ProviderSecrets, KeysReachTheProviderButAreNeverStored) {
  testing::fake_provider_process fake;
  auto options = fake_server_options(fake);
  options.providers_file = {{"FAKE-01-limited", limited_openai_entry(fake, 4)}};
  test_server server{options};

  // One execution calling every family and the providers-file key, one that fails with a 401.
  auto body = parallel_request("secret-user", {"openai:fake-chat"}, 4);
  const std::vector<std::pair<std::string, std::string>> handles{
      {"openai:fake-chat", std::string{kOpenAiKey}},
      {"anthropic:fake-chat", std::string{kAnthropicKey}},
      {"gemini:fake-chat", std::string{kGeminiKey}},
      {"FAKE-01-limited:fake-file-chat", std::string{kFileKey}}};
  for (std::size_t i = 0; i < handles.size(); ++i) {
    body["workflow"]["nodes"][i + 2]["data"]["selectedModels"] = json::array({handles[i].first});
  }
  auto ok = run_sync(server, body);
  ASSERT_EQ(status_of(ok), "completed") << ok.dump().substr(0, 3000);
  auto failed = run_sync(server, one_call_request("secret-user", {"openai:fake-fail-401"}));
  ASSERT_EQ(status_of(failed), "failed") << failed.dump().substr(0, 3000);

  // The fake saw each key (its log keeps the last 4 characters only).
  const auto log = fake.log();
  ASSERT_EQ(log.size(), 5U) << log.dump();
  std::map<std::string, std::string> tail_by_provider;
  for (const auto& entry : log) {
    const auto tail = entry.value("key_tail", std::string{});
    const auto model = entry.value("model", std::string{});
    std::string expected_key = std::string{kOpenAiKey};
    if (entry.value("provider", std::string{}) == "anthropic") expected_key = kAnthropicKey;
    if (entry.value("provider", std::string{}) == "gemini") expected_key = kGeminiKey;
    if (model == "fake-file-chat") expected_key = kFileKey;
    EXPECT_EQ(tail, expected_key.substr(expected_key.size() - 4)) << entry.dump();
  }
  const auto dumped = log.dump();
  for (const auto& key : all_test_keys()) {
    EXPECT_EQ(dumped.find(key), std::string::npos) << "the fake's log holds " << key;
  }

  // Nothing the engine stored or answered holds a key: events, node runs, provider calls, rows.
  for (const auto& data : {ok, failed}) {
    const auto id = data.value("executionId", std::string{});
    SCOPED_TRACE(id);
    expect_no_keys_stored(server, id);
    for (const auto& key : all_test_keys()) {
      EXPECT_EQ(data.dump().find(key), std::string::npos) << "answer holds " << key;
    }
  }
  EXPECT_EQ(failed["error"].value("code", std::string{}), "unauthorized") << failed.dump();

  // Not even in the database files, in any table.
  std::string raw;
  for (const char* file : {"db.sqlite", "db.sqlite-wal"}) raw += read_text(server.dir() / file);
  EXPECT_NE(raw.find("fake-file-chat"), std::string::npos) << "the files read are not the store";
  for (const auto& key : all_test_keys()) {
    EXPECT_EQ(raw.find(key), std::string::npos) << "the database files hold " << key;
  }
}

}  // namespace
}  // namespace lekhika::e2e
