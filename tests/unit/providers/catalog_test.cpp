// Provider handles (api.md §3.3): the providers file first, then the handle's prefix with that
// provider's environment key; unknown handles and missing keys are refused with a reason.

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "lekhika/providers/catalog.hpp"

namespace lekhika::providers {
namespace {

env_lookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string{name});
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

provider_catalog build(std::map<std::string, std::string> env,
                       const nlohmann::json& file = nullptr) {
  auto catalog = provider_catalog::build(env_of(std::move(env)), file);
  EXPECT_TRUE(catalog.ok()) << (catalog.ok() ? "" : catalog.error().message);
  return std::move(catalog).value();
}

TEST(ProviderCatalog, ResolvesLekhikaHandlesByPrefixWithTheEnvironmentKey) {
  auto catalog = build({{"OPENAI_API_KEY", "sk-openai"},
                        {"ANTHROPIC_API_KEY", "sk-ant"},
                        {"GEMINI_API_KEY", "g-key"},
                        {"MISTRAL_API_KEY", "m-key"},
                        {"XAI_API_KEY", "x-key"},
                        {"PERPLEXITY_API_KEY", "p-key"}});
  const std::map<std::string, provider_type> expected{{"OPENA-01-first", provider_type::openai},
                                                      {"openai", provider_type::openai},
                                                      {"CLAUD-01-main", provider_type::anthropic},
                                                      {"claude", provider_type::anthropic},
                                                      {"anthropic", provider_type::anthropic},
                                                      {"GEMIN-01-nutan", provider_type::gemini},
                                                      {"MISTR-02-x", provider_type::mistral},
                                                      {"GROK--01", provider_type::xai},
                                                      {"xai", provider_type::xai},
                                                      {"PERPL-01-a", provider_type::perplexity},
                                                      {"ollama", provider_type::ollama},
                                                      {"offline", provider_type::offline}};
  for (const auto& [handle, type] : expected) {
    auto resolved = catalog.resolve(handle);
    ASSERT_TRUE(resolved.ok()) << handle << ": " << resolved.error().message;
    EXPECT_EQ(resolved.value().type, type) << handle;
    EXPECT_EQ(resolved.value().handle, handle);
  }
  EXPECT_EQ(catalog.resolve("OPENA-01-first").value().api_key.reveal(), "sk-openai");
  EXPECT_EQ(catalog.resolve("OPENA-01-first").value().base_url, "https://api.openai.com/v1");
  // Handles of one provider share its key (one actor, one set of limits).
  EXPECT_EQ(catalog.resolve("OPENA-01-first").value().key_id,
            catalog.resolve("openai").value().key_id);
}

TEST(ProviderCatalog, BaseUrlsComeFromTheEnvironment) {
  auto catalog = build({{"OPENAI_API_KEY", "k"},
                        {"OPENAI_BASE_URL", "http://127.0.0.1:9999/v1"},
                        {"OLLAMA_BASE_URL", "http://gpu-box:11434"}});
  EXPECT_EQ(catalog.resolve("openai").value().base_url, "http://127.0.0.1:9999/v1");
  EXPECT_EQ(catalog.resolve("ollama").value().base_url, "http://gpu-box:11434");
}

TEST(ProviderCatalog, MissingKeyNamesTheVariableAndNeverALeakedValue) {
  auto catalog = build({});
  auto resolved = catalog.resolve("OPENA-01-first");
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().code, "missing_api_key");
  EXPECT_NE(resolved.error().message.find("OPENAI_API_KEY"), std::string::npos)
      << resolved.error().message;
  EXPECT_NE(
      catalog.check({"CLAUD-01-main", "claude-sonnet-4-5", "CLAUD-01-main:claude-sonnet-4-5"}),
      std::nullopt);
  // Ollama and offline need no key.
  EXPECT_EQ(catalog.check({"ollama", "llama3.1", "ollama:llama3.1"}), std::nullopt);
  EXPECT_EQ(catalog.check({"offline", "draft", "offline:draft"}), std::nullopt);
}

TEST(ProviderCatalog, UnknownHandleIsRefused) {
  auto catalog = build({{"OPENAI_API_KEY", "k"}});
  auto resolved = catalog.resolve("COHER-01-x");
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.error().code, "unknown_provider");
  EXPECT_NE(resolved.error().message.find("COHER-01-x"), std::string::npos);
}

TEST(ProviderCatalog, ProvidersFileComesFirstAndCarriesLimits) {
  const nlohmann::json file{{"OPENA-01-first",
                             {{"type", "openai"},
                              {"apiKeyEnv", "LEKHIKA_FIRST_KEY"},
                              {"baseUrl", "http://127.0.0.1:7000/v1"},
                              {"defaultModel", "gpt-4o"},
                              {"rpm", 120},
                              {"tpm", 90000},
                              {"maxConcurrent", 8}}},
                            {"CLAUD-01-main", {{"apiKey", "sk-inline"}}}};
  auto catalog = build({{"OPENAI_API_KEY", "env-key"}, {"LEKHIKA_FIRST_KEY", "file-key"}}, file);
  auto first = catalog.resolve("OPENA-01-first");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first.value().api_key.reveal(), "file-key");
  EXPECT_EQ(first.value().base_url, "http://127.0.0.1:7000/v1");
  EXPECT_EQ(first.value().default_model, "gpt-4o");
  EXPECT_EQ(first.value().rpm, 120);
  EXPECT_EQ(first.value().tpm, 90000);
  EXPECT_EQ(first.value().max_concurrent, 8);
  EXPECT_EQ(first.value().key_id, "file:OPENA-01-first");
  // The type of a file entry without "type" follows its handle's prefix.
  auto claude = catalog.resolve("CLAUD-01-main");
  ASSERT_TRUE(claude.ok());
  EXPECT_EQ(claude.value().type, provider_type::anthropic);
  EXPECT_EQ(claude.value().api_key.reveal(), "sk-inline");
  // Other handles still resolve by prefix with the environment key.
  EXPECT_EQ(catalog.resolve("OPENA-02-other").value().api_key.reveal(), "env-key");
}

TEST(ProviderCatalog, MalformedProvidersFileNamesTheEntry) {
  for (const auto& file : {nlohmann::json::array(), nlohmann::json{{"X-1", "not an object"}},
                           nlohmann::json{{"X-2", {{"type", "cohere"}}}},
                           nlohmann::json{{"X-3", {{"type", "openai"}, {"rpm", -1}}}},
                           nlohmann::json{{"X-4", {{"type", "openai"}, {"apiKey", 5}}}}}) {
    auto catalog = provider_catalog::build(env_of({}), file);
    ASSERT_FALSE(catalog.ok()) << file.dump();
    EXPECT_EQ(catalog.error().code, "invalid_providers_file");
    if (file.is_object()) {
      EXPECT_NE(catalog.error().message.find(file.begin().key()), std::string::npos)
          << catalog.error().message;
    }
  }
}

TEST(ProviderCatalog, ConfiguredListsEveryCallableKeyOnce) {
  const nlohmann::json file{{"OPENA-01-first", {{"type", "openai"}, {"apiKey", "a"}}},
                            {"CLAUD-09-nokey", {{"type", "anthropic"}}}};
  auto catalog = build({{"OPENAI_API_KEY", "env"}, {"GEMINI_API_KEY", "g"}}, file);
  std::map<std::string, provider_type> keys;
  for (const auto& config : catalog.configured()) keys[config.key_id] = config.type;
  EXPECT_EQ(keys.count("file:OPENA-01-first"), 1U);
  EXPECT_EQ(keys.count("file:CLAUD-09-nokey"), 0U);  // no key: cannot be called
  EXPECT_EQ(keys.count("env:openai"), 1U);
  EXPECT_EQ(keys.count("env:gemini"), 1U);
  EXPECT_EQ(keys.count("env:anthropic"), 0U);
  EXPECT_EQ(keys.count("env:ollama"), 1U);   // keyless
  EXPECT_EQ(keys.count("env:offline"), 0U);  // not a network provider
}

TEST(ProviderCatalog, SecretsNeverPrint) {
  std::ostringstream out;
  out << secret{"sk-very-secret"};
  EXPECT_EQ(out.str(), "***");
}

}  // namespace
}  // namespace lekhika::providers
