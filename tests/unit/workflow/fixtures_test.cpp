// The real request bodies of the original project (shared/fixtures/lekhika), read in place.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "lekhika/testing/fixtures.hpp"
#include "lekhika/workflow/conditions.hpp"
#include "lekhika/workflow/graph.hpp"
#include "lekhika/workflow/parse.hpp"
#include "lekhika/workflow/user_input.hpp"
#include "lekhika/workflow/validate.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

const char* const runnable_fixtures[] = {
    "payload-execute-story-3ch-openai.json",
    "payload-execute-fiction-novel-branching-12ch.json",
    "payload-execute-test-flow-4-nodes.json",
    "payload-execute-audiobook-preview.json",
    "request-execute-legacy-execution-worker.json",
    "request-execute-readme-minimal.json",
};

std::optional<std::string> accept_all(const model_choice&) { return std::nullopt; }

std::optional<std::string> refuse_all(const model_choice& choice) {
  const std::string handle = choice.handle.rfind("OPENA", 0) == 0 ? "openai" : choice.handle;
  return "no key for provider " + handle;
}

std::string dump(const problem_list& problems) {
  std::string out;
  for (const auto& p : problems) out += p.path + ": " + p.message + "\n";
  return out;
}

execution_request parse_fixture(const std::string& name) {
  const auto parsed = parse_execution_request(testing::load_fixture(name));
  EXPECT_TRUE(parsed.problems.empty()) << dump(parsed.problems);
  EXPECT_TRUE(parsed.request);
  return parsed.request.value_or(execution_request{});
}

// The AI nodes of a fixture whose model the checker is asked about.
std::set<std::string> ai_node_ids(const execution_request& request) {
  std::set<std::string> out;
  for (const auto& n : request.flow.nodes) {
    if (n.type == node_type::process || n.type == node_type::preview) out.insert(n.id);
  }
  return out;
}

TEST(FixtureRequests, ParseAndValidateWithoutProblems) {
  LEKHIKA_REQUIRE_FIXTURES();
  for (const char* name : runnable_fixtures) {
    SCOPED_TRACE(name);
    const auto request = parse_fixture(name);
    const auto report = validate_request(request, accept_all);
    EXPECT_TRUE(report.ok()) << dump(report.problems);
  }
}

TEST(FixtureRequests, RefusedModelsGiveOneProblemPerAiNode) {
  LEKHIKA_REQUIRE_FIXTURES();
  const std::map<std::string, std::size_t> expected = {
      {"payload-execute-story-3ch-openai.json", 4},
      {"payload-execute-fiction-novel-branching-12ch.json", 5},
      {"payload-execute-test-flow-4-nodes.json", 2},
      {"payload-execute-audiobook-preview.json", 5},
      {"request-execute-legacy-execution-worker.json", 1},
      {"request-execute-readme-minimal.json", 0},
  };
  for (const char* name : runnable_fixtures) {
    SCOPED_TRACE(name);
    const auto request = parse_fixture(name);
    const auto report = validate_request(request, refuse_all);
    EXPECT_EQ(report.problems.size(), expected.at(name)) << dump(report.problems);
    EXPECT_EQ(report.problems.size(), ai_node_ids(request).size());
    const std::string prefix = request.shape == request_shape::lekhika ? "/workflow" : "";
    for (const auto& p : report.problems) {
      EXPECT_EQ(p.path.rfind(prefix + "/nodes/", 0), 0U) << p.path;
      EXPECT_NE(p.path.find("/data/selectedModels/0"), std::string::npos) << p.path;
      EXPECT_EQ(p.message.rfind("no key for provider ", 0), 0U) << p.message;
    }
  }
}

TEST(FixtureRequests, StoryPayloadReadsConfigurationPrompts) {
  LEKHIKA_REQUIRE_FIXTURES();
  const auto request = parse_fixture("payload-execute-story-3ch-openai.json");
  EXPECT_EQ(request.shape, request_shape::lekhika);
  EXPECT_EQ(request.execution_id, "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(request.engine_id, "44444444-4444-4444-8444-444444444444");
  ASSERT_EQ(request.flow.nodes.size(), 6U);
  const std::vector<std::pair<std::string, role_kind>> roles = {
      {"story_input", role_kind::input},           {"world_builder", role_kind::planner},
      {"character_developer", role_kind::planner}, {"plot_architect", role_kind::structural},
      {"content_writer", role_kind::writer},       {"multi_format_output", role_kind::output}};
  for (std::size_t i = 0; i < roles.size(); ++i) {
    EXPECT_EQ(request.flow.nodes[i].role, roles[i].first);
    EXPECT_EQ(request.flow.nodes[i].kind, roles[i].second);
  }
  const node& writer = request.flow.nodes[4];
  EXPECT_FALSE(writer.system_prompt.empty());  // top level is empty: data.configuration
  EXPECT_FALSE(writer.user_prompt.empty());
  ASSERT_EQ(writer.models.size(), 1U);
  EXPECT_EQ(writer.models[0].handle, "OPENA-01-first");
  EXPECT_EQ(writer.models[0].model, "");
  EXPECT_EQ(writer.temperature, 0.7);
  EXPECT_EQ(writer.max_tokens, 2000);
  EXPECT_EQ(request.flow.nodes[5].export_formats, std::vector<std::string>{"text"});
  const workflow_graph graph{request.flow};
  EXPECT_EQ(graph.topological_order(), (std::vector<std::size_t>{0, 1, 2, 3, 4, 5}));
}

TEST(FixtureRequests, TestFlowReadsTopLevelRoles) {
  LEKHIKA_REQUIRE_FIXTURES();
  const auto request = parse_fixture("payload-execute-test-flow-4-nodes.json");
  EXPECT_EQ(request.flow.nodes[1].role, "researcher");
  EXPECT_EQ(request.flow.nodes[1].kind, role_kind::planner);
  EXPECT_EQ(request.flow.nodes[2].role, "content_writer");
  EXPECT_EQ(request.flow.nodes[2].kind, role_kind::writer);
}

TEST(FixtureRequests, LegacyRequestIsSeedShaped) {
  LEKHIKA_REQUIRE_FIXTURES();
  const auto request = parse_fixture("request-execute-legacy-execution-worker.json");
  EXPECT_EQ(request.shape, request_shape::seed);
  EXPECT_EQ(request.engine_id, "test-engine-id");
  EXPECT_EQ(request.execution_id, "test_1732000000000");
  const node& writer = request.flow.nodes[1];
  EXPECT_EQ(writer.type, node_type::process);
  EXPECT_EQ(writer.role, "content_writer");
  EXPECT_EQ(writer.system_prompt, "You are a professional writer");
}

TEST(FixtureRequests, BranchingGatesRouteByInput) {
  LEKHIKA_REQUIRE_FIXTURES();
  const auto request = parse_fixture("payload-execute-fiction-novel-branching-12ch.json");
  const workflow_graph graph{request.flow};
  const json input = sanitize_user_input(request.user_input);
  const std::size_t gate = graph.index_of("img-gate");
  ASSERT_NE(gate, workflow_graph::npos);
  std::vector<std::string> successors;
  for (std::size_t i : graph.outgoing(gate)) successors.push_back(request.flow.nodes[i].id);
  const auto decision = decide_routes(request.flow.nodes[gate], successors, input);
  EXPECT_EQ(decision.taken, std::vector<std::string>{"image-1"});
  EXPECT_EQ(decision.not_taken, std::vector<std::string>{"cover-gate"});
  EXPECT_EQ(graph.topological_order().size(), request.flow.nodes.size());
}

TEST(FixtureFlows, BareFictionFlowLacksModels) {
  LEKHIKA_REQUIRE_FIXTURES();
  const auto parsed = parse_document(testing::load_fixture("flow-fiction-novel-branching.json"));
  ASSERT_TRUE(parsed.problems.empty()) << dump(parsed.problems);
  ASSERT_TRUE(parsed.request);
  EXPECT_EQ(parsed.request->shape, request_shape::bare_flow);
  const auto report = validate_request(*parsed.request, accept_all);
  std::set<std::string> refused;
  for (const auto& p : report.problems) {
    EXPECT_NE(p.path.find("/data/selectedModels"), std::string::npos) << p.path;
    EXPECT_NE(p.message.find("calls a model but selects none"), std::string::npos);
    refused.insert(p.message.substr(6, p.message.find('\'', 6) - 6));
  }
  EXPECT_EQ(refused, (std::set<std::string>{"architect-1", "writer-1", "editor-1"}));
  EXPECT_EQ(report.problems.size(), 3U) << dump(report.problems);
  ASSERT_EQ(report.warnings.size(), 2U) << dump(report.warnings);
  EXPECT_NE(report.warnings[0].message.find("image-1"), std::string::npos);
  EXPECT_NE(report.warnings[1].message.find("cover-1"), std::string::npos);
}

}  // namespace
}  // namespace lekhika::workflow
