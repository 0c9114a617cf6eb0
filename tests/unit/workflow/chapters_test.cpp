#include <gtest/gtest.h>

#include <string>

#include "lekhika/workflow/chapters.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

TEST(ChapterCount, ReadsChapterCountKeys) {
  EXPECT_EQ(chapter_count_from_input({{"chapter_count", "3"}}), 3);
  EXPECT_EQ(chapter_count_from_input({{"chapter_count", 5}}), 5);
  EXPECT_EQ(chapter_count_from_input({{"chapterCount", 7}}), 7);
  EXPECT_EQ(chapter_count_from_input({{"Chapter Count", "4"}}), 4);
  EXPECT_EQ(chapter_count_from_input({{"Number of Chapters", "9"}}), 9);
  EXPECT_EQ(chapter_count_from_input({{"chapter_count", "6-8"}}), 8);
  EXPECT_EQ(chapter_count_from_input({{"chapter_count", 1}, {"word_count", 50000}}), 1);
}

TEST(ChapterCount, NonNumericGivesOneWithAWarning) {
  std::vector<std::string> warnings;
  EXPECT_EQ(
      chapter_count_from_input({{"chapter_count", "many"}, {"word_count", "50000"}}, &warnings), 1);
  ASSERT_EQ(warnings.size(), 1U);
}

TEST(ChapterCount, FallsBackToWordCount) {
  EXPECT_EQ(chapter_count_from_input({{"word_count", "1500"}}), 3);
  EXPECT_EQ(chapter_count_from_input({{"word_count", 2000}}), 3);
  EXPECT_EQ(chapter_count_from_input({{"word_count", "2001"}}), 4);
  EXPECT_EQ(chapter_count_from_input({{"word_count", "5000-10000"}}), 4);  // first number
  EXPECT_EQ(chapter_count_from_input({{"word_count", "10000"}}), 6);
  EXPECT_EQ(chapter_count_from_input({{"word_count", "20000-35000"}}), 8);
  EXPECT_EQ(chapter_count_from_input({{"chapter_count", 0}, {"word_count", "8000"}}), 6);
  EXPECT_EQ(chapter_count_from_input({{"chapter_count", ""}, {"word_count", "3,000"}}), 4);
  EXPECT_EQ(chapter_count_from_input(json::object()), 1);
  EXPECT_EQ(chapter_count_from_input(nullptr), 1);
}

TEST(ChapterCount, ClampsWithAWarning) {
  std::vector<std::string> warnings;
  EXPECT_EQ(chapter_count_from_input({{"chapter_count", "5000"}}, &warnings), max_chapters);
  EXPECT_EQ(warnings.size(), 1U);
}

TEST(ChapterTitles, ReadsJsonOutlines) {
  EXPECT_EQ(outline_chapter_titles(R"({"chapter_breakdown": ["The Gate", "Chapter 2: Ash"]})"),
            (std::vector<std::string>{"The Gate", "Ash"}));
  const std::string fenced =
      "Here is the outline:\n```json\n"
      R"({"title": "Book", "chapters": [)"
      R"({"chapter": 2, "title": "Second"}, {"chapter": 1, "title": "First"},)"
      R"({"chapter_title": "Third", "number": 3}]})"
      "\n```\nEnjoy.";
  EXPECT_EQ(outline_chapter_titles(fenced), (std::vector<std::string>{"First", "Second", "Third"}));
  EXPECT_EQ(outline_chapter_titles(R"({"outline": {"chapters": [{"title": "Nested"}]}})"),
            std::vector<std::string>{"Nested"});
}

TEST(ChapterTitles, ReadsLineOutlines) {
  const std::string outline =
      "# Outline\n"
      "Chapter 1: The Gate\n"
      "  1. Mira arrives\n"
      "## Chapter 2 - The Ash\n"
      "- Chapter 3: Fire\n"
      "**Chapter 4:** *Water*\n"
      "Chapter Five \xE2\x80\x94 Earth\n";
  EXPECT_EQ(outline_chapter_titles(outline),
            (std::vector<std::string>{"The Gate", "The Ash", "Fire", "Water", "Earth"}));
}

TEST(ChapterTitles, ReadsNumberedLists) {
  EXPECT_EQ(outline_chapter_titles("1. Beginnings\n2) Middles\n   1. beat\n**3. Ends**\n"),
            (std::vector<std::string>{"Beginnings", "Middles", "Ends"}));
}

TEST(ChapterTitles, IndexesByChapterNumber) {
  const auto titles = outline_chapter_titles("Chapter 3: Three\nChapter 1: One\n");
  EXPECT_EQ(titles, (std::vector<std::string>{"One", "", "Three"}));
  EXPECT_TRUE(outline_chapter_titles("").empty());
  EXPECT_TRUE(outline_chapter_titles("Just some notes about the world.").empty());
}

TEST(ChapterPlan, CombinesCountAndTitles) {
  const auto plan = plan_chapters({{"chapter_count", "3"}}, "Chapter 1: A\nChapter 2: B\n");
  EXPECT_EQ(plan.count, 3);
  EXPECT_EQ(plan.titles, (std::vector<std::string>{"A", "B", ""}));
  EXPECT_EQ(plan.warnings.size(), 1U);  // the outline has fewer chapters than asked for
  const auto cut = plan_chapters({{"chapter_count", 1}}, "Chapter 1: A\nChapter 2: B\n");
  EXPECT_EQ(cut.titles, std::vector<std::string>{"A"});
  const auto bare = plan_chapters(json::object(), "");
  EXPECT_EQ(bare.count, 1);
  EXPECT_EQ(bare.titles, std::vector<std::string>{""});
}

TEST(ChapterPlan, OutlineDecidesWhenTheInputSaysNothing) {
  const auto plan = plan_chapters({{"topic", "x"}}, "Chapter 1: A\nChapter 2: B\n");
  EXPECT_EQ(plan.count, 2);
  EXPECT_EQ(plan.titles, (std::vector<std::string>{"A", "B"}));
  EXPECT_TRUE(plan.warnings.empty());
}

TEST(ChapterPlan, TargetWordsTakesTheUpperBound) {
  EXPECT_EQ(target_words({{"word_count", "20000-35000"}}), 35000);
  EXPECT_EQ(target_words({{"word_count", "100000+"}}), 100000);
  EXPECT_EQ(target_words({{"word_count", 1000}}), 1000);
  EXPECT_EQ(target_words({{"word_count", "about 5,000"}}), 5000);
  EXPECT_EQ(target_words({{"word_count", "lots"}}), 2000);
  EXPECT_EQ(target_words(json::object(), 1234), 1234);
}

}  // namespace
}  // namespace lekhika::workflow
