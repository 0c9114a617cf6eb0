#include "lekhika/workflow/conditions.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "lekhika/workflow/text.hpp"
#include "lekhika/workflow/user_input.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

// The text form used to compare scalars: form values arrive as strings ("true", "3") while
// rules are written with JSON booleans and numbers, or the other way round.
std::optional<std::string> scalar_text(const json& value) {
  if (value.is_string()) return std::string{trim(value.get_ref<const std::string&>())};
  if (value.is_boolean() || value.is_number()) return render_value(value);
  return std::nullopt;
}

std::optional<double> numeric(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) return parse_number(value.get_ref<const std::string&>());
  return std::nullopt;
}

bool scalars_equal(const json& a, const json& b) {
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  const auto na = numeric(a);
  const auto nb = numeric(b);
  if (na && nb) return *na == *nb;  // "3.0" equals 3
  const auto ta = scalar_text(a);
  const auto tb = scalar_text(b);
  if (ta && tb) return iequals(*ta, *tb);
  return a == b;
}

bool values_equal(const json& field, const json& expected) {
  if (field.is_array() && expected.is_array()) {
    if (field.size() != expected.size()) return false;
    for (std::size_t i = 0; i < field.size(); ++i) {
      if (!values_equal(field[i], expected[i])) return false;
    }
    return true;
  }
  // A multi-select field (output_formats: ["pdf", "docx"]) "equals" each of its choices, as
  // the palette's routers use it ({field: output_formats, value: pdf}).
  if (field.is_array()) {
    return std::any_of(field.begin(), field.end(),
                       [&](const json& item) { return values_equal(item, expected); });
  }
  if (field.is_object() || expected.is_object()) return field == expected;
  return scalars_equal(field, expected);
}

bool is_present(const json* field) {
  if (field == nullptr || field->is_null()) return false;
  if (field->is_string()) return !trim(field->get_ref<const std::string&>()).empty();
  if (field->is_array() || field->is_object()) return !field->empty();
  return true;
}

bool contains(const json& field, const json& expected) {
  if (field.is_array()) {
    return std::any_of(field.begin(), field.end(),
                       [&](const json& item) { return values_equal(item, expected); });
  }
  if (field.is_object()) {
    const auto key = scalar_text(expected);
    return key && find_input_value(field, *key) != nullptr;
  }
  const auto haystack = scalar_text(field);
  const auto needle = scalar_text(expected);
  return haystack && needle && icontains(*haystack, *needle);
}

}  // namespace

nlohmann::json condition_decision::to_json() const {
  json evaluations_json = json::array();
  for (const auto& e : evaluations) {
    evaluations_json.push_back({{"rule", e.rule_index},
                                {"field", e.field},
                                {"value", e.field_value},
                                {"passed", e.passed}});
  }
  return {{"evaluations", std::move(evaluations_json)}, {"taken", taken}, {"notTaken", not_taken}};
}

bool evaluate_rule(const condition_rule& rule, const json& user_input, json* field_value) {
  const json* field = find_input_value(user_input, rule.field);
  if (field_value != nullptr) *field_value = field != nullptr ? *field : json(nullptr);
  const std::string op = to_lower(trim(rule.op));

  if (op == "exists") return is_present(field);
  if (op == "equals" || op.empty()) {
    if (field == nullptr) return rule.value.is_null();
    return values_equal(*field, rule.value);
  }
  if (op == "not_equals") {
    if (field == nullptr) return !rule.value.is_null();
    return !values_equal(*field, rule.value);
  }
  if (field == nullptr) return false;
  if (op == "contains") return contains(*field, rule.value);
  if (op == "greater_than" || op == "less_than") {
    const auto a = numeric(*field);
    const auto b = numeric(rule.value);
    if (!a || !b) return false;
    return op == "greater_than" ? *a > *b : *a < *b;
  }
  return false;  // parse_execution_request refuses other operators
}

condition_decision decide_routes(const node& condition_node,
                                 const std::vector<std::string>& successor_ids,
                                 const json& user_input) {
  condition_decision decision;
  for (std::size_t i = 0; i < condition_node.conditions.size(); ++i) {
    const auto& rule = condition_node.conditions[i];
    rule_evaluation evaluation;
    evaluation.rule_index = i;
    evaluation.field = rule.field;
    evaluation.passed = evaluate_rule(rule, user_input, &evaluation.field_value);
    decision.evaluations.push_back(std::move(evaluation));
  }

  std::vector<std::string> seen;
  for (const auto& successor : successor_ids) {
    if (std::find(seen.begin(), seen.end(), successor) != seen.end()) continue;
    seen.push_back(successor);
    bool named = false;
    bool chosen = false;
    for (std::size_t i = 0; i < condition_node.conditions.size(); ++i) {
      const auto& rule = condition_node.conditions[i];
      const bool passed = decision.evaluations[i].passed;
      if (rule.target == successor) {
        named = true;
        chosen = chosen || passed;
      }
      if (rule.true_target == successor) {
        named = true;
        chosen = chosen || passed;
      }
      if (rule.false_target == successor) {
        named = true;
        chosen = chosen || !passed;
      }
    }
    (named && !chosen ? decision.not_taken : decision.taken).push_back(successor);
  }
  return decision;
}

}  // namespace lekhika::workflow
