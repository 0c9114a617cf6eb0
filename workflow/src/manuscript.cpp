#include "lekhika/workflow/manuscript.hpp"

#include <array>
#include <string>

#include "lekhika/workflow/text.hpp"

namespace lekhika::workflow {
namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Removes Markdown emphasis: every "**" / "__" pair marker, and single '*' or '_' around the
// whole line ("**Chapter 3:** Title", "*Chapter 3*").
std::string strip_emphasis(std::string_view line) {
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (i + 1 < line.size() && (line[i] == '*' || line[i] == '_') && line[i + 1] == line[i]) {
      ++i;
      continue;
    }
    out.push_back(line[i]);
  }
  std::string_view view = trim(out);
  while (view.size() >= 2 && (view.front() == '*' || view.front() == '_') &&
         view.back() == view.front()) {
    view = trim(view.substr(1, view.size() - 2));
  }
  if (!view.empty() && (view.front() == '*' || view.front() == '_')) view = trim(view.substr(1));
  return std::string{view};
}

constexpr std::array<std::string_view, 20> small_numbers{
    "zero",     "one",     "two",     "three",     "four",     "five",    "six",
    "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",  "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::array<std::string_view, 8> tens{"twenty", "thirty",  "forty",  "fifty",
                                               "sixty",  "seventy", "eighty", "ninety"};

int word_value(std::string_view word) {
  for (std::size_t i = 0; i < small_numbers.size(); ++i) {
    if (iequals(word, small_numbers[i])) return static_cast<int>(i);
  }
  for (std::size_t i = 0; i < tens.size(); ++i) {
    if (iequals(word, tens[i])) return static_cast<int>(20 + 10 * i);
  }
  return -1;
}

int roman_value(std::string_view token) {
  static constexpr std::array<std::pair<std::string_view, int>, 13> parts{{{"m", 1000},
                                                                           {"cm", 900},
                                                                           {"d", 500},
                                                                           {"cd", 400},
                                                                           {"c", 100},
                                                                           {"xc", 90},
                                                                           {"l", 50},
                                                                           {"xl", 40},
                                                                           {"x", 10},
                                                                           {"ix", 9},
                                                                           {"v", 5},
                                                                           {"iv", 4},
                                                                           {"i", 1}}};
  const std::string lower = to_lower(token);
  std::string_view rest = lower;
  int value = 0;
  // Greedy reading; only canonical numerals are accepted so that words such as "civil" or
  // "mix" are not read as numbers.
  for (const auto& [symbol, amount] : parts) {
    int repeats = 0;
    while (rest.substr(0, symbol.size()) == symbol) {
      if (++repeats > 3 || (symbol.size() == 2 && repeats > 1)) return -1;
      value += amount;
      rest.remove_prefix(symbol.size());
    }
  }
  return rest.empty() && value > 0 ? value : -1;
}

struct number_token {
  int value = 0;
  std::size_t length = 0;
};

// A chapter number at the start of `text`: digits, a Roman numeral, or English words
// ("Three", "Twenty-One", "twenty one").
std::optional<number_token> read_number(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && is_digit(text[i])) {
    int value = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (value < 100000) value = value * 10 + (text[i] - '0');
      ++i;
    }
    return number_token{value, i};
  }
  while (i < text.size() && is_alpha(text[i])) ++i;
  if (i == 0) return std::nullopt;
  const std::string_view word = text.substr(0, i);
  int value = word_value(word);
  if (value < 0) {
    value = roman_value(word);
    return value < 0 ? std::nullopt : std::optional<number_token>{number_token{value, i}};
  }
  if (value >= 20 && value % 10 == 0 && i + 1 < text.size() && (text[i] == '-' || text[i] == ' ')) {
    std::size_t j = i + 1;
    while (j < text.size() && is_alpha(text[j])) ++j;
    const int ones = word_value(text.substr(i + 1, j - i - 1));
    if (ones >= 1 && ones <= 9) return number_token{value + ones, j};
  }
  return number_token{value, i};
}

// Skips a separator after "Chapter N": ':', '.', '-', ')', '|', an en or em dash.
std::optional<std::size_t> separator_length(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text[0] == ':' || text[0] == '.' || text[0] == '-' || text[0] == ')' || text[0] == '|') {
    return 1;
  }
  if (text.substr(0, 3) == "\xE2\x80\x93" || text.substr(0, 3) == "\xE2\x80\x94") return 3;
  return std::nullopt;
}

std::string clean_title(std::string_view title) {
  std::string text = strip_emphasis(trim(title));
  std::string_view view = trim(text);
  // Titles are often quoted ("Chapter 1: \"The Gate\"").
  if (view.size() >= 2 && (view.front() == '"' || view.front() == '\'') &&
      view.back() == view.front()) {
    view = trim(view.substr(1, view.size() - 2));
  }
  return std::string{view};
}

}  // namespace

std::size_t count_words(std::string_view text) noexcept {
  std::size_t words = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool space = is_space(text[i]);
    // U+00A0 NO-BREAK SPACE separates words in pasted prose as well.
    if (text[i] == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {
      space = true;
      ++i;
    }
    if (space) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return words;
}

std::optional<chapter_heading> parse_chapter_heading(std::string_view line,
                                                     bool accept_any_markdown_heading) {
  std::string_view text = trim(line);
  bool markdown_heading = false;
  if (!text.empty() && text.front() == '#') {
    markdown_heading = true;
    while (!text.empty() && text.front() == '#') text.remove_prefix(1);
    text = trim(text);
    while (!text.empty() && text.back() == '#') text.remove_suffix(1);  // closing "##"
  }
  const std::string plain = strip_emphasis(text);
  std::string_view rest = trim(plain);

  if (rest.size() > 7 && iequals(rest.substr(0, 7), "chapter") && is_space(rest[7])) {
    const std::string_view after_word = trim(rest.substr(7));
    if (const auto number = read_number(after_word)) {
      std::string_view tail = after_word.substr(number->length);
      const std::string_view spaced = trim(tail);
      if (spaced.empty()) return chapter_heading{number->value, ""};
      if (const auto sep = separator_length(spaced)) {
        return chapter_heading{number->value, clean_title(spaced.substr(*sep))};
      }
      // "# Chapter 3 The Gate": a Markdown heading needs no separator, prose does
      // ("Chapter 3 begins in the rain." is a sentence, not a heading).
      if (markdown_heading && !tail.empty() && is_space(tail.front())) {
        return chapter_heading{number->value, clean_title(spaced)};
      }
    }
  }
  if (markdown_heading && accept_any_markdown_heading && !rest.empty()) {
    return chapter_heading{0, clean_title(rest)};
  }
  return std::nullopt;
}

chapter make_chapter(int number, std::string_view text, std::string_view fallback_title) {
  chapter out;
  out.number = number;
  const std::string default_title =
      fallback_title.empty() ? "Chapter " + std::to_string(number) : std::string{fallback_title};

  // The first non-blank line is the only heading candidate.
  std::size_t start = 0;
  std::string_view first_line;
  std::size_t line_end = 0;
  while (start < text.size()) {
    line_end = text.find('\n', start);
    if (line_end == std::string_view::npos) line_end = text.size();
    first_line = text.substr(start, line_end - start);
    if (!trim(first_line).empty()) break;
    start = line_end + 1;
  }

  const auto heading =
      trim(first_line).empty()
          ? std::nullopt
          : parse_chapter_heading(first_line, /*accept_any_markdown_heading=*/true);
  if (heading) {
    out.title = heading->title.empty() ? default_title : heading->title;
    out.content = std::string{trim(line_end < text.size() ? text.substr(line_end + 1) : "")};
  } else {
    out.title = default_title;
    out.content = std::string{trim(text)};
  }
  out.words = count_words(out.content);
  return out;
}

}  // namespace lekhika::workflow
