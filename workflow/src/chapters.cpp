#include "lekhika/workflow/chapters.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "lekhika/workflow/manuscript.hpp"
#include "lekhika/workflow/text.hpp"
#include "lekhika/workflow/user_input.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

// How a chapter-count field read, before defaults apply.
struct count_reading {
  std::optional<long long> value;  ///< the number given (upper bound of a range)
  bool non_numeric = false;        ///< a value was given but holds no number
};

const json* find_exact(const json& input, std::initializer_list<std::string_view> keys) {
  if (!input.is_object()) return nullptr;
  for (std::string_view key : keys) {
    const auto it = input.find(std::string{key});
    if (it != input.end() && !it->is_null()) {
      if (it->is_string() && trim(it->get_ref<const std::string&>()).empty()) continue;
      return &*it;
    }
  }
  return nullptr;
}

std::optional<long long> json_whole_number(const json& value) {
  if (value.is_number_integer()) return value.get<long long>();
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 1e15) return std::nullopt;
    return static_cast<long long>(std::floor(d));
  }
  return std::nullopt;
}

count_reading read_chapter_count(const json& input) {
  count_reading out;
  const json* value = find_exact(input, {"chapter_count", "chapterCount", "Chapter Count",
                                         "Number of Chapters", "number_of_chapters"});
  if (value == nullptr) return out;
  if (auto number = json_whole_number(*value)) {
    out.value = number;
  } else if (value->is_string()) {
    // "6-8" and "6 to 8" mean up to 8 chapters; the original took the upper bound.
    const auto numbers = numbers_in(value->get_ref<const std::string&>());
    if (numbers.empty()) {
      out.non_numeric = true;
    } else {
      out.value = *std::max_element(numbers.begin(), numbers.end());
    }
  } else {
    out.non_numeric = true;
  }
  return out;
}

const json* word_count_value(const json& input) {
  return find_exact(input, {"word_count", "wordCount", "Word Count"});
}

// The numbers of word_count, in order (a JSON number is a list of one).
std::vector<long long> word_count_numbers(const json& input) {
  const json* value = word_count_value(input);
  if (value == nullptr) return {};
  if (auto number = json_whole_number(*value)) return {*number};
  if (value->is_string()) return numbers_in(value->get_ref<const std::string&>());
  return {};
}

int clamp_count(long long count, std::vector<std::string>* warnings) {
  if (count > max_chapters) {
    if (warnings != nullptr) {
      warnings->push_back("chapter count " + std::to_string(count) + " is more than " +
                          std::to_string(max_chapters) + "; writing " +
                          std::to_string(max_chapters));
    }
    return max_chapters;
  }
  return static_cast<int>(count);
}

// The text of an outline that may hold JSON: the inside of a ```json fence, else the span
// from the first '{' or '[' to the matching last '}' or ']'.
std::optional<json> outline_json(std::string_view outline) {
  std::vector<std::string_view> candidates;
  if (const auto fence = outline.find("```"); fence != std::string_view::npos) {
    auto body_start = outline.find('\n', fence);
    if (body_start != std::string_view::npos) {
      ++body_start;
      const auto close = outline.find("```", body_start);
      candidates.push_back(outline.substr(body_start, close == std::string_view::npos
                                                          ? std::string_view::npos
                                                          : close - body_start));
    }
  }
  const auto brace = outline.find('{');
  const auto last_brace = outline.rfind('}');
  if (brace != std::string_view::npos && last_brace != std::string_view::npos &&
      last_brace > brace) {
    candidates.push_back(outline.substr(brace, last_brace - brace + 1));
  }
  const auto bracket = outline.find('[');
  const auto last_bracket = outline.rfind(']');
  if (bracket != std::string_view::npos && last_bracket != std::string_view::npos &&
      last_bracket > bracket) {
    candidates.push_back(outline.substr(bracket, last_bracket - bracket + 1));
  }
  for (std::string_view candidate : candidates) {
    json parsed = json::parse(candidate, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded() && (parsed.is_object() || parsed.is_array())) return parsed;
  }
  return std::nullopt;
}

// The first `chapter_breakdown` or `chapters` array in `value`, searching nested objects
// (models often wrap the outline: {"outline": {"chapters": [...]}}).
const json* find_chapter_array(const json& value, int depth) {
  if (depth > 4) return nullptr;
  if (value.is_array()) return &value;
  if (!value.is_object()) return nullptr;
  for (const char* key : {"chapter_breakdown", "chapters", "chapterBreakdown", "chapter_outline"}) {
    const auto it = value.find(key);
    if (it != value.end() && it->is_array()) return &*it;
  }
  for (const auto& [key, item] : value.items()) {
    if (item.is_object()) {
      if (const json* found = find_chapter_array(item, depth + 1)) return found;
    }
  }
  return nullptr;
}

// Places `title` at chapter `number` (1-based), or after the last one when the number is 0.
void place_title(std::vector<std::string>& titles, std::vector<bool>& set, int number,
                 std::string title) {
  if (number <= 0) number = static_cast<int>(titles.size()) + 1;
  if (number > max_chapters) return;
  const auto index = static_cast<std::size_t>(number - 1);
  if (titles.size() <= index) {
    titles.resize(index + 1);
    set.resize(index + 1, false);
  }
  if (set[index]) return;  // the first mention of a chapter wins
  titles[index] = std::move(title);
  set[index] = true;
}

std::string title_without_prefix(const std::string& text) {
  if (const auto heading = parse_chapter_heading(text)) return heading->title;
  return std::string{trim(text)};
}

std::vector<std::string> titles_from_json(const json& array) {
  std::vector<std::string> titles;
  std::vector<bool> set;
  for (const auto& item : array) {
    if (item.is_string()) {
      const std::string& text = item.get_ref<const std::string&>();
      const auto heading = parse_chapter_heading(text);
      place_title(titles, set, heading ? heading->number : 0,
                  heading ? heading->title : std::string{trim(text)});
      continue;
    }
    if (!item.is_object()) continue;
    std::string title;
    for (const char* key : {"title", "chapter_title", "chapterTitle", "name"}) {
      const auto it = item.find(key);
      if (it != item.end() && it->is_string()) {
        title = title_without_prefix(it->get<std::string>());
        break;
      }
    }
    int number = 0;
    for (const char* key : {"chapter", "chapter_number", "chapterNumber", "number"}) {
      const auto it = item.find(key);
      if (it == item.end()) continue;
      if (auto whole = json_whole_number(*it); whole && *whole > 0 && *whole <= max_chapters) {
        number = static_cast<int>(*whole);
      } else if (it->is_string()) {
        const auto numbers = numbers_in(it->get_ref<const std::string&>());
        if (!numbers.empty() && numbers.front() > 0 && numbers.front() <= max_chapters) {
          number = static_cast<int>(numbers.front());
        }
      }
      if (number > 0) break;
    }
    place_title(titles, set, number, std::move(title));
  }
  return titles;
}

// A top-level numbered line "3. Title" or "3) Title".
std::optional<chapter_heading> numbered_line(std::string_view line) {
  std::size_t i = 0;
  int number = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9' && i < 4) {
    number = number * 10 + (line[i] - '0');
    ++i;
  }
  if (i == 0 || i >= line.size() || (line[i] != '.' && line[i] != ')')) return std::nullopt;
  const std::string_view rest = trim(line.substr(i + 1));
  if (rest.empty() || number == 0) return std::nullopt;
  std::string title{rest};
  if (const auto heading = parse_chapter_heading(title)) title = heading->title;
  return chapter_heading{number, std::move(title)};
}

std::vector<std::string> titles_from_lines(std::string_view outline) {
  std::vector<std::string> chapter_titles;
  std::vector<bool> chapter_set;
  std::vector<std::string> numbered_titles;
  std::vector<bool> numbered_set;
  std::size_t start = 0;
  while (start <= outline.size()) {
    auto end = outline.find('\n', start);
    if (end == std::string_view::npos) end = outline.size();
    const std::string_view raw = outline.substr(start, end - start);
    start = end + 1;

    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = trim(raw);
    // List markers: "- Chapter 3: ...", "* Chapter 3", "+ ...".
    if (line.size() > 1 &&
        (line[0] == '-' || line[0] == '+' || (line[0] == '*' && line[1] == ' ')) &&
        line[1] == ' ') {
      line = trim(line.substr(2));
    }
    if (line.empty()) continue;
    if (const auto heading = parse_chapter_heading(line)) {
      place_title(chapter_titles, chapter_set, heading->number, heading->title);
      continue;
    }
    if (!indented) {
      // "**3. Title**" and "## 3. Title" as well as plain "3. Title".
      std::string_view plain = line;
      while (!plain.empty() && (plain.front() == '#' || plain.front() == '*'))
        plain.remove_prefix(1);
      if (auto numbered = numbered_line(trim(plain))) {
        std::string title = numbered->title;
        while (!title.empty() && (title.back() == '*' || title.back() == '_')) title.pop_back();
        place_title(numbered_titles, numbered_set, numbered->number, std::string{trim(title)});
      }
    }
  }
  // Explicit "Chapter N" lines win over numbered lists, which outlines also use for beats.
  return chapter_titles.empty() ? numbered_titles : chapter_titles;
}

}  // namespace

int chapter_count_from_input(const json& user_input, std::vector<std::string>* warnings) {
  const count_reading reading = read_chapter_count(user_input);
  if (reading.non_numeric) {
    // The original fell back to one chapter for a value it could not read.
    if (warnings != nullptr)
      warnings->push_back("chapter count is not a number; writing 1 chapter");
    return 1;
  }
  if (reading.value && *reading.value >= 1) return clamp_count(*reading.value, warnings);

  // The original read word_count with parseInt, so a range counts by its first number.
  const auto words = word_count_numbers(user_input);
  if (!words.empty() && words.front() > 0) {
    const long long w = words.front();
    if (w <= 2000) return 3;
    if (w <= 5000) return 4;
    if (w <= 10000) return 6;
    return 8;
  }
  return 1;
}

std::vector<std::string> outline_chapter_titles(std::string_view outline) {
  if (trim(outline).empty()) return {};
  if (const auto parsed = outline_json(outline)) {
    if (const json* array = find_chapter_array(*parsed, 0)) {
      auto titles = titles_from_json(*array);
      if (!titles.empty()) return titles;
    }
  }
  return titles_from_lines(outline);
}

chapter_plan plan_chapters(const json& user_input, std::string_view outline) {
  chapter_plan plan;
  std::vector<std::string> titles = outline_chapter_titles(outline);
  const count_reading reading = read_chapter_count(user_input);
  const bool input_says_nothing =
      !reading.value && !reading.non_numeric && word_count_numbers(user_input).empty();
  if (input_says_nothing && !titles.empty()) {
    // No count and no length asked for: the outline's chapters are the best plan there is.
    plan.count = clamp_count(static_cast<long long>(titles.size()), &plan.warnings);
  } else {
    plan.count = chapter_count_from_input(user_input, &plan.warnings);
    if (!titles.empty() && titles.size() != static_cast<std::size_t>(plan.count)) {
      plan.warnings.push_back("the outline lists " + std::to_string(titles.size()) +
                              " chapters; writing " + std::to_string(plan.count) +
                              " as the input asks");
    }
  }
  titles.resize(static_cast<std::size_t>(plan.count));
  plan.titles = std::move(titles);
  return plan;
}

int target_words(const json& user_input, int fallback) {
  const auto numbers = word_count_numbers(user_input);
  if (numbers.empty()) return fallback;
  // "20000-35000" aims for the upper bound; "100000+" for its number.
  const long long most = *std::max_element(numbers.begin(), numbers.end());
  if (most <= 0) return fallback;
  return static_cast<int>(std::min<long long>(most, 10'000'000));
}

}  // namespace lekhika::workflow
