#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace lekhika::workflow {

/// Largest chapter count the engine plans (bigger requests are clamped, with a warning).
inline constexpr int max_chapters = 200;

/// How many chapters to write and what they are called.
struct chapter_plan {
  int count = 1;
  std::vector<std::string> titles;  ///< size() == count; "" where the outline gave no title
  std::vector<std::string> warnings;
};

/// The chapter count of workflow.md: chapter_count / chapterCount / "Chapter Count" /
/// "Number of Chapters" (a range such as "6-8" takes its upper bound), else from word_count
/// (its first number: <=2000 -> 3, <=5000 -> 4, <=10000 -> 6, else 8), else 1.
[[nodiscard]] int chapter_count_from_input(const nlohmann::json& user_input,
                                           std::vector<std::string>* warnings = nullptr);

/// Chapter titles found in an outline: JSON with `chapter_breakdown`/`chapters` arrays, or lines
/// such as "Chapter 3: Title", "3. Title", "## Chapter 3 - Title". Index 0 is chapter 1.
[[nodiscard]] std::vector<std::string> outline_chapter_titles(std::string_view outline);

/// The plan for a writer: the count from the input and the titles from the outline.
[[nodiscard]] chapter_plan plan_chapters(const nlohmann::json& user_input,
                                         std::string_view outline);

/// The total word target from word_count (a range takes its upper bound), else `fallback`.
[[nodiscard]] int target_words(const nlohmann::json& user_input, int fallback = 2000);

}  // namespace lekhika::workflow
