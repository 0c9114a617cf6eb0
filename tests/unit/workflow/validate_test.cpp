#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "lekhika/workflow/parse.hpp"
#include "lekhika/workflow/validate.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

const problem* problem_at(const problem_list& problems, const std::string& path) {
  const auto it = std::find_if(problems.begin(), problems.end(),
                               [&](const problem& p) { return p.path == path; });
  return it == problems.end() ? nullptr : &*it;
}

std::optional<std::string> accept_all(const model_choice&) { return std::nullopt; }

json process(const std::string& id, const std::string& role = "content_writer",
             json models = {"openai:gpt-4o"}) {
  return {{"id", id},
          {"type", "process"},
          {"data", {{"role", role}, {"selectedModels", std::move(models)}}}};
}

json edge(const std::string& from, const std::string& to) {
  return {{"source", from}, {"target", to}};
}

validation_report validate_body(const json& body, const model_checker& check = accept_all) {
  const auto parsed = parse_execution_request(body);
  EXPECT_TRUE(parsed.problems.empty())
      << parsed.problems.front().path << ": " << parsed.problems.front().message;
  EXPECT_TRUE(parsed.request);
  if (!parsed.request) return {};
  return validate_request(*parsed.request, check);
}

json seed(json nodes, json edges) {
  return {{"userId", "u"}, {"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
}

TEST(ValidateWorkflow, AcceptsLinearFlow) {
  const auto report = validate_body(
      seed({{{"id", "in"}, {"type", "input"}}, process("w"), {{"id", "out"}, {"type", "output"}}},
           {edge("in", "w"), edge("w", "out")}));
  EXPECT_TRUE(report.ok());
  EXPECT_TRUE(report.warnings.empty());
}

TEST(ValidateWorkflow, CycleNamesItsNodesInOrder) {
  const auto report =
      validate_body(seed({process("a"), process("b"), process("c"), process("d")},
                         {edge("a", "b"), edge("b", "c"), edge("c", "a"), edge("c", "d")}));
  ASSERT_EQ(report.problems.size(), 1U);
  EXPECT_EQ(report.problems[0].path, "/edges");
  EXPECT_EQ(report.problems[0].message, "cycle: a -> b -> c -> a");
}

TEST(ValidateWorkflow, SelfLoopIsACycle) {
  const auto report = validate_body(seed({process("a")}, {edge("a", "a")}));
  ASSERT_EQ(report.problems.size(), 1U);
  EXPECT_EQ(report.problems[0].message, "cycle: a -> a");
}

TEST(ValidateWorkflow, LekhikaShapePrefixesPaths) {
  const json body = {
      {"userId", "u"},
      {"workflow",
       {{"nodes", {process("a"), process("b")}}, {"edges", {edge("a", "b"), edge("b", "a")}}}}};
  const auto report = validate_body(body);
  ASSERT_EQ(report.problems.size(), 1U);
  EXPECT_EQ(report.problems[0].path, "/workflow/edges");
  EXPECT_EQ(report.problems[0].message, "cycle: a -> b -> a");
}

TEST(ValidateWorkflow, UnknownEdgeEndsNameTheMissingId) {
  const auto report =
      validate_body(seed({process("a")}, {edge("a", "ghost"), edge("phantom", "a")}));
  ASSERT_EQ(report.problems.size(), 2U);
  const problem* target = problem_at(report.problems, "/edges/0/target");
  ASSERT_NE(target, nullptr);
  EXPECT_NE(target->message.find("ghost"), std::string::npos);
  const problem* source = problem_at(report.problems, "/edges/1/source");
  ASSERT_NE(source, nullptr);
  EXPECT_NE(source->message.find("phantom"), std::string::npos);
}

TEST(ValidateWorkflow, DuplicateIdIsReportedAtTheLaterNode) {
  const auto report =
      validate_body(seed({process("a"), process("b"), process("a")}, json::array()));
  ASSERT_EQ(report.problems.size(), 1U);
  EXPECT_EQ(report.problems[0].path, "/nodes/2/id");
  EXPECT_NE(report.problems[0].message.find("'a'"), std::string::npos);
}

TEST(ValidateWorkflow, AiNodeWithoutModelIsAProblem) {
  const auto report = validate_body(
      seed({process("writer-1", "content_writer", json::array()),
            {{"id", "p"}, {"type", "preview"}, {"data", {{"role", "chapter_previewer"}}}},
            {{"id", "in"}, {"type", "input"}},
            {{"id", "gate"}, {"type", "condition"}},
            {{"id", "out"}, {"type", "output"}}},
           json::array()));
  ASSERT_EQ(report.problems.size(), 2U);
  EXPECT_EQ(report.problems[0].path, "/nodes/0/data/selectedModels");
  EXPECT_EQ(report.problems[0].message,
            "node 'writer-1' (content_writer) calls a model but selects none");
  EXPECT_EQ(report.problems[1].path, "/nodes/1/data/selectedModels");
}

TEST(ValidateWorkflow, ImageNodeWithoutModelIsAWarning) {
  const auto report =
      validate_body(seed({process("img", "image_generator", json::array())}, json::array()));
  EXPECT_TRUE(report.ok());
  ASSERT_EQ(report.warnings.size(), 1U);
  EXPECT_EQ(report.warnings[0].path, "/nodes/0/data/selectedModels");
}

TEST(ValidateWorkflow, RefusedModelsAreReportedPerEntry) {
  const model_checker refuse_anthropic =
      [](const model_choice& choice) -> std::optional<std::string> {
    if (choice.handle == "anthropic") return "no key for provider anthropic";
    return std::nullopt;
  };
  const auto report = validate_body(
      seed({process("w", "content_writer", {"openai:gpt-4o", "anthropic:claude", "anthropic"})},
           json::array()),
      refuse_anthropic);
  ASSERT_EQ(report.problems.size(), 2U);
  EXPECT_EQ(report.problems[0].path, "/nodes/0/data/selectedModels/1");
  EXPECT_EQ(report.problems[0].message, "no key for provider anthropic");
  EXPECT_EQ(report.problems[1].path, "/nodes/0/data/selectedModels/2");
}

TEST(ValidateWorkflow, ConditionTargetsMustBeSuccessors) {
  const json gate = {
      {"id", "gate"},
      {"type", "condition"},
      {"data",
       {{"conditions",
         {{{"field", "x"}, {"value", "1"}, {"target", "a"}},
          {{"field", "x"}, {"value", "2"}, {"route", "c"}},
          {{"field", "x"}, {"value", "3"}, {"trueTarget", "a"}, {"falseTarget", "nowhere"}}}}}}};
  const auto report = validate_body(seed({gate, process("a"), process("b"), process("c")},
                                         {edge("gate", "a"), edge("gate", "b"), edge("b", "c")}));
  ASSERT_EQ(report.problems.size(), 2U) << report.problems[0].message;
  const problem* route = problem_at(report.problems, "/nodes/0/data/conditions/1/route");
  ASSERT_NE(route, nullptr);
  EXPECT_NE(route->message.find("'c'"), std::string::npos);
  EXPECT_NE(problem_at(report.problems, "/nodes/0/data/conditions/2/falseTarget"), nullptr);
}

TEST(ValidateWorkflow, AtMostOneOutputNode) {
  const auto report = validate_body(seed(
      {{{"id", "o1"}, {"type", "output"}}, {{"id", "o2"}, {"type", "output"}}}, json::array()));
  ASSERT_EQ(report.problems.size(), 1U);
  EXPECT_EQ(report.problems[0].path, "/nodes/1/type");
}

TEST(ValidateWorkflow, MissingConditionFieldIsAWarning) {
  const json gate = {{"id", "gate"},
                     {"type", "condition"},
                     {"data",
                      {{"conditions",
                        {{{"field", "include_images"}, {"value", "true"}, {"target", "a"}},
                         {{"field", "Genre"}, {"value", "x"}, {"target", "a"}},
                         {{"field", "cover"}, {"operator", "exists"}, {"target", "a"}}}}}}};
  json body = seed({gate, process("a")}, {edge("gate", "a")});
  body["userInput"] = {{"genre", "fantasy"}};
  const auto report = validate_body(body);
  EXPECT_TRUE(report.ok());
  ASSERT_EQ(report.warnings.size(), 1U);
  EXPECT_EQ(report.warnings[0].path, "/nodes/0/data/conditions/0/field");
}

TEST(ValidateWorkflow, UnresolvedPlaceholdersAreNotProblems) {
  json writer = process("w");
  writer["data"]["userPrompt"] = "Use {research_data} and {nothing_here}";
  const auto report = validate_body(seed({writer}, json::array()));
  EXPECT_TRUE(report.ok());
  EXPECT_TRUE(report.warnings.empty());
}

TEST(ValidateWorkflow, ReportsEveryProblemAtOnce) {
  const auto report = validate_body(seed({process("a"),
                                          process("b", "editor", json::array()),
                                          process("a"),
                                          {{"id", "o1"}, {"type", "output"}},
                                          {{"id", "o2"}, {"type", "output"}}},
                                         {edge("a", "b"), edge("b", "a"), edge("b", "zzz")}));
  EXPECT_NE(problem_at(report.problems, "/nodes/2/id"), nullptr);
  EXPECT_NE(problem_at(report.problems, "/nodes/1/data/selectedModels"), nullptr);
  EXPECT_NE(problem_at(report.problems, "/edges/2/target"), nullptr);
  EXPECT_NE(problem_at(report.problems, "/edges"), nullptr);
  EXPECT_NE(problem_at(report.problems, "/nodes/4/type"), nullptr);
  EXPECT_EQ(report.problems.size(), 5U);
}

TEST(ValidateWorkflow, WorksOnAWorkflowBuiltInCode) {
  workflow flow;
  node a;
  a.id = "a";
  a.type = node_type::process;
  a.kind = role_kind::writer;
  a.role = "content_writer";
  a.models.push_back({"offline", "draft", "offline:draft"});
  flow.nodes.push_back(a);
  const auto refuse = [](const model_choice&) -> std::optional<std::string> { return "no"; };
  const auto report = validate_workflow(flow, refuse, "");
  ASSERT_EQ(report.problems.size(), 1U);
  EXPECT_EQ(report.problems[0].path, "/nodes/0/data/selectedModels/0");
  EXPECT_TRUE(validate_workflow(flow, model_checker{}, "").ok());  // no checker: no model check
}

}  // namespace
}  // namespace lekhika::workflow
