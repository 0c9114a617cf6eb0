// api.md §2 / §2.1: what POST /execute refuses, and how (status, error.code, details).

#include "server_harness.hpp"

namespace lekhika::e2e {
namespace {

const std::vector<std::string> kJson{"Content-Type: application/json"};

TEST(HttpExecuteRefusals, WrongContentTypeIsUnsupportedMediaType) {
  test_server server;
  const auto body = book_request("media-user", 1).dump();
  for (const char* type :
       {"Content-Type: text/plain", "Content-Type: application/x-www-form-urlencoded",
        "Content-Type: multipart/form-data; boundary=x"}) {
    SCOPED_TRACE(type);
    EXPECT_TRUE(
        is_error(server.request("POST", "/execute", body, {type}), 415, "unsupported_media_type"));
  }
  // Parameters of a JSON media type are fine.
  auto ok = server.request("POST", "/execute", body,
                           {"Content-Type: application/json; charset=utf-8"}, true, kPatience);
  EXPECT_EQ(ok.status, 200) << describe(ok);
}

TEST(HttpExecuteRefusals, BodyOverMaxBodyBytesIsPayloadTooLarge) {
  server_options options;
  options.max_body_bytes = 4096;
  test_server server{options};
  auto body = book_request("big-user", 1);
  body["inputs"]["notes"] = std::string(6000, 'x');
  ASSERT_GT(body.dump().size(), 4096U);
  EXPECT_TRUE(is_error(server.post_json("/execute", body), 413, "payload_too_large"));

  // A body under the limit on the same server is served.
  auto small = server.execute_sync(book_request("big-user", 1));
  EXPECT_EQ(small.status, 200) << describe(small);
}

// Far over the limit (2 MiB against 4 KiB) is still answered 413, not dropped.
TEST(HttpExecuteRefusals, BodyFarOverMaxBodyBytesIsStillAnswered413) {
  server_options options;
  options.max_body_bytes = 4096;
  test_server server{options};
  auto body = book_request("huge-user", 1);
  body["inputs"]["notes"] = std::string(2U << 20U, 'x');
  EXPECT_TRUE(is_error(server.post_json("/execute", body), 413, "payload_too_large"));
}

TEST(HttpExecuteRefusals, MalformedJsonIsInvalidJson) {
  test_server server;
  for (const char* text : {"{\"userId\": \"u\", ", "not json at all", "{'single': 'quotes'}", ""}) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(is_error(server.request("POST", "/execute", text, kJson), 400, "invalid_json"));
  }
}

TEST(HttpExecuteRefusals, NonObjectJsonIsInvalidJson) {
  test_server server;
  for (const char* text : {"[]", "[{\"userId\": \"u\"}]", "42", "\"text\"", "null"}) {
    SCOPED_TRACE(text);
    EXPECT_TRUE(is_error(server.request("POST", "/execute", text, kJson), 400, "invalid_json"));
  }
}

TEST(HttpExecuteValidation, MissingUserIdIsReportedWithItsPath) {
  test_server server;
  auto body = book_request("someone", 1);
  body.erase("userId");
  auto response = server.post_json("/execute", body);
  ASSERT_TRUE(is_error(response, 422, "validation_failed"));
  EXPECT_TRUE(problem_paths(response).contains("/userId")) << response.body;
}

TEST(HttpExecuteValidation, CycleIsReportedWithTheNodesOfTheCycle) {
  test_server server;
  auto body = book_request("cycle-user", 1);
  body["workflow"]["edges"].push_back(
      {{"id", "back"}, {"source", "writer"}, {"target", "outline"}});
  auto response = server.post_json("/execute", body);
  ASSERT_TRUE(is_error(response, 422, "validation_failed"));
  bool found = false;
  const auto answer = body_of(response);
  for (const auto& d : answer["error"]["details"]) {
    const auto message = d.value("message", std::string{});
    if (d.value("path", std::string{}).starts_with("/workflow/edges") &&
        message.find("cycle") != std::string::npos &&
        message.find("outline") != std::string::npos &&
        message.find("writer") != std::string::npos) {
      found = true;
    }
  }
  EXPECT_TRUE(found) << "no cycle problem naming outline and writer: " << response.body;
}

TEST(HttpExecuteValidation, EdgeToUnknownNodeIsReportedWithItsPath) {
  test_server server;
  auto body = book_request("edge-user", 1);
  body["workflow"]["edges"].push_back({{"id", "lost"}, {"source", "writer"}, {"target", "ghost"}});
  auto response = server.post_json("/execute", body);
  ASSERT_TRUE(is_error(response, 422, "validation_failed"));
  EXPECT_TRUE(problem_paths(response).contains("/workflow/edges/3/target")) << response.body;
}

TEST(HttpExecuteValidation, AiNodeWithoutModelIsReportedWithItsPath) {
  test_server server;
  auto body = book_request("model-user", 1);
  body["workflow"]["nodes"][2]["data"].erase("selectedModels");
  auto response = server.post_json("/execute", body);
  ASSERT_TRUE(is_error(response, 422, "validation_failed"));
  EXPECT_TRUE(problem_paths(response).contains("/workflow/nodes/2/data/selectedModels"))
      << response.body;
}

// "every problem at once" (api.md §2, workflow.md): one body with four different problems.
TEST(HttpExecuteValidation, EveryProblemOfOneBodyIsListedAtOnce) {
  test_server server;
  auto body = book_request("nobody", 1);
  body.erase("userId");
  body["workflow"]["edges"].push_back(
      {{"id", "back"}, {"source", "writer"}, {"target", "outline"}});
  body["workflow"]["edges"].push_back({{"id", "lost"}, {"source", "writer"}, {"target", "ghost"}});
  body["workflow"]["nodes"][1]["data"].erase("selectedModels");
  auto response = server.post_json("/execute", body);
  ASSERT_TRUE(is_error(response, 422, "validation_failed"));
  const auto paths = problem_paths(response);
  EXPECT_TRUE(paths.contains("/userId")) << join(paths);
  EXPECT_TRUE(paths.contains("/workflow/edges")) << "cycle not listed: " << join(paths);
  EXPECT_TRUE(paths.contains("/workflow/edges/4/target")) << join(paths);
  EXPECT_TRUE(paths.contains("/workflow/nodes/1/data/selectedModels")) << join(paths);
}

TEST(HttpExecuteValidation, BareFictionFlowListsEveryNodeWithoutAModel) {
  LEKHIKA_REQUIRE_FIXTURES();
  test_server server;
  const auto flow = testing::load_fixture("flow-fiction-novel-branching.json");
  ASSERT_TRUE(flow.is_object());
  const json body{{"userId", "fiction-user"}, {"workflow", flow}, {"inputs", json::object()}};
  auto response = server.post_json("/execute", body);
  ASSERT_TRUE(is_error(response, 422, "validation_failed"));
  const auto paths = problem_paths(response);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < flow["nodes"].size(); ++i)
    index[flow["nodes"][i]["id"].get<std::string>()] = i;
  for (const char* id : {"architect-1", "writer-1", "editor-1"}) {
    ASSERT_TRUE(index.contains(id)) << id;
    const auto path = "/workflow/nodes/" + std::to_string(index[id]) + "/data/selectedModels";
    EXPECT_TRUE(paths.contains(path)) << id << ": " << path << " not in " << join(paths);
  }
  // Image and e-cover generators without a model are skipped at run time (workflow.md),
  // so they are not validation errors.
  for (const char* id : {"image-1", "cover-1"}) {
    const auto path = "/workflow/nodes/" + std::to_string(index[id]) + "/data/selectedModels";
    EXPECT_FALSE(paths.contains(path)) << id << " listed as a problem: " << response.body;
  }
}

// Fixture payloads name OPENA-01-first (OpenAI) and the server has no OPENAI_API_KEY: 422 that
// names the model of every node that calls one.
TEST(HttpExecuteValidation, FixturePayloadsWithoutOpenAiKeyNameEveryModelPath) {
  LEKHIKA_REQUIRE_FIXTURES();
  test_server server;
  for (const char* name :
       {"payload-execute-story-3ch-openai.json",
        "payload-execute-fiction-novel-branching-12ch.json",
        "payload-execute-test-flow-4-nodes.json", "payload-execute-audiobook-preview.json"}) {
    SCOPED_TRACE(name);
    const auto body = testing::load_fixture(name);
    ASSERT_TRUE(body.is_object());
    auto response = server.post_json("/execute", body);
    ASSERT_TRUE(is_error(response, 422, "validation_failed"));
    const auto paths = problem_paths(response);
    std::set<std::string> expected;
    const auto& nodes = body["workflow"]["nodes"];
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const auto type = nodes[i].value("type", std::string{});
      if (type != "process" && type != "preview") continue;
      const auto& data = nodes[i]["data"];
      if (!data.contains("selectedModels") || data["selectedModels"].empty()) continue;
      expected.insert("/workflow/nodes/" + std::to_string(i) + "/data/selectedModels/0");
    }
    ASSERT_FALSE(expected.empty());
    for (const auto& path : expected) {
      EXPECT_TRUE(paths.contains(path)) << path << " not in " << join(paths);
    }
    for (const auto& path : paths) {
      EXPECT_TRUE(expected.contains(path))
          << "unexpected problem " << path << ": " << response.body;
    }
    EXPECT_NE(response.body.find("OPENAI_API_KEY"), std::string::npos) << response.body;
  }
}

// The seed's body shape (nodes and edges at the top level, userInput, an ai_writer node) runs.
TEST(HttpExecuteValidation, LegacySeedShapeIsAccepted) {
  LEKHIKA_REQUIRE_FIXTURES();
  test_server server;
  auto body = testing::load_fixture("request-execute-legacy-execution-worker.json");
  ASSERT_TRUE(body.is_object());
  // Send it to the offline provider: the seed's openai:gpt-4o-mini would need a key.
  for (auto& node : body["nodes"]) {
    if (node["data"].contains("selectedModels")) {
      node["data"]["selectedModels"] = json::array({"offline:draft"});
    }
  }
  auto response = server.execute_sync(body);
  auto data = ok_data(response);
  EXPECT_EQ(data.value("status", std::string{}), "completed") << response.body.substr(0, 2000);
  EXPECT_EQ(data.value("executionId", std::string{}), body["executionId"].get<std::string>());
}

}  // namespace
}  // namespace lekhika::e2e
