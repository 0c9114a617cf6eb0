#include "lekhika/providers/pricing.hpp"

#include <array>
#include <cmath>
#include <exception>
#include <utility>

namespace lekhika::providers {
namespace {

struct builtin_price {
  provider_type type;
  const char* model_prefix;
  double input_per_million;
  double output_per_million;
};

// USD per million tokens from the providers' public price pages (openai.com/api/pricing,
// anthropic.com/pricing, ai.google.dev/gemini-api/docs/pricing, mistral.ai/pricing,
// docs.x.ai, docs.perplexity.ai) as of 2025, standard tier, no caching or batch discounts;
// Gemini's long-context (>200k tokens) surcharge is ignored since book chapters stay far below
// it. Prices change: deployments correct them with LEKHIKA_PRICING_FILE (pricing_table::merge)
// rather than by waiting for a release. Matching is by longest model prefix, so dated
// snapshots ("gpt-4o-2024-08-06") and "-latest" aliases find their family.
constexpr std::array<builtin_price, 43> builtin_prices{{
    {provider_type::openai, "gpt-4o", 2.50, 10.00},
    {provider_type::openai, "gpt-4o-mini", 0.15, 0.60},
    {provider_type::openai, "gpt-4.1", 2.00, 8.00},
    {provider_type::openai, "gpt-4.1-mini", 0.40, 1.60},
    {provider_type::openai, "gpt-4.1-nano", 0.10, 0.40},
    {provider_type::openai, "gpt-5", 1.25, 10.00},
    {provider_type::openai, "gpt-5-mini", 0.25, 2.00},
    {provider_type::openai, "gpt-5-nano", 0.05, 0.40},
    {provider_type::openai, "o3", 2.00, 8.00},
    {provider_type::openai, "o3-mini", 1.10, 4.40},
    {provider_type::openai, "o4-mini", 1.10, 4.40},
    {provider_type::anthropic, "claude-sonnet-4", 3.00, 15.00},
    {provider_type::anthropic, "claude-sonnet-4-5", 3.00, 15.00},
    {provider_type::anthropic, "claude-opus-4", 15.00, 75.00},
    {provider_type::anthropic, "claude-opus-4-5", 5.00, 25.00},
    {provider_type::anthropic, "claude-haiku-4-5", 1.00, 5.00},
    {provider_type::anthropic, "claude-3-7-sonnet", 3.00, 15.00},
    {provider_type::anthropic, "claude-3-5-sonnet", 3.00, 15.00},
    {provider_type::anthropic, "claude-3-5-haiku", 0.80, 4.00},
    {provider_type::gemini, "gemini-2.0-flash", 0.10, 0.40},
    {provider_type::gemini, "gemini-2.0-flash-lite", 0.075, 0.30},
    {provider_type::gemini, "gemini-1.5-pro", 1.25, 5.00},
    {provider_type::gemini, "gemini-1.5-flash", 0.075, 0.30},
    {provider_type::gemini, "gemini-2.5-pro", 1.25, 10.00},
    {provider_type::gemini, "gemini-2.5-flash", 0.30, 2.50},
    {provider_type::gemini, "gemini-2.5-flash-lite", 0.10, 0.40},
    {provider_type::mistral, "mistral-large", 2.00, 6.00},
    {provider_type::mistral, "mistral-medium", 0.40, 2.00},
    {provider_type::mistral, "mistral-small", 0.20, 0.60},
    {provider_type::xai, "grok-2", 2.00, 10.00},
    {provider_type::xai, "grok-3", 3.00, 15.00},
    {provider_type::xai, "grok-3-mini", 0.30, 0.50},
    {provider_type::xai, "grok-4", 3.00, 15.00},
    {provider_type::perplexity, "sonar", 1.00, 1.00},
    {provider_type::perplexity, "sonar-pro", 3.00, 15.00},
    // Network-free and local providers cost nothing, whatever the model is called.
    {provider_type::offline, "", 0.0, 0.0},
    {provider_type::ollama, "", 0.0, 0.0},
    // The project's fake provider (tests/fake_provider) answers as these three; a non-zero
    // price keeps the cost paths testable end to end.
    {provider_type::openai, "fake-", 1.00, 2.00},
    {provider_type::anthropic, "fake-", 1.00, 2.00},
    {provider_type::gemini, "fake-", 1.00, 2.00},
    // OpenRouter model ids name the vendor; the common ones at the vendor's price.
    {provider_type::openrouter, "openai/gpt-4o-mini", 0.15, 0.60},
    {provider_type::openrouter, "openai/gpt-4o", 2.50, 10.00},
    {provider_type::openrouter, "anthropic/claude-sonnet-4", 3.00, 15.00},
}};

bool valid_price(const nlohmann::json& value) {
  return value.is_number() && std::isfinite(value.get<double>()) && value.get<double>() >= 0.0;
}

}  // namespace

pricing_table pricing_table::builtin() {
  pricing_table table;
  table.entries_.reserve(builtin_prices.size());
  for (const auto& row : builtin_prices) {
    table.entries_.push_back(
        {row.type, row.model_prefix, {row.input_per_million, row.output_per_million}});
  }
  return table;
}

result<void> pricing_table::merge(const nlohmann::json& overrides) {
  if (overrides.is_null()) return {};
  if (!overrides.is_object()) {
    return failure{"invalid_pricing",
                   "pricing overrides must be a JSON object of \"<provider>/<model prefix>\" -> "
                   "{\"input\": x, \"output\": y}"};
  }
  try {
    // Validate everything first so that a bad file changes nothing.
    std::vector<entry> parsed;
    for (const auto& item : overrides.items()) {
      const std::string& key = item.key();
      auto fail = [&key](const std::string& why) {
        return failure{"invalid_pricing", "pricing entry '" + key + "': " + why};
      };
      const auto slash = key.find('/');
      if (slash == std::string::npos)
        return fail("key must be \"<provider>/<model prefix>\", e.g. \"openai/gpt-4o\"");
      const auto type = provider_type_from_name(std::string_view{key}.substr(0, slash));
      if (!type) return fail("unknown provider '" + key.substr(0, slash) + "'");
      const nlohmann::json& value = item.value();
      if (!value.is_object() || !value.contains("input") || !value.contains("output"))
        return fail("must be {\"input\": <USD per million>, \"output\": <USD per million>}");
      if (!valid_price(value.at("input")) || !valid_price(value.at("output")))
        return fail("prices must be non-negative numbers (USD per million tokens)");
      parsed.push_back({*type,
                        key.substr(slash + 1),
                        {value.at("input").get<double>(), value.at("output").get<double>()}});
    }
    for (auto& next : parsed) {
      bool replaced = false;
      for (auto& existing : entries_) {
        if (existing.type == next.type && existing.model_prefix == next.model_prefix) {
          existing.price = next.price;
          replaced = true;
        }
      }
      if (!replaced) entries_.push_back(std::move(next));
    }
    return {};
  } catch (const std::exception&) {
    return failure{"invalid_pricing", "pricing overrides could not be read"};
  }
}

std::optional<model_price> pricing_table::find(provider_type type, std::string_view model) const {
  const entry* best = nullptr;
  for (const auto& candidate : entries_) {
    if (candidate.type != type || !model.starts_with(candidate.model_prefix)) continue;
    if (best == nullptr || candidate.model_prefix.size() > best->model_prefix.size())
      best = &candidate;
  }
  if (best == nullptr) return std::nullopt;
  return best->price;
}

double pricing_table::cost(provider_type type, std::string_view model, const token_usage& usage,
                           bool* known) const {
  const auto price = find(type, model);
  if (known != nullptr) *known = price.has_value();
  if (!price) return 0.0;
  const auto input = static_cast<double>(usage.input_tokens > 0 ? usage.input_tokens : 0);
  const auto output = static_cast<double>(usage.output_tokens > 0 ? usage.output_tokens : 0);
  return input * price->input_per_million / 1e6 + output * price->output_per_million / 1e6;
}

}  // namespace lekhika::providers
