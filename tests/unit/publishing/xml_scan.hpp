#pragma once

// Scanning the XML the docx and epub exporters write: the characters and names XML 1.0 allows
// (for the tests' well-formedness checks) and the values of one attribute on every tag of one
// element. Plain string scanning, enough for the markup the exporters write; not a parser.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lekhika::publishing::test_util {

/// Decodes one UTF-8 character at `at`: its code point and length, length 0 when malformed
/// (a bad lead or continuation byte, truncated, overlong, a surrogate or past U+10FFFF).
inline std::pair<char32_t, std::size_t> utf8_at(std::string_view s, std::size_t at) {
  const auto b0 = static_cast<unsigned char>(s[at]);
  if (b0 < 0x80) return {b0, 1};
  std::size_t n = 0;
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    cp = b0 & 0x1FU;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    cp = b0 & 0x0FU;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    cp = b0 & 0x07U;
  } else {
    return {0, 0};
  }
  if (at + n > s.size()) return {0, 0};
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[at + k]);
    if ((b & 0xC0U) != 0x80U) return {0, 0};
    cp = (cp << 6U) | (b & 0x3FU);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 0};
  return {cp, n};
}

/// Whether XML 1.0 allows the character `c` at all.
inline bool xml_char(char32_t c) {
  if (c < 0x20) return c == 0x9 || c == 0xA || c == 0xD;
  return (c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/// Whether `c` may stand in a tag or attribute name (the ASCII names the exporters write).
inline bool xml_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
         c == '_' || c == '-' || c == '.';
}

/// Every value of `attribute` on `element` tags, in document order, e.g. every w:pStyle's w:val.
inline std::vector<std::string> attribute_values(std::string_view xml, std::string_view element,
                                                 std::string_view attribute) {
  std::vector<std::string> out;
  const std::string open = "<" + std::string{element} + " ";
  const std::string key = " " + std::string{attribute} + "=\"";
  for (std::size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at + 1)) {
    const std::size_t end = xml.find('>', at);
    const std::string_view tag = xml.substr(at, end - at);
    const std::size_t k = tag.find(key);
    if (k == std::string_view::npos) continue;
    const std::size_t from = k + key.size();
    out.emplace_back(tag.substr(from, tag.find('"', from) - from));
  }
  return out;
}

}  // namespace lekhika::publishing::test_util
