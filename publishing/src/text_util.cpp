#include "text_util.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <system_error>
#include <utility>

namespace lekhika::publishing::detail {
namespace {

struct code_point_range {
  char32_t first;
  char32_t last;
};

// Non-spacing marks and invisible format characters of the scripts books are written in
// (Latin, Greek, Cyrillic, Hebrew, Arabic, Indic, Thai, Lao), plus joiners, bidi controls,
// variation selectors and emoji modifiers. Not the full Unicode table: underlines only need to
// be right for real prose, and a missing rare mark costs one extra '='.
constexpr std::array zero_width = std::to_array<code_point_range>({
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},   {0x05BF, 0x05BF},   {0x05C1, 0x05C2},
    {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A},   {0x061C, 0x061C},   {0x064B, 0x065F},
    {0x0670, 0x0670}, {0x06D6, 0x06DC}, {0x06DF, 0x06E4},   {0x06E7, 0x06E8},   {0x06EA, 0x06ED},
    {0x0711, 0x0711}, {0x0730, 0x074A}, {0x07A6, 0x07B0},   {0x0900, 0x0902},   {0x093A, 0x093A},
    {0x093C, 0x093C}, {0x0941, 0x0948}, {0x094D, 0x094D},   {0x0951, 0x0957},   {0x0962, 0x0963},
    {0x0981, 0x0981}, {0x09BC, 0x09BC}, {0x09C1, 0x09C4},   {0x09CD, 0x09CD},   {0x09E2, 0x09E3},
    {0x0A01, 0x0A02}, {0x0A3C, 0x0A3C}, {0x0A41, 0x0A51},   {0x0A70, 0x0A71},   {0x0A75, 0x0A75},
    {0x0A81, 0x0A82}, {0x0ABC, 0x0ABC}, {0x0AC1, 0x0AC8},   {0x0ACD, 0x0ACD},   {0x0AE2, 0x0AE3},
    {0x0B01, 0x0B01}, {0x0B3C, 0x0B3C}, {0x0B3F, 0x0B3F},   {0x0B41, 0x0B44},   {0x0B4D, 0x0B4D},
    {0x0B82, 0x0B82}, {0x0BC0, 0x0BC0}, {0x0BCD, 0x0BCD},   {0x0C00, 0x0C00},   {0x0C3E, 0x0C40},
    {0x0C46, 0x0C56}, {0x0C62, 0x0C63}, {0x0CBC, 0x0CBC},   {0x0CCC, 0x0CCD},   {0x0D00, 0x0D01},
    {0x0D41, 0x0D44}, {0x0D4D, 0x0D4D}, {0x0E31, 0x0E31},   {0x0E34, 0x0E3A},   {0x0E47, 0x0E4E},
    {0x0EB1, 0x0EB1}, {0x0EB4, 0x0EBC}, {0x0EC8, 0x0ECD},   {0x1AB0, 0x1AFF},   {0x1DC0, 0x1DFF},
    {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064},   {0x20D0, 0x20FF},   {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0x1F3FB, 0x1F3FF}, {0xE0000, 0xE007F}, {0xE0100, 0xE01EF},
});

// East Asian Wide/Fullwidth blocks and the emoji blocks terminals draw two columns wide.
constexpr std::array double_width = std::to_array<code_point_range>({
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
    {0x23F0, 0x23F0},   {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26CE, 0x26CE},
    {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
    {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
    {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},   {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
    {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
    {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4},
    {0x17000, 0x18AFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
    {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F2FF}, {0x1F300, 0x1F64F},
    {0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7EB}, {0x1F90C, 0x1F9FF}, {0x1FA70, 0x1FAFF},
    {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
});

template <std::size_t N>
[[nodiscard]] bool in_ranges(const std::array<code_point_range, N>& ranges, char32_t cp) noexcept {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), cp,
                             [](char32_t c, const code_point_range& r) { return c < r.first; });
  if (it == ranges.begin()) return false;
  return cp <= std::prev(it)->last;
}

[[nodiscard]] constexpr bool is_continuation(unsigned char c) noexcept {
  return (c & 0xC0) == 0x80;
}

// Length of the well-formed UTF-8 sequence starting at `i` (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
[[nodiscard]] std::size_t sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  const std::size_t left = s.size() - i;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (b0 >= 0xC2 && b0 <= 0xDF) return left >= 2 && is_continuation(byte(1)) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3) return 0;
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    if (byte(1) < lo || byte(1) > hi || !is_continuation(byte(2))) return 0;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4) return 0;
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (byte(1) < lo || byte(1) > hi || !is_continuation(byte(2)) || !is_continuation(byte(3)))
      return 0;
    return 4;
  }
  return 0;
}

[[nodiscard]] std::string normalized_key(std::string_view key) {
  std::string out = to_lower_ascii(trim(key));
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == ' ' || c == '-'; }, '_');
  return out;
}

}  // namespace

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string to_lower_ascii(std::string_view text) {
  std::string out{text};
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string one_line(std::string_view text) {
  text = trim(text);
  std::string out;
  out.reserve(text.size());
  bool in_space = false;
  for (char c : text) {
    if (is_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out += ' ';
    in_space = false;
    out += c;
  }
  return out;
}

void repair_utf8(std::string& text) {
  std::size_t i = 0;
  // Fast path: almost all text is valid, and then it is not copied at all.
  while (i < text.size()) {
    const std::size_t n = sequence_length(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return;
  std::string out;
  out.reserve(text.size() + 16);
  out.append(text, 0, i);
  while (i < text.size()) {
    const std::size_t n = sequence_length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  text = std::move(out);
}

std::size_t display_width(std::string_view text) noexcept {
  std::size_t width = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t n = sequence_length(text, i);
    if (n <= 1) {
      // ASCII, or a stray byte that will be shown as one replacement character.
      ++width;
      ++i;
      continue;
    }
    auto byte = [&](std::size_t k) {
      return static_cast<char32_t>(static_cast<unsigned char>(text[i + k])) & 0x3F;
    };
    const auto b0 = static_cast<char32_t>(static_cast<unsigned char>(text[i]));
    char32_t cp = 0;
    if (n == 2) cp = ((b0 & 0x1F) << 6) | byte(1);
    if (n == 3) cp = ((b0 & 0x0F) << 12) | (byte(1) << 6) | byte(2);
    if (n == 4) cp = ((b0 & 0x07) << 18) | (byte(1) << 12) | (byte(2) << 6) | byte(3);
    if (in_ranges(zero_width, cp)) {
      // adds nothing
    } else if (in_ranges(double_width, cp)) {
      width += 2;
    } else {
      width += 1;
    }
    i += n;
  }
  return width;
}

void append_unix_newlines(std::string& out, std::string_view text) {
  std::size_t at = 0;
  for (std::size_t cr = text.find('\r'); cr != std::string_view::npos; cr = text.find('\r', at)) {
    out.append(text, at, cr - at);
    out += '\n';
    at = cr + 1;
    if (at < text.size() && text[at] == '\n') ++at;
  }
  out.append(text, at, std::string_view::npos);
}

void append_html_escaped(std::string& out, std::string_view text) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view entity;
    switch (text[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&#39;";
        break;
      default:
        continue;
    }
    out.append(text, at, i - at);
    out.append(entity);
    at = i + 1;
  }
  out.append(text, at, std::string_view::npos);
}

std::vector<std::string> font_family_names(std::string_view list) {
  std::vector<std::string> names;
  std::string name;
  auto finish = [&] {
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (!name.empty()) names.push_back(std::move(name));
    name.clear();
  };
  for (char c : list) {
    if (c == ',') {
      finish();
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-') {
      name += c;
    } else if (is_space(c) && !name.empty() && name.back() != ' ') {
      name += ' ';
    }
  }
  finish();
  return names;
}

std::optional<double> leading_number(std::string_view text) noexcept {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end == text.data() || !std::isfinite(value)) return std::nullopt;
  return value;
}

const nlohmann::json* input_value(const nlohmann::json& input, std::string_view key) {
  if (!input.is_object()) return nullptr;
  if (auto it = input.find(std::string{key}); it != input.end()) return &*it;
  const std::string wanted = normalized_key(key);
  for (auto it = input.begin(); it != input.end(); ++it) {
    if (normalized_key(it.key()) == wanted) return &it.value();
  }
  return nullptr;
}

std::string input_text(const nlohmann::json& input, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    const nlohmann::json* value = input_value(input, key);
    if (value == nullptr) continue;
    std::string text;
    if (value->is_string()) {
      text = std::string{trim(value->get_ref<const std::string&>())};
    } else if (value->is_number()) {
      // A form may send a numeric title ("1984") as a number.
      text = value->dump();
    }
    if (!text.empty()) return text;
  }
  return {};
}

namespace {

// Primary languages written right to left, and the right-to-left scripts a tag can name.
constexpr std::array rtl_languages = std::to_array<std::string_view>(
    {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "syr", "ug", "ur", "yi"});
constexpr std::array rtl_scripts =
    std::to_array<std::string_view>({"adlm", "arab", "hebr", "nkoo", "rohg", "syrc", "thaa"});

[[nodiscard]] bool listed(std::string_view name, const auto& list) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

bool is_right_to_left_language(std::string_view tag) {
  bool primary = true;
  while (true) {
    const std::size_t dash = tag.find('-');
    const std::string part = to_lower_ascii(tag.substr(0, dash));
    if (primary ? listed(part, rtl_languages) : listed(part, rtl_scripts)) return true;
    primary = false;
    if (dash == std::string_view::npos) return false;
    tag.remove_prefix(dash + 1);
  }
}

}  // namespace lekhika::publishing::detail
