#include "export_docx_xml.hpp"

#include <array>

#include "text_util.hpp"

namespace lekhika::publishing::detail::docx {
namespace {

[[nodiscard]] constexpr bool is_continuation(unsigned char c) noexcept {
  return (c & 0xC0) == 0x80;
}

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

}  // namespace

code_point decode_utf8(std::string_view text, std::size_t at) noexcept {
  const auto b0 = static_cast<unsigned char>(text[at]);
  if (b0 < 0x80) return {b0, 1};
  const std::size_t left = text.size() - at;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[at + k]); };
  auto bits = [&](std::size_t k) { return static_cast<char32_t>(byte(k) & 0x3F); };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (left < 2 || !is_continuation(byte(1))) return {};
    return {(static_cast<char32_t>(b0 & 0x1F) << 6) | bits(1), 2};
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3) return {};
    // No overlong forms (E0 80..9F) and no surrogates (ED A0..BF).
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    if (byte(1) < lo || byte(1) > hi || !is_continuation(byte(2))) return {};
    return {(static_cast<char32_t>(b0 & 0x0F) << 12) | (bits(1) << 6) | bits(2), 3};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4) return {};
    // No overlong forms (F0 80..8F) and nothing above U+10FFFF (F4 90..).
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (byte(1) < lo || byte(1) > hi || !is_continuation(byte(2)) || !is_continuation(byte(3)))
      return {};
    return {(static_cast<char32_t>(b0 & 0x07) << 18) | (bits(1) << 12) | (bits(2) << 6) | bits(3),
            4};
  }
  return {};
}

bool is_xml_char(char32_t c) noexcept {
  if (c < 0x20) return c == 0x09 || c == 0x0A || c == 0x0D;
  if (c <= 0xD7FF) return true;
  if (c < 0xE000) return false;  // surrogates
  if (c <= 0xFFFD) return true;
  return c >= 0x10000 && c <= 0x10FFFF;
}

void append_xml_escaped(std::string& out, std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const code_point cp = decode_utf8(text, i);
    if (cp.length == 0) {
      // A cut-off model answer can end inside a character; show that it did.
      out += replacement_character;
      ++i;
      continue;
    }
    if (cp.length > 1) {
      if (is_xml_char(cp.value)) out.append(text, i, cp.length);
      i += cp.length;
      continue;
    }
    switch (const char c = text[i++]; c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      // Attribute-value normalisation would turn these into spaces; references keep them.
      case '\t':
        out += "&#9;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20) out += c;  // other C0 controls: illegal
        break;
    }
  }
}

bool has_rtl_text(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    const code_point cp = decode_utf8(text, i);
    if (cp.length == 0) {
      ++i;
      continue;
    }
    const char32_t c = cp.value;
    // Hebrew through N'Ko and the Arabic extensions, the Hebrew and Arabic presentation
    // forms, and the historic RTL scripts of the supplementary planes.
    if ((c >= 0x0590 && c <= 0x08FF) || (c >= 0xFB1D && c <= 0xFDFF) ||
        (c >= 0xFE70 && c <= 0xFEFC) || (c >= 0x10800 && c <= 0x10FFF) ||
        (c >= 0x1E800 && c <= 0x1EFFF))
      return true;
    i += cp.length;
  }
  return false;
}

bool is_rtl_language(std::string_view tag) { return is_right_to_left_language(tag); }

}  // namespace lekhika::publishing::detail::docx
