#include "lekhika/actors/node_output.hpp"

#include <algorithm>

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

std::shared_ptr<const manuscript> merge_books(
    const std::vector<std::shared_ptr<const manuscript>>& books, const std::string& joiner) {
  std::vector<std::shared_ptr<const manuscript>> distinct;
  for (const auto& b : books) {
    if (b && std::find(distinct.begin(), distinct.end(), b) == distinct.end())
      distinct.push_back(b);
  }
  if (distinct.empty()) return nullptr;
  if (distinct.size() == 1) return distinct.front();
  // Parallel writers meeting here: their books are joined in input order.
  auto joined = std::make_shared<manuscript>();
  joined->node_id = joiner;
  for (const auto& b : distinct) {
    for (auto ch : b->chapters) {
      ch.number = static_cast<int>(joined->chapters.size()) + 1;
      joined->chapters.push_back(std::move(ch));
    }
  }
  return joined;
}

std::string manuscript_text(const manuscript& m) {
  std::string text;
  for (const auto& ch : m.chapters) {
    if (!text.empty()) text += "\n\n";
    text += "Chapter " + std::to_string(ch.number) + ": " + ch.title + "\n\n" + ch.content;
  }
  return text;
}

}  // namespace lekhika::actors
