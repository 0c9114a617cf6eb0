#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace lekhika::workflow {

/// Limits applied to user input before it reaches a prompt.
inline constexpr std::size_t max_input_string_chars = 4000;
inline constexpr int max_input_depth = 5;

/// Whether an input key looks like a secret (api_key, apikey, token, secret, password,
/// authorization; case-insensitive): such keys never reach a prompt.
[[nodiscard]] bool is_secret_key(std::string_view key) noexcept;

/// The user input as prompts may see it: strings trimmed and cut to max_input_string_chars,
/// keys that look like secrets (api_key, token, secret, password, authorization) dropped,
/// nesting cut at max_input_depth, empty values dropped. Non-objects give an empty object.
[[nodiscard]] nlohmann::json sanitize_user_input(const nlohmann::json& raw);

/// Looks `name` up in the (sanitised) input: exact key, lower-case, spaces to underscores,
/// then the display aliases of original-worker.md §2.10 ("Book Title" -> book_title, ...).
[[nodiscard]] const nlohmann::json* find_input_value(const nlohmann::json& input,
                                                     std::string_view name);

/// Renders a JSON value as readable text: strings as-is, arrays as comma lists,
/// objects as "Key: value" lines; never "[object Object]".
[[nodiscard]] std::string render_value(const nlohmann::json& value);

/// The input rendered as "Key Name: value" lines, for the input node's text.
[[nodiscard]] std::string render_input(const nlohmann::json& input);

/// A string input by any of `keys` (first found), trimmed; nullopt when absent or empty.
[[nodiscard]] std::optional<std::string> input_string(const nlohmann::json& input,
                                                      std::initializer_list<std::string_view> keys);

}  // namespace lekhika::workflow
