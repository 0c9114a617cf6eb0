#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "lekhika/providers/pricing.hpp"

namespace lekhika::providers {
namespace {

using json = nlohmann::json;

void expect_price(const pricing_table& table, provider_type type, const std::string& model,
                  double input, double output) {
  SCOPED_TRACE(std::string{to_string(type)} + "/" + model);
  const auto price = table.find(type, model);
  ASSERT_TRUE(price.has_value());
  EXPECT_DOUBLE_EQ(price->input_per_million, input);
  EXPECT_DOUBLE_EQ(price->output_per_million, output);
}

TEST(PricingTable, BuiltinHasTheListedPrices) {
  const auto table = pricing_table::builtin();
  expect_price(table, provider_type::openai, "gpt-4o", 2.50, 10.00);
  expect_price(table, provider_type::openai, "gpt-4o-mini", 0.15, 0.60);
  expect_price(table, provider_type::openai, "gpt-4.1", 2.00, 8.00);
  expect_price(table, provider_type::openai, "gpt-4.1-mini", 0.40, 1.60);
  expect_price(table, provider_type::openai, "o3-mini", 1.10, 4.40);
  expect_price(table, provider_type::anthropic, "claude-sonnet-4", 3.00, 15.00);
  expect_price(table, provider_type::anthropic, "claude-sonnet-4-5", 3.00, 15.00);
  expect_price(table, provider_type::anthropic, "claude-opus-4", 15.00, 75.00);
  expect_price(table, provider_type::anthropic, "claude-3-5-haiku", 0.80, 4.00);
  expect_price(table, provider_type::anthropic, "claude-3-5-sonnet", 3.00, 15.00);
  expect_price(table, provider_type::gemini, "gemini-2.0-flash", 0.10, 0.40);
  expect_price(table, provider_type::gemini, "gemini-1.5-pro", 1.25, 5.00);
  expect_price(table, provider_type::gemini, "gemini-2.5-pro", 1.25, 10.00);
  expect_price(table, provider_type::gemini, "gemini-2.5-flash", 0.30, 2.50);
  expect_price(table, provider_type::mistral, "mistral-large", 2.00, 6.00);
  expect_price(table, provider_type::mistral, "mistral-small", 0.20, 0.60);
  expect_price(table, provider_type::xai, "grok-2", 2.00, 10.00);
  expect_price(table, provider_type::offline, "draft", 0.0, 0.0);
  expect_price(table, provider_type::openai, "fake-gpt", 1.00, 2.00);
  expect_price(table, provider_type::anthropic, "fake-claude", 1.00, 2.00);
  expect_price(table, provider_type::gemini, "fake-gemini", 1.00, 2.00);
}

TEST(PricingTable, TheLongestPrefixWins) {
  const auto table = pricing_table::builtin();
  expect_price(table, provider_type::openai, "gpt-4o-mini-2024-07-18", 0.15, 0.60);
  expect_price(table, provider_type::openai, "gpt-4o-2024-08-06", 2.50, 10.00);
  expect_price(table, provider_type::openai, "gpt-4.1-mini-2025-04-14", 0.40, 1.60);
  expect_price(table, provider_type::openai, "gpt-4.1-2025-04-14", 2.00, 8.00);
  expect_price(table, provider_type::anthropic, "claude-sonnet-4-5-20250929", 3.00, 15.00);
  expect_price(table, provider_type::anthropic, "claude-opus-4-20250514", 15.00, 75.00);
  expect_price(table, provider_type::anthropic, "claude-3-5-haiku-latest", 0.80, 4.00);
  expect_price(table, provider_type::gemini, "gemini-2.5-flash-preview-05-20", 0.30, 2.50);
  expect_price(table, provider_type::mistral, "mistral-small-latest", 0.20, 0.60);
  expect_price(table, provider_type::xai, "grok-2-latest", 2.00, 10.00);
}

TEST(PricingTable, PricesBelongToTheirProvider) {
  const auto table = pricing_table::builtin();
  EXPECT_FALSE(table.find(provider_type::anthropic, "gpt-4o"));
  EXPECT_FALSE(table.find(provider_type::openai, "claude-sonnet-4"));
  EXPECT_FALSE(table.find(provider_type::openai, "gpt-3"));  // a prefix of nothing listed
  EXPECT_FALSE(table.find(provider_type::openai, ""));
}

TEST(PricingTable, CostIsTokensTimesPricePerMillion) {
  const auto table = pricing_table::builtin();
  bool known = false;
  EXPECT_DOUBLE_EQ(table.cost(provider_type::openai, "gpt-4o", {1000, 500, false}, &known),
                   1000 * 2.50 / 1e6 + 500 * 10.00 / 1e6);
  EXPECT_TRUE(known);
  EXPECT_DOUBLE_EQ(table.cost(provider_type::gemini, "fake-model", {1000000, 500000, true}), 2.0);
  EXPECT_DOUBLE_EQ(
      table.cost(provider_type::anthropic, "claude-opus-4-1-20250805", {2000, 3000, false}),
      2000 * 15.0 / 1e6 + 3000 * 75.0 / 1e6);
}

TEST(PricingTable, UnknownModelsCostNothingAndSaySo) {
  const auto table = pricing_table::builtin();
  bool known = true;
  EXPECT_EQ(table.cost(provider_type::openai, "my-finetune", {1000, 1000, false}, &known), 0.0);
  EXPECT_FALSE(known);
}

TEST(PricingTable, OfflineAndOllamaAreFreeButKnown) {
  const auto table = pricing_table::builtin();
  bool known = false;
  EXPECT_EQ(table.cost(provider_type::offline, "draft", {5000, 5000, true}, &known), 0.0);
  EXPECT_TRUE(known);
  known = false;
  EXPECT_EQ(table.cost(provider_type::ollama, "llama3.1", {5000, 5000, false}, &known), 0.0);
  EXPECT_TRUE(known);
}

TEST(PricingTable, MergeReplacesAndAdds) {
  auto table = pricing_table::builtin();
  const auto merged = table.merge(json::parse(R"({
    "openai/gpt-4o": {"input": 5, "output": 20},
    "mistral/codestral": {"input": 0.3, "output": 0.9},
    "claude/claude-sonnet-4": {"input": 2.5, "output": 12.5},
    "openrouter/meta-llama/llama-3.1-70b": {"input": 0.4, "output": 0.4}
  })"));
  ASSERT_TRUE(merged) << merged.error().message;
  expect_price(table, provider_type::openai, "gpt-4o-2024-08-06", 5.0, 20.0);
  expect_price(table, provider_type::openai, "gpt-4o-mini", 0.15, 0.60);  // untouched
  expect_price(table, provider_type::mistral, "codestral-latest", 0.3, 0.9);
  expect_price(table, provider_type::anthropic, "claude-sonnet-4-20250514", 2.5, 12.5);
  expect_price(table, provider_type::anthropic, "claude-sonnet-4-5", 3.0, 15.0);  // longer prefix
  expect_price(table, provider_type::openrouter, "meta-llama/llama-3.1-70b-instruct", 0.4, 0.4);
  EXPECT_DOUBLE_EQ(table.cost(provider_type::openai, "gpt-4o", {1000000, 1000000, false}), 25.0);
}

TEST(PricingTable, MergeRejectsBadEntriesNamingThem) {
  const char* bad[] = {
      R"({"gpt-4o": {"input": 1, "output": 2}})",
      R"({"nosuch/model": {"input": 1, "output": 2}})",
      R"({"openai/gpt-4o": {"input": -1, "output": 2}})",
      R"({"openai/gpt-4o": {"input": "1", "output": 2}})",
      R"({"openai/gpt-4o": {"input": 1}})",
      R"({"openai/gpt-4o": 3})",
  };
  for (const char* text : bad) {
    SCOPED_TRACE(text);
    auto table = pricing_table::builtin();
    const json overrides = json::parse(text);
    const auto merged = table.merge(overrides);
    ASSERT_FALSE(merged);
    EXPECT_EQ(merged.error().code, "invalid_pricing");
    EXPECT_NE(merged.error().message.find(overrides.begin().key()), std::string::npos)
        << merged.error().message;
  }
}

TEST(PricingTable, AFailedMergeChangesNothing) {
  auto table = pricing_table::builtin();
  const auto merged = table.merge(json::parse(R"({
    "anthropic/claude-opus-4": {"input": 1, "output": 1},
    "openai/gpt-4o": {"input": 1, "output": "lots"}
  })"));
  ASSERT_FALSE(merged);
  expect_price(table, provider_type::anthropic, "claude-opus-4", 15.0, 75.0);
  expect_price(table, provider_type::openai, "gpt-4o", 2.5, 10.0);
}

TEST(PricingTable, MergeNeedsAnObject) {
  auto table = pricing_table::builtin();
  EXPECT_TRUE(table.merge(nullptr));
  EXPECT_FALSE(table.merge(json::array({1, 2})));
  EXPECT_FALSE(table.merge(json("openai/gpt-4o")));
}

}  // namespace
}  // namespace lekhika::providers
