#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "lekhika/workflow/parse.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

bool has_problem_at(const problem_list& problems, const std::string& path) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const problem& p) { return p.path == path; });
}

const problem* problem_at(const problem_list& problems, const std::string& path) {
  const auto it = std::find_if(problems.begin(), problems.end(),
                               [&](const problem& p) { return p.path == path; });
  return it == problems.end() ? nullptr : &*it;
}

json writer_node(const std::string& id = "writer-1") {
  return {{"id", id},
          {"type", "process"},
          {"data",
           {{"role", "content_writer"},
            {"label", "Writer"},
            {"selectedModels", {"openai:gpt-4o-mini"}},
            {"userPrompt", "Write about {topic}"}}}};
}

json lekhika_body() {
  return {{"executionId", "exec-1"},
          {"userId", "user-1"},
          {"masterEngineId", "engine-m"},
          {"userEngineId", "engine-u"},
          {"workflow",
           {{"nodes", {{{"id", "in"}, {"type", "input"}, {"data", json::object()}}, writer_node()}},
            {"edges", {{{"id", "e1"}, {"source", "in"}, {"target", "writer-1"}}}},
            {"models", json::array()}}},
          {"inputs", {{"topic", "bees"}}},
          {"options", {{"tier", "pro"}}}};
}

TEST(ParseRequest, AcceptsLekhikaShape) {
  const auto result = parse_execution_request(lekhika_body());
  ASSERT_TRUE(result.problems.empty()) << result.problems.front().path;
  ASSERT_TRUE(result.request);
  const auto& r = *result.request;
  EXPECT_EQ(r.shape, request_shape::lekhika);
  EXPECT_EQ(r.execution_id, "exec-1");
  EXPECT_EQ(r.user_id, "user-1");
  EXPECT_EQ(r.engine_id, "engine-m");  // masterEngineId before userEngineId
  EXPECT_EQ(r.user_input.at("topic"), "bees");
  EXPECT_EQ(r.options.at("tier"), "pro");
  EXPECT_FALSE(r.async_requested);
  ASSERT_EQ(r.flow.nodes.size(), 2U);
  EXPECT_EQ(r.flow.nodes[0].type, node_type::input);
  EXPECT_EQ(r.flow.nodes[0].kind, role_kind::input);
  const node& writer = r.flow.nodes[1];
  EXPECT_EQ(writer.type, node_type::process);
  EXPECT_EQ(writer.role, "content_writer");
  EXPECT_EQ(writer.kind, role_kind::writer);
  ASSERT_EQ(writer.models.size(), 1U);
  EXPECT_EQ(writer.models[0].handle, "openai");
  EXPECT_EQ(writer.models[0].model, "gpt-4o-mini");
  EXPECT_EQ(writer.models[0].raw, "openai:gpt-4o-mini");
  ASSERT_EQ(r.flow.edges.size(), 1U);
  EXPECT_EQ(r.flow.edges[0].id, "e1");
}

TEST(ParseRequest, AcceptsSeedShape) {
  const json body = {
      {"executionId", "seed_1"}, {"engineId", "engine-1"},           {"masterEngineId", "ignored"},
      {"userId", "u"},           {"userInput", {{"title", "T"}}},    {"nodes", {writer_node()}},
      {"edges", json::array()},  {"models", {"openai:gpt-4o-mini"}}, {"async", true}};
  const auto result = parse_execution_request(body);
  ASSERT_TRUE(result.problems.empty());
  ASSERT_TRUE(result.request);
  EXPECT_EQ(result.request->shape, request_shape::seed);
  EXPECT_EQ(result.request->engine_id, "engine-1");
  EXPECT_EQ(result.request->user_input.at("title"), "T");
  EXPECT_TRUE(result.request->async_requested);
  EXPECT_EQ(result.request->flow.models, json({"openai:gpt-4o-mini"}));
}

TEST(ParseRequest, OptionalFieldsDefault) {
  json body = lekhika_body();
  body.erase("executionId");
  body.erase("inputs");
  body.erase("options");
  body.erase("masterEngineId");
  body.erase("userEngineId");
  body["workflow"].erase("edges");
  const auto result = parse_execution_request(body);
  ASSERT_TRUE(result.problems.empty());
  EXPECT_EQ(result.request->execution_id, "");
  EXPECT_EQ(result.request->engine_id, "");
  EXPECT_EQ(result.request->user_input, json::object());
  EXPECT_EQ(result.request->options, json::object());
  EXPECT_TRUE(result.request->flow.edges.empty());
  body["inputs"] = nullptr;
  EXPECT_TRUE(parse_execution_request(body).problems.empty());
}

TEST(ParseRequest, RejectsNonObjectBody) {
  const auto result = parse_execution_request(json::array());
  EXPECT_FALSE(result.request);
  ASSERT_EQ(result.problems.size(), 1U);
  EXPECT_EQ(result.problems[0].path, "");
}

TEST(ParseRequest, RequiresUserId) {
  json body = lekhika_body();
  body.erase("userId");
  auto result = parse_execution_request(body);
  EXPECT_TRUE(has_problem_at(result.problems, "/userId"));
  EXPECT_TRUE(result.request);  // still built, so that every problem can be reported
  body["userId"] = "";
  EXPECT_TRUE(has_problem_at(parse_execution_request(body).problems, "/userId"));
  body["userId"] = 42;
  EXPECT_TRUE(has_problem_at(parse_execution_request(body).problems, "/userId"));
}

TEST(ParseRequest, ValidatesExecutionId) {
  for (const json& bad : {json(""), json("."), json(".."), json("a/b"), json("../x"),
                          json(std::string(129, 'a')), json(7), json("with space")}) {
    SCOPED_TRACE(bad.dump());
    json body = lekhika_body();
    body["executionId"] = bad;
    EXPECT_TRUE(has_problem_at(parse_execution_request(body).problems, "/executionId"));
  }
  for (const char* good : {"exec_1", "a.b:c-d", "00000000-0000-4000-8000-000000000001"}) {
    json body = lekhika_body();
    body["executionId"] = good;
    EXPECT_TRUE(parse_execution_request(body).problems.empty()) << good;
  }
  json body = lekhika_body();
  body["executionId"] = std::string(128, 'z');
  EXPECT_TRUE(parse_execution_request(body).problems.empty());
}

TEST(ParseRequest, ChecksTopLevelTypes) {
  json body = lekhika_body();
  body["inputs"] = "text";
  body["options"] = json::array();
  body["async"] = "yes";
  const auto result = parse_execution_request(body);
  EXPECT_TRUE(has_problem_at(result.problems, "/inputs"));
  EXPECT_TRUE(has_problem_at(result.problems, "/options"));
  EXPECT_TRUE(has_problem_at(result.problems, "/async"));
}

TEST(ParseRequest, RequiresAWorkflow) {
  const auto missing = parse_execution_request({{"userId", "u"}});
  EXPECT_FALSE(missing.request);
  EXPECT_TRUE(has_problem_at(missing.problems, "/workflow"));
  const auto wrong = parse_execution_request({{"userId", "u"}, {"workflow", "x"}});
  EXPECT_FALSE(wrong.request);
  EXPECT_TRUE(has_problem_at(wrong.problems, "/workflow"));
  const auto no_nodes = parse_execution_request({{"userId", "u"}, {"workflow", json::object()}});
  EXPECT_FALSE(no_nodes.request);
  EXPECT_TRUE(has_problem_at(no_nodes.problems, "/workflow/nodes"));
  const auto empty =
      parse_execution_request({{"userId", "u"}, {"workflow", {{"nodes", json::array()}}}});
  EXPECT_TRUE(has_problem_at(empty.problems, "/workflow/nodes"));
  const auto not_array = parse_execution_request({{"userId", "u"}, {"nodes", "x"}});
  EXPECT_TRUE(has_problem_at(not_array.problems, "/nodes"));
}

TEST(ParseRequest, RejectsUnknownNodeTypeNamingNodeAndTypes) {
  json body = lekhika_body();
  body["workflow"]["nodes"][1]["type"] = "magic";
  const auto result = parse_execution_request(body);
  const problem* p = problem_at(result.problems, "/workflow/nodes/1/type");
  ASSERT_NE(p, nullptr);
  EXPECT_NE(p->message.find("writer-1"), std::string::npos);
  EXPECT_NE(p->message.find("magic"), std::string::npos);
  EXPECT_NE(p->message.find("input, process, condition, preview, output"), std::string::npos);
  body["workflow"]["nodes"][1].erase("type");
  EXPECT_TRUE(has_problem_at(parse_execution_request(body).problems, "/workflow/nodes/1/type"));
}

TEST(ParseRequest, MapsLegacyNodeTypes) {
  const json body = {{"userId", "u"},
                     {"nodes",
                      {{{"id", "a"}, {"type", "ai_writer"}, {"data", {{"type", "ai_writer"}}}},
                       {{"id", "b"}, {"type", "ai_editor"}},
                       {{"id", "c"}, {"type", "ai_researcher"}},
                       {{"id", "d"}, {"type", "ai_outliner"}},
                       {{"id", "e"}, {"type", "ai_proofreader"}},
                       {{"id", "f"}, {"type", "Process"}},
                       {{"id", "g"}, {"type", "editor"}},
                       {{"id", "h"}, {"type", "story_input"}}}}};
  const auto result = parse_execution_request(body);
  ASSERT_TRUE(result.problems.empty()) << result.problems.front().message;
  const auto& nodes = result.request->flow.nodes;
  const auto expect = [&](std::size_t i, node_type type, std::string_view role, role_kind kind) {
    SCOPED_TRACE(nodes[i].id);
    EXPECT_EQ(nodes[i].type, type);
    EXPECT_EQ(nodes[i].role, role);
    EXPECT_EQ(nodes[i].kind, kind);
  };
  expect(0, node_type::process, "content_writer", role_kind::writer);
  expect(1, node_type::process, "editor", role_kind::reviser);
  expect(2, node_type::process, "researcher", role_kind::planner);
  expect(3, node_type::process, "story_outliner", role_kind::structural);
  expect(4, node_type::process, "proofreader", role_kind::reviser);
  expect(5, node_type::process, "", role_kind::generic);
  expect(6, node_type::process, "editor", role_kind::reviser);
  expect(7, node_type::input, "story_input", role_kind::input);
}

TEST(ParseRequest, ResolvesRoleInOrder) {
  const json body = {
      {"userId", "u"},
      {"nodes",
       {{{"id", "a"}, {"type", "process"}, {"role", "editor"}, {"data", {{"role", "researcher"}}}},
        {{"id", "b"}, {"type", "process"}, {"role", "editor"}, {"data", {{"label", "Writer"}}}},
        {{"id", "c"}, {"type", "process"}, {"data", {{"type", "copywriter"}, {"label", "Writer"}}}},
        {{"id", "d"}, {"type", "process"}, {"data", {{"label", "Plot Architect"}}}},
        {{"id", "e"}, {"type", "process"}, {"data", {{"label", "Mystery"}}}},
        {{"id", "f"}, {"type", "process"}, {"data", {{"role", "script_doctor"}}}},
        {{"id", "g"}, {"type", "process"}, {"data", {{"role", "Content-Writer"}}}},
        {{"id", "h"}, {"type", "output"}, {"data", {{"label", "Story Output"}}}},
        {{"id", "i"}, {"type", "process"}, {"data", {{"role", "output_processor"}}}}}}};
  const auto result = parse_execution_request(body);
  ASSERT_TRUE(result.problems.empty());
  const auto& n = result.request->flow.nodes;
  EXPECT_EQ(n[0].role, "researcher");  // data.role first
  EXPECT_EQ(n[1].role, "editor");      // then the top-level role
  EXPECT_EQ(n[2].role, "copywriter");  // then data.type naming a role
  EXPECT_EQ(n[3].role, "plot_architect");
  EXPECT_EQ(n[3].kind, role_kind::structural);
  EXPECT_EQ(n[4].role, "");
  EXPECT_EQ(n[4].kind, role_kind::generic);
  EXPECT_EQ(n[5].role, "script_doctor");  // unknown names are kept for messages
  EXPECT_EQ(n[5].kind, role_kind::generic);
  EXPECT_EQ(n[6].role, "content_writer");
  EXPECT_EQ(n[7].role, "");  // labels are read for process nodes only
  EXPECT_EQ(n[7].kind, role_kind::output);
  EXPECT_EQ(n[8].kind, role_kind::generic);  // a process node never becomes an output
}

TEST(ParseRequest, PromptsFallBackToConfiguration) {
  const json body = {
      {"userId", "u"},
      {"nodes",
       {{{"id", "a"},
         {"type", "process"},
         {"data",
          {{"systemPrompt", "  "},
           {"userPrompt", "top"},
           {"configuration", {{"systemPrompt", "from config"}, {"userPrompt", "not used"}}}}}}}}};
  const auto result = parse_execution_request(body);
  ASSERT_TRUE(result.problems.empty());
  const node& n = result.request->flow.nodes[0];
  EXPECT_EQ(n.system_prompt, "from config");
  EXPECT_EQ(n.user_prompt, "top");
}

TEST(ParseRequest, ParsesNodeSettings) {
  json node = writer_node();
  node["data"]["selectedModels"] = {"OPENA-01-first", " anthropic:claude:latest ", "x:"};
  node["data"]["temperature"] = 0.4;
  node["data"]["maxTokens"] = 1200;
  node["data"]["chapterConcurrency"] = 40;
  node["data"]["somethingElse"] = {{"kept", true}};
  const auto result = parse_execution_request({{"userId", "u"}, {"nodes", {node}}});
  ASSERT_TRUE(result.problems.empty());
  const auto& n = result.request->flow.nodes[0];
  ASSERT_EQ(n.models.size(), 3U);
  EXPECT_EQ(n.models[0].handle, "OPENA-01-first");
  EXPECT_EQ(n.models[0].model, "");
  EXPECT_EQ(n.models[1].handle, "anthropic");
  EXPECT_EQ(n.models[1].model, "claude:latest");  // split at the first ':'
  EXPECT_EQ(n.models[2].handle, "x");
  EXPECT_EQ(n.models[2].model, "");
  EXPECT_DOUBLE_EQ(*n.temperature, 0.4);
  EXPECT_EQ(*n.max_tokens, 1200);
  EXPECT_EQ(n.chapter_concurrency, 16);
  EXPECT_EQ(n.data.at("somethingElse").at("kept"), true);
}

TEST(ParseRequest, ReportsBadNodeSettingsWithPaths) {
  json node = writer_node();
  node["data"]["selectedModels"] = {"ok:model", 5, "", ":model"};
  node["data"]["temperature"] = 3;
  node["data"]["maxTokens"] = 0;
  node["data"]["chapterConcurrency"] = 0;
  node["data"]["userPrompt"] = 12;
  const auto result = parse_execution_request({{"userId", "u"}, {"nodes", {node}}});
  const auto& p = result.problems;
  EXPECT_FALSE(has_problem_at(p, "/nodes/0/data/selectedModels/0"));
  EXPECT_TRUE(has_problem_at(p, "/nodes/0/data/selectedModels/1"));
  EXPECT_TRUE(has_problem_at(p, "/nodes/0/data/selectedModels/2"));
  EXPECT_TRUE(has_problem_at(p, "/nodes/0/data/selectedModels/3"));
  EXPECT_TRUE(has_problem_at(p, "/nodes/0/data/temperature"));
  EXPECT_TRUE(has_problem_at(p, "/nodes/0/data/maxTokens"));
  EXPECT_TRUE(has_problem_at(p, "/nodes/0/data/chapterConcurrency"));
  EXPECT_TRUE(has_problem_at(p, "/nodes/0/data/userPrompt"));
  node["data"]["selectedModels"] = "openai";
  EXPECT_TRUE(has_problem_at(parse_execution_request({{"userId", "u"}, {"nodes", {node}}}).problems,
                             "/nodes/0/data/selectedModels"));
}

TEST(ParseRequest, ParsesConditionRules) {
  const json gate = {{"id", "gate"},
                     {"type", "condition"},
                     {"data",
                      {{"conditions",
                        {{{"field", "include_images"},
                          {"operator", "equals"},
                          {"value", "true"},
                          {"target", "img"}},
                         {{"field", "genre"}, {"value", "fantasy"}, {"route", "fan"}},
                         {{"field", "n"},
                          {"operator", "GREATER_THAN"},
                          {"value", 3},
                          {"trueTarget", "big"},
                          {"falseTarget", "small"}}}}}}};
  const auto result = parse_execution_request({{"userId", "u"}, {"nodes", {gate}}});
  ASSERT_TRUE(result.problems.empty()) << result.problems.front().message;
  const auto& rules = result.request->flow.nodes[0].conditions;
  ASSERT_EQ(rules.size(), 3U);
  EXPECT_EQ(rules[0].field, "include_images");
  EXPECT_EQ(rules[0].op, "equals");
  EXPECT_EQ(rules[0].value, "true");
  EXPECT_EQ(rules[0].target, "img");
  EXPECT_EQ(rules[1].op, "equals");   // the default
  EXPECT_EQ(rules[1].target, "fan");  // `route` is the same as `target`
  EXPECT_EQ(rules[2].op, "greater_than");
  EXPECT_EQ(rules[2].true_target, "big");
  EXPECT_EQ(rules[2].false_target, "small");
}

TEST(ParseRequest, ReportsBadConditionRulesWithPaths) {
  const json gate = {{"id", "gate"},
                     {"type", "condition"},
                     {"data",
                      {{"conditions",
                        {"not an object",
                         {{"value", 1}},
                         {{"field", "x"}, {"operator", "roughly"}},
                         {{"field", "x"}, {"target", 3}}}}}}};
  const auto result = parse_execution_request({{"userId", "u"}, {"nodes", {gate}}});
  const auto& p = result.problems;
  EXPECT_TRUE(has_problem_at(p, "/nodes/0/data/conditions/0"));
  EXPECT_TRUE(has_problem_at(p, "/nodes/0/data/conditions/1/field"));
  const problem* op = problem_at(p, "/nodes/0/data/conditions/2/operator");
  ASSERT_NE(op, nullptr);
  EXPECT_NE(op->message.find("roughly"), std::string::npos);
  EXPECT_NE(op->message.find("greater_than"), std::string::npos);
  EXPECT_TRUE(has_problem_at(p, "/nodes/0/data/conditions/3/target"));
  json wrong = gate;
  wrong["data"]["conditions"] = {{"field", "x"}};
  EXPECT_TRUE(
      has_problem_at(parse_execution_request({{"userId", "u"}, {"nodes", {wrong}}}).problems,
                     "/nodes/0/data/conditions"));
}

TEST(ParseRequest, ParsesOutputAndPreviewSettings) {
  const json nodes = {
      {{"id", "out"},
       {"type", "output"},
       {"data", {{"exportFormats", {"PDF", " html ", "pdf"}}, {"outputFormat", "Markdown"}}}},
      {{"id", "out2"},
       {"type", "output"},
       {"data", {{"exportFormats", "epub, docx,,txt"}, {"outputFormat", "final_deliverables"}}}},
      {{"id", "prev"},
       {"type", "preview"},
       {"data", {{"approvalRequired", true}, {"maxAttempts", 5}, {"selectedModels", {"a:b"}}}}},
      {{"id", "prev2"}, {"type", "preview"}, {"data", {{"role", "chapter_preview"}}}}};
  const auto result = parse_execution_request({{"userId", "u"}, {"nodes", nodes}});
  ASSERT_TRUE(result.problems.empty());
  const auto& n = result.request->flow.nodes;
  EXPECT_EQ(n[0].export_formats, (std::vector<std::string>{"pdf", "html", "markdown"}));
  EXPECT_EQ(n[1].export_formats, (std::vector<std::string>{"epub", "docx", "txt"}));
  EXPECT_TRUE(n[2].approval_required);
  EXPECT_EQ(n[2].max_attempts, 5);
  EXPECT_EQ(n[2].kind, role_kind::preview);
  EXPECT_FALSE(n[3].approval_required);
  EXPECT_EQ(n[3].max_attempts, 3);
  EXPECT_EQ(n[3].role, "chapter_previewer");

  const json bad = {{"id", "prev"},
                    {"type", "preview"},
                    {"data", {{"approvalRequired", "yes"}, {"maxAttempts", 11}}}};
  const auto bad_result = parse_execution_request({{"userId", "u"}, {"nodes", {bad}}});
  EXPECT_TRUE(has_problem_at(bad_result.problems, "/nodes/0/data/approvalRequired"));
  EXPECT_TRUE(has_problem_at(bad_result.problems, "/nodes/0/data/maxAttempts"));
  const json bad_out = {{"id", "o"}, {"type", "output"}, {"data", {{"exportFormats", {"pdf", 1}}}}};
  EXPECT_TRUE(
      has_problem_at(parse_execution_request({{"userId", "u"}, {"nodes", {bad_out}}}).problems,
                     "/nodes/0/data/exportFormats/1"));
}

TEST(ParseRequest, ParsesEdges) {
  json body = lekhika_body();
  body["workflow"]["edges"] = {{{"source", "in"}, {"target", "writer-1"}},
                               {{"id", "bad"}, {"target", "writer-1"}},
                               {{"id", "bad2"}, {"source", 1}, {"target", "writer-1"}},
                               "edge"};
  const auto result = parse_execution_request(body);
  const auto& p = result.problems;
  EXPECT_EQ(result.request->flow.edges[0].id, "in->writer-1");
  EXPECT_TRUE(has_problem_at(p, "/workflow/edges/1/source"));
  EXPECT_TRUE(has_problem_at(p, "/workflow/edges/2/source"));
  EXPECT_TRUE(has_problem_at(p, "/workflow/edges/3"));
  body["workflow"]["edges"] = "none";
  EXPECT_TRUE(has_problem_at(parse_execution_request(body).problems, "/workflow/edges"));
}

TEST(ParseRequest, ReportsEveryProblemAtOnce) {
  const json body = {{"executionId", "../etc"},
                     {"workflow",
                      {{"nodes",
                        {{{"type", "process"}},
                         {{"id", "b"}, {"type", "spaceship"}},
                         {{"id", "c"}, {"type", "process"}, {"data", {{"temperature", "hot"}}}},
                         7}},
                       {"edges", {{{"source", "b"}}}}}}};
  const auto result = parse_execution_request(body);
  ASSERT_TRUE(result.request);  // the node list was usable
  const auto& p = result.problems;
  EXPECT_TRUE(has_problem_at(p, "/executionId"));
  EXPECT_TRUE(has_problem_at(p, "/userId"));
  EXPECT_TRUE(has_problem_at(p, "/workflow/nodes/0/id"));
  EXPECT_TRUE(has_problem_at(p, "/workflow/nodes/1/type"));
  EXPECT_TRUE(has_problem_at(p, "/workflow/nodes/2/data/temperature"));
  EXPECT_TRUE(has_problem_at(p, "/workflow/nodes/3"));
  EXPECT_TRUE(has_problem_at(p, "/workflow/edges/0/target"));
  EXPECT_EQ(p.size(), 7U);
  // Indices of the parsed flow still match the body's.
  EXPECT_EQ(result.request->flow.nodes.size(), 4U);
}

TEST(ParseDocument, AcceptsBareWorkflow) {
  const json flow = {{"name", "My flow"}, {"nodes", {writer_node("w")}}, {"edges", json::array()}};
  const auto result = parse_document(flow);
  ASSERT_TRUE(result.problems.empty());
  ASSERT_TRUE(result.request);
  EXPECT_EQ(result.request->shape, request_shape::bare_flow);
  EXPECT_EQ(result.request->user_id, "");
  const auto bad = parse_document({{"nodes", {{{"id", "x"}, {"type", "nope"}}}}});
  EXPECT_TRUE(has_problem_at(bad.problems, "/nodes/0/type"));
}

TEST(ParseDocument, ParsesRequestsAsRequests) {
  const auto result = parse_document(lekhika_body());
  ASSERT_TRUE(result.problems.empty());
  EXPECT_EQ(result.request->shape, request_shape::lekhika);
  // A seed-shaped body without userId is still a request, so the missing id is reported.
  const auto seed = parse_document({{"executionId", "x"}, {"nodes", {writer_node()}}});
  EXPECT_TRUE(has_problem_at(seed.problems, "/userId"));
}

}  // namespace
}  // namespace lekhika::workflow
