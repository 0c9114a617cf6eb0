#pragma once

// Helpers of the end-to-end tests of real model-provider calls (api.md §3): the real engine and
// HTTP server (server_harness.hpp) pointed at the fake provider (tests/fake_provider), small
// workflows whose process nodes name fake models, and readers of what the engine stored and
// what the fake saw.

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lekhika/persistence/store.hpp"
#include "lekhika/testing/fake_provider.hpp"
#include "server_harness.hpp"

namespace lekhika::e2e {

// ---- keys and configuration -----------------------------------------------------------------

inline constexpr std::string_view kOpenAiKey = "sk-test-key-0001";
inline constexpr std::string_view kAnthropicKey = "ak-test-0001";
inline constexpr std::string_view kGeminiKey = "gk-test-0001";
/// The key of the providers-file entries these tests write.
inline constexpr std::string_view kFileKey = "sk-file-key-7781";

/// Every key the tests hand to the engine (none of them may ever be stored).
inline std::vector<std::string> all_test_keys() {
  return {std::string{kOpenAiKey}, std::string{kAnthropicKey}, std::string{kGeminiKey},
          std::string{kFileKey}};
}

/// The environment that points the OpenAI, Anthropic and Gemini families at the fake.
inline std::map<std::string, std::string> fake_env(const testing::fake_provider_process& fake) {
  return {{"OPENAI_API_KEY", std::string{kOpenAiKey}},
          {"OPENAI_BASE_URL", fake.base_url() + "/v1"},
          {"ANTHROPIC_API_KEY", std::string{kAnthropicKey}},
          {"ANTHROPIC_BASE_URL", fake.base_url()},
          {"GEMINI_API_KEY", std::string{kGeminiKey}},
          {"GEMINI_BASE_URL", fake.base_url()}};
}

/// Retries that keep tests quick: 3 attempts, backoff of at most 20 ms, 40 ms, ... (cap 200).
inline actors::call_policy quick_calls() {
  actors::call_policy calls;
  calls.connect_timeout = 5000ms;
  calls.first_token_timeout = 10000ms;
  calls.idle_timeout = 10000ms;
  calls.total_timeout = 60000ms;
  calls.max_attempts = 3;
  calls.backoff_base = 20ms;
  calls.backoff_cap = 200ms;
  return calls;
}

/// A server whose provider environment is the fake.
inline server_options fake_server_options(const testing::fake_provider_process& fake,
                                          actors::call_policy calls = quick_calls()) {
  server_options options;
  options.env = fake_env(fake);
  options.calls = calls;
  return options;
}

/// A providers-file entry of type openai on the fake, with the given limits.
inline json limited_openai_entry(const testing::fake_provider_process& fake, int max_concurrent,
                                 int rpm = 0) {
  json entry{
      {"type", "openai"}, {"apiKey", std::string{kFileKey}}, {"baseUrl", fake.base_url() + "/v1"}};
  if (max_concurrent > 0) entry["maxConcurrent"] = max_concurrent;
  if (rpm > 0) entry["rpm"] = rpm;
  return entry;
}

// ---- workflows ------------------------------------------------------------------------------

inline json input_node() {
  return {
      {"id", "input"}, {"type", "input"}, {"data", {{"label", "Input"}, {"role", "story_input"}}}};
}

inline json output_node() {
  return {{"id", "output"},
          {"type", "output"},
          {"data",
           {{"label", "Output"},
            {"role", "output_processor"},
            {"exportFormats", json::array({"md"})}}}};
}

/// A process node that makes exactly one model call (a researcher: a planner role).
inline json ask_node(const std::string& id, const std::vector<std::string>& models,
                     const std::string& prompt = "List three facts about {topic}.") {
  return {{"id", id},
          {"type", "process"},
          {"data",
           {{"label", "Research " + id},
            {"role", "researcher"},
            {"selectedModels", models},
            {"systemPrompt", "You research briefly."},
            {"userPrompt", prompt}}}};
}

inline json edge(const std::string& from, const std::string& to) {
  return {{"id", from + "->" + to}, {"source", from}, {"target", to}};
}

inline json small_inputs(const std::string& topic = "lighthouses") {
  return {{"book_title", "Provider Tests"},
          {"author_name", "E2E Author"},
          {"topic", topic},
          {"chapter_count", "1"},
          {"word_count", "1000"},
          {"output_formats", json::array({"md"})}};
}

/// input -> ask (one call with `models`) -> output.
inline json one_call_request(const std::string& user_id, const std::vector<std::string>& models,
                             const std::string& topic = "lighthouses") {
  json workflow{{"nodes", json::array({input_node(), ask_node("ask", models), output_node()})},
                {"edges", json::array({edge("input", "ask"), edge("ask", "output")})},
                {"models", json::array()}};
  return {{"userId", user_id}, {"workflow", workflow}, {"inputs", small_inputs(topic)}};
}

/// input -> ask-1..ask-n (in parallel, one call each with `models`) -> output.
inline json parallel_request(const std::string& user_id, const std::vector<std::string>& models,
                             int n) {
  json nodes = json::array({input_node(), output_node()});
  json edges = json::array();
  for (int i = 1; i <= n; ++i) {
    const std::string id = "ask-" + std::to_string(i);
    // Distinct prompts, so that the fake's log tells the calls apart.
    nodes.push_back(ask_node(id, models, "Fact number " + std::to_string(i) + " about {topic}."));
    edges.push_back(edge("input", id));
    edges.push_back(edge(id, "output"));
  }
  return {{"userId", user_id},
          {"workflow", {{"nodes", nodes}, {"edges", edges}, {"models", json::array()}}},
          {"inputs", small_inputs()}};
}

/// book_workflow() (outline -> writer of `chapters` chapters -> output) with every process node
/// calling `model`: 1 + chapters calls.
inline json book_request_on(const std::string& user_id, const std::string& model, int chapters) {
  auto body = book_request(user_id, chapters, "The Wire Format");
  for (auto& node : body["workflow"]["nodes"]) {
    if (node["type"] == "process") node["data"]["selectedModels"] = json::array({model});
  }
  return body;
}

// ---- running --------------------------------------------------------------------------------

/// POST /execute synchronously; returns `data` whatever the outcome (an empty object, and a
/// test failure, when the answer is not the envelope).
inline json run_sync(const test_server& server, const json& body) {
  auto response = server.execute_sync(body);
  EXPECT_EQ(response.status, 200) << describe(response);
  auto parsed = json::parse(response.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("data") ||
      !parsed["data"].is_object()) {
    ADD_FAILURE() << "not an execution answer: " << describe(response);
    return json::object();
  }
  const auto& data = parsed["data"];
  EXPECT_EQ(parsed.value("success", false), data.value("status", std::string{}) == "completed")
      << response.body.substr(0, 2000);
  return data;
}

/// POST /execute asynchronously; returns the execution id ("" and a failure when refused).
inline std::string submit_async(const test_server& server, const json& body) {
  auto data = ok_data(server.execute_async(body), 202);
  return data.is_object() ? data.value("executionId", std::string{}) : std::string{};
}

inline std::string status_of(const json& data) {
  return data.is_object() ? data.value("status", std::string{}) : std::string{};
}

// ---- what the engine stored -----------------------------------------------------------------

/// A second connection to the test server's SQLite store.
class stored_view {
 public:
  explicit stored_view(const test_server& server) {
    auto opened = persistence::open_store("sqlite://" + (server.dir() / "db.sqlite").string());
    if (!opened) {
      ADD_FAILURE() << "cannot open the store: " << opened.error().message;
      return;
    }
    store_ = std::move(opened).value();
  }

  [[nodiscard]] std::vector<persistence::event_record> events(const std::string& id) const {
    if (!store_) return {};
    auto found = store_->events_after(id, 0, 100000);
    if (!found) {
      ADD_FAILURE() << "events_after: " << found.error().message;
      return {};
    }
    return found.value();
  }

  /// The events of one type, in order.
  [[nodiscard]] std::vector<json> events(const std::string& id, const std::string& type) const {
    std::vector<json> out;
    for (const auto& e : events(id)) {
      if (e.type == type) out.push_back(e.data);
    }
    return out;
  }

  [[nodiscard]] std::vector<persistence::provider_call_record> calls(const std::string& id) const {
    if (!store_) return {};
    auto found = store_->provider_calls(id);
    if (!found) {
      ADD_FAILURE() << "provider_calls: " << found.error().message;
      return {};
    }
    return found.value();
  }

  [[nodiscard]] std::vector<persistence::node_run_record> node_runs(const std::string& id) const {
    if (!store_) return {};
    auto found = store_->node_runs(id);
    if (!found) {
      ADD_FAILURE() << "node_runs: " << found.error().message;
      return {};
    }
    return found.value();
  }

  [[nodiscard]] std::optional<persistence::execution_record> execution(
      const std::string& id) const {
    if (!store_) return std::nullopt;
    auto found = store_->get_execution(id, std::nullopt);
    if (!found) {
      ADD_FAILURE() << "get_execution: " << found.error().message;
      return std::nullopt;
    }
    return found.value();
  }

 private:
  std::unique_ptr<persistence::store> store_;
};

/// "model status attempt | ..." of provider_calls rows, for failure messages.
inline std::string describe_calls(const std::vector<persistence::provider_call_record>& calls) {
  std::string text;
  for (const auto& c : calls) {
    if (!text.empty()) text += " | ";
    text += c.provider + ":" + c.model + " #" + std::to_string(c.attempt) + " " + c.status;
  }
  return text;
}

/// Every text the engine stored about an execution: events, node runs, provider calls and the
/// execution row (usage, error, result, output).
inline std::vector<std::string> stored_texts(const stored_view& db, const std::string& id) {
  std::vector<std::string> texts;
  for (const auto& e : db.events(id)) texts.push_back(e.type + " " + e.data.dump());
  for (const auto& r : db.node_runs(id)) {
    texts.push_back(r.node_id + " " + r.status + " " + r.usage.dump() + " " + r.error.dump());
  }
  for (const auto& c : db.calls(id)) {
    texts.push_back(c.node_id + " " + c.provider + " " + c.model + " " + c.status);
  }
  if (auto row = db.execution(id)) {
    texts.push_back(row->request_json);  // kept for idempotency and resume: no secrets in it
    texts.push_back(row->usage.dump());
    texts.push_back(row->error.dump());
    texts.push_back(row->result.dump());
    texts.push_back(row->output.dump());
  }
  return texts;
}

/// api.md §1/§3: no API key is ever stored, in any event, node run, provider call or row.
inline void expect_no_keys_stored(const test_server& server, const std::string& id,
                                  const std::vector<std::string>& extra = {}) {
  stored_view db{server};
  auto keys = all_test_keys();
  keys.insert(keys.end(), extra.begin(), extra.end());
  const auto texts = stored_texts(db, id);
  EXPECT_FALSE(texts.empty()) << "nothing stored for " << id;
  for (const auto& text : texts) {
    for (const auto& key : keys) {
      EXPECT_EQ(text.find(key), std::string::npos)
          << "key '" << key << "' stored for " << id << ": " << text.substr(0, 500);
    }
  }
}

// ---- what the fake saw ----------------------------------------------------------------------

/// The fake's log entries whose model is `model`, oldest first.
inline std::vector<json> log_of_model(const testing::fake_provider_process& fake,
                                      const std::string& model) {
  std::vector<json> out;
  for (const auto& entry : fake.log()) {
    if (entry.value("model", std::string{}) == model) out.push_back(entry);
  }
  return out;
}

inline std::int64_t start_us(const json& entry) { return entry.value("start_us", std::int64_t{0}); }
inline std::int64_t end_us(const json& entry) { return entry.value("end_us", std::int64_t{0}); }

/// The largest number of log intervals [start_us, end_us] open at one moment.
inline int max_overlap(const std::vector<json>& entries) {
  std::vector<std::pair<std::int64_t, int>> points;  // (time, +1 start / -1 end)
  for (const auto& e : entries) {
    points.emplace_back(start_us(e), 1);
    points.emplace_back(end_us(e), -1);
  }
  // At equal times an end comes before a start: the next request may begin as one ends.
  std::sort(points.begin(), points.end());
  int open = 0;
  int most = 0;
  for (const auto& [time, delta] : points) {
    open += delta;
    most = std::max(most, open);
  }
  return most;
}

/// The fake's counters for one model (zeros when it never saw it).
inline testing::fake_provider_stats::counts model_counts(const testing::fake_provider_stats& stats,
                                                         const std::string& model) {
  auto it = stats.by_model.find(model);
  return it == stats.by_model.end() ? testing::fake_provider_stats::counts{} : it->second;
}

}  // namespace lekhika::e2e
