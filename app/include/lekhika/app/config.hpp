#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/actors/settings.hpp"
#include "lekhika/http/server.hpp"
#include "lekhika/providers/catalog.hpp"
#include "lekhika/workflow/result.hpp"

namespace lekhika::app {

/// Where configuration values come from, strongest first: command-line flags (kebab case of
/// the variable, `--max-running-executions 10`), the real environment, then `.env` in the
/// working directory.
class config_source {
 public:
  /// `flags` maps variable names (UPPER_SNAKE) to values; `dotenv_path` may not exist.
  config_source(std::map<std::string, std::string> flags, std::string dotenv_path);
  /// The value of a variable, or nullopt when no source sets it (empty counts as unset).
  [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
  /// As a providers::env_lookup.
  [[nodiscard]] providers::env_lookup lookup() const;

 private:
  std::map<std::string, std::string> flags_;
  std::map<std::string, std::string> dotenv_;
};

/// Parses `.env` text: KEY=VALUE lines, `export` prefixes, quotes, # comments.
[[nodiscard]] std::map<std::string, std::string> parse_dotenv(std::string_view text);

/// The variable a kebab-case flag names: "max-running-executions" -> "MAX_RUNNING_EXECUTIONS".
[[nodiscard]] std::string flag_to_variable(std::string_view flag);

/// Everything the worker is configured with (api.md §1).
struct config {
  actors::engine_settings engine;
  http::server_settings http;
  std::string log_format = "json";
  std::string log_level = "info";
  bool log_level_set = false;  ///< LOG_LEVEL was given (run defaults to warn otherwise)
  bool insecure_dev = false;
  nlohmann::json providers_file;  ///< parsed LEKHIKA_PROVIDERS_FILE, or null
  providers::env_lookup env;      ///< the same sources, for provider keys and base URLs
};

/// Reads and checks every variable; a bad value is a failure that names the variable.
[[nodiscard]] result<config> load_config(const config_source& source);

/// Why `serve` must refuse this secret (unset, shorter than 16, a known placeholder), if it must.
[[nodiscard]] std::optional<std::string> weak_secret_reason(const std::string& secret);

}  // namespace lekhika::app
