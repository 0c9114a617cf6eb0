#pragma once

// XML text helpers for the DOCX exporter (internal). Word refuses a whole document over one
// bad character, so every piece of book text goes through append_xml_escaped.

#include <cstddef>
#include <string>
#include <string_view>

namespace lekhika::publishing::detail::docx {

/// One decoded UTF-8 character: its code point and byte length; length 0 for bytes that are not
/// a well-formed sequence (RFC 3629).
struct code_point {
  char32_t value = 0;
  std::size_t length = 0;
};

/// The character that starts at byte `at` of `text` (which must be inside it).
[[nodiscard]] code_point decode_utf8(std::string_view text, std::size_t at) noexcept;

/// Whether XML 1.0 allows the character at all (tab, LF and CR among the controls; no
/// surrogates, no U+FFFE/U+FFFF).
[[nodiscard]] bool is_xml_char(char32_t c) noexcept;

/// Appends `text` escaped for XML character data and attribute values (& < > " ' as entities,
/// tab/LF/CR as character references so attributes keep them), dropping characters XML 1.0
/// forbids and replacing malformed UTF-8 with U+FFFD.
void append_xml_escaped(std::string& out, std::string_view text);

/// Whether `text` holds a strong right-to-left character (Hebrew, Arabic, Syriac, Thaana, N'Ko
/// and their presentation forms): Word lays such runs out right to left only when marked.
[[nodiscard]] bool has_rtl_text(std::string_view text) noexcept;

/// Whether a language tag names a language written right to left ("ar", "he-IL", "ur", ...).
[[nodiscard]] bool is_rtl_language(std::string_view tag);

}  // namespace lekhika::publishing::detail::docx
