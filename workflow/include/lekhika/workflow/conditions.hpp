#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "lekhika/workflow/model.hpp"

namespace lekhika::workflow {

/// How one rule of a condition node came out.
struct rule_evaluation {
  std::size_t rule_index = 0;
  std::string field;
  nlohmann::json field_value;  ///< null when the field is absent
  bool passed = false;
};

/// The routing a condition node chose.
struct condition_decision {
  std::vector<std::string> taken;      ///< successor ids whose edges are taken
  std::vector<std::string> not_taken;  ///< successor ids whose edges are not taken
  std::vector<rule_evaluation> evaluations;
  /// Output for the node's result: {"evaluations": [...], "taken": [...], "notTaken": [...]}.
  [[nodiscard]] nlohmann::json to_json() const;
};

/// Evaluates `rule` against the (sanitised) user input (field lookup as find_input_value()).
[[nodiscard]] bool evaluate_rule(const condition_rule& rule, const nlohmann::json& user_input,
                                 nlohmann::json* field_value = nullptr);

/// Decides which successors a condition node routes to. A successor named by a passing rule
/// (target/route/trueTarget, or falseTarget of a failing rule) is taken; a successor named only
/// by rules that did not choose it is not taken; a successor no rule names is always taken.
[[nodiscard]] condition_decision decide_routes(const node& condition_node,
                                               const std::vector<std::string>& successor_ids,
                                               const nlohmann::json& user_input);

}  // namespace lekhika::workflow
