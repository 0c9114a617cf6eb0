#include "lekhika/actors/node_output.hpp"

namespace lekhika::actors {

usage_totals& usage_totals::operator+=(const usage_totals& other) {
  input_tokens += other.input_tokens;
  output_tokens += other.output_tokens;
  calls += other.calls;
  cost_usd += other.cost_usd;
  estimated = estimated || other.estimated;
  words += other.words;
  return *this;
}

nlohmann::json usage_totals::to_json() const {
  nlohmann::json out{{"inputTokens", input_tokens},
                     {"outputTokens", output_tokens},
                     {"totalTokens", input_tokens + output_tokens},
                     {"costUsd", cost_usd},
                     {"calls", calls},
                     {"words", words}};
  if (estimated) out["estimated"] = true;
  return out;
}

}  // namespace lekhika::actors
