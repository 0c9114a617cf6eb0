#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "lekhika/providers/wire.hpp"
#include "wire_test_support.hpp"

namespace lekhika::providers {
namespace {

using json = nlohmann::json;
using namespace lekhika::providers::testing;

constexpr const char* key = "sk-test-0123456789abcdef";
constexpr std::string_view streamed_text =
    "Chapter 1: The Gate\n\nMira crossed the caf\u00e9 at dawn \u2014 na\u00efve, hopeful. "
    "\U0001F4DA";

completion_request chapter_request() {
  completion_request request;
  request.system = "You are a novelist.";
  request.user = "Write chapter 1.";
  request.model = "gpt-4o-mini";
  request.temperature = 0.4;
  request.max_tokens = 1200;
  return request;
}

TEST(OpenAiWire, BuildsAStreamingChatCompletionsCall) {
  const auto call = build_call(config(provider_type::openai, "https://api.openai.com/v1", key),
                               chapter_request(), true);
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.url, "https://api.openai.com/v1/chat/completions");
  const http_header* auth = find_header(call, "Authorization");
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->value, std::string{"Bearer "} + key);
  EXPECT_TRUE(auth->secret);
  const http_header* type = find_header(call, "Content-Type");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->value, "application/json");
  EXPECT_FALSE(type->secret);
  expect_key_only_in_a_secret_header(call, key);

  const json body = json::parse(call.body);
  EXPECT_EQ(body.at("model"), "gpt-4o-mini");
  ASSERT_EQ(body.at("messages").size(), 2U);
  EXPECT_EQ(body.at("messages")[0], (json{{"role", "system"}, {"content", "You are a novelist."}}));
  EXPECT_EQ(body.at("messages")[1], (json{{"role", "user"}, {"content", "Write chapter 1."}}));
  EXPECT_DOUBLE_EQ(body.at("temperature").get<double>(), 0.4);
  EXPECT_EQ(body.at("max_tokens"), 1200);
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("stream_options"), (json{{"include_usage", true}}));
}

TEST(OpenAiWire, WholeCallHasNoStreamOptionsAndNoEmptySystemMessage) {
  completion_request request = chapter_request();
  request.system.clear();
  request.model.clear();
  const auto call = build_call(
      config(provider_type::openai, "https://api.openai.com/v1/", key, "gpt-4o"), request, false);
  EXPECT_EQ(call.url, "https://api.openai.com/v1/chat/completions");  // trailing slash trimmed
  const json body = json::parse(call.body);
  EXPECT_EQ(body.at("model"), "gpt-4o");  // the provider's default
  ASSERT_EQ(body.at("messages").size(), 1U);
  EXPECT_EQ(body.at("messages")[0].at("role"), "user");
  EXPECT_EQ(body.at("stream"), false);
  EXPECT_FALSE(body.contains("stream_options"));
}

TEST(OpenAiWire, OllamaNeedsNoKeyAndGetsTheV1Prefix) {
  const auto call = build_call(config(provider_type::ollama, "http://127.0.0.1:11434", ""),
                               chapter_request(), true);
  EXPECT_EQ(call.url, "http://127.0.0.1:11434/v1/chat/completions");
  EXPECT_EQ(find_header(call, "Authorization"), nullptr);
  for (const auto& header : call.headers) EXPECT_FALSE(header.secret) << header.name;

  const auto already = build_call(config(provider_type::ollama, "http://gpu-box:11434/v1", ""),
                                  chapter_request(), true);
  EXPECT_EQ(already.url, "http://gpu-box:11434/v1/chat/completions");
}

TEST(OpenAiWire, CompatibleProvidersUseTheirBaseUrls) {
  struct expectation {
    provider_type type;
    const char* base;
    const char* url;
    bool stream_options;
  };
  const expectation cases[] = {
      {provider_type::mistral, "https://api.mistral.ai/v1",
       "https://api.mistral.ai/v1/chat/completions", false},
      {provider_type::xai, "https://api.x.ai/v1", "https://api.x.ai/v1/chat/completions", true},
      {provider_type::perplexity, "https://api.perplexity.ai",
       "https://api.perplexity.ai/chat/completions", false},
      {provider_type::openrouter, "https://openrouter.ai/api/v1",
       "https://openrouter.ai/api/v1/chat/completions", true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(to_string(c.type));
    const auto call = build_call(config(c.type, c.base, key), chapter_request(), true);
    EXPECT_EQ(call.url, c.url);
    expect_key_only_in_a_secret_header(call, key);
    const json body = json::parse(call.body);
    EXPECT_EQ(body.at("stream"), true);
    EXPECT_EQ(body.contains("stream_options"), c.stream_options);
  }
}

TEST(OpenAiWire, PromptsWithInvalidUtf8StillMakeABody) {
  completion_request request = chapter_request();
  request.user = std::string{"cut in the middle \xE2\x82"};
  const auto call =
      build_call(config(provider_type::openai, "https://api.openai.com/v1", key), request, false);
  const json body = json::parse(call.body, nullptr, false);
  ASSERT_FALSE(body.is_discarded());
  EXPECT_TRUE(body.at("messages")[1].at("content").get<std::string>().starts_with("cut in"));
}

TEST(OpenAiWire, ParsesAWholeAnswer) {
  const auto parsed =
      parse_response(provider_type::openai, recorded("openai_chat_completion.json"));
  ASSERT_TRUE(parsed) << parsed.error().message;
  const completion& answer = parsed.value();
  EXPECT_EQ(
      answer.text,
      "Chapter 1: The Gate\n\nMira crossed the caf\u00e9 at dawn \u2014 na\u00efve, hopeful.");
  EXPECT_EQ(answer.model, "gpt-4o-mini-2024-07-18");
  EXPECT_EQ(answer.provider, "openai");
  EXPECT_EQ(answer.finish_reason, "stop");
  EXPECT_EQ(answer.usage.input_tokens, 57);
  EXPECT_EQ(answer.usage.output_tokens, 17);
  EXPECT_FALSE(answer.usage.estimated);
}

TEST(OpenAiWire, CompatibleProvidersNameThemselvesInTheAnswer) {
  const auto parsed =
      parse_response(provider_type::mistral, recorded("openai_chat_completion.json"));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value().provider, "mistral");
}

TEST(OpenAiWire, EstimatesUsageWhenAbsent) {
  const std::string body =
      R"({"model":"llama3.1","choices":[{"index":0,"message":{"role":"assistant",)"
      R"("content":"Twelve chars"},"finish_reason":"length"}]})";
  const auto parsed = parse_response(provider_type::ollama, body);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed.value().finish_reason, "length");
  EXPECT_TRUE(parsed.value().usage.estimated);
  EXPECT_EQ(parsed.value().usage.output_tokens, 3);  // 12 characters, about 4 a token
  EXPECT_EQ(parsed.value().usage.input_tokens, 0);   // the prompt is not known here
}

TEST(OpenAiWire, MalformedOrTruncatedJsonIsAnInvalidResponse) {
  const std::string good = recorded("openai_chat_completion.json");
  const std::string long_garbage = "<" + std::string(10000, 'x') + ">";
  for (const std::string& body : {good.substr(0, good.size() / 2), std::string{"not json"},
                                  std::string{}, std::string{"[1,2]"}, long_garbage}) {
    const auto parsed = parse_response(provider_type::openai, body);
    ASSERT_FALSE(parsed) << body;
    EXPECT_EQ(parsed.error().code, "invalid_response");
    EXPECT_LE(parsed.error().message.size(), 300U);
  }
}

TEST(OpenAiWire, MissingContentIsAnInvalidResponse) {
  for (
      const char* body :
      {R"({"choices":[]})", R"({"choices":[{"index":0,"finish_reason":"stop"}]})",
       R"({"choices":[{"message":{"role":"assistant","content":null},"finish_reason":"tool_calls"}]})",
       R"({"choices":[{"message":{"role":"assistant","content":42}}]})", R"({"id":"x"})"}) {
    const auto parsed = parse_response(provider_type::openai, body);
    ASSERT_FALSE(parsed) << body;
    EXPECT_EQ(parsed.error().code, "invalid_response") << body;
  }
}

TEST(OpenAiWire, EmptyContentIsAnAnswer) {
  const auto parsed = parse_response(
      provider_type::openai,
      R"({"choices":[{"message":{"role":"assistant","content":""},"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":5,"completion_tokens":0}})");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value().text, "");
  EXPECT_EQ(parsed.value().usage.input_tokens, 5);
}

TEST(OpenAiWire, RefusalIsAContentFilterFailure) {
  const auto parsed = parse_response(
      provider_type::openai,
      R"({"choices":[{"message":{"role":"assistant","content":null,"refusal":"I can't help."},)"
      R"("finish_reason":"stop"}]})");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "content_filter");
}

TEST(OpenAiWire, ErrorObjectInASuccessfulAnswerIsAFailure) {
  const auto parsed = parse_response(
      provider_type::openrouter,
      R"({"error":{"code":429,"message":"Rate limit exceeded: free-models-per-day"}})");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "rate_limited");
  EXPECT_NE(parsed.error().message.find("free-models-per-day"), std::string::npos);
}

TEST(OpenAiWire, DecodesTheRecordedStreamHoweverItIsSplit) {
  const decoded result = decode_every_way(provider_type::openai, recorded("openai_stream.sse"));
  EXPECT_FALSE(result.error) << result.error->message;
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(result.text, streamed_text);
  EXPECT_EQ(result.deltas, 6);  // the role-only first chunk is not a delta
  EXPECT_EQ(result.finish_reason, "stop");
  EXPECT_EQ(result.model, "gpt-4o-mini-2024-07-18");
}

TEST(OpenAiWire, ParsesStreamedUsageFromTheLastChunk) {
  const std::string body = recorded("openai_stream.sse");
  auto decoder = make_stream_decoder(provider_type::openai);
  const auto usage_chunk = body.find("\"choices\":[]");
  ASSERT_NE(usage_chunk, std::string::npos);
  decoder->feed(std::string_view{body}.substr(0, usage_chunk));
  EXPECT_FALSE(decoder->usage());  // "usage": null in every earlier chunk
  EXPECT_EQ(decoder->text(), streamed_text);
  decoder->feed(std::string_view{body}.substr(usage_chunk));
  decoder->finish();
  ASSERT_TRUE(decoder->usage());
  EXPECT_EQ(decoder->usage()->input_tokens, 57);
  EXPECT_EQ(decoder->usage()->output_tokens, 19);
  EXPECT_FALSE(decoder->usage()->estimated);
  EXPECT_FALSE(decoder->error());
}

TEST(OpenAiWire, StreamWithoutUsageChunkHasNoUsage) {
  const std::string body =
      "data: "
      "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
      "data: [DONE]\n\n";
  const decoded result = decode_every_way(provider_type::mistral, body);
  EXPECT_TRUE(result.complete);
  EXPECT_FALSE(result.error);
  EXPECT_FALSE(result.usage);
  EXPECT_EQ(result.text, "Hi");
  EXPECT_EQ(result.finish_reason, "length");
}

TEST(OpenAiWire, StreamCutBeforeTheFinishReasonEndsEarly) {
  const std::string body = recorded("openai_stream.sse");
  const auto finish_chunk = body.find("\"finish_reason\":\"stop\"");
  ASSERT_NE(finish_chunk, std::string::npos);
  for (std::size_t cut : {finish_chunk, finish_chunk - 200, body.size() / 3, std::size_t{0}}) {
    SCOPED_TRACE(cut);
    const decoded result =
        decode(provider_type::openai, whole(std::string_view{body}.substr(0, cut)));
    EXPECT_FALSE(result.complete);
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->code, "transport_error");
    EXPECT_TRUE(result.error->retryable);
    EXPECT_EQ(result.error->message, "stream ended early");
  }
  // Without finish() nothing is decided yet: the rest may still come.
  const decoded open =
      decode(provider_type::openai, whole(std::string_view{body}.substr(0, finish_chunk)),
             /*finish=*/false);
  EXPECT_FALSE(open.error);
  EXPECT_FALSE(open.complete);
  EXPECT_EQ(open.text, streamed_text);
}

TEST(OpenAiWire, StreamEndingAfterTheFinishReasonWithoutDoneIsComplete) {
  // Perplexity never sends [DONE]; its chunks carry usage and the last one a finish reason.
  const std::string body =
      "data: {\"id\":\"8c15\",\"model\":\"sonar\",\"object\":\"chat.completion\",\"usage\":"
      "{\"prompt_tokens\":7,\"completion_tokens\":1},\"choices\":[{\"index\":0,\"delta\":"
      "{\"role\":\"assistant\",\"content\":\"Why\"},\"finish_reason\":null}]}\r\n\r\n"
      "data: {\"id\":\"8c15\",\"model\":\"sonar\",\"object\":\"chat.completion\",\"usage\":"
      "{\"prompt_tokens\":7,\"completion_tokens\":12},\"choices\":[{\"index\":0,\"delta\":"
      "{\"role\":\"assistant\",\"content\":\" dogs?\"},\"finish_reason\":\"stop\"}]}\r\n\r\n";
  const decoded result = decode_every_way(provider_type::perplexity, body);
  EXPECT_FALSE(result.error) << result.error->message;
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(result.text, "Why dogs?");
  ASSERT_TRUE(result.usage);
  EXPECT_EQ(result.usage->output_tokens, 12);

  // The same holds for an OpenAI stream cut between its finish chunk and [DONE]; the usage
  // chunk is then missing and the caller estimates.
  const std::string recorded_body = recorded("openai_stream.sse");
  const auto usage_chunk = recorded_body.find("\"choices\":[]");
  ASSERT_NE(usage_chunk, std::string::npos);
  const auto cut = recorded_body.rfind("data: ", usage_chunk);
  const decoded openai =
      decode(provider_type::openai, whole(std::string_view{recorded_body}.substr(0, cut)));
  EXPECT_FALSE(openai.error);
  EXPECT_TRUE(openai.complete);
  EXPECT_FALSE(openai.usage);
}

TEST(OpenAiWire, MalformedChunkIsAnError) {
  const std::string body =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"th\n\n"
      "data: [DONE]\n\n";
  const decoded result = decode(provider_type::openai, whole(body));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "invalid_response");
  EXPECT_FALSE(result.complete);  // events after the error are ignored
  EXPECT_EQ(result.text, "Hi");
}

TEST(OpenAiWire, ErrorInsideTheStreamKeepsThePartialText) {
  const std::string body =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once\"}}]}\n\n"
      ": OPENROUTER PROCESSING\n\n"
      "data: {\"error\":{\"code\":502,\"message\":\"Provider returned error\"}}\n\n";
  const decoded result = decode_every_way(provider_type::openrouter, body);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, "server_error");
  EXPECT_TRUE(result.error->retryable);
  EXPECT_NE(result.error->message.find("Provider returned error"), std::string::npos);
  EXPECT_EQ(result.text, "Once");
}

}  // namespace
}  // namespace lekhika::providers
