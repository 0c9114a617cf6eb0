#pragma once

// Internal helpers shared by the publishing sources (not part of the public interface).

#include <nlohmann/json.hpp>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lekhika::publishing::detail {

/// ASCII whitespace: the only whitespace Markdown structure is built from.
[[nodiscard]] constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// `text` without leading and trailing ASCII whitespace.
[[nodiscard]] std::string_view trim(std::string_view text) noexcept;

/// `text` with ASCII letters lower-cased (format names and keys are ASCII).
[[nodiscard]] std::string to_lower_ascii(std::string_view text);

/// Whether a BCP 47 language tag names a language or script written right to left ("ar",
/// "fa-IR", "syr", "pa-Arab"). Every exporter decides the book's direction with this.
[[nodiscard]] bool is_right_to_left_language(std::string_view tag);

/// `text` trimmed with every run of whitespace (newlines included) turned into one space, for
/// fields that must stay on one line (titles, author) in every format.
[[nodiscard]] std::string one_line(std::string_view text);

/// Replaces every byte that is not part of a well-formed UTF-8 sequence with U+FFFD, in place.
/// Models cut off mid-stream can end inside a character; the JSON writer and browsers must
/// never see that. Valid text is left byte-for-byte unchanged.
void repair_utf8(std::string& text);

/// Columns `text` takes in a monospaced terminal (combining marks 0, wide East Asian and emoji
/// 2, everything else 1), so plain-text underlines line up with their headings.
[[nodiscard]] std::size_t display_width(std::string_view text) noexcept;

/// Appends `text` with CRLF and lone CR line endings turned into LF (files are written with LF).
void append_unix_newlines(std::string& out, std::string_view text);

/// Appends `text` with &, <, >, " and ' replaced by entities (safe in HTML and XML text and
/// attribute values).
void append_html_escaped(std::string& out, std::string_view text);

/// The font family names of a CSS-like list ("'Noto Serif', Georgia, serif"): split at commas,
/// quotes dropped, only letters, digits, spaces and hyphens kept (the names end up in CSS,
/// XML and fontconfig patterns), runs of spaces collapsed, empty names left out.
[[nodiscard]] std::vector<std::string> font_family_names(std::string_view list);

/// Reads a decimal number ("11", " 1.7", "12pt", "20 mm": the leading number); nullopt when
/// `text` does not start with one or it is not finite.
[[nodiscard]] std::optional<double> leading_number(std::string_view text) noexcept;

/// The first non-empty string (or number) among `keys` of the object `input`; each key is tried
/// as written, then against the object's keys normalised (lower-case, spaces and hyphens to
/// underscores) so form labels such as "Book Title" match book_title. Returns "" when none.
[[nodiscard]] std::string input_text(const nlohmann::json& input,
                                     std::initializer_list<std::string_view> keys);

/// The value of `key` in the object `input` (same matching as input_text); nullptr when absent
/// or when `input` is not an object.
[[nodiscard]] const nlohmann::json* input_value(const nlohmann::json& input, std::string_view key);

}  // namespace lekhika::publishing::detail
