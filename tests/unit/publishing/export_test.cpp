#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/exporters.hpp"
#include "publishing_test_util.hpp"

namespace lekhika::publishing {
namespace {

using nlohmann::json;
using test_util::count_of;
using test_util::export_as;
using test_util::make_chapter;

constexpr std::string_view text_formats[] = {"md", "html", "txt"};

book one_chapter_book(std::string title, std::string content, const json& input = {}) {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter(std::move(title), std::move(content)));
  return compile_book(input.is_null() ? json::object() : input, std::move(chapters));
}

TEST(ExportBook, NamesFilesAfterTheFormat) {
  const book b = one_chapter_book("A", "text");
  for (std::string_view name : {"md", "html", "txt", "epub", "docx", "pdf"}) {
    const format_info* f = find_format(name);
    ASSERT_NE(f, nullptr);
    const auto file = export_book(b, *f);
    ASSERT_TRUE(file.has_value()) << name;
    EXPECT_EQ(file->format, f);
    EXPECT_EQ(file->file_name, "book." + std::string{name});
    EXPECT_FALSE(file->bytes.empty());
  }
}

TEST(ExportBook, FormatsOutsideTheTableGiveNothing) {
  const book b = one_chapter_book("A", "text");
  const format_info audio{"mp3", "mp3", "audio/mpeg", false, true};
  EXPECT_FALSE(export_book(b, audio).has_value());
}

TEST(ExportBook, PointsAtTheFormatTableEvenForACopy) {
  const format_info copy = *find_format("md");
  const auto file = export_book(one_chapter_book("A", "x"), copy);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->format, find_format("md"));
}

TEST(ExportBook, IsDeterministic) {
  const book b = one_chapter_book("A", "Some *text*.\n\n- list");
  for (std::string_view name : text_formats) EXPECT_EQ(export_as(b, name), export_as(b, name));
}

TEST(ExportHtml, EscapesHtmlInChapters) {
  const std::string html =
      export_as(one_chapter_book("A", "Hello <script>alert(1)</script> & 'bye' \"now\""), "html");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;bye&#39; "
                      "&quot;now&quot;"),
            std::string::npos);
}

TEST(ExportHtml, EscapesEverythingFromTheBook) {
  const json input = {{"book_title", "<b>Bold</b> & co"},
                      {"subtitle", "\"sub\""},
                      {"author_name", "<img src=x onerror=alert(1)>"},
                      {"foreword", "<iframe>"},
                      {"introduction", "<style>"},
                      {"author_bio", "<object>"}};
  const std::string html = export_as(
      one_chapter_book("<script>t</script>", "# <h1>\n\n- <li>\n\n> <q>\n\n*<em>*", input), "html");
  for (std::string_view tag :
       {"<b>", "<img", "<iframe", "<script", "<object", "<q>", "<li><li>", "<em><em>"}) {
    EXPECT_EQ(html.find(tag), std::string::npos) << tag;
  }
  EXPECT_EQ(count_of(html, "<style>"), 1u);  // our own stylesheet only
  EXPECT_NE(html.find("<title>&lt;b&gt;Bold&lt;/b&gt; &amp; co</title>"), std::string::npos);
  EXPECT_NE(html.find("by &lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("<h2>Chapter 1: &lt;script&gt;t&lt;/script&gt;</h2>"), std::string::npos);
  EXPECT_NE(html.find("<em>&lt;em&gt;</em>"), std::string::npos);
  EXPECT_NE(html.find("<h3>&lt;h1&gt;</h3>"), std::string::npos);
  EXPECT_NE(html.find("<li>&lt;li&gt;</li>"), std::string::npos);
  EXPECT_NE(html.find("<blockquote>\n<p>&lt;q&gt;</p>\n</blockquote>"), std::string::npos);
}

// Every tag the HTML exporter writes; anything else in the output came from the book.
bool is_exporter_tag(std::string_view tag) {
  static constexpr std::array known = std::to_array<std::string_view>(
      {"!DOCTYPE", "html",       "head",  "meta",    "title", "style",  "body", "header", "h1",
       "h2",       "h3",         "h4",    "h5",      "h6",    "p",      "nav",  "ol",     "ul",
       "li",       "a",          "main",  "section", "em",    "strong", "code", "pre",    "br",
       "hr",       "blockquote", "table", "thead",   "tbody", "tr",     "th",   "td"});
  if (!tag.empty() && tag.front() == '/') tag.remove_prefix(1);
  tag = tag.substr(0, tag.find_first_of(" \n>"));
  return std::find(known.begin(), known.end(), tag) != known.end();
}

TEST(ExportHtml, NeverContainsATagFromTheBook) {
  const std::string hostile =
      "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
      "Text <iframe src=\"https://evil\"></iframe> and <b onclick=\"x\">bold</b>.\n\n"
      "<!-- comment --> <?php echo 1; ?> <![CDATA[x]]> <!DOCTYPE html>\n\n"
      "| <th> | <td> |\n|---|---|\n| <tr> | `<code>` |\n\n"
      "- <li>\n\n> <blockquote>\n\n```\n</pre><script>\n```\n\n"
      "[<a href=x>](javascript:alert(1)) ![<img>](x.png) <https://x.org/<b>>\n\n"
      "# </h3><h1>";
  const json input = {{"book_title", "<title>"},
                      {"subtitle", "</p><script>"},
                      {"author_name", "<meta http-equiv=refresh>"},
                      {"foreword", hostile},
                      {"introduction", hostile},
                      {"author_bio", hostile},
                      {"body_font_family", "x;}</style><script>alert(1)</script>"},
                      {"heading_font_family", "\"</style>"}};
  const std::string html = export_as(one_chapter_book("<i>" + hostile, hostile, input), "html");
  for (std::size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    const std::string_view tag = std::string_view{html}.substr(at + 1, 40);
    EXPECT_TRUE(is_exporter_tag(tag)) << "unexpected markup: <" << tag;
  }
  EXPECT_EQ(count_of(html, "<style>"), 1u);
  EXPECT_EQ(count_of(html, "</style>"), 1u);
  EXPECT_EQ(html.find("href=\"javascript"), std::string::npos);
  EXPECT_EQ(html.find("<a href=\"x"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST(ExportHtml, AppliesTheTypography) {
  const json input = {{"typography_combo", "modern"},
                      {"body_font_family", "Georgia, serif"},
                      {"body_font_size", "13"},
                      {"line_height", "1.8"},
                      {"page_size", "A4"},
                      {"page_margins", "narrow"}};
  const std::string html = export_as(one_chapter_book("A", "x", input), "html");
  EXPECT_NE(html.find("body { font-family: \"Georgia\", serif; line-height: 1.8; }"),
            std::string::npos);
  EXPECT_NE(html.find("h1, h2, h3, h4, h5, h6 { font-family: \"Noto Sans\", \"DejaVu Sans\", "
                      "sans-serif; }"),
            std::string::npos);
  EXPECT_NE(html.find("@page { size: 210mm 297mm; margin: 12mm; }"), std::string::npos);
  EXPECT_NE(html.find("@media print { html { font-size: 13pt; } }"), std::string::npos);
  EXPECT_NE(html.find("html { font-size: 132.95%; }"), std::string::npos);
}

TEST(ExportAll, HandBuiltBookWithoutParsedBodiesStillShowsItsContent) {
  book b;
  b.title = "Hand";
  b.foreword = "Fore *word*";
  b.chapters.push_back(make_chapter("One", "Some **bold** text"));
  b.chapters.back().number = 1;
  EXPECT_NE(export_as(b, "html").find("<p>Some <strong>bold</strong> text</p>"), std::string::npos);
  EXPECT_NE(export_as(b, "html").find("<p>Fore <em>word</em></p>"), std::string::npos);
  EXPECT_NE(export_as(b, "md").find("Some **bold** text"), std::string::npos);
  EXPECT_NE(export_as(b, "txt").find("Some bold text"), std::string::npos);
}

TEST(ExportAll, EveryHardCaseExports) {
  std::string table = "| # | Name | Note |\n|---|:---:|--:|\n";
  for (int i = 0; i < 50; ++i) table += "| " + std::to_string(i) + " | *n* | 🙂 |\n";
  std::vector<workflow::chapter> chapters{
      make_chapter("Empty", ""),
      make_chapter("Table", table),
      make_chapter("Emoji 🐉", "🐉🔥👨‍👩‍👧 👋🏽 *🪔*"),
      make_chapter("عربي", "مرحبا **بالعالم**\n\n- שלום\n- עולם"),
      make_chapter("HTML", "<div><p>not markup</p></div>\n\n<b>x</b> & <i>y</i>"),
      make_chapter("Broken", "*unclosed **strong `code\n\n> > >\n\n- \n\n```\nunclosed fence"),
      make_chapter("Bytes", std::string{"nul\0 and \xFF\xFE bad", 15}),
  };
  const book b = compile_book({{"language", "ar"}}, std::move(chapters));
  ASSERT_EQ(b.bodies.size(), 7u);
  EXPECT_TRUE(b.bodies[0].empty());
  for (std::string_view name : text_formats) {
    const std::string out = export_as(b, name);
    EXPECT_FALSE(out.empty()) << name;
    EXPECT_NE(out.find("🐉🔥👨‍👩‍👧 👋🏽"), std::string::npos) << name;
    EXPECT_NE(out.find("مرحبا"), std::string::npos) << name;
    EXPECT_NE(out.find("49"), std::string::npos) << name;
    EXPECT_NE(out.find("unclosed fence"), std::string::npos) << name;
  }
  EXPECT_NE(export_as(b, "html").find("<html lang=\"ar\" dir=\"rtl\">"), std::string::npos);
}

TEST(ExportHtml, IsOneSelfContainedDocument) {
  const std::string html = export_as(
      one_chapter_book("A", "text", {{"book_title", "Title"}, {"author_name", "Me"}}), "html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("<title>Title</title>"), std::string::npos);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_NE(html.find("max-width: 42em"), std::string::npos);
  EXPECT_NE(html.find("<nav"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#chapter-1\">Chapter 1: A</a>"), std::string::npos);
  EXPECT_NE(html.find("<section id=\"chapter-1\">\n<h2>Chapter 1: A</h2>"), std::string::npos);
  // Nothing is fetched from elsewhere.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");
}

TEST(ExportHtml, RightToLeftLanguageSetsDirection) {
  const std::string ar = export_as(one_chapter_book("A", "مرحبا", {{"language", "ar"}}), "html");
  EXPECT_NE(ar.find("<html lang=\"ar\" dir=\"rtl\">"), std::string::npos);
  const std::string hi = export_as(one_chapter_book("A", "नमस्ते", {{"language", "hi"}}), "html");
  EXPECT_NE(hi.find("<html lang=\"hi\">"), std::string::npos);
  // Syriac, and a right-to-left script named in the tag, decide as in the EPUB.
  const std::string syr = export_as(one_chapter_book("A", "ܫܠܡܐ", {{"language", "syr"}}), "html");
  EXPECT_NE(syr.find("<html lang=\"syr\" dir=\"rtl\">"), std::string::npos);
  const std::string pa = export_as(one_chapter_book("A", "ਸਤਿ", {{"language", "pa-Arab"}}), "html");
  EXPECT_NE(pa.find("<html lang=\"pa-Arab\" dir=\"rtl\">"), std::string::npos);
  const std::string latin =
      export_as(one_chapter_book("A", "x", {{"language", "sr-Latn"}}), "html");
  EXPECT_EQ(latin.find("dir=\"rtl\""), std::string::npos);
}

TEST(ExportHtml, LanguageOfAHandBuiltBookCannotBreakTheAttribute) {
  book b = one_chapter_book("A", "x");
  b.language = "en\" onload=\"alert(1)";
  const std::string html = export_as(b, "html");
  EXPECT_EQ(html.find("onload=\""), std::string::npos);
  EXPECT_NE(html.find("<html lang=\"enonloadalert\">"), std::string::npos);
}

TEST(ExportHtml, UntitledChapterIsNotCalledChapterNTwice) {
  const book b = compile_book(json::object(), {make_chapter("", "x")});
  const std::string html = export_as(b, "html");
  EXPECT_NE(html.find("<h2>Chapter 1</h2>"), std::string::npos);
  EXPECT_EQ(html.find("Chapter 1: Chapter 1"), std::string::npos);
}

TEST(ExportMarkdown, HasTitleAuthorAnchorsAndTableOfContents) {
  const book b = compile_book({{"book_title", "T"}, {"subtitle", "S"}, {"author_name", "A"}},
                              {make_chapter("One", "First."), make_chapter("Two", "Second.")});
  const std::string md = export_as(b, "md");
  EXPECT_EQ(md.rfind("# T\n\n**S**\n\n*by A*\n\n## Contents\n\n"
                     "- [Chapter 1: One](#chapter-1)\n- [Chapter 2: Two](#chapter-2)\n",
                     0),
            0u);
  EXPECT_NE(md.find("<a id=\"chapter-2\"></a>\n\n## Chapter 2: Two\n\nSecond.\n"),
            std::string::npos);
}

TEST(ExportMarkdown, OmitsAuthorLineWithoutAuthor) {
  const std::string md = export_as(one_chapter_book("A", "x"), "md");
  EXPECT_EQ(md.find("*by"), std::string::npos);
}

TEST(ExportMarkdown, EscapesBracketsInTableOfContentsLinks) {
  const std::string md = export_as(one_chapter_book("The [Secret] Door", "x"), "md");
  EXPECT_NE(md.find("- [Chapter 1: The \\[Secret\\] Door](#chapter-1)"), std::string::npos);
}

TEST(ExportMarkdown, NormalisesLineEndings) {
  const std::string md = export_as(one_chapter_book("A", "one\r\ntwo\rthree"), "md");
  EXPECT_EQ(md.find('\r'), std::string::npos);
  EXPECT_NE(md.find("one\ntwo\nthree\n"), std::string::npos);
}

TEST(ExportText, UnderlinesHaveTheHeadingsDisplayWidth) {
  const book b =
      compile_book(json::object(), {make_chapter("Plain", "x"), make_chapter("नमस्ते", "x"),
                                    make_chapter("東京", "x"), make_chapter("Fire 🔥", "x")});
  const std::string txt = export_as(b, "txt");
  // "Chapter N: " is 11 columns; नमस्ते is 4 (virama and vowel sign take none), 東京 4, 🔥 2.
  EXPECT_NE(txt.find("Chapter 1: Plain\n" + std::string(16, '=') + "\n"), std::string::npos);
  EXPECT_NE(txt.find("Chapter 2: नमस्ते\n" + std::string(15, '=') + "\n"), std::string::npos);
  EXPECT_NE(txt.find("Chapter 3: 東京\n" + std::string(15, '=') + "\n"), std::string::npos);
  EXPECT_NE(txt.find("Chapter 4: Fire 🔥\n" + std::string(18, '=') + "\n"), std::string::npos);
}

TEST(ExportText, HasTitleAuthorAndContents) {
  const book b = compile_book({{"book_title", "T"}, {"author_name", "A"}},
                              {make_chapter("One", "x"), make_chapter("Two", "y")});
  const std::string txt = export_as(b, "txt");
  EXPECT_EQ(txt.rfind("T\n\nby A\n\n\nContents\n========\n\nChapter 1: One\nChapter 2: Two\n", 0),
            0u);
}

TEST(ExportAll, UnicodePassesThroughIntact) {
  const std::string emoji =
      "Dragons 🐉🔥 and families 👨‍👩‍👧 with skin tones 👋🏽";
  const std::string devanagari = "मीरा ने दीपक जलाया। क्षत्रिय ज्ञान";
  const std::string rtl = "שלום עולם and مرحبا بالعالم";
  const std::string content = emoji + "\n\n" + devanagari + "\n\n" + rtl;
  const book b = compile_book({{"book_title", devanagari}, {"author_name", rtl}},
                              {make_chapter(emoji, content)});
  for (std::string_view name : text_formats) {
    const std::string out = export_as(b, name);
    EXPECT_NE(out.find(emoji), std::string::npos) << name;
    EXPECT_NE(out.find(devanagari), std::string::npos) << name;
    EXPECT_NE(out.find(rtl), std::string::npos) << name;
  }
}

TEST(ExportAll, EmptyChapterExports) {
  const book b = compile_book(json::object(), {make_chapter("Empty", ""), make_chapter("", " \n")});
  for (std::string_view name : text_formats) {
    const std::string out = export_as(b, name);
    EXPECT_NE(out.find("Chapter 1: Empty"), std::string::npos) << name;
    EXPECT_NE(out.find("Chapter 2"), std::string::npos) << name;
  }
  EXPECT_NE(export_as(b, "html").find("<h2>Chapter 1: Empty</h2>\n</section>"), std::string::npos);
}

TEST(ExportAll, BookWithoutChaptersExports) {
  const book b = compile_book({{"book_title", "Nothing Yet"}}, {});
  for (std::string_view name : text_formats) {
    const std::string out = export_as(b, name);
    EXPECT_NE(out.find("Nothing Yet"), std::string::npos) << name;
    EXPECT_EQ(out.find("Chapter"), std::string::npos) << name;
  }
  EXPECT_EQ(export_as(b, "html").find("<nav"), std::string::npos);
}

TEST(ExportAll, HandBuiltBookWithoutTitleIsUntitled) {
  const book b;
  for (std::string_view name : text_formats) {
    EXPECT_NE(export_as(b, name).find("Untitled"), std::string::npos) << name;
  }
}

TEST(ExportAll, TwoHundredChapterTableOfContentsHasTwoHundredLinks) {
  std::vector<workflow::chapter> chapters;
  chapters.reserve(200);
  for (int i = 0; i < 200; ++i) {
    chapters.push_back(make_chapter("Part " + std::to_string(i),
                                    "## Scene\n\nText *" + std::to_string(i) +
                                        "*.\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |"));
  }
  const book b = compile_book(json::object(), std::move(chapters));
  ASSERT_EQ(b.bodies.size(), 200u);
  EXPECT_EQ(b.bodies[199].blocks.size(), 4u);

  const std::string md = export_as(b, "md");
  EXPECT_EQ(count_of(md, "](#chapter-"), 200u);
  EXPECT_EQ(count_of(md, "<a id=\"chapter-"), 200u);
  EXPECT_NE(md.find("- [Chapter 200: Part 199](#chapter-200)"), std::string::npos);

  const std::string html = export_as(b, "html");
  EXPECT_EQ(count_of(html, "<a href=\"#chapter-"), 200u);
  EXPECT_EQ(count_of(html, "<section id=\"chapter-"), 200u);
  EXPECT_NE(html.find("<a href=\"#chapter-200\">Chapter 200: Part 199</a>"), std::string::npos);
  EXPECT_EQ(count_of(html, "<table>"), 200u);
  EXPECT_NE(html.find("<p>Text <em>199</em>.</p>"), std::string::npos);

  const std::string txt = export_as(b, "txt");
  const std::size_t contents = txt.find("Contents\n========\n\n");
  ASSERT_NE(contents, std::string::npos);
  const std::size_t end = txt.find("\n\n", contents + 19);
  EXPECT_EQ(count_of(txt.substr(contents, end - contents), "\nChapter "), 200u);
}

TEST(ExportAll, FiveMegabyteChapterExportsInLinearTime) {
  // Paragraphs with emphasis, plus one huge paragraph full of unmatched delimiters, the worst
  // case for the emphasis matcher.
  std::string content;
  const std::string paragraph =
      "She walked *slowly* through the **old** town, and the_lamps_glowed <softly> & warmly.\n"
      "Another line of the same paragraph.\n\n";
  while (content.size() < 5u * 1024 * 1024 - 650000) content += paragraph;
  for (int i = 0; i < 100000; ++i) content += i % 2 == 0 ? "*a _b " : "**c __d ";
  ASSERT_GE(content.size(), 5u * 1024 * 1024);

  const book b = one_chapter_book("Huge", content);
  const auto start = std::chrono::steady_clock::now();
  for (std::string_view name : text_formats) {
    const std::string out = export_as(b, name);
    EXPECT_GT(out.size(), content.size() * 9 / 10) << name;
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Linear work is well under a second even unoptimised; quadratic work would take hours.
  EXPECT_LT(elapsed, std::chrono::seconds(20));
}

}  // namespace
}  // namespace lekhika::publishing
