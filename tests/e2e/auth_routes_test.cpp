// api.md §2: the secret, the envelope, /health, unknown routes.

#include "server_harness.hpp"

namespace lekhika::e2e {
namespace {

struct route {
  const char* method;
  const char* path;
};

// Every route of api.md §2 except GET /health.
constexpr route kProtectedRoutes[] = {
    {"GET", "/ready"},
    {"GET", "/metrics"},
    {"POST", "/execute"},
    {"GET", "/executions"},
    {"GET", "/executions/exec_unknown"},
    {"POST", "/executions/exec_unknown/cancel"},
    {"POST", "/executions/exec_unknown/nodes/writer/review"},
    {"GET", "/executions/exec_unknown/events"},
    {"GET", "/executions/exec_unknown/artifacts/md"},
    {"POST", "/stop/exec_unknown"},
    {"GET", "/status/exec_unknown"},
};

TEST(HttpAuth, HealthNeedsNoSecret) {
  test_server server;
  auto response = server.request("GET", "/health", {}, {}, /*auth=*/false);
  auto data = ok_data(response);
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data.value("status", std::string{}), "ok");
  EXPECT_TRUE(data.contains("version"));
  EXPECT_TRUE(data.contains("uptimeS"));
}

TEST(HttpAuth, EveryOtherRouteWithoutTheSecretIsUnauthorized) {
  test_server server;
  for (const auto& r : kProtectedRoutes) {
    SCOPED_TRACE(std::string{r.method} + " " + r.path);
    std::vector<std::string> headers;
    std::string body;
    if (std::string_view{r.method} == "POST") {
      headers.emplace_back("Content-Type: application/json");
      body = book_request("auth-user", 1).dump();
    }
    auto response = server.request(r.method, r.path, body, headers, /*auth=*/false);
    EXPECT_TRUE(is_error(response, 401, "unauthorized"));
  }
}

TEST(HttpAuth, WrongSecretIsUnauthorized) {
  test_server server;
  const std::vector<std::vector<std::string>> wrong = {
      {"X-Internal-Auth: a-test-secret-of-32-characters!?"},
      {"X-Internal-Auth: a-test-secret"},
      {"X-Internal-Auth: a-test-secret-of-32-characters!!-and-more"},
      {"X-Internal-Auth: "},
      {"Authorization: Bearer not-the-secret"},
      {"Authorization: Basic " + std::string{kSecret}},
  };
  for (const auto& headers : wrong) {
    SCOPED_TRACE(headers.front());
    EXPECT_TRUE(is_error(server.request("GET", "/executions", {}, headers, /*auth=*/false), 401,
                         "unauthorized"));
    auto post_headers = headers;
    post_headers.emplace_back("Content-Type: application/json");
    EXPECT_TRUE(is_error(server.request("POST", "/execute", book_request("auth-user", 1).dump(),
                                        post_headers, /*auth=*/false),
                         401, "unauthorized"));
  }
}

TEST(HttpAuth, BearerTokenIsAccepted) {
  test_server server;
  const std::vector<std::string> bearer{"Authorization: Bearer " + std::string{kSecret}};
  auto listed = server.request("GET", "/executions", {}, bearer, /*auth=*/false);
  auto data = ok_data(listed);
  EXPECT_TRUE(data.is_object() && data.contains("items")) << listed.body;

  auto headers = bearer;
  headers.emplace_back("Content-Type: application/json");
  auto executed = server.request("POST", "/execute", book_request("bearer-user", 1).dump(), headers,
                                 /*auth=*/false, kPatience);
  auto result = ok_data(executed);
  EXPECT_EQ(result.value("status", std::string{}), "completed") << executed.body.substr(0, 2000);
}

TEST(HttpRoutes, ReadyAnswersWhenTheStoreIsThere) {
  test_server server;
  auto data = ok_data(server.get("/ready"));
  EXPECT_TRUE(data.is_object());
}

TEST(HttpRoutes, UnknownRouteIsANotFoundEnvelope) {
  test_server server;
  EXPECT_TRUE(is_error(server.get("/no/such/route"), 404, "not_found"));
  EXPECT_TRUE(is_error(server.request("POST", "/executions/x/unknown-action"), 404, "not_found"));
}

TEST(HttpRoutes, UnknownExecutionIsNotFound) {
  test_server server;
  EXPECT_TRUE(is_error(server.get("/executions/exec_does_not_exist"), 404, "not_found"));
  EXPECT_TRUE(is_error(server.get("/status/exec_does_not_exist"), 404, "not_found"));
  EXPECT_TRUE(
      is_error(server.get("/executions/exec_does_not_exist/artifacts/md"), 404, "not_found"));
}

}  // namespace
}  // namespace lekhika::e2e
