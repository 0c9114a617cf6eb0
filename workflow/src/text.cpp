#include "lekhika/workflow/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace lekhika::workflow {
namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// A UTF-8 continuation byte (10xxxxxx) never starts a code point.
bool is_continuation(char c) noexcept { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

}  // namespace

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool icontains(std::string_view haystack, std::string_view needle) noexcept {
  if (needle.empty()) return true;
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_chars) noexcept {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_continuation(text[i])) continue;
    if (chars == max_chars) return text.substr(0, i);
    ++chars;
  }
  return text;
}

std::string_view utf8_suffix(std::string_view text, std::size_t max_chars) noexcept {
  std::size_t chars = 0;
  for (std::size_t i = text.size(); i > 0; --i) {
    if (is_continuation(text[i - 1])) continue;
    if (chars == max_chars) return text.substr(i);
    ++chars;
  }
  return text;
}

std::vector<long long> numbers_in(std::string_view text) {
  std::vector<long long> out;
  constexpr long long cap = std::numeric_limits<long long>::max() / 1000;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    long long value = 0;
    while (i < text.size()) {
      if (is_digit(text[i])) {
        if (value < cap) value = value * 10 + (text[i] - '0');
        ++i;
      } else if (text[i] == ',' && i + 3 < text.size() && is_digit(text[i + 1]) &&
                 is_digit(text[i + 2]) && is_digit(text[i + 3]) &&
                 (i + 4 == text.size() || !is_digit(text[i + 4]))) {
        // "5,000": a thousands separator is followed by exactly three digits.
        ++i;
      } else {
        break;
      }
    }
    // A fraction only matters before a "k" ("7.5k" is 7500); otherwise it is dropped.
    long long thousandths = 0;
    if (i + 1 < text.size() && text[i] == '.' && is_digit(text[i + 1])) {
      ++i;
      long long scale = 100;
      while (i < text.size() && is_digit(text[i])) {
        thousandths += (text[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
    }
    if (i < text.size() && (text[i] == 'k' || text[i] == 'K') &&
        (i + 1 >= text.size() || !std::isalpha(static_cast<unsigned char>(text[i + 1])))) {
      if (value < cap) value = value * 1000 + thousandths;
      ++i;
    }
    out.push_back(value);
  }
  return out;
}

std::optional<double> parse_number(std::string_view text) noexcept {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace lekhika::workflow
