#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/providers/catalog.hpp"
#include "lekhika/providers/completion.hpp"
#include "lekhika/workflow/result.hpp"

namespace lekhika::providers {

/// Price of one model in USD per million tokens.
struct model_price {
  double input_per_million = 0.0;
  double output_per_million = 0.0;
};

/// The pricing table kept in the repository (providers/src/pricing.cpp), overridable by
/// configuration (LEKHIKA_PRICING_FILE: {"<provider>/<model prefix>": {"input": x, "output": y}}).
class pricing_table {
 public:
  /// The built-in table.
  [[nodiscard]] static pricing_table builtin();
  /// Adds or replaces entries from a JSON override; fails naming the bad entry.
  [[nodiscard]] result<void> merge(const nlohmann::json& overrides);
  /// The price of `model` at `type`: the longest matching model prefix (so "gpt-4o-2024-08-06"
  /// finds "gpt-4o"); nullopt when unknown.
  [[nodiscard]] std::optional<model_price> find(provider_type type, std::string_view model) const;
  /// Cost in USD of a call; 0 for unknown models (and `known` false).
  [[nodiscard]] double cost(provider_type type, std::string_view model, const token_usage& usage,
                            bool* known = nullptr) const;

 private:
  struct entry {
    provider_type type;
    std::string model_prefix;
    model_price price;
  };
  std::vector<entry> entries_;
};

}  // namespace lekhika::providers
