// The fake model provider speaks each provider's wire format, injects the faults its
// directives name, and counts completed and aborted answers (tests/fake_provider/README.md).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/testing/fake_provider.hpp"
#include "lekhika/testing/http_client.hpp"

namespace {

using json = nlohmann::json;
using lekhika::testing::fake_provider_process;
using lekhika::testing::fake_provider_stats;
using lekhika::testing::http_request;
using lekhika::testing::http_response;
using namespace std::chrono_literals;

constexpr const char* kOpenAIKey = "sk-test-openai-0001";
constexpr const char* kAnthropicKey = "sk-ant-test-0002";
constexpr const char* kGeminiKey = "AIza-test-gemini-0003";

// ---- requests --------------------------------------------------------------------------------

json openai_body(const std::string& model, bool stream, bool include_usage = false) {
  json body = {{"model", model},
               {"messages",
                {{{"role", "system"}, {"content", "You write books."}},
                 {{"role", "user"}, {"content", "Write chapter one about a river."}}}}};
  if (stream) body["stream"] = true;
  if (include_usage) body["stream_options"] = {{"include_usage", true}};
  return body;
}

json anthropic_body(const std::string& model, bool stream) {
  json body = {{"model", model},
               {"max_tokens", 1024},
               {"system", "You write books."},
               {"messages", {{{"role", "user"}, {"content", "Write chapter one."}}}}};
  if (stream) body["stream"] = true;
  return body;
}

json gemini_body() {
  return {{"systemInstruction", {{"parts", {{{"text", "You write books."}}}}}},
          {"contents", {{{"role", "user"}, {"parts", {{{"text", "Write chapter one."}}}}}}}};
}

http_response openai(const fake_provider_process& fake, const json& body,
                     std::vector<std::string> extra_headers = {},
                     std::string path = "/v1/chat/completions") {
  http_request request;
  request.method = "POST";
  request.url = fake.base_url() + path;
  request.body = body.dump();
  request.headers = {"Content-Type: application/json",
                     std::string{"Authorization: Bearer "} + kOpenAIKey};
  request.headers.insert(request.headers.end(), extra_headers.begin(), extra_headers.end());
  return lekhika::testing::perform(request);
}

http_response anthropic(const fake_provider_process& fake, const json& body) {
  http_request request;
  request.method = "POST";
  request.url = fake.base_url() + "/v1/messages";
  request.body = body.dump();
  request.headers = {"Content-Type: application/json", std::string{"x-api-key: "} + kAnthropicKey,
                     "anthropic-version: 2023-06-01"};
  return lekhika::testing::perform(request);
}

http_response gemini(const fake_provider_process& fake, const std::string& model_and_method,
                     bool key_in_header = true, const std::string& query = {}) {
  http_request request;
  request.method = "POST";
  request.url = fake.base_url() + "/v1beta/models/" + model_and_method + query;
  request.body = gemini_body().dump();
  request.headers = {"Content-Type: application/json"};
  if (key_in_header) request.headers.push_back(std::string{"x-goog-api-key: "} + kGeminiKey);
  return lekhika::testing::perform(request);
}

// ---- server-sent events ----------------------------------------------------------------------

struct sse_event {
  std::string type;
  std::string data;
};

std::vector<sse_event> parse_sse(std::string body) {
  std::string normalised;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r') {
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
      normalised += '\n';
    } else {
      normalised += body[i];
    }
  }
  std::vector<sse_event> events;
  sse_event current;
  bool has_data = false;
  std::size_t pos = 0;
  while (pos < normalised.size()) {
    auto end = normalised.find('\n', pos);
    if (end == std::string::npos) end = normalised.size();
    const std::string line = normalised.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      if (has_data) events.push_back(current);
      current = {};
      has_data = false;
    } else if (line.rfind("event: ", 0) == 0) {
      current.type = line.substr(7);
    } else if (line.rfind("data: ", 0) == 0) {
      current.data += line.substr(6);
      has_data = true;
    }
  }
  return events;
}

// ---- a raw socket (for closing at a chosen moment) ---------------------------------------------

class raw_client {
 public:
  explicit raw_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~raw_client() { close(); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Reads until `done(received)` holds (true) or EOF / timeout (false).
  bool read_until(const std::function<bool(const std::string&)>& done,
                  std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(received_)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        eof_ = true;
        return done(received_);
      }
      received_.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }

  /// True when the server closes the connection within `timeout`.
  bool wait_for_eof(std::chrono::milliseconds timeout = 10s) {
    read_until([](const std::string&) { return false; }, timeout);
    return eof_;
  }

  [[nodiscard]] const std::string& received() const { return received_; }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string received_;
};

std::string raw_post(const std::string& path, const std::string& body,
                     const std::vector<std::string>& headers = {}) {
  std::string request = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : headers) request += h + "\r\n";
  request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n\r\n" + body;
  return request;
}

std::size_t count_of(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

class FakeProvider : public ::testing::Test {
 protected:
  fake_provider_process fake;
};

// ---- OpenAI ----------------------------------------------------------------------------------

TEST_F(FakeProvider, OpenAIWholeAnswerHasTheDocumentedShape) {
  const auto response = openai(fake, openai_body("gpt-4o", false));
  ASSERT_EQ(response.status, 200) << response.transport_error << response.body;
  EXPECT_EQ(response.headers.at("content-type"), "application/json");
  const json body = json::parse(response.body);
  EXPECT_TRUE(body["id"].is_string());
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "gpt-4o");
  ASSERT_EQ(body["choices"].size(), 1u);
  EXPECT_EQ(body["choices"][0]["index"], 0);
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  const std::string content = body["choices"][0]["message"]["content"];
  EXPECT_EQ(count_of(content, " ") + 1, 60u) << content;  // 60 words by default
  const json& usage = body["usage"];
  // system + user = 16 + 32 characters, / 4
  EXPECT_EQ(usage["prompt_tokens"], 12);
  EXPECT_GT(usage["completion_tokens"].get<int>(), 0);
  EXPECT_EQ(usage["total_tokens"].get<int>(),
            usage["prompt_tokens"].get<int>() + usage["completion_tokens"].get<int>());
}

TEST_F(FakeProvider, OpenAIRouteAlsoWithoutV1PrefixAndAnswersAreDeterministic) {
  const auto a = openai(fake, openai_body("gpt-4o", false));
  const auto b = openai(fake, openai_body("gpt-4o", false), {}, "/chat/completions");
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(json::parse(a.body)["choices"][0]["message"]["content"],
            json::parse(b.body)["choices"][0]["message"]["content"]);
  json other = openai_body("gpt-4o", false);
  other["messages"][1]["content"] = "Something else entirely.";
  const auto c = openai(fake, other);
  ASSERT_EQ(c.status, 200);
  EXPECT_NE(json::parse(a.body)["choices"][0]["message"]["content"],
            json::parse(c.body)["choices"][0]["message"]["content"]);
}

TEST_F(FakeProvider, OpenAIStreamSendsDeltasFinishReasonUsageAndDone) {
  const auto whole = openai(fake, openai_body("gpt-4o", false));
  const auto response = openai(fake, openai_body("gpt-4o", true, true));
  ASSERT_EQ(response.status, 200) << response.transport_error;
  EXPECT_EQ(response.headers.at("content-type"), "text/event-stream");
  EXPECT_EQ(response.headers.at("transfer-encoding"), "chunked");
  const auto events = parse_sse(response.body);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back().data, "[DONE]");
  std::string text;
  int deltas = 0;
  for (std::size_t i = 0; i + 3 < events.size(); ++i) {
    const json chunk = json::parse(events[i].data);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
    if (auto c = chunk["choices"][0]["delta"].find("content");
        c != chunk["choices"][0]["delta"].end()) {
      text += c->get<std::string>();
      if (!c->get<std::string>().empty()) ++deltas;
    }
  }
  EXPECT_EQ(deltas, 8);  // ~8 chunks by default
  const json finish = json::parse(events[events.size() - 3].data);
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "stop");
  const json usage = json::parse(events[events.size() - 2].data);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens"], 12);
  EXPECT_EQ(text, json::parse(whole.body)["choices"][0]["message"]["content"]);
}

TEST_F(FakeProvider, OpenAIStreamWithoutIncludeUsageHasNoUsageChunk) {
  const auto response = openai(fake, openai_body("gpt-4o", true));
  ASSERT_EQ(response.status, 200);
  const auto events = parse_sse(response.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back().data, "[DONE]");
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    const json chunk = json::parse(events[i].data);
    EXPECT_FALSE(chunk.contains("usage"));
    EXPECT_FALSE(chunk["choices"].empty());
  }
}

// ---- Anthropic -------------------------------------------------------------------------------

TEST_F(FakeProvider, AnthropicWholeAnswerHasTheDocumentedShape) {
  const auto response = anthropic(fake, anthropic_body("claude-sonnet-4-5", false));
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = json::parse(response.body);
  EXPECT_EQ(body["type"], "message");
  EXPECT_EQ(body["role"], "assistant");
  EXPECT_EQ(body["model"], "claude-sonnet-4-5");
  ASSERT_EQ(body["content"].size(), 1u);
  EXPECT_EQ(body["content"][0]["type"], "text");
  EXPECT_FALSE(body["content"][0]["text"].get<std::string>().empty());
  EXPECT_EQ(body["stop_reason"], "end_turn");
  EXPECT_EQ(body["usage"]["input_tokens"], 9);  // (16 + 18) / 4, rounded up
  EXPECT_GT(body["usage"]["output_tokens"].get<int>(), 0);
}

TEST_F(FakeProvider, AnthropicStreamHasTheRealEventSequence) {
  const auto response = anthropic(fake, anthropic_body("claude-sonnet-4-5", true));
  ASSERT_EQ(response.status, 200);
  const auto events = parse_sse(response.body);
  std::vector<std::string> types;
  std::string text;
  for (const auto& e : events) {
    const json data = json::parse(e.data);
    EXPECT_EQ(data["type"], e.type);
    if (e.type != "content_block_delta" || types.back() != "content_block_delta")
      types.push_back(e.type);
    if (e.type == "content_block_delta") {
      EXPECT_EQ(data["delta"]["type"], "text_delta");
      text += data["delta"]["text"].get<std::string>();
    }
    if (e.type == "message_start") {
      EXPECT_EQ(data["message"]["usage"]["input_tokens"], 9);
    }
    if (e.type == "message_delta") {
      EXPECT_EQ(data["delta"]["stop_reason"], "end_turn");
      EXPECT_GT(data["usage"]["output_tokens"].get<int>(), 0);
    }
  }
  const std::vector<std::string> expected{
      "message_start",      "content_block_start", "ping",        "content_block_delta",
      "content_block_stop", "message_delta",       "message_stop"};
  EXPECT_EQ(types, expected);
  EXPECT_EQ(count_of(text, " ") + 1, 60u);
}

// ---- Gemini ----------------------------------------------------------------------------------

TEST_F(FakeProvider, GeminiGenerateContentHasTheDocumentedShape) {
  const auto response = gemini(fake, "gemini-2.0-flash:generateContent");
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = json::parse(response.body);
  const json& candidate = body["candidates"][0];
  EXPECT_EQ(candidate["content"]["role"], "model");
  EXPECT_FALSE(candidate["content"]["parts"][0]["text"].get<std::string>().empty());
  EXPECT_EQ(candidate["finishReason"], "STOP");
  EXPECT_EQ(body["usageMetadata"]["promptTokenCount"], 9);
  EXPECT_EQ(body["usageMetadata"]["totalTokenCount"].get<int>(),
            9 + body["usageMetadata"]["candidatesTokenCount"].get<int>());
  EXPECT_EQ(body["modelVersion"], "gemini-2.0-flash");
}

TEST_F(FakeProvider, GeminiStreamGenerateContentSendsSseChunks) {
  const auto response = gemini(fake, "gemini-2.0-flash:streamGenerateContent", false,
                               std::string{"?alt=sse&key="} + kGeminiKey);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers.at("content-type"), "text/event-stream");
  const auto events = parse_sse(response.body);
  ASSERT_EQ(events.size(), 8u);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const json chunk = json::parse(events[i].data);
    const bool last = i + 1 == events.size();
    EXPECT_EQ(chunk["candidates"][0].contains("finishReason"), last);
    EXPECT_EQ(chunk.contains("usageMetadata"), last);
    if (last) {
      EXPECT_EQ(chunk["candidates"][0]["finishReason"], "STOP");
      EXPECT_EQ(chunk["usageMetadata"]["promptTokenCount"], 9);
    }
  }
}

// ---- errors ----------------------------------------------------------------------------------

TEST_F(FakeProvider, MissingKeyIs401InEachProvidersFormat) {
  http_request request;
  request.method = "POST";
  request.url = fake.base_url() + "/v1/chat/completions";
  request.body = openai_body("gpt-4o", false).dump();
  auto response = lekhika::testing::perform(request);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(json::parse(response.body)["error"]["code"], "invalid_api_key");

  request.headers = {"Authorization: Bearer "};
  response = lekhika::testing::perform(request);
  EXPECT_EQ(response.status, 401);

  request.url = fake.base_url() + "/v1/messages";
  request.headers = {"anthropic-version: 2023-06-01"};
  request.body = anthropic_body("claude", false).dump();
  response = lekhika::testing::perform(request);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(json::parse(response.body)["type"], "error");
  EXPECT_EQ(json::parse(response.body)["error"]["type"], "authentication_error");

  response = gemini(fake, "gemini-2.0-flash:generateContent", false);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(json::parse(response.body)["error"]["status"], "UNAUTHENTICATED");
  EXPECT_EQ(fake.stats().by_status[401], 4);
}

TEST_F(FakeProvider, MalformedJsonIs400AndUnknownRouteIs404) {
  http_request request;
  request.method = "POST";
  request.url = fake.base_url() + "/v1/chat/completions";
  request.headers = {std::string{"Authorization: Bearer "} + kOpenAIKey};
  request.body = "{\"model\": \"gpt-4o\", \"messages\": [";
  auto response = lekhika::testing::perform(request);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(json::parse(response.body)["error"]["type"], "invalid_request_error");

  request.body = std::string(100000, '[');
  response = lekhika::testing::perform(request);
  EXPECT_EQ(response.status, 400);

  request.url = fake.base_url() + "/v1/messages";
  request.headers = {std::string{"x-api-key: "} + kAnthropicKey, "anthropic-version: 2023-06-01"};
  request.body = "not json";
  response = lekhika::testing::perform(request);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(json::parse(response.body)["error"]["type"], "invalid_request_error");

  request.url = fake.base_url() + "/v2/nowhere";
  response = lekhika::testing::perform(request);
  EXPECT_EQ(response.status, 404);
  EXPECT_TRUE(json::parse(response.body).contains("error"));
}

TEST_F(FakeProvider, FailDirectiveAnswersThatStatusInTheProvidersFormat) {
  auto response = openai(fake, openai_body("fake-fail-503", false));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(json::parse(response.body)["error"]["type"], "server_error");

  response = anthropic(fake, anthropic_body("fake-fail-500", true));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(json::parse(response.body)["error"]["type"], "api_error");

  response = gemini(fake, "fake-fail-503:streamGenerateContent", true, "?alt=sse");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(json::parse(response.body)["error"]["status"], "UNAVAILABLE");

  // The header overrides the model name.
  response = openai(fake, openai_body("gpt-4o", false), {"X-Fake-Behaviour: fail-400"});
  EXPECT_EQ(response.status, 400);
  const auto stats = fake.stats();
  EXPECT_EQ(stats.errors, 4);
  EXPECT_EQ(stats.completed, 0);
  EXPECT_EQ(stats.by_model.at("fake-fail-503").errors, 2);
}

TEST_F(FakeProvider, FailTimesKFailsThatManyThenSucceeds) {
  std::vector<long> statuses;
  for (int i = 0; i < 4; ++i)
    statuses.push_back(openai(fake, openai_body("fake-fail-500-times-2", false)).status);
  EXPECT_EQ(statuses, (std::vector<long>{500, 500, 200, 200}));
  // A different key counts on its own.
  EXPECT_EQ(openai(fake, openai_body("fake-fail-500-times-1", false)).status, 500);
  // Reset starts the counters again.
  fake.reset();
  EXPECT_EQ(openai(fake, openai_body("fake-fail-500-times-2", false)).status, 500);
  const auto log = fake.log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["attempt"], 1);
}

TEST_F(FakeProvider, RateLimitAnswers429WithRetryAfter) {
  auto response = openai(fake, openai_body("fake-ratelimit-7", false));
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(response.headers.at("retry-after"), "7");
  EXPECT_EQ(json::parse(response.body)["error"]["code"], "rate_limit_exceeded");

  response = anthropic(fake, anthropic_body("fake-ratelimit-2", false));
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(json::parse(response.body)["error"]["type"], "rate_limit_error");

  response = gemini(fake, "fake-ratelimit-1:generateContent");
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(json::parse(response.body)["error"]["status"], "RESOURCE_EXHAUSTED");

  EXPECT_EQ(openai(fake, openai_body("fake-ratelimit-1-times-1", true)).status, 429);
  EXPECT_EQ(openai(fake, openai_body("fake-ratelimit-1-times-1", true)).status, 200);
  EXPECT_EQ(fake.stats().by_status[429], 4);
}

TEST_F(FakeProvider, WordsNoUsageAndNostreamDirectives) {
  auto response = openai(fake, openai_body("fake-words-5,no-usage", false));
  ASSERT_EQ(response.status, 200);
  json body = json::parse(response.body);
  EXPECT_EQ(count_of(body["choices"][0]["message"]["content"].get<std::string>(), " ") + 1, 5u);
  EXPECT_FALSE(body.contains("usage"));

  response = openai(fake, openai_body("fake-nostream", true));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.at("content-type"), "application/json");
  EXPECT_EQ(json::parse(response.body)["object"], "chat.completion");

  response = anthropic(fake, anthropic_body("fake-no-usage+words-3", true));
  ASSERT_EQ(response.status, 200);
  for (const auto& e : parse_sse(response.body)) {
    const json data = json::parse(e.data);
    if (e.type == "message_delta") {
      EXPECT_FALSE(data.contains("usage"));
    }
  }
}

// ---- faults on the connection ------------------------------------------------------------------

TEST_F(FakeProvider, StallAfterFirstThenClientCloseShowsUpAsAborted) {
  raw_client client{fake.port()};
  ASSERT_TRUE(client.connected());
  client.send(raw_post("/v1/chat/completions", openai_body("fake-stall-after-first", true).dump(),
                       {std::string{"Authorization: Bearer "} + kOpenAIKey}));
  ASSERT_TRUE(client.read_until([](const std::string& r) {
    return r.find("\"content\":\"", r.find("role")) != std::string::npos &&
           count_of(r, "data: ") >= 2;
  }));
  // Nothing more comes.
  EXPECT_FALSE(
      client.read_until([](const std::string& r) { return count_of(r, "data: ") >= 3; }, 300ms));
  EXPECT_TRUE(fake.wait_until([](const fake_provider_stats& s) { return s.active == 1; }));
  client.close();
  EXPECT_TRUE(fake.wait_until(
      [](const fake_provider_stats& s) { return s.aborted == 1 && s.active == 0; }, 5s));
  const auto log = fake.log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["outcome"], "aborted");
  EXPECT_EQ(log[0]["chunks_sent"], 1);
  EXPECT_GE(log[0]["end_us"].get<std::int64_t>(), log[0]["start_us"].get<std::int64_t>());
}

TEST_F(FakeProvider, StalledWholeAnswerIsAbortedToo) {
  raw_client client{fake.port()};
  client.send(
      raw_post("/v1/messages", anthropic_body("fake-stall-after-first,slow-60000", false).dump(),
               {std::string{"x-api-key: "} + kAnthropicKey, "anthropic-version: 2023-06-01"}));
  ASSERT_TRUE(client.read_until(
      [](const std::string& r) { return r.find("\r\n\r\n") != std::string::npos; }));
  client.close();
  EXPECT_TRUE(fake.wait_until([](const fake_provider_stats& s) { return s.aborted == 1; }, 5s));
}

TEST_F(FakeProvider, DropClosesTheSocketWithoutAnswering) {
  const auto response = openai(fake, openai_body("fake-drop", false));
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.transport_error.empty());
  const auto log = fake.log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["status"], 0);
  EXPECT_EQ(log[0]["outcome"], "error");
}

TEST_F(FakeProvider, DropMidStreamEndsWithoutTheFinalEvents) {
  raw_client client{fake.port()};
  client.send(raw_post("/v1/chat/completions", openai_body("fake-drop-mid-stream", true).dump(),
                       {std::string{"Authorization: Bearer "} + kOpenAIKey}));
  EXPECT_TRUE(client.wait_for_eof());
  EXPECT_NE(client.received().find("\"content\":\" "), std::string::npos);
  EXPECT_EQ(client.received().find("[DONE]"), std::string::npos);
  EXPECT_EQ(client.received().find("\r\n0\r\n\r\n"), std::string::npos);  // no last chunk
  const auto log = fake.log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["outcome"], "error");
  EXPECT_EQ(log[0]["chunks_sent"], 4);
  // curl sees a transfer that ended early.
  EXPECT_EQ(openai(fake, openai_body("fake-drop-mid-stream", true)).status, 0);
}

TEST_F(FakeProvider, EndlessStreamClosedByTheClientCountsOneAborted) {
  raw_client client{fake.port()};
  client.send(
      raw_post("/v1/messages", anthropic_body("fake-endless,ttft-5", true).dump(),
               {std::string{"x-api-key: "} + kAnthropicKey, "anthropic-version: 2023-06-01"}));
  ASSERT_TRUE(client.read_until(
      [](const std::string& r) { return count_of(r, "content_block_delta\n") >= 12; }));
  EXPECT_EQ(client.received().find("message_stop"), std::string::npos);
  client.close();
  EXPECT_TRUE(fake.wait_until(
      [](const fake_provider_stats& s) { return s.aborted == 1 && s.active == 0; }, 5s));
  const auto stats = fake.stats();
  EXPECT_EQ(stats.requests, 1);
  EXPECT_EQ(stats.completed, 0);
  EXPECT_EQ(stats.by_model.at("fake-endless,ttft-5").aborted, 1);
}

TEST_F(FakeProvider, AClientThatClosesWhileWaitingIsAbortedAtOnce) {
  raw_client client{fake.port()};
  client.send(raw_post("/v1/chat/completions", openai_body("fake-slow-60000", false).dump(),
                       {std::string{"Authorization: Bearer "} + kOpenAIKey}));
  EXPECT_TRUE(fake.wait_until([](const fake_provider_stats& s) { return s.active == 1; }));
  client.close();
  EXPECT_TRUE(fake.wait_until([](const fake_provider_stats& s) { return s.aborted == 1; }, 5s));
}

// ---- HTTP ------------------------------------------------------------------------------------

TEST_F(FakeProvider, KeepAlivePipeliningAndChunkedRequestBodies) {
  raw_client client{fake.port()};
  const std::string auth = std::string{"Authorization: Bearer "} + kOpenAIKey;
  const std::string body = openai_body("fake-words-4", false).dump();
  std::string chunked = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth +
                        "\r\nTransfer-Encoding: chunked\r\n\r\n";
  chunked += "5\r\n" + body.substr(0, 5) + "\r\n";
  std::ostringstream size;
  size << std::hex << body.size() - 5;
  chunked += size.str() + ";ext=1\r\n" + body.substr(5) + "\r\n0\r\n\r\n";
  client.send(raw_post("/v1/chat/completions", body, {auth}) + chunked +
              raw_post("/chat/completions", body, {auth}));
  ASSERT_TRUE(client.read_until(
      [](const std::string& r) { return count_of(r, "\"finish_reason\":\"stop\"") == 3; }));
  EXPECT_EQ(count_of(client.received(), "HTTP/1.1 200 OK"), 3u);
  EXPECT_EQ(fake.stats().completed, 3);

  // The log numbers the connection each request came on: one here, another for a new client.
  raw_client other{fake.port()};
  other.send(raw_post("/v1/chat/completions", body, {auth}));
  ASSERT_TRUE(other.read_until(
      [](const std::string& r) { return count_of(r, "\"finish_reason\":\"stop\"") == 1; }));
  const auto log = fake.log();
  ASSERT_EQ(log.size(), 4u) << log.dump();
  const auto first = log[0].value("connection", std::uint64_t{0});
  EXPECT_GT(first, 0u) << log.dump();
  for (std::size_t i = 1; i < 3; ++i)
    EXPECT_EQ(log[i].value("connection", std::uint64_t{0}), first);
  EXPECT_GT(log[3].value("connection", std::uint64_t{0}), first) << log.dump();
}

TEST_F(FakeProvider, GarbageIsDisconnectedAndTheServerCarriesOn) {
  {
    raw_client client{fake.port()};
    client.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    EXPECT_TRUE(client.wait_for_eof());
  }
  {
    raw_client client{fake.port()};
    client.send("GET / HTTP/1.1\r\nno colon here\r\n\r\n");
    EXPECT_TRUE(client.wait_for_eof());
    EXPECT_EQ(client.received().rfind("HTTP/1.1 400", 0), 0u);
  }
  {
    raw_client client{fake.port()};
    client.send(
        "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n");
    EXPECT_TRUE(client.wait_for_eof());
  }
  {
    raw_client client{fake.port()};
    client.send("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"model\"");
    client.close();  // half a request, then gone
  }
  EXPECT_EQ(openai(fake, openai_body("gpt-4o", false)).status, 200);
  const auto stats = fake.stats();
  EXPECT_EQ(stats.protocol_errors, 3);
  EXPECT_EQ(stats.requests, 1);
}

TEST_F(FakeProvider, LargeBodiesAreAccepted) {
  json body = openai_body("gpt-4o", false);
  body["messages"][1]["content"] =
      std::string(3 * 1024 * 1024, 'a');  // curl sends Expect: 100-continue
  const auto response = openai(fake, body);
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body)["usage"]["prompt_tokens"], (16 + 3 * 1024 * 1024 + 3) / 4);
}

// ---- admin routes ------------------------------------------------------------------------------

TEST_F(FakeProvider, LogShowsPromptHashesAndKeyTailsButNeverKeys) {
  ASSERT_EQ(openai(fake, openai_body("gpt-4o", false)).status, 200);
  ASSERT_EQ(openai(fake, openai_body("gpt-4o", true)).status, 200);
  json other = openai_body("gpt-4o", false);
  other["messages"][1]["content"] = "Another prompt.";
  ASSERT_EQ(openai(fake, other).status, 200);
  const auto log = fake.log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0]["prompt_fnv1a64"], log[1]["prompt_fnv1a64"]);
  EXPECT_NE(log[0]["prompt_fnv1a64"], log[2]["prompt_fnv1a64"]);
  EXPECT_EQ(log[0]["prompt_fnv1a64"].get<std::string>().size(), 16u);
  EXPECT_EQ(log[0]["key_tail"], "0001");
  EXPECT_EQ(log[0]["route"], "/v1/chat/completions");
  EXPECT_EQ(log[0]["provider"], "openai");
  EXPECT_EQ(log[0]["stream"], false);
  EXPECT_EQ(log[1]["stream"], true);
  EXPECT_EQ(log[0]["status"], 200);
  EXPECT_EQ(log[0]["outcome"], "completed");
  EXPECT_EQ(log[0]["prompt_chars"], 16 + 32);
  EXPECT_EQ(log.dump().find(kOpenAIKey), std::string::npos);
  EXPECT_EQ(fake.log(1).size(), 1u);
  EXPECT_EQ(fake.log(0, log[1]["seq"].get<std::uint64_t>()).size(), 1u);

  (void)gemini(fake, "gemini-2.0-flash:generateContent", false, std::string{"?key="} + kGeminiKey);
  EXPECT_EQ(fake.log(1)[0]["route"], "/v1beta/models/gemini-2.0-flash:generateContent");
  EXPECT_EQ(fake.log().dump().find(kGeminiKey), std::string::npos);
}

TEST_F(FakeProvider, ConfigChangesDefaultsAndResetClearsCounters) {
  const json config =
      fake.configure({{"words", 7}, {"chunks", 2}, {"latency_ms", 10}, {"ttft_ms", 1}});
  EXPECT_EQ(config["words"], 7);
  EXPECT_EQ(config["chunks"], 2);
  auto response = openai(fake, openai_body("gpt-4o", true));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(count_of(response.body, "\"content\":\""), 3u);  // role chunk + 2 chunks
  EXPECT_EQ(fake.stats().completed, 1);
  fake.reset();
  const auto stats = fake.stats();
  EXPECT_EQ(stats.requests, 0);
  EXPECT_EQ(stats.completed, 0);
  EXPECT_TRUE(stats.by_model.empty());
  EXPECT_TRUE(fake.log().empty());
}

// ---- load --------------------------------------------------------------------------------------

size_t collect(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

TEST(FakeProviderLoad, ThreeHundredConcurrentStreamsComplete) {
  lekhika::testing::fake_provider_options options;
  options.threads = 2;  // one strand per connection keeps each connection single-threaded
  fake_provider_process fake{options};
  constexpr int kStreams = 300;
  const std::string url = fake.base_url() + "/v1/chat/completions";
  std::vector<std::string> bodies(kStreams);
  std::vector<std::string> payloads(kStreams);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers =
      curl_slist_append(headers, (std::string{"Authorization: Bearer "} + kOpenAIKey).c_str());
  CURLM* multi = curl_multi_init();
  std::vector<CURL*> easies;
  for (int i = 0; i < kStreams; ++i) {
    json body = openai_body("fake-load", true, true);
    body["messages"][1]["content"] = "Chapter " + std::to_string(i);
    payloads[static_cast<std::size_t>(i)] = body.dump();
    CURL* easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, payloads[static_cast<std::size_t>(i)].c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &bodies[static_cast<std::size_t>(i)]);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 45000L);
    curl_multi_add_handle(multi, easy);
    easies.push_back(easy);
  }
  int running = 0;
  do {
    curl_multi_perform(multi, &running);
    if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  } while (running > 0);
  int ok = 0;
  while (true) {
    int left = 0;
    CURLMsg* message = curl_multi_info_read(multi, &left);
    if (message == nullptr) break;
    if (message->msg != CURLMSG_DONE) continue;
    long status = 0;
    curl_easy_getinfo(message->easy_handle, CURLINFO_RESPONSE_CODE, &status);
    if (message->data.result == CURLE_OK && status == 200) ++ok;
  }
  for (CURL* easy : easies) {
    curl_multi_remove_handle(multi, easy);
    curl_easy_cleanup(easy);
  }
  curl_multi_cleanup(multi);
  curl_slist_free_all(headers);

  EXPECT_EQ(ok, kStreams);
  int done = 0;
  for (const auto& body : bodies) done += body.find("data: [DONE]") != std::string::npos ? 1 : 0;
  EXPECT_EQ(done, kStreams);
  EXPECT_TRUE(fake.wait_until(
      [](const fake_provider_stats& s) { return s.completed == kStreams && s.active == 0; }));
  const auto stats = fake.stats();
  EXPECT_EQ(stats.requests, kStreams);
  EXPECT_EQ(stats.aborted, 0);
  EXPECT_EQ(stats.by_status.at(200), kStreams);
}

}  // namespace
