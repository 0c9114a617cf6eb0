#include <gtest/gtest.h>

#include <string>

#include "lekhika/workflow/manuscript.hpp"

namespace lekhika::workflow {
namespace {

TEST(Manuscript, CountsWords) {
  EXPECT_EQ(count_words(""), 0U);
  EXPECT_EQ(count_words("   \n\t "), 0U);
  EXPECT_EQ(count_words("One two  three\nfour"), 4U);
  EXPECT_EQ(count_words("मीरा ने दरवाज़ा खोला।"), 4U);
  EXPECT_EQ(count_words("a\xC2\xA0"
                        "b"),
            2U);  // no-break space
}

struct heading_case {
  const char* text;
  const char* title;
};

TEST(Manuscript, MakeChapterStripsHeadings) {
  const heading_case cases[] = {
      {"Chapter 3: The Gate\n\nMira ran.", "The Gate"},
      {"Chapter 3 - The Gate\nMira ran.", "The Gate"},
      {"Chapter 3 \xE2\x80\x94 The Gate\nMira ran.", "The Gate"},
      {"Chapter 3 \xE2\x80\x93 The Gate\nMira ran.", "The Gate"},
      {"Chapter Three: The Gate\nMira ran.", "The Gate"},
      {"Chapter Twenty-One: The Gate\nMira ran.", "The Gate"},
      {"CHAPTER III. The Gate\nMira ran.", "The Gate"},
      {"# Chapter 3: The Gate\nMira ran.", "The Gate"},
      {"## The Gate\nMira ran.", "The Gate"},
      {"### Chapter 3 The Gate\nMira ran.", "The Gate"},
      {"**Chapter 3: The Gate**\nMira ran.", "The Gate"},
      {"**Chapter 3:** The Gate\nMira ran.", "The Gate"},
      {"\n\n  Chapter 3: \"The Gate\"  \n\nMira ran.", "The Gate"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const chapter ch = make_chapter(3, c.text, "Fallback");
    EXPECT_EQ(ch.number, 3);
    EXPECT_EQ(ch.title, c.title);
    EXPECT_EQ(ch.content, "Mira ran.");
    EXPECT_EQ(ch.words, 2U);
  }
}

TEST(Manuscript, BareChapterHeadingUsesFallbackTitle) {
  EXPECT_EQ(make_chapter(3, "Chapter 3\n\nText.", "Planned Title").title, "Planned Title");
  EXPECT_EQ(make_chapter(3, "## Chapter 3\n\nText.", "").title, "Chapter 3");
  EXPECT_EQ(make_chapter(3, "Chapter 3\n\nText.", "").content, "Text.");
}

TEST(Manuscript, TextWithoutHeadingKeepsEverything) {
  const chapter ch = make_chapter(2, "  Chapter 2 begins in the rain.\nMore.  ", "Rain");
  EXPECT_EQ(ch.title, "Rain");
  EXPECT_EQ(ch.content, "Chapter 2 begins in the rain.\nMore.");
  EXPECT_EQ(ch.words, 7U);
  EXPECT_EQ(make_chapter(4, "Plain prose.", "").title, "Chapter 4");
  const chapter empty = make_chapter(1, "", "T");
  EXPECT_EQ(empty.title, "T");
  EXPECT_EQ(empty.content, "");
  EXPECT_EQ(empty.words, 0U);
}

TEST(Manuscript, ParsesChapterHeadingLines) {
  auto h = parse_chapter_heading("Chapter 12: Ashes");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->number, 12);
  EXPECT_EQ(h->title, "Ashes");
  h = parse_chapter_heading("chapter seven");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->number, 7);
  EXPECT_EQ(h->title, "");
  EXPECT_FALSE(parse_chapter_heading("Chapter civil war: x"));
  EXPECT_FALSE(parse_chapter_heading("Chapters 1-3 cover the war"));
  EXPECT_FALSE(parse_chapter_heading("## Title only"));
  EXPECT_TRUE(parse_chapter_heading("## Title only", true));
}

}  // namespace
}  // namespace lekhika::workflow
