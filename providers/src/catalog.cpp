#include "lekhika/providers/catalog.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace lekhika::providers {
namespace {

struct provider_defaults {
  provider_type type;
  const char* name;
  const char* key_env;       // nullptr: no key needed
  const char* base_url_env;  // nullptr: no base URL
  const char* base_url;
  const char* default_model;
};

// One row per provider family (api.md §1 configuration table).
constexpr std::array<provider_defaults, 9> defaults_table{{
    {provider_type::offline, "offline", nullptr, nullptr, "", "draft"},
    {provider_type::openai, "openai", "OPENAI_API_KEY", "OPENAI_BASE_URL",
     "https://api.openai.com/v1", "gpt-4o-mini"},
    {provider_type::anthropic, "anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
     "https://api.anthropic.com", "claude-3-5-haiku-latest"},
    {provider_type::gemini, "gemini", "GEMINI_API_KEY", "GEMINI_BASE_URL",
     "https://generativelanguage.googleapis.com", "gemini-2.0-flash"},
    {provider_type::mistral, "mistral", "MISTRAL_API_KEY", "MISTRAL_BASE_URL",
     "https://api.mistral.ai/v1", "mistral-small-latest"},
    {provider_type::xai, "xai", "XAI_API_KEY", "XAI_BASE_URL", "https://api.x.ai/v1",
     "grok-2-latest"},
    {provider_type::perplexity, "perplexity", "PERPLEXITY_API_KEY", "PERPLEXITY_BASE_URL",
     "https://api.perplexity.ai", "sonar"},
    {provider_type::openrouter, "openrouter", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL",
     "https://openrouter.ai/api/v1", "openai/gpt-4o-mini"},
    {provider_type::ollama, "ollama", nullptr, "OLLAMA_BASE_URL", "http://127.0.0.1:11434",
     "llama3.1"},
}};

const provider_defaults& defaults_for(provider_type type) {
  for (const auto& row : defaults_table) {
    if (row.type == type) return row;
  }
  return defaults_table[0];
}

std::string lower(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Lekhika's key handles are "PREFIX-NN-suffix" (original-worker.md §3.1); plain provider
// names are accepted as handles too.
std::optional<provider_type> type_from_handle(std::string_view handle) {
  const std::string h = lower(handle);
  struct prefix_rule {
    const char* prefix;
    provider_type type;
  };
  static constexpr std::array<prefix_rule, 8> prefixes{{{"opena", provider_type::openai},
                                                        {"claud", provider_type::anthropic},
                                                        {"gemin", provider_type::gemini},
                                                        {"mistr", provider_type::mistral},
                                                        {"grok", provider_type::xai},
                                                        {"perpl", provider_type::perplexity},
                                                        {"openrouter", provider_type::openrouter},
                                                        {"ollama", provider_type::ollama}}};
  if (auto exact = provider_type_from_name(h)) return exact;
  for (const auto& rule : prefixes) {
    if (h.starts_with(rule.prefix)) return rule.type;
  }
  return std::nullopt;
}

provider_config config_from_env(provider_type type, const env_lookup& env) {
  const auto& row = defaults_for(type);
  provider_config config;
  config.type = type;
  config.handle = row.name;
  config.key_id = std::string{"env:"} + row.name;
  config.base_url = row.base_url;
  if (row.base_url_env != nullptr) {
    if (auto url = env(row.base_url_env)) config.base_url = *url;
  }
  if (row.key_env != nullptr) {
    if (auto key = env(row.key_env)) config.api_key = secret{*key};
  }
  config.default_model = row.default_model;
  return config;
}

bool needs_key(provider_type type) { return defaults_for(type).key_env != nullptr; }

std::optional<int> non_negative_int(const nlohmann::json& entry, const char* field,
                                    std::string* error) {
  if (!entry.contains(field)) return 0;
  const auto& value = entry.at(field);
  if (!value.is_number_integer() || value.get<long long>() < 0 ||
      value.get<long long>() > 1000000000) {
    *error = std::string{"'"} + field + "' must be a non-negative integer";
    return std::nullopt;
  }
  return static_cast<int>(value.get<long long>());
}

std::optional<std::string> string_field(const nlohmann::json& entry, const char* field,
                                        std::string* error) {
  if (!entry.contains(field)) return std::string{};
  if (!entry.at(field).is_string()) {
    *error = std::string{"'"} + field + "' must be a string";
    return std::nullopt;
  }
  return entry.at(field).get<std::string>();
}

}  // namespace

const char* to_string(provider_type type) noexcept { return defaults_for(type).name; }

std::optional<provider_type> provider_type_from_name(std::string_view name) noexcept {
  const std::string n = lower(name);
  if (n == "claude") return provider_type::anthropic;
  if (n == "grok") return provider_type::xai;
  if (n == "google") return provider_type::gemini;
  for (const auto& row : defaults_table) {
    if (n == row.name) return row.type;
  }
  return std::nullopt;
}

result<provider_catalog> provider_catalog::build(const env_lookup& env,
                                                 const nlohmann::json& providers_file) {
  provider_catalog catalog;
  for (const auto& row : defaults_table)
    catalog.from_env_[row.type] = config_from_env(row.type, env);
  if (providers_file.is_null()) return catalog;

  const nlohmann::json& entries =
      providers_file.contains("providers") ? providers_file.at("providers") : providers_file;
  if (!entries.is_object()) {
    return failure{"invalid_providers_file",
                   "providers file must be a JSON object of handle -> settings"};
  }
  for (const auto& item : entries.items()) {
    const std::string& handle = item.key();
    const nlohmann::json& entry = item.value();
    auto fail = [&handle](const std::string& why) {
      return failure{"invalid_providers_file", "providers file entry '" + handle + "': " + why};
    };
    if (!entry.is_object()) return fail("must be an object");
    std::string error;
    auto type_name = string_field(entry, "type", &error);
    if (!type_name) return fail(error);
    auto type = type_name->empty() ? type_from_handle(handle) : provider_type_from_name(*type_name);
    if (!type) return fail("unknown provider type '" + *type_name + "'");
    provider_config config = config_from_env(*type, env);
    config.handle = handle;
    config.key_id = "file:" + handle;
    auto key = string_field(entry, "apiKey", &error);
    auto key_env = string_field(entry, "apiKeyEnv", &error);
    auto base_url = string_field(entry, "baseUrl", &error);
    auto model = string_field(entry, "defaultModel", &error);
    auto rpm = non_negative_int(entry, "rpm", &error);
    auto tpm = non_negative_int(entry, "tpm", &error);
    auto max_concurrent = non_negative_int(entry, "maxConcurrent", &error);
    if (!key || !key_env || !base_url || !model || !rpm || !tpm || !max_concurrent)
      return fail(error);
    if (!key->empty()) {
      config.api_key = secret{*key};
    } else if (!key_env->empty()) {
      auto from_env = env(*key_env);
      config.api_key = from_env ? secret{*from_env} : secret{};
    }
    if (!base_url->empty()) config.base_url = *base_url;
    if (!model->empty()) config.default_model = *model;
    config.rpm = *rpm;
    config.tpm = *tpm;
    config.max_concurrent = *max_concurrent;
    catalog.from_file_[handle] = std::move(config);
  }
  return catalog;
}

result<provider_config> provider_catalog::resolve(std::string_view handle) const {
  if (auto it = from_file_.find(handle); it != from_file_.end()) {
    if (needs_key(it->second.type) && it->second.api_key.empty()) {
      return failure{"missing_api_key",
                     "provider handle '" + std::string{handle} +
                         "' has no API key (set apiKey or apiKeyEnv in the providers file)"};
    }
    return it->second;
  }
  auto type = type_from_handle(handle);
  if (!type) {
    return failure{"unknown_provider", "unknown provider handle '" + std::string{handle} +
                                           "' (not in LEKHIKA_PROVIDERS_FILE and no known prefix)"};
  }
  provider_config config = from_env_.at(*type);
  if (needs_key(*type) && config.api_key.empty()) {
    return failure{"missing_api_key", "no API key for provider " + std::string{to_string(*type)} +
                                          " (handle '" + std::string{handle} + "'; set " +
                                          defaults_for(*type).key_env + ")"};
  }
  config.handle = std::string{handle};
  return config;
}

std::optional<std::string> provider_catalog::check(const workflow::model_choice& choice) const {
  auto resolved = resolve(choice.handle);
  if (!resolved) return resolved.error().message;
  return std::nullopt;
}

std::vector<provider_config> provider_catalog::configured() const {
  std::vector<provider_config> out;
  for (const auto& [handle, config] : from_file_) {
    if (config.type == provider_type::offline) continue;
    if (needs_key(config.type) && config.api_key.empty()) continue;
    out.push_back(config);
  }
  for (const auto& [type, config] : from_env_) {
    if (type == provider_type::offline) continue;
    if (needs_key(type) && config.api_key.empty()) continue;
    out.push_back(config);
  }
  return out;
}

}  // namespace lekhika::providers
