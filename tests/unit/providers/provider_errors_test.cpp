#include <gtest/gtest.h>

#include <random>
#include <string>

#include "lekhika/providers/wire.hpp"
#include "wire_test_support.hpp"

namespace lekhika::providers {
namespace {

using namespace lekhika::providers::testing;

TEST(ProviderErrors, MapsStatusesToCodes) {
  struct expectation {
    int status;
    const char* code;
    bool retryable;
  };
  const expectation cases[] = {
      {429, "rate_limited", true},  {408, "timeout", true},           {409, "conflict", true},
      {500, "server_error", true},  {502, "server_error", true},      {503, "server_error", true},
      {504, "server_error", true},  {529, "overloaded", true},        {401, "unauthorized", false},
      {403, "unauthorized", false}, {404, "not_found", false},        {400, "bad_request", false},
      {422, "bad_request", false},  {413, "bad_request", false},      {418, "bad_request", false},
      {0, "transport_error", true}, {302, "invalid_response", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.status);
    const provider_error error = parse_error(provider_type::openai, c.status, "");
    EXPECT_EQ(error.code, c.code);
    EXPECT_EQ(error.retryable, c.retryable);
    EXPECT_EQ(error.http_status, c.status);
    EXPECT_FALSE(error.message.empty());
  }
}

TEST(ProviderErrors, ReadsOpenAiErrorBodies) {
  const provider_error limited =
      parse_error(provider_type::openai, 429, recorded("openai_error_429.json"));
  EXPECT_EQ(limited.code, "rate_limited");
  EXPECT_TRUE(limited.retryable);
  EXPECT_NE(limited.message.find("Rate limit reached for gpt-4o-mini"), std::string::npos);
  EXPECT_NE(limited.message.find("429"), std::string::npos);

  const provider_error bad_key =
      parse_error(provider_type::openai, 401, recorded("openai_error_401.json"));
  EXPECT_EQ(bad_key.code, "unauthorized");
  EXPECT_FALSE(bad_key.retryable);
  EXPECT_NE(bad_key.message.find("Incorrect API key provided"), std::string::npos);
}

TEST(ProviderErrors, OpenAiOutOfQuotaIsNotRetried) {
  const provider_error error = parse_error(
      provider_type::openai, 429,
      R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.",)"
      R"("type":"insufficient_quota","param":null,"code":"insufficient_quota"}})");
  EXPECT_EQ(error.code, "rate_limited");
  EXPECT_FALSE(error.retryable);
}

TEST(ProviderErrors, ReadsAnthropicErrorBodies) {
  const provider_error overloaded =
      parse_error(provider_type::anthropic, 529, recorded("anthropic_error_529.json"));
  EXPECT_EQ(overloaded.code, "overloaded");
  EXPECT_TRUE(overloaded.retryable);
  EXPECT_NE(overloaded.message.find("Overloaded"), std::string::npos);

  // Anthropic sometimes sends overloaded_error with a plain 500-range status.
  const provider_error as_503 =
      parse_error(provider_type::anthropic, 503, recorded("anthropic_error_529.json"));
  EXPECT_EQ(as_503.code, "overloaded");

  const provider_error invalid =
      parse_error(provider_type::anthropic, 400, recorded("anthropic_error_400.json"));
  EXPECT_EQ(invalid.code, "bad_request");
  EXPECT_FALSE(invalid.retryable);
  EXPECT_NE(invalid.message.find("max_tokens: 100000 > 64000"), std::string::npos);
}

TEST(ProviderErrors, ReadsGeminiErrorBodies) {
  const provider_error bad_key =
      parse_error(provider_type::gemini, 400, recorded("gemini_error_400_api_key.json"));
  EXPECT_EQ(bad_key.code, "unauthorized");  // Gemini says 400, but it is the key
  EXPECT_FALSE(bad_key.retryable);
  EXPECT_NE(bad_key.message.find("API key not valid"), std::string::npos);

  const provider_error quota =
      parse_error(provider_type::gemini, 429, recorded("gemini_error_429.json"));
  EXPECT_EQ(quota.code, "rate_limited");
  EXPECT_TRUE(quota.retryable);

  const provider_error busy =
      parse_error(provider_type::gemini, 503, recorded("gemini_error_503.json"));
  EXPECT_EQ(busy.code, "overloaded");
  EXPECT_TRUE(busy.retryable);
  EXPECT_NE(busy.message.find("The model is overloaded"), std::string::npos);
}

TEST(ProviderErrors, CompatibleServersErrorShapes) {
  const provider_error ollama =
      parse_error(provider_type::ollama, 404,
                  R"({"error":"model \"llama9\" not found, try pulling it first"})");
  EXPECT_EQ(ollama.code, "not_found");
  EXPECT_NE(ollama.message.find("llama9"), std::string::npos);

  const provider_error mistral = parse_error(
      provider_type::mistral, 401, R"({"message":"Unauthorized","request_id":"6f8e2c0b4a3d"})");
  EXPECT_EQ(mistral.code, "unauthorized");
  EXPECT_NE(mistral.message.find("Unauthorized"), std::string::npos);

  const provider_error structured = parse_error(
      provider_type::mistral, 422,
      R"({"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","x"]}]},"type":"invalid_request_error"})");
  EXPECT_EQ(structured.code, "bad_request");
  EXPECT_NE(structured.message.find("extra_forbidden"), std::string::npos);
}

TEST(ProviderErrors, HtmlPagesGetAGenericMessage) {
  const std::string html = recorded("html_502.html");
  const provider_error error = parse_error(provider_type::openai, 502, html);
  EXPECT_EQ(error.code, "server_error");
  EXPECT_TRUE(error.retryable);
  EXPECT_NE(error.message.find("502"), std::string::npos);
  EXPECT_NE(error.message.find("openai"), std::string::npos);
  EXPECT_EQ(error.message.find("<html"), std::string::npos);
  EXPECT_EQ(error.message.find("cloudflare"), std::string::npos);
}

TEST(ProviderErrors, ShortPlainTextBodiesAreQuoted) {
  const provider_error error =
      parse_error(provider_type::anthropic, 503, "upstream connect error or disconnect/reset");
  EXPECT_EQ(error.code, "server_error");
  EXPECT_NE(error.message.find("upstream connect error"), std::string::npos);
}

TEST(ProviderErrors, MessagesStayShortAndOnOneLine) {
  const std::string long_message(10000, 'm');
  const provider_error json_error = parse_error(
      provider_type::openai, 400, R"({"error":{"message":")" + long_message + "\\nsecond line\"}}");
  EXPECT_LE(json_error.message.size(), 300U);
  EXPECT_EQ(json_error.message.find('\n'), std::string::npos);

  const provider_error text_error =
      parse_error(provider_type::gemini, 500, "line one\nline two " + long_message);
  EXPECT_LE(text_error.message.size(), 300U);
  EXPECT_EQ(text_error.message.find('\n'), std::string::npos);
}

TEST(ProviderErrors, TransportErrorsQuoteTheTransport) {
  const provider_error error =
      parse_error(provider_type::openai, 0, "Could not resolve host: api.openai.com");
  EXPECT_EQ(error.code, "transport_error");
  EXPECT_TRUE(error.retryable);
  EXPECT_NE(error.message.find("Could not resolve host"), std::string::npos);
}

TEST(ProviderErrors, OfflineHasNoWireFormat) {
  const completion_request request;
  const auto call = build_call(config(provider_type::offline, "", ""), request, true);
  EXPECT_TRUE(call.url.empty());
  EXPECT_TRUE(call.headers.empty());
  EXPECT_TRUE(call.body.empty());

  const auto parsed = parse_response(provider_type::offline, "{}");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, "invalid_response");

  auto decoder = make_stream_decoder(provider_type::offline);
  ASSERT_NE(decoder, nullptr);
  decoder->feed("data: {}\n\n");
  decoder->finish();
  ASSERT_TRUE(decoder->error());
  EXPECT_FALSE(decoder->complete());
}

TEST(WireRobustness, RandomBytesAlwaysEndInAnError) {
  std::mt19937 rng{20250101};
  std::uniform_int_distribution<int> byte{0, 255};
  for (const auto type : {provider_type::openai, provider_type::anthropic, provider_type::gemini}) {
    for (int round = 0; round < 50; ++round) {
      std::string junk;
      for (int i = 0; i < 400; ++i) junk.push_back(static_cast<char>(byte(rng)));
      if (round % 2 == 0) junk = "data: " + junk + "\n\n";  // reach the JSON parsers too
      const decoded result = decode(type, random_splits(junk, static_cast<std::uint32_t>(round)));
      EXPECT_TRUE(result.error.has_value()) << to_string(type) << " round " << round;
      EXPECT_FALSE(result.complete);
      const auto parsed = parse_response(type, junk);
      ASSERT_FALSE(parsed);
      EXPECT_EQ(parsed.error().code, "invalid_response");
      EXPECT_LE(parsed.error().message.size(), 300U);
      EXPECT_LE(parse_error(type, 500, junk).message.size(), 300U);
    }
  }
}

}  // namespace
}  // namespace lekhika::providers
