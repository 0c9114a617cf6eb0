#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace lekhika::log {

/// Severity of a log line.
enum class level { debug = 0, info = 1, warn = 2, error = 3 };

/// Sets the lowest level written and the format (JSON lines, or plain text for humans).
void configure(level minimum, bool json);
/// Parses "debug", "info", "warn"/"warning", "error"; nullopt-like fallback is info.
[[nodiscard]] level parse_level(std::string_view name) noexcept;

/// Writes one line to stderr (one write call, so lines never interleave). `fields` must not
/// carry secrets, API keys or whole prompts.
void write(level severity, std::string_view message, const nlohmann::json& fields = nullptr);

inline void debug(std::string_view m, const nlohmann::json& f = nullptr) {
  write(level::debug, m, f);
}
inline void info(std::string_view m, const nlohmann::json& f = nullptr) {
  write(level::info, m, f);
}
inline void warn(std::string_view m, const nlohmann::json& f = nullptr) {
  write(level::warn, m, f);
}
inline void error(std::string_view m, const nlohmann::json& f = nullptr) {
  write(level::error, m, f);
}

}  // namespace lekhika::log
