#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "lekhika/providers/wire.hpp"
#include "wire_test_support.hpp"

namespace lekhika::providers {
namespace {

using json = nlohmann::json;
using namespace lekhika::providers::testing;

constexpr const char* key = "AIzaSyD-secret-gemini-key";
constexpr const char* base = "https://generativelanguage.googleapis.com";

completion_request chapter_request() {
  completion_request request;
  request.system = "You are a novelist.";
  request.user = "Write chapter 1.";
  request.model = "gemini-2.0-flash";
  request.temperature = 0.9;
  request.max_tokens = 3000;
  return request;
}

std::string answer_with(const std::string& candidate) {
  return R"({"candidates":[)" + candidate +
         R"(],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":2},"modelVersion":"gemini-2.0-flash"})";
}

std::string chunk(const std::string& candidate) {
  return "data: {\"candidates\":[" + candidate + "]}\r\n\r\n";
}

TEST(GeminiWire, BuildsAStreamingCallWithTheKeyInAHeader) {
  const auto call = build_call(config(provider_type::gemini, base, key), chapter_request(), true);
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.url,
            "https://generativelanguage.googleapis.com/v1beta/models/"
            "gemini-2.0-flash:streamGenerateContent?alt=sse");
  const http_header* api_key = find_header(call, "x-goog-api-key");
  ASSERT_NE(api_key, nullptr);
  EXPECT_EQ(api_key->value, key);
  EXPECT_TRUE(api_key->secret);
  EXPECT_EQ(call.url.find("key="), std::string::npos);
  expect_key_only_in_a_secret_header(call, key);

  const json body = json::parse(call.body);
  EXPECT_EQ(body.at("contents"),
            json::parse(R"([{"role":"user","parts":[{"text":"Write chapter 1."}]}])"));
  EXPECT_EQ(body.at("systemInstruction"),
            json::parse(R"({"parts":[{"text":"You are a novelist."}]})"));
  EXPECT_DOUBLE_EQ(body.at("generationConfig").at("temperature").get<double>(), 0.9);
  EXPECT_EQ(body.at("generationConfig").at("maxOutputTokens"), 3000);
  EXPECT_FALSE(body.contains("model"));  // the model is in the URL
}

TEST(GeminiWire, BuildsAWholeCallAndEscapesTheModel) {
  completion_request request = chapter_request();
  request.system.clear();
  auto call =
      build_call(config(provider_type::gemini, std::string{base} + "/", key), request, false);
  EXPECT_EQ(
      call.url,
      "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent");
  EXPECT_FALSE(json::parse(call.body).contains("systemInstruction"));

  request.model = "models/gemini-2.5-pro";  // the API's resource-name form
  call = build_call(config(provider_type::gemini, base, key), request, false);
  EXPECT_EQ(call.url, std::string{base} + "/v1beta/models/gemini-2.5-pro:generateContent");

  request.model = "my model/../x?y";
  call = build_call(config(provider_type::gemini, base, key), request, false);
  EXPECT_EQ(call.url, std::string{base} + "/v1beta/models/my%20model%2F..%2Fx%3Fy:generateContent");
}

TEST(GeminiWire, ParsesAWholeAnswer) {
  const auto parsed =
      parse_response(provider_type::gemini, recorded("gemini_generate_content.json"));
  ASSERT_TRUE(parsed) << parsed.error().message;
  const completion& answer = parsed.value();
  EXPECT_EQ(answer.text, "Chapter 1: The Gate\n\nMira crossed the caf\u00e9 at dawn.");
  EXPECT_EQ(answer.model, "gemini-2.0-flash");
  EXPECT_EQ(answer.provider, "gemini");
  EXPECT_EQ(answer.finish_reason, "stop");
  EXPECT_EQ(answer.usage.input_tokens, 52);
  EXPECT_EQ(answer.usage.output_tokens, 13);
  EXPECT_FALSE(answer.usage.estimated);
}

TEST(GeminiWire, MapsFinishReasons) {
  const std::pair<const char*, const char*> cases[] = {{"STOP", "stop"},
                                                       {"MAX_TOKENS", "length"},
                                                       {"SAFETY", "content_filter"},
                                                       {"RECITATION", "content_filter"},
                                                       {"OTHER", "other"}};
  for (const auto& [reason, expected] : cases) {
    const auto parsed = parse_response(
        provider_type::gemini,
        answer_with(R"({"content":{"parts":[{"text":"partial"}],"role":"model"},"finishReason":")" +
                    std::string{reason} + "\"}"));
    ASSERT_TRUE(parsed) << reason;
    EXPECT_EQ(parsed.value().finish_reason, expected) << reason;
    EXPECT_EQ(parsed.value().text, "partial");
  }
}

TEST(GeminiWire, SafetyBlockWithoutTextIsAContentFilterFailure) {
  const auto parsed = parse_response(
      provider_type::gemini,
      answer_with(R"({"finishReason":"SAFETY","safetyRatings":[{"category":)"
                  R"("HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH","blocked":true}]})"));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "content_filter");
}

TEST(GeminiWire, BlockedPromptIsAContentFilterFailure) {
  const auto parsed = parse_response(
      provider_type::gemini, R"({"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]},)"
                             R"("usageMetadata":{"promptTokenCount":8,"totalTokenCount":8}})");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "content_filter");
}

TEST(GeminiWire, MaxTokensWithoutPartsIsAnEmptyAnswer) {
  // A thinking model can spend all of maxOutputTokens on thoughts.
  const auto parsed = parse_response(
      provider_type::gemini,
      R"({"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS"}],)"
      R"("usageMetadata":{"promptTokenCount":10,"totalTokenCount":110,"thoughtsTokenCount":100}})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed.value().text, "");
  EXPECT_EQ(parsed.value().finish_reason, "length");
  EXPECT_EQ(parsed.value().usage.output_tokens, 100);  // thoughts are billed as output
}

TEST(GeminiWire, SkipsThoughtParts) {
  const auto parsed = parse_response(
      provider_type::gemini,
      answer_with(R"({"content":{"parts":[{"text":"I should plan.","thought":true},)"
                  R"({"text":"The answer."}],"role":"model"},"finishReason":"STOP"})"));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value().text, "The answer.");
}

TEST(GeminiWire, EstimatesUsageWhenAbsent) {
  const auto parsed = parse_response(
      provider_type::gemini,
      R"({"candidates":[{"content":{"parts":[{"text":"eight ch"}],"role":"model"},"finishReason":"STOP"}]})");
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed.value().usage.estimated);
  EXPECT_EQ(parsed.value().usage.output_tokens, 2);
}

TEST(GeminiWire, MalformedOrIncompleteAnswersAreInvalid) {
  const std::string good = recorded("gemini_generate_content.json");
  for (const std::string& body :
       {good.substr(0, 100), std::string{"null"}, std::string{R"({"candidates":[]})"},
        std::string{R"({"candidates":[{"content":{"role":"model"}}]})"},
        std::string{R"({"modelVersion":"gemini-2.0-flash"})"}}) {
    const auto parsed = parse_response(provider_type::gemini, body);
    ASSERT_FALSE(parsed) << body;
    EXPECT_EQ(parsed.error().code, "invalid_response") << body;
    EXPECT_LE(parsed.error().message.size(), 300U);
  }
}

TEST(GeminiWire, DecodesTheRecordedStreamHoweverItIsSplit) {
  const decoded result = decode_every_way(provider_type::gemini, recorded("gemini_stream.sse"));
  EXPECT_FALSE(result.error) << result.error->message;
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(result.text,
            "Chapter 1: The Gate\n\nMira crossed the caf\u00e9 at dawn \u2014 na\u00efve, hopeful. "
            "\U0001F4DA");
  EXPECT_EQ(result.deltas, 3);
  EXPECT_EQ(result.finish_reason, "stop");
  EXPECT_EQ(result.model, "gemini-2.0-flash");
  ASSERT_TRUE(result.usage);
  EXPECT_EQ(result.usage->input_tokens, 52);  // from the last chunk, not the partial ones
  EXPECT_EQ(result.usage->output_tokens, 20);
}

TEST(GeminiWire, StreamWithoutFinishReasonEndsEarly) {
  const std::string body = recorded("gemini_stream.sse");
  const auto last = body.rfind("data: ");
  ASSERT_NE(last, std::string::npos);
  const decoded result =
      decode(provider_type::gemini, whole(std::string_view{body}.substr(0, last)));
  EXPECT_FALSE(result.complete);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "transport_error");
  EXPECT_TRUE(result.error->retryable);
  EXPECT_EQ(result.error->message, "stream ended early");
}

TEST(GeminiWire, ErrorInsideTheStream) {
  const std::string body =
      chunk(R"({"content":{"parts":[{"text":"Once"}],"role":"model"}})") +
      "data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again "
      "later.\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n";
  const decoded result = decode_every_way(provider_type::gemini, body);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "overloaded");
  EXPECT_TRUE(result.error->retryable);
  EXPECT_EQ(result.text, "Once");
}

TEST(GeminiWire, SafetyStopWithoutTextInTheStreamIsAContentFilterError) {
  const decoded result =
      decode(provider_type::gemini, whole(chunk(R"({"finishReason":"SAFETY","index":0})")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "content_filter");
  EXPECT_FALSE(result.error->retryable);
}

TEST(GeminiWire, MaxTokensInTheStreamCompletesWithLength) {
  const decoded result = decode_every_way(
      provider_type::gemini,
      chunk(R"({"content":{"parts":[{"text":"Half a sen"}],"role":"model"}})") +
          chunk(
              R"({"content":{"parts":[{"text":"tence"}],"role":"model"},"finishReason":"MAX_TOKENS"})"));
  EXPECT_FALSE(result.error);
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(result.text, "Half a sentence");
  EXPECT_EQ(result.finish_reason, "length");
  EXPECT_FALSE(result.usage);  // no usageMetadata came
}

TEST(GeminiWire, MalformedChunkIsAnError) {
  const decoded result = decode(provider_type::gemini, whole("data: {\"candidates\": [\r\n\r\n"));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "invalid_response");
}

}  // namespace
}  // namespace lekhika::providers
