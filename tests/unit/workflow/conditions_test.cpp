#include <gtest/gtest.h>

#include <string>

#include "lekhika/workflow/conditions.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

condition_rule rule(std::string field, std::string op, json value, std::string target = "") {
  condition_rule r;
  r.field = std::move(field);
  r.op = std::move(op);
  r.value = std::move(value);
  r.target = std::move(target);
  return r;
}

const json input = {{"include_images", "true"},
                    {"flag", true},
                    {"genre", "  Fantasy "},
                    {"chapter_count", "3"},
                    {"rating", 4.5},
                    {"output_formats", {"pdf", "DOCX"}},
                    {"premise", "A dragon rider in a hidden academy"},
                    {"empty", ""},
                    {"none", json::array()}};

TEST(ConditionRules, EqualsComparesTextForms) {
  EXPECT_TRUE(evaluate_rule(rule("include_images", "equals", "true"), input));
  EXPECT_TRUE(evaluate_rule(rule("include_images", "equals", true), input));
  EXPECT_TRUE(evaluate_rule(rule("flag", "equals", "TRUE"), input));
  EXPECT_TRUE(evaluate_rule(rule("genre", "equals", "fantasy"), input));
  EXPECT_TRUE(evaluate_rule(rule("chapter_count", "equals", 3), input));
  EXPECT_TRUE(evaluate_rule(rule("chapter_count", "equals", "3.0"), input));
  EXPECT_TRUE(evaluate_rule(rule("output_formats", "equals", "docx"), input));
  EXPECT_FALSE(evaluate_rule(rule("genre", "equals", "horror"), input));
  EXPECT_FALSE(evaluate_rule(rule("missing", "equals", "x"), input));
  EXPECT_TRUE(evaluate_rule(rule("Genre", "equals", "fantasy"), input));  // input lookup rules
}

TEST(ConditionRules, NotEqualsIsTheNegation) {
  EXPECT_FALSE(evaluate_rule(rule("include_images", "not_equals", true), input));
  EXPECT_TRUE(evaluate_rule(rule("genre", "not_equals", "horror"), input));
  EXPECT_TRUE(evaluate_rule(rule("missing", "not_equals", "x"), input));
}

TEST(ConditionRules, ContainsSearchesStringsAndArrays) {
  EXPECT_TRUE(evaluate_rule(rule("premise", "contains", "DRAGON"), input));
  EXPECT_FALSE(evaluate_rule(rule("premise", "contains", "wizard"), input));
  EXPECT_TRUE(evaluate_rule(rule("output_formats", "contains", "pdf"), input));
  EXPECT_FALSE(evaluate_rule(rule("output_formats", "contains", "epub"), input));
  EXPECT_FALSE(evaluate_rule(rule("missing", "contains", "x"), input));
}

TEST(ConditionRules, ComparesNumbers) {
  EXPECT_TRUE(evaluate_rule(rule("chapter_count", "greater_than", 2), input));
  EXPECT_FALSE(evaluate_rule(rule("chapter_count", "greater_than", "3"), input));
  EXPECT_TRUE(evaluate_rule(rule("rating", "less_than", "5"), input));
  EXPECT_FALSE(evaluate_rule(rule("genre", "less_than", 5), input));  // not numeric
  EXPECT_FALSE(evaluate_rule(rule("rating", "greater_than", "many"), input));
  EXPECT_FALSE(evaluate_rule(rule("missing", "less_than", 5), input));
}

TEST(ConditionRules, ExistsNeedsANonEmptyValue) {
  EXPECT_TRUE(evaluate_rule(rule("genre", "exists", nullptr), input));
  EXPECT_TRUE(evaluate_rule(rule("flag", "exists", nullptr), input));
  EXPECT_FALSE(evaluate_rule(rule("empty", "exists", nullptr), input));
  EXPECT_FALSE(evaluate_rule(rule("none", "exists", nullptr), input));
  EXPECT_FALSE(evaluate_rule(rule("missing", "exists", nullptr), input));
}

TEST(ConditionRules, ReportsTheFieldValue) {
  json value;
  EXPECT_TRUE(evaluate_rule(rule("genre", "equals", "fantasy"), input, &value));
  EXPECT_EQ(value, "  Fantasy ");
  EXPECT_FALSE(evaluate_rule(rule("missing", "equals", "x"), input, &value));
  EXPECT_TRUE(value.is_null());
}

node gate(std::vector<condition_rule> rules) {
  node n;
  n.id = "gate";
  n.type = node_type::condition;
  n.kind = role_kind::condition;
  n.conditions = std::move(rules);
  return n;
}

TEST(ConditionRoutes, PassingTargetIsTakenFailingTargetIsNot) {
  const node n = gate({rule("include_images", "equals", "true", "image-1"),
                       rule("include_images", "equals", "false", "cover-gate")});
  const auto decision = decide_routes(n, {"image-1", "cover-gate", "other"}, input);
  EXPECT_EQ(decision.taken, (std::vector<std::string>{"image-1", "other"}));  // unnamed: taken
  EXPECT_EQ(decision.not_taken, std::vector<std::string>{"cover-gate"});
  ASSERT_EQ(decision.evaluations.size(), 2U);
  EXPECT_TRUE(decision.evaluations[0].passed);
  EXPECT_FALSE(decision.evaluations[1].passed);
}

TEST(ConditionRoutes, TrueAndFalseTargets) {
  condition_rule r = rule("chapter_count", "greater_than", 5);
  r.true_target = "long";
  r.false_target = "short";
  const auto decision = decide_routes(gate({r}), {"long", "short"}, input);
  EXPECT_EQ(decision.taken, std::vector<std::string>{"short"});
  EXPECT_EQ(decision.not_taken, std::vector<std::string>{"long"});
}

TEST(ConditionRoutes, ANodeNamedByAnyPassingRuleIsTaken) {
  const node n =
      gate({rule("genre", "equals", "horror", "dark"), rule("genre", "equals", "fantasy", "dark")});
  const auto decision = decide_routes(n, {"dark", "dark"}, input);
  EXPECT_EQ(decision.taken, std::vector<std::string>{"dark"});
  EXPECT_TRUE(decision.not_taken.empty());
}

TEST(ConditionRoutes, NoRulesTakesEverything) {
  const auto decision = decide_routes(gate({}), {"a", "b"}, input);
  EXPECT_EQ(decision.taken, (std::vector<std::string>{"a", "b"}));
}

TEST(ConditionRoutes, ToJsonRecordsTheChoice) {
  const node n = gate({rule("include_images", "equals", "true", "image-1")});
  const json out = decide_routes(n, {"image-1", "x"}, input).to_json();
  EXPECT_EQ(out, json::parse(R"({
    "evaluations": [{"rule": 0, "field": "include_images", "value": "true", "passed": true}],
    "taken": ["image-1", "x"],
    "notTaken": []
  })"));
}

}  // namespace
}  // namespace lekhika::workflow
