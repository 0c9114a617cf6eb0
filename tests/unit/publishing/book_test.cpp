#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "document_dump.hpp"
#include "lekhika/publishing/book.hpp"
#include "publishing_test_util.hpp"

namespace lekhika::publishing {
namespace {

using nlohmann::json;
using test_util::make_chapter;

book compile(const json& input) { return compile_book(input, {}); }

TEST(CompileBook, TitleFallsBackFromBookTitleToStoryTitleToTitle) {
  EXPECT_EQ(compile({{"book_title", "A"}, {"story_title", "B"}, {"title", "C"}}).title, "A");
  EXPECT_EQ(compile({{"story_title", "B"}, {"title", "C"}}).title, "B");
  EXPECT_EQ(compile({{"title", "C"}}).title, "C");
  // An empty preferred field does not hide the next one.
  EXPECT_EQ(compile({{"book_title", "  "}, {"story_title", "B"}}).title, "B");
}

TEST(CompileBook, TitleIsUntitledWhenMissing) {
  EXPECT_EQ(compile(json::object()).title, "Untitled");
  EXPECT_EQ(compile({{"book_title", ""}}).title, "Untitled");
  EXPECT_EQ(compile({{"book_title", nullptr}}).title, "Untitled");
  EXPECT_EQ(compile(json(nullptr)).title, "Untitled");
  EXPECT_EQ(compile(json::array({"x"})).title, "Untitled");
}

TEST(CompileBook, TitleAndAuthorAreTrimmedToOneLine) {
  const book b = compile({{"book_title", "  The \n Gate  "}, {"author_name", "\tAsha  Rao\n"}});
  EXPECT_EQ(b.title, "The Gate");
  EXPECT_EQ(b.author, "Asha Rao");
}

TEST(CompileBook, NumericTitleIsKept) { EXPECT_EQ(compile({{"title", 1984}}).title, "1984"); }

TEST(CompileBook, AuthorFallsBackFromAuthorNameToAuthorToAuthorText) {
  EXPECT_EQ(compile({{"author_name", "A"}, {"author", "B"}, {"author_text", "C"}}).author, "A");
  EXPECT_EQ(compile({{"author", "B"}, {"author_text", "C"}}).author, "B");
  EXPECT_EQ(compile({{"author_text", "C"}}).author, "C");
  EXPECT_EQ(compile({{"author_name", "Kira"}, {"author_text", ""}}).author, "Kira");
  EXPECT_EQ(compile(json::object()).author, "");
}

TEST(CompileBook, SubtitleFromSubtitleOrSubtitleText) {
  EXPECT_EQ(compile({{"subtitle", "S"}, {"subtitle_text", "T"}}).subtitle, "S");
  EXPECT_EQ(compile({{"subtitle_text", "T"}}).subtitle, "T");
  EXPECT_EQ(compile(json::object()).subtitle, "");
}

TEST(CompileBook, AcceptsFormLabelsAsKeys) {
  const book b = compile({{"Book Title", "Labelled"}, {"Author Name", "Someone"}});
  EXPECT_EQ(b.title, "Labelled");
  EXPECT_EQ(b.author, "Someone");
}

TEST(CompileBook, ReadsFrontMatter) {
  const book b = compile({{"foreword", "  Fore.\n\nWord.  "},
                          {"introduction", "Intro."},
                          {"author_bio", "Bio."},
                          {"about_author", "Other."}});
  EXPECT_EQ(b.foreword, "Fore.\n\nWord.");
  EXPECT_EQ(b.introduction, "Intro.");
  EXPECT_EQ(b.about_author, "Bio.");
  EXPECT_FALSE(b.about_author_first);
  EXPECT_EQ(compile({{"about_author", "Other."}}).about_author, "Other.");
}

TEST(CompileBook, AboutAuthorPositionStartPutsItFirst) {
  EXPECT_TRUE(compile({{"about_author_position", "start"}}).about_author_first);
  EXPECT_TRUE(compile({{"about_author_position", " Start "}}).about_author_first);
  EXPECT_FALSE(compile({{"about_author_position", "end"}}).about_author_first);
  EXPECT_FALSE(compile({{"about_author_position", true}}).about_author_first);
}

TEST(CompileBook, LanguageDefaultsToEnglishAndKeepsOnlyTagCharacters) {
  EXPECT_EQ(compile(json::object()).language, "en");
  EXPECT_EQ(compile({{"language", "hi-IN"}}).language, "hi-IN");
  EXPECT_EQ(compile({{"language", "pt_BR"}}).language, "pt-BR");
  EXPECT_EQ(compile({{"language", "Hindi"}}).language, "hi");
  EXPECT_EQ(compile({{"language", "en\" onload=\"x"}}).language, "enonloadx");
  EXPECT_EQ(compile({{"language", "123"}}).language, "en");
  EXPECT_EQ(compile({{"language", std::string(100, 'a')}}).language, "en");
}

TEST(CompileBook, RenumbersChaptersInGivenOrder) {
  std::vector<workflow::chapter> chapters{make_chapter("C", "c"), make_chapter("A", "a"),
                                          make_chapter("B", "b")};
  chapters[0].number = 7;
  chapters[1].number = 7;
  chapters[2].number = -1;
  const book b = compile_book(json::object(), chapters);
  ASSERT_EQ(b.chapters.size(), 3u);
  EXPECT_EQ(b.chapters[0].number, 1);
  EXPECT_EQ(b.chapters[0].title, "C");
  EXPECT_EQ(b.chapters[1].number, 2);
  EXPECT_EQ(b.chapters[1].title, "A");
  EXPECT_EQ(b.chapters[2].number, 3);
  EXPECT_EQ(b.chapters[2].title, "B");
}

TEST(CompileBook, EmptyChapterTitlesBecomeChapterN) {
  const book b =
      compile_book(json::object(), {make_chapter("First", "x"), make_chapter("  \n ", "y")});
  EXPECT_EQ(b.chapters[1].title, "Chapter 2");
}

TEST(CompileBook, RecomputesWordsOnlyWhenZeroAndSumsThem) {
  std::vector<workflow::chapter> chapters{make_chapter("A", "one two three"),
                                          make_chapter("B", "four five")};
  chapters[1].words = 10;  // the writer's own count is kept
  const book b = compile_book(json::object(), chapters);
  EXPECT_EQ(b.chapters[0].words, 3u);
  EXPECT_EQ(b.chapters[1].words, 10u);
  EXPECT_EQ(b.words, 13u);
}

TEST(CompileBook, BookWithoutChaptersHasNoWords) {
  const book b = compile({{"book_title", "Empty"}});
  EXPECT_TRUE(b.chapters.empty());
  EXPECT_EQ(b.words, 0u);
}

TEST(CompileBook, ReplacesInvalidUtf8AndKeepsValidBytes) {
  const std::string valid = "नमस्ते 👋 مرحبا";
  const book b = compile_book({{"book_title", valid}}, {make_chapter("Cut", valid + "\xE0\xA4")});
  EXPECT_EQ(b.title, valid);
  EXPECT_EQ(b.chapters[0].content, valid + "\xEF\xBF\xBD\xEF\xBF\xBD");
  // The JSON writer accepts the book as it is.
  EXPECT_NO_THROW((void)book_to_json(b).dump());
}

TEST(CompileBook, ParsesEveryChapterOnceInOrder) {
  const book b = compile_book(json::object(), {make_chapter("A", "*one*"), make_chapter("B", ""),
                                               make_chapter("C", "- x\n- y")});
  ASSERT_EQ(b.bodies.size(), 3u);
  EXPECT_EQ(test_util::dump(b.bodies[0]), R"(p(em("one")))");
  EXPECT_TRUE(b.bodies[1].empty());
  EXPECT_EQ(test_util::dump(b.bodies[2]), R"(ul[li(p("x")) li(p("y"))])");
  // The raw content stays as the writer produced it (data.result.book carries it).
  EXPECT_EQ(b.chapters[0].content, "*one*");
}

TEST(CompileBook, ParsesFrontMatter) {
  const book b = compile({{"foreword", "A **strong** start."},
                          {"introduction", "> quoted"},
                          {"author_bio", "Writes <b>books</b>."}});
  EXPECT_EQ(test_util::dump(b.foreword_body), R"(p("A " strong("strong") " start."))");
  EXPECT_EQ(test_util::dump(b.introduction_body), R"(quote(p("quoted")))");
  EXPECT_EQ(test_util::dump(b.about_author_body), R"(p("Writes <b>books</b>."))");
  EXPECT_TRUE(compile(json::object()).foreword_body.empty());
}

TEST(CompileBook, ShallowestHeadingOfABodyBecomesLevelOne) {
  const book b = compile_book(json::object(), {make_chapter("A", "## Part\n\n#### Sub\n\n> ### Q"),
                                               make_chapter("B", "# Top\n\n### Deep")});
  EXPECT_EQ(test_util::dump(b.bodies[0]), R"(h1("Part") h3("Sub") quote(h2("Q")))");
  EXPECT_EQ(test_util::dump(b.bodies[1]), R"(h1("Top") h3("Deep"))");
}

TEST(CompileBook, CoverStaysEmptyUntilAnImageNodeMakesOne) {
  EXPECT_FALSE(compile({{"cover_image", "x.png"}}).cover.has_value());
}

TEST(CompileBookTypography, DefaultsToASerifA5Book) {
  const typography t = compile(json::object()).typography;
  EXPECT_EQ(t.heading_font, "Noto Serif, DejaVu Serif, serif");
  EXPECT_EQ(t.body_font, "Noto Serif, DejaVu Serif, serif");
  EXPECT_DOUBLE_EQ(t.body_size_pt, 11.0);
  EXPECT_DOUBLE_EQ(t.line_height, 1.5);
  EXPECT_EQ(t.page_size, "A5");
  EXPECT_DOUBLE_EQ(t.page_width_mm, 148.0);
  EXPECT_DOUBLE_EQ(t.page_height_mm, 210.0);
  EXPECT_DOUBLE_EQ(t.margin_mm, 18.0);
}

TEST(CompileBookTypography, CombosChooseFontPairs) {
  const std::string serif = "Noto Serif, DejaVu Serif, serif";
  const std::string sans = "Noto Sans, DejaVu Sans, sans-serif";
  struct expected_pair {
    std::string combo;
    std::string heading;
    std::string body;
  };
  const std::vector<expected_pair> cases = {
      {"all_serif", serif, serif}, {"classic", serif, serif}, {"elegant", serif, serif},
      {"literary", serif, serif},  {"modern", sans, serif},   {"business", sans, sans},
      {"tech", sans, sans},        {"All Sans", sans, sans},  {"MODERN", sans, serif},
      {"unheard-of", serif, serif}};
  for (const auto& c : cases) {
    const typography t = compile({{"typography_combo", c.combo}}).typography;
    EXPECT_EQ(t.heading_font, c.heading) << c.combo;
    EXPECT_EQ(t.body_font, c.body) << c.combo;
  }
}

TEST(CompileBookTypography, ExplicitFontFamiliesWinAndAreSanitised) {
  const typography t = compile({{"typography_combo", "business"},
                                {"heading_font_family", "'Playfair Display', Georgia, serif"},
                                {"body_font_family", "Georgia;}</style><script>, \"Noto  Serif\""}})
                           .typography;
  EXPECT_EQ(t.heading_font, "Playfair Display, Georgia, serif");
  EXPECT_EQ(t.body_font, "Georgiastylescript, Noto Serif");
  // A list with nothing usable in it leaves the combo's choice.
  EXPECT_EQ(compile({{"body_font_family", "<>;{}"}}).typography.body_font,
            "Noto Serif, DejaVu Serif, serif");
}

TEST(CompileBookTypography, SizesAreReadAndClamped) {
  auto size = [](const json& v) {
    return compile({{"body_font_size", v}}).typography.body_size_pt;
  };
  EXPECT_DOUBLE_EQ(size("12"), 12.0);
  EXPECT_DOUBLE_EQ(size(10.5), 10.5);
  EXPECT_DOUBLE_EQ(size("14pt"), 14.0);
  EXPECT_DOUBLE_EQ(size("16px"), 12.0);
  EXPECT_DOUBLE_EQ(size("4"), 8.0);
  EXPECT_DOUBLE_EQ(size("72"), 18.0);
  EXPECT_DOUBLE_EQ(size("large"), 11.0);
  EXPECT_DOUBLE_EQ(size("inf"), 11.0);
  EXPECT_DOUBLE_EQ(size("nan"), 11.0);

  auto height = [](const json& v) { return compile({{"line_height", v}}).typography.line_height; };
  EXPECT_DOUBLE_EQ(height("1.7"), 1.7);
  EXPECT_DOUBLE_EQ(height(2), 2.0);
  EXPECT_DOUBLE_EQ(height("150%"), 1.5);
  EXPECT_DOUBLE_EQ(height("0.5"), 1.0);
  EXPECT_DOUBLE_EQ(height("9"), 2.5);
  EXPECT_DOUBLE_EQ(height("normal"), 1.5);
}

TEST(CompileBookTypography, PageSizes) {
  struct expected_page {
    std::string input;
    std::string name;
    double width;
    double height;
  };
  const std::vector<expected_page> cases = {
      {"A4", "A4", 210.0, 297.0},         {"a5", "A5", 148.0, 210.0},
      {"Letter", "Letter", 215.9, 279.4}, {"US Letter", "Letter", 215.9, 279.4},
      {"6x9", "6x9", 152.4, 228.6},       {"6 x 9 in", "6x9", 152.4, 228.6},
      {"5x8", "5x8", 127.0, 203.2},       {"A5 (148 x 210 mm)", "A5", 148.0, 210.0},
      {"tabloid", "A5", 148.0, 210.0},    {"", "A5", 148.0, 210.0}};
  for (const auto& c : cases) {
    const typography t = compile({{"page_size", c.input}}).typography;
    EXPECT_EQ(t.page_size, c.name) << c.input;
    EXPECT_DOUBLE_EQ(t.page_width_mm, c.width) << c.input;
    EXPECT_DOUBLE_EQ(t.page_height_mm, c.height) << c.input;
  }
}

TEST(CompileBookTypography, PageMargins) {
  auto margin = [](const json& v) { return compile({{"page_margins", v}}).typography.margin_mm; };
  EXPECT_DOUBLE_EQ(margin("narrow"), 12.0);
  EXPECT_DOUBLE_EQ(margin("normal"), 18.0);
  EXPECT_DOUBLE_EQ(margin("Wide"), 25.0);
  EXPECT_DOUBLE_EQ(margin("20"), 20.0);
  EXPECT_DOUBLE_EQ(margin(22.5), 22.5);
  EXPECT_DOUBLE_EQ(margin("2cm"), 20.0);
  EXPECT_DOUBLE_EQ(margin("1 in"), 25.4);
  EXPECT_DOUBLE_EQ(margin("1"), 5.0);
  EXPECT_DOUBLE_EQ(margin("100"), 40.0);
  EXPECT_DOUBLE_EQ(margin("generous"), 18.0);
}

TEST(CompileBookTypography, AcceptsTheFixturePayloadValues) {
  // As sent by payload-execute-fiction-novel-branching-12ch.json.
  const typography t = compile({{"typography_combo", "all_serif"},
                                {"heading_font_family", "Georgia, serif"},
                                {"body_font_family", "Georgia, serif"},
                                {"body_font_size", "11"},
                                {"line_height", "1.7"},
                                {"page_size", "A5"},
                                {"page_margins", "normal"}})
                           .typography;
  EXPECT_EQ(t.heading_font, "Georgia, serif");
  EXPECT_EQ(t.body_font, "Georgia, serif");
  EXPECT_DOUBLE_EQ(t.body_size_pt, 11.0);
  EXPECT_DOUBLE_EQ(t.line_height, 1.7);
  EXPECT_EQ(t.page_size, "A5");
  EXPECT_DOUBLE_EQ(t.margin_mm, 18.0);
}

TEST(BookToJson, HasTheApiShape) {
  const book b = compile_book({{"book_title", "T"}, {"author_name", "A"}},
                              {make_chapter("One", "a b"), make_chapter("", "c")});
  const json j = book_to_json(b);
  const json expected = {
      {"title", "T"},
      {"author", "A"},
      {"chapters",
       {{{"number", 1}, {"title", "One"}, {"content", "a b"}, {"words", 2}},
        {{"number", 2}, {"title", "Chapter 2"}, {"content", "c"}, {"words", 1}}}},
      {"words", 3}};
  EXPECT_EQ(j, expected);
}

TEST(BookToJson, IncludesSubtitleOnlyWhenPresent) {
  EXPECT_FALSE(book_to_json(compile(json::object())).contains("subtitle"));
  EXPECT_EQ(book_to_json(compile({{"subtitle", "S"}})).at("subtitle"), "S");
  EXPECT_EQ(book_to_json(compile(json::object())).at("chapters"), json::array());
}

}  // namespace
}  // namespace lekhika::publishing
