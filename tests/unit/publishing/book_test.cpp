#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

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
