#include "lekhika/actors/node_output.hpp"

#include "lekhika/workflow/manuscript.hpp"

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

usage_totals usage_of(const providers::completion& answer) {
  usage_totals u;
  u.input_tokens = answer.usage.input_tokens;
  u.output_tokens = answer.usage.output_tokens;
  u.estimated = answer.usage.estimated;
  u.cost_usd = answer.cost_usd;
  u.calls = 1;
  u.words = static_cast<std::int64_t>(workflow::count_words(answer.text));
  return u;
}

}  // namespace lekhika::actors
