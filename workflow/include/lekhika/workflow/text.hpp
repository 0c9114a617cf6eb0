#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lekhika::workflow {

/// `text` without leading and trailing ASCII white space.
[[nodiscard]] std::string_view trim(std::string_view text) noexcept;

/// ASCII lower-case copy of `text` (UTF-8 bytes above 0x7F are kept as they are).
[[nodiscard]] std::string to_lower(std::string_view text);

/// ASCII case-insensitive equality.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

/// ASCII case-insensitive substring test.
[[nodiscard]] bool icontains(std::string_view haystack, std::string_view needle) noexcept;

/// The first `max_chars` code points of UTF-8 `text` (never splits a multi-byte sequence).
[[nodiscard]] std::string_view utf8_prefix(std::string_view text, std::size_t max_chars) noexcept;

/// The last `max_chars` code points of UTF-8 `text`.
[[nodiscard]] std::string_view utf8_suffix(std::string_view text, std::size_t max_chars) noexcept;

/// The whole numbers written in `text`, in order ("5,000-10,000" -> 5000, 10000; "5k" -> 5000).
[[nodiscard]] std::vector<long long> numbers_in(std::string_view text);

/// `text` as a number when all of it (trimmed) is one, e.g. " 3.5 " -> 3.5; else nullopt.
[[nodiscard]] std::optional<double> parse_number(std::string_view text) noexcept;

}  // namespace lekhika::workflow
