// The PDF exporter without external tools: the bytes are a complete PDF, the same book gives
// the same bytes, and every kind of content (and some hostile content) renders. What the pages
// look like is checked with poppler in tests/integration/publishing/pdf_*_test.cpp.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// render_pdf is internal to the library (export_book offers pdf once formats.cpp lists it).
#include "../../../publishing/src/export_detail.hpp"
#include "document_builders.hpp"
#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/document.hpp"
#include "publishing_test_util.hpp"

namespace lekhika::publishing {
namespace {

using nlohmann::json;
using namespace std::string_view_literals;
using namespace test_util;  // the document builders, count_of and make_chapter

// --- Documents made by hand (builders: document_builders.hpp) -------------------------------

std::string prose(std::size_t words, std::string_view seed = "word") {
  std::string out;
  for (std::size_t i = 0; i < words; ++i) {
    if (i > 0) out += i % 17 == 0 ? ". " : " ";
    out += seed;
    out += std::to_string(i % 97);
  }
  out += '.';
  return out;
}

document every_kind() {
  document d;
  d.blocks.push_back(heading(2, "A section"));
  d.blocks.push_back(paragraph(
      inlines{text("Plain, "), wrap(inline_node::kind::emphasis, {text("emphasis")}), text(", "),
              wrap(inline_node::kind::strong,
                   {text("strong "), wrap(inline_node::kind::emphasis, {text("and both")})}),
              text(", "), code("inline_code()"), text(", "),
              link("https://example.com/a(b)c'd", {text("a link")}), soft_break(),
              text("after a soft break"), line_break(), text("after a hard break"), text(". "),
              link("javascript:alert(1)", {text("x")}), link("https://example.com/auto", {})}));
  d.blocks.push_back(paragraph(prose(120)));
  d.blocks.push_back(list(
      block::kind::bullet_list,
      {{paragraph("first bullet")},
       {paragraph(prose(60)),
        list(block::kind::bullet_list,
             {{paragraph("nested")}, {list(block::kind::ordered_list, {{paragraph("deep")}})}})},
       {}}));
  d.blocks.push_back(list(block::kind::ordered_list,
                          {{paragraph("one")}, {paragraph("two")}, {code_block("x = 1;")}}, 7));
  d.blocks.push_back(
      quote({paragraph(prose(40)),
             paragraph(inlines{wrap(inline_node::kind::emphasis, {text("upright")})}),
             quote({paragraph("nested quote")})}));
  d.blocks.push_back(code_block("int main() {\n\treturn 0;  // <b>not markup</b>\n}\n"));
  d.blocks.push_back(scene_break());
  d.blocks.push_back(heading(3, "Tables"));
  d.blocks.push_back(table({{{text("Name")}, {text("Role")}, {text("Notes")}},
                            {{text("Asha")}, {text("Pilot")}, {text(prose(30))}},
                            {{text("Ravi")}, {}, {code("none")}},
                            {{text("short row")}}},
                           true));
  d.blocks.push_back(table({{{text("no header")}, {text("row")}}}, false));
  d.blocks.push_back(heading(6, "Deep heading"));
  d.blocks.push_back(paragraph(prose(30)));
  return d;
}

// --- Books -----------------------------------------------------------------------------------

book book_with(std::vector<workflow::chapter> chapters, const json& input = json::object()) {
  return compile_book(input, std::move(chapters));
}

book book_of(std::size_t chapters, std::size_t words_each) {
  std::vector<workflow::chapter> list;
  for (std::size_t i = 0; i < chapters; ++i) {
    list.push_back(make_chapter("Part " + std::to_string(i + 1), prose(words_each)));
  }
  return book_with(std::move(list), {{"book_title", "A Test Book"}, {"author_name", "A. Writer"}});
}

book book_with_body(document body) {
  book b = book_of(1, 0);
  b.bodies = {std::move(body)};
  return b;
}

// --- Reading the PDF back --------------------------------------------------------------------

// The /Count of the page tree (cairo writes one uncompressed /Pages dictionary).
std::size_t page_count(std::string_view pdf) {
  const std::size_t pages = pdf.find("/Type /Pages");
  if (pages == std::string_view::npos) return 0;
  const std::size_t count = pdf.find("/Count ", pages);
  if (count == std::string_view::npos) return 0;
  return static_cast<std::size_t>(std::stoul(std::string{pdf.substr(count + 7, 12)}));
}

void expect_complete_pdf(const std::string& pdf) {
  ASSERT_GT(pdf.size(), 100u);
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
  std::string_view tail = pdf;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.remove_suffix(1);
  EXPECT_TRUE(tail.ends_with("%%EOF"));
  EXPECT_GE(page_count(pdf), 1u);
}

constexpr std::string_view tiny_png =
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x04\x00\x00"
    "\x00\x06\x08\x02\x00\x00\x00\x6b\x5b\xa8\x22\x00\x00\x00\x3c\x49\x44\x41\x54\x78\xda\x0d"
    "\xc7\x31\x01\x00\x30\x08\x04\xb1\x8a\x40\x04\x4a\x5e\x09\x22\x6e\x46\x09\xf3\x8b\x40\x5b"
    "\xc9\x96\x17\x89\x12\x12\x27\x2f\x84\x04\xc2\xba\x14\x2a\x28\x5c\x97\x46\x0d\x8d\xfb\x32"
    "\x68\x60\xf0\x5c\x16\x2d\x2c\x5e\x3e\x38\x8a\x1e\xf1\xd6\xd9\xa1\x5f\x00\x00\x00\x00\x49"
    "\x45\x4e\x44\xae\x42\x60\x82"sv;

// --- Tests -----------------------------------------------------------------------------------

TEST(PdfExport, IsACompletePdfFile) {
  const std::string pdf = detail::render_pdf(book_of(2, 200));
  expect_complete_pdf(pdf);
  // Text is real text in embedded fonts, not paths: font files are in the file.
  EXPECT_NE(pdf.find("/FontFile2"), std::string::npos);
}

TEST(PdfExport, TheSameBookGivesTheSameBytes) {
  const book b = book_with_body(every_kind());
  const std::string first = detail::render_pdf(b);
  const std::string second = detail::render_pdf(b);
  EXPECT_EQ(page_count(first), page_count(second));
  EXPECT_EQ(first, second);  // no creation date, no random subset names
}

TEST(PdfExport, PageCountGrowsWithContent) {
  const std::size_t short_book = page_count(detail::render_pdf(book_of(1, 50)));
  const std::size_t long_chapter = page_count(detail::render_pdf(book_of(1, 5000)));
  const std::size_t more_chapters = page_count(detail::render_pdf(book_of(6, 50)));
  // Title page, contents, one chapter page.
  EXPECT_EQ(short_book, 3u);
  EXPECT_GT(long_chapter, short_book + 5);
  // Every chapter starts a page of its own.
  EXPECT_EQ(more_chapters, short_book + 5);
}

TEST(PdfExport, FrontAndBackMatterGetPagesOfTheirOwn) {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter("One", "Text."));
  const book plain = book_with(chapters);
  const book full = book_with(chapters, {{"foreword", "A foreword."},
                                         {"introduction", "An introduction."},
                                         {"author_bio", "About me."},
                                         {"subtitle", "A subtitle"}});
  EXPECT_EQ(page_count(detail::render_pdf(full)), page_count(detail::render_pdf(plain)) + 3);
  book first = full;
  first.about_author_first = true;
  EXPECT_EQ(page_count(detail::render_pdf(first)), page_count(detail::render_pdf(full)));
}

TEST(PdfExport, RendersEveryBlockAndInlineKind) {
  const std::string pdf = detail::render_pdf(book_with_body(every_kind()));
  expect_complete_pdf(pdf);
  EXPECT_GE(page_count(pdf), 4u);
  // The one followable link becomes a link annotation; javascript: does not.
  EXPECT_NE(pdf.find("/URI (https://example.com/a%28b%29c%27d)"), std::string::npos);
  EXPECT_NE(pdf.find("/URI (https://example.com/auto)"), std::string::npos);
  EXPECT_EQ(pdf.find("javascript"), std::string::npos);
}

TEST(PdfExport, EmptyChaptersAndEmptyBooksRender) {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter("", ""));
  chapters.push_back(make_chapter("Only a title", "   \n\n  "));
  const std::string pdf = detail::render_pdf(book_with(std::move(chapters)));
  expect_complete_pdf(pdf);
  EXPECT_EQ(page_count(pdf), 4u);  // title, contents, two heading-only chapters

  const std::string nothing = detail::render_pdf(book{});
  expect_complete_pdf(nothing);
  EXPECT_EQ(page_count(nothing), 1u);  // just the title page ("Untitled")

  book empty_blocks = book_of(1, 0);
  empty_blocks.bodies = {document{{paragraph(""), paragraph(inlines{}), code_block("\n\n"),
                                   heading(1, ""), table({}, true), table({{}, {}}, false),
                                   list(block::kind::bullet_list, {}), quote({})}}};
  expect_complete_pdf(detail::render_pdf(empty_blocks));
}

TEST(PdfExport, RendersAnyScript) {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter(
      "लेखिका",
      "क्षत्रिय ज्ञान श्रम त्रिकोण — हिन्दी का एक अनुच्छेद जो पंक्तियों में टूटता है। " + prose(100, "शब्द")));
  chapters.push_back(make_chapter(
      "Emoji 😀", "Smiles 😀👍🏽 and flags 🇮🇳 and a ZWJ family 👨‍👩‍👧."));
  chapters.push_back(make_chapter("مرحبا", "هذه فقرة عربية تكتب من اليمين إلى اليسار. " +
                                               prose(80, "كلمة") + " Mixed with English."));
  chapters.push_back(make_chapter("עברית", "זוהי פסקה בעברית. " + prose(60, "מילה")));
  chapters.push_back(make_chapter(
      "中文", std::string(3000, ' ') + "这是一个没有空格的中文段落" + std::string(30, 'x')));
  chapters.push_back(make_chapter("<b>Not</b> & markup",
                                  "<span foreground='red'>not markup</span> &amp; <i>raw</i> "
                                  "<script>alert(1)</script> & < > \" ' %s %n {0}"));
  const book b = book_with(std::move(chapters), {{"book_title", "<Title> & \"Quotes\""},
                                                 {"author_name", "लेखक (ʃ) \\ )"},
                                                 {"language", "Hindi"}});
  const std::string pdf = detail::render_pdf(b);
  expect_complete_pdf(pdf);
  EXPECT_GE(page_count(pdf), 8u);
}

// Characters no installed font covers are drawn as boxes: the export says so (and which), and
// says nothing when every character has a glyph (fonts-noto-core covers these scripts).
TEST(PdfExport, CharactersNoFontCoversAreReported) {
  std::vector<std::string> warnings;
  std::vector<workflow::chapter> covered;
  covered.push_back(make_chapter("Latin and लेखिका", "Plain text, हिन्दी, عربي and עברית."));
  expect_complete_pdf(detail::render_pdf(book_with(std::move(covered)), &warnings));
  EXPECT_TRUE(warnings.empty()) << warnings.front();

  // U+0378 and U+0379 are unassigned: no font anywhere has them.
  std::vector<workflow::chapter> uncovered;
  uncovered.push_back(make_chapter("Boxes", "Greek gap \u0378 and \u0379 and \u0378 again."));
  expect_complete_pdf(detail::render_pdf(book_with(std::move(uncovered)), &warnings));
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_NE(warnings[0].find("2 characters have no glyph"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("U+0378, U+0379"), std::string::npos) << warnings[0];
  EXPECT_EQ(warnings[0].find("fonts-noto-cjk"), std::string::npos) << warnings[0];

  // Chinese names the package that covers it, when this machine lacks it.
  warnings.clear();
  std::vector<workflow::chapter> chinese;
  chinese.push_back(make_chapter("中文", "这是中文。"));
  expect_complete_pdf(detail::render_pdf(book_with(std::move(chinese)), &warnings));
  if (!warnings.empty()) {
    EXPECT_NE(warnings[0].find("U+4E2D"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("fonts-noto-cjk"), std::string::npos) << warnings[0];
  }
}

TEST(PdfExport, HandMadeTextWithControlCharactersAndBrokenUtf8Renders) {
  document d;
  d.blocks.push_back(paragraph(std::string{"nul\0byte", 8} + "\x01\x1f\x7f tab\tnewline\ncr\r"));
  d.blocks.push_back(paragraph("broken \xC3 \xE0\xA4 \xF0\x9F utf-8 \xFF\xFE"));
  d.blocks.push_back(code_block("code \xC3\x28 with\0nul"));
  d.blocks.push_back(heading(1, "\xE0\xA4"));
  book b = book_with_body(std::move(d));
  b.title = "Bad \xC3 title";
  b.author = "\xFF";
  expect_complete_pdf(detail::render_pdf(b));
}

TEST(PdfExport, DeepNestingRenders) {
  block inner = paragraph("the bottom");
  for (int i = 0; i < 2000; ++i) {
    std::vector<block> children;
    children.push_back(std::move(inner));
    inner = quote(std::move(children));
  }
  inline_node deep = text("deep");
  for (int i = 0; i < 5000; ++i) {
    inlines children;
    children.push_back(std::move(deep));
    deep = wrap(i % 2 == 0 ? inline_node::kind::emphasis : inline_node::kind::strong,
                std::move(children));
  }
  block items = paragraph("leaf");
  for (int i = 0; i < 300; ++i) {
    std::vector<std::vector<block>> item(1);
    item[0].push_back(std::move(items));
    items = list(block::kind::bullet_list, std::move(item));
  }
  document d;
  d.blocks.push_back(std::move(inner));
  d.blocks.push_back(paragraph(inlines{std::move(deep)}));
  d.blocks.push_back(std::move(items));
  const std::string pdf = detail::render_pdf(book_with_body(std::move(d)));
  expect_complete_pdf(pdf);
}

TEST(PdfExport, TwoHundredChaptersRender) {
  const std::string pdf = detail::render_pdf(book_of(200, 150));
  expect_complete_pdf(pdf);
  // Title page, at least two pages of contents, one page or more per chapter.
  EXPECT_GE(page_count(pdf), 203u);
}

TEST(PdfExport, AFiveMegabyteChapterRenders) {
  // One paragraph of 5 MB: the worst case for line breaking (laid out in pieces).
  std::string huge = prose(5 * 1024 * 1024 / 6);
  ASSERT_GE(huge.size(), 5u * 1024 * 1024);
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter("Huge", huge));
  const std::string pdf = detail::render_pdf(book_with(std::move(chapters)));
  expect_complete_pdf(pdf);
  EXPECT_GT(page_count(pdf), 1000u);
}

TEST(PdfExport, AFiveMegabyteChapterOfManyParagraphsRenders) {
  document d;
  for (std::size_t size = 0; size < 5u * 1024 * 1024;) {
    d.blocks.push_back(paragraph(prose(80)));
    size += d.blocks.back().content.front().text.size();
  }
  const std::string pdf = detail::render_pdf(book_with_body(std::move(d)));
  expect_complete_pdf(pdf);
  EXPECT_GT(page_count(pdf), 1000u);
}

TEST(PdfExport, ThePageSizeComesFromTheTypography) {
  book a5 = book_of(1, 100);
  const std::string a5_pdf = detail::render_pdf(a5);
  EXPECT_NE(a5_pdf.find("/MediaBox [ 0 0 419.527559 595.275591 ]"), std::string::npos);

  book a4 = a5;
  a4.typography.page_size = "A4";
  a4.typography.page_width_mm = 210;
  a4.typography.page_height_mm = 297;
  a4.typography.margin_mm = 25;
  const std::string a4_pdf = detail::render_pdf(a4);
  EXPECT_NE(a4_pdf.find("/MediaBox [ 0 0 595.275591 841.889764 ]"), std::string::npos);

  // The same text needs more pages on a smaller page with a larger font.
  book big_type = book_of(1, 3000);
  const std::size_t normal = page_count(detail::render_pdf(big_type));
  big_type.typography.body_size_pt = 16;
  big_type.typography.line_height = 2;
  EXPECT_GT(page_count(detail::render_pdf(big_type)), normal);
}

TEST(PdfExport, NonsenseTypographyFallsBackToSaneValues) {
  book b = book_of(1, 300);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  b.typography.page_width_mm = nan;
  b.typography.page_height_mm = -5;
  b.typography.margin_mm = std::numeric_limits<double>::infinity();
  b.typography.body_size_pt = 0;
  b.typography.line_height = nan;
  b.typography.body_font =
      ", ,'',\"\";;;, \x01"
      "bad, " +
      std::string(500, 'x') + ", monospace";
  b.typography.heading_font = "";
  const std::string pdf = detail::render_pdf(b);
  expect_complete_pdf(pdf);
  EXPECT_NE(pdf.find("/MediaBox [ 0 0 419.527559 595.275591 ]"), std::string::npos);

  b.typography.page_width_mm = 55;
  b.typography.page_height_mm = 60;
  b.typography.margin_mm = 100;  // larger than the page allows: clamped
  b.typography.body_size_pt = 1000;
  expect_complete_pdf(detail::render_pdf(b));
}

TEST(PdfExport, TheCoverGetsAPageOfItsOwn) {
  const book plain = book_of(1, 100);
  const std::size_t without = page_count(detail::render_pdf(plain));

  book png = plain;
  png.cover = cover_image{"image/png", std::string{tiny_png}};
  const std::string png_pdf = detail::render_pdf(png);
  expect_complete_pdf(png_pdf);
  EXPECT_EQ(page_count(png_pdf), without + 1);
  EXPECT_NE(png_pdf.find("/Subtype /Image"), std::string::npos);

  book broken = plain;
  broken.cover = cover_image{"image/png", std::string{tiny_png.substr(0, 40)}};
  EXPECT_EQ(page_count(detail::render_pdf(broken)), without);
  broken.cover = cover_image{"image/webp", "RIFF....WEBP"};
  EXPECT_EQ(page_count(detail::render_pdf(broken)), without);
  broken.cover = cover_image{"image/jpeg", "\xFF\xD8\xFF\xE0 truncated"};
  EXPECT_EQ(page_count(detail::render_pdf(broken)), without);
}

TEST(PdfExport, MetadataNamesTheBook) {
  const book b = book_with({make_chapter("One", "Text.")},
                           {{"book_title", "Plain Title"}, {"author_name", "Plain Author"}});
  const std::string pdf = detail::render_pdf(b);
  EXPECT_NE(pdf.find("/Title (Plain Title)"), std::string::npos);
  EXPECT_NE(pdf.find("/Author (Plain Author)"), std::string::npos);
  EXPECT_NE(pdf.find("/Creator (Lekhika)"), std::string::npos);
  EXPECT_EQ(pdf.find("/CreationDate"), std::string::npos);
  // The outline (bookmarks) has the contents and the chapter.
  EXPECT_NE(pdf.find("/Type /Outlines"), std::string::npos);
  EXPECT_GE(count_of(pdf, "/Dest (section-"), 3u);  // two bookmarks, one contents link
}

}  // namespace
}  // namespace lekhika::publishing
