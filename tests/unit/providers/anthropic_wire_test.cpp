#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "lekhika/providers/wire.hpp"
#include "wire_test_support.hpp"

namespace lekhika::providers {
namespace {

using json = nlohmann::json;
using namespace lekhika::providers::testing;

constexpr const char* key = "sk-ant-api03-secretsecret";

completion_request chapter_request() {
  completion_request request;
  request.system = "You are a novelist.";
  request.user = "Write chapter 1.";
  request.model = "claude-sonnet-4-5";
  request.temperature = 0.6;
  request.max_tokens = 2048;
  return request;
}

std::string event(const std::string& name, const std::string& data) {
  return "event: " + name + "\ndata: " + data + "\n\n";
}

std::string message_start() {
  return event(
      "message_start",
      R"({"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",)"
      R"("model":"claude-3-5-haiku-20241022","content":[],"stop_reason":null,)"
      R"("usage":{"input_tokens":30,"output_tokens":1}}})");
}

std::string text_delta(const std::string& text) {
  return event("content_block_delta",
               R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":)" +
                   json(text).dump() + "}}");
}

TEST(AnthropicWire, BuildsAMessagesCall) {
  const auto call = build_call(config(provider_type::anthropic, "https://api.anthropic.com", key),
                               chapter_request(), true);
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.url, "https://api.anthropic.com/v1/messages");
  const http_header* api_key = find_header(call, "x-api-key");
  ASSERT_NE(api_key, nullptr);
  EXPECT_EQ(api_key->value, key);
  EXPECT_TRUE(api_key->secret);
  const http_header* version = find_header(call, "anthropic-version");
  ASSERT_NE(version, nullptr);
  EXPECT_EQ(version->value, "2023-06-01");
  EXPECT_FALSE(version->secret);
  const http_header* type = find_header(call, "content-type");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->value, "application/json");
  EXPECT_EQ(find_header(call, "Authorization"), nullptr);
  expect_key_only_in_a_secret_header(call, key);

  const json body = json::parse(call.body);
  EXPECT_EQ(body.at("model"), "claude-sonnet-4-5");
  EXPECT_EQ(body.at("max_tokens"), 2048);
  EXPECT_EQ(body.at("system"), "You are a novelist.");
  EXPECT_EQ(body.at("messages"), json::parse(R"([{"role":"user","content":"Write chapter 1."}])"));
  EXPECT_DOUBLE_EQ(body.at("temperature").get<double>(), 0.6);
  EXPECT_EQ(body.at("stream"), true);
}

TEST(AnthropicWire, OmitsAnEmptySystemAndClampsTheTemperature) {
  completion_request request = chapter_request();
  request.system.clear();
  request.temperature = 1.4;  // fine for OpenAI, a 400 at Anthropic
  const auto call = build_call(config(provider_type::anthropic, "http://127.0.0.1:9000/v1/", key),
                               request, false);
  EXPECT_EQ(call.url, "http://127.0.0.1:9000/v1/messages");  // no doubled /v1
  const json body = json::parse(call.body);
  EXPECT_FALSE(body.contains("system"));
  EXPECT_DOUBLE_EQ(body.at("temperature").get<double>(), 1.0);
  EXPECT_EQ(body.at("stream"), false);
}

TEST(AnthropicWire, ParsesAWholeAnswer) {
  const auto parsed = parse_response(provider_type::anthropic, recorded("anthropic_message.json"));
  ASSERT_TRUE(parsed) << parsed.error().message;
  const completion& answer = parsed.value();
  EXPECT_EQ(answer.text, "Chapter 1: The Gate\n\nMira crossed the caf\u00e9 at dawn.");
  EXPECT_EQ(answer.model, "claude-sonnet-4-5-20250929");
  EXPECT_EQ(answer.provider, "anthropic");
  EXPECT_EQ(answer.finish_reason, "stop");
  EXPECT_EQ(answer.usage.input_tokens, 48);
  EXPECT_EQ(answer.usage.output_tokens, 14);
  EXPECT_FALSE(answer.usage.estimated);
}

TEST(AnthropicWire, MapsStopReasons) {
  const std::pair<const char*, const char*> cases[] = {{"end_turn", "stop"},
                                                       {"stop_sequence", "stop"},
                                                       {"max_tokens", "length"},
                                                       {"tool_use", "tool_calls"},
                                                       {"pause_turn", "pause_turn"}};
  for (const auto& [reason, expected] : cases) {
    const json body = {{"type", "message"},
                       {"content", json::array({{{"type", "text"}, {"text", "x"}}})},
                       {"stop_reason", reason},
                       {"usage", {{"input_tokens", 1}, {"output_tokens", 1}}}};
    const auto parsed = parse_response(provider_type::anthropic, body.dump());
    ASSERT_TRUE(parsed) << reason;
    EXPECT_EQ(parsed.value().finish_reason, expected) << reason;
  }
}

TEST(AnthropicWire, KeepsOnlyTextBlocks) {
  const auto parsed = parse_response(
      provider_type::anthropic,
      R"({"type":"message","content":[{"type":"thinking","thinking":"plan","signature":"abc"},)"
      R"({"type":"text","text":"Answer."}],"stop_reason":"end_turn",)"
      R"("usage":{"input_tokens":3,"output_tokens":9}})");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value().text, "Answer.");
}

TEST(AnthropicWire, EstimatesUsageWhenAbsent) {
  const auto parsed = parse_response(
      provider_type::anthropic,
      R"({"type":"message","content":[{"type":"text","text":"A sentence of thirty-one bytes."}],)"
      R"("stop_reason":"max_tokens"})");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value().finish_reason, "length");
  EXPECT_TRUE(parsed.value().usage.estimated);
  EXPECT_EQ(parsed.value().usage.output_tokens, 8);
}

TEST(AnthropicWire, MalformedOrIncompleteAnswersAreInvalid) {
  const std::string good = recorded("anthropic_message.json");
  for (const std::string& body :
       {good.substr(0, good.size() - 10), std::string{"{"}, std::string{R"({"type":"message"})"},
        std::string{R"({"type":"message","content":"text"})"},
        std::string{R"({"type":"message","content":[{"type":"text"}]})"}}) {
    const auto parsed = parse_response(provider_type::anthropic, body);
    ASSERT_FALSE(parsed) << body;
    EXPECT_EQ(parsed.error().code, "invalid_response") << body;
    EXPECT_LE(parsed.error().message.size(), 300U);
  }
}

TEST(AnthropicWire, RefusalWithoutTextIsAContentFilterFailure) {
  const auto parsed = parse_response(
      provider_type::anthropic,
      R"({"type":"message","content":[],"stop_reason":"refusal","usage":{"input_tokens":9,"output_tokens":0}})");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "content_filter");
}

TEST(AnthropicWire, ErrorBodyIsAFailure) {
  const auto parsed =
      parse_response(provider_type::anthropic, recorded("anthropic_error_529.json"));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "overloaded");
}

TEST(AnthropicWire, DecodesTheRecordedStreamHoweverItIsSplit) {
  const decoded result =
      decode_every_way(provider_type::anthropic, recorded("anthropic_stream.sse"));
  EXPECT_FALSE(result.error) << result.error->message;
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(result.text,
            "Chapter 1: The Gate\n\nMira crossed the caf\u00e9 at dawn \u2014 na\u00efve, hopeful. "
            "\U0001F4DA");
  EXPECT_EQ(result.deltas, 4);
  EXPECT_EQ(result.finish_reason, "stop");
  EXPECT_EQ(result.model, "claude-sonnet-4-5-20250929");
  ASSERT_TRUE(result.usage);
  EXPECT_EQ(result.usage->input_tokens, 48);   // from message_start
  EXPECT_EQ(result.usage->output_tokens, 21);  // from message_delta
}

TEST(AnthropicWire, MaxTokensInTheStreamIsLength) {
  const std::string body =
      message_start() + text_delta("Cut") +
      event(
          "message_delta",
          R"({"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":7}})") +
      event("message_stop", R"({"type":"message_stop"})");
  const decoded result = decode_every_way(provider_type::anthropic, body);
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(result.finish_reason, "length");
  EXPECT_EQ(result.model, "claude-3-5-haiku-20241022");
  ASSERT_TRUE(result.usage);
  EXPECT_EQ(result.usage->input_tokens, 30);
  EXPECT_EQ(result.usage->output_tokens, 7);
}

TEST(AnthropicWire, OverloadedErrorEventIsRetryable) {
  const std::string body =
      message_start() + text_delta("The night") +
      event("error",
            R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  const decoded result = decode_every_way(provider_type::anthropic, body);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "overloaded");
  EXPECT_TRUE(result.error->retryable);
  EXPECT_NE(result.error->message.find("Overloaded"), std::string::npos);
  EXPECT_EQ(result.text, "The night");
  EXPECT_FALSE(result.complete);
}

TEST(AnthropicWire, InvalidRequestErrorEventIsNotRetryable) {
  const decoded result = decode(
      provider_type::anthropic,
      whole(event("error",
                  R"({"type":"error","error":{"type":"invalid_request_error","message":"bad"}})")));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "bad_request");
  EXPECT_FALSE(result.error->retryable);
}

TEST(AnthropicWire, IgnoresPingsAndUnknownEvents) {
  const std::string body =
      message_start() + event("ping", R"({"type": "ping"})") +
      event(
          "content_block_start",
          R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})") +
      event(
          "content_block_delta",
          R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}})") +
      event("future_event", R"({"type":"future_event","x":1})") + text_delta("Text") +
      event("message_stop", R"({"type":"message_stop"})");
  const decoded result = decode_every_way(provider_type::anthropic, body);
  EXPECT_FALSE(result.error);
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(result.text, "Text");
  EXPECT_EQ(result.deltas, 1);
}

TEST(AnthropicWire, StreamWithoutMessageStopEndsEarly) {
  const std::string body = recorded("anthropic_stream.sse");
  const auto stop = body.find("event: message_stop");
  ASSERT_NE(stop, std::string::npos);
  const decoded result =
      decode(provider_type::anthropic, whole(std::string_view{body}.substr(0, stop)));
  EXPECT_FALSE(result.complete);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "transport_error");
  EXPECT_TRUE(result.error->retryable);
  EXPECT_EQ(result.finish_reason, "stop");  // what came before is still reported
}

TEST(AnthropicWire, MalformedEventIsAnError) {
  const decoded result = decode(
      provider_type::anthropic,
      whole(message_start() + "event: content_block_delta\ndata: {\"type\":\"content_blo\n\n"));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "invalid_response");
  EXPECT_FALSE(result.error->retryable);
}

}  // namespace
}  // namespace lekhika::providers
