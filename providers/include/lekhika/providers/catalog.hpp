#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/providers/secret.hpp"
#include "lekhika/workflow/model.hpp"
#include "lekhika/workflow/result.hpp"

namespace lekhika::providers {

/// The wire family a provider speaks.
enum class provider_type {
  offline,
  openai,
  anthropic,
  gemini,
  mistral,
  xai,
  perplexity,
  openrouter,
  ollama
};

/// "openai", "anthropic", ...
[[nodiscard]] const char* to_string(provider_type type) noexcept;
/// The type for a name used in providers files ("openai", "claude", "grok", ...).
[[nodiscard]] std::optional<provider_type> provider_type_from_name(std::string_view name) noexcept;

/// Everything needed to call one provider key.
struct provider_config {
  std::string handle;  ///< the name workflows use, e.g. "OPENA-01-first" or "openai"
  std::string key_id;  ///< identifies the key (type + handle source) for per-key limits
  provider_type type = provider_type::offline;
  std::string base_url;
  secret api_key;
  std::string default_model;
  int rpm = 0;             ///< requests per minute, 0 = unlimited
  int tpm = 0;             ///< tokens per minute, 0 = unlimited
  int max_concurrent = 0;  ///< in-flight requests, 0 = provider default
};

/// Reads an environment variable; nullopt when unset or empty.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// Resolves provider handles (api.md §3.3): the providers file first, then the handle's prefix
/// (OPENA/openai, CLAUD/anthropic/claude, GEMIN/gemini, MISTR/mistral, GROK/xai, PERPL/perplexity,
/// ollama, openrouter, offline) with that provider's environment key and base URL.
class provider_catalog {
 public:
  /// Builds the catalog; `providers_file` is the parsed LEKHIKA_PROVIDERS_FILE (or null).
  /// Fails when the file's content is malformed (the message names the entry).
  [[nodiscard]] static result<provider_catalog> build(const env_lookup& env,
                                                      const nlohmann::json& providers_file);

  /// The configuration for a handle, or a failure saying why it cannot be used
  /// ("unknown provider handle 'X'", "no API key for provider openai (set OPENAI_API_KEY)").
  [[nodiscard]] result<provider_config> resolve(std::string_view handle) const;

  /// A workflow::model_checker: nullopt when the choice can be used, else the reason.
  [[nodiscard]] std::optional<std::string> check(const workflow::model_choice& choice) const;

  /// Every network provider key that can be called (entries of the providers file with a key,
  /// providers whose environment key is set, and Ollama, which needs none): one actor each.
  [[nodiscard]] std::vector<provider_config> configured() const;

 private:
  std::map<std::string, provider_config, std::less<>> from_file_;
  std::map<provider_type, provider_config> from_env_;
};

}  // namespace lekhika::providers
