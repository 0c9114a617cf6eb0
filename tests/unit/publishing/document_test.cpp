// parse_markdown: every block and inline kind of the model, and the inputs that must never
// break it (raw HTML, invalid UTF-8, deep nesting, pathological sizes).

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "document_dump.hpp"
#include "lekhika/publishing/document.hpp"
#include "publishing_test_util.hpp"

namespace lekhika::publishing {
namespace {

using test_util::parsed;

TEST(ParseMarkdown, EmptyAndBlankTextHaveNoBlocks) {
  EXPECT_TRUE(parse_markdown("").empty());
  EXPECT_TRUE(parse_markdown(" \n\t\n\r\n").empty());
}

TEST(ParseMarkdown, Paragraphs) {
  EXPECT_EQ(parsed("One.\n\nTwo.\n\n\n\nThree."), R"(p("One.") p("Two.") p("Three."))");
  // A line break inside a paragraph is soft; two trailing spaces or a backslash make it hard.
  EXPECT_EQ(parsed("one\ntwo  \nthree\\\nfour"), R"(p("one" ~ "two" / "three" / "four"))");
  EXPECT_EQ(parsed("one\r\ntwo\rthree"), R"(p("one" ~ "two" ~ "three"))");
}

TEST(ParseMarkdown, Headings) {
  EXPECT_EQ(parsed("# A\n## B\n### C\n#### D\n##### E\n###### F"),
            R"(h1("A") h2("B") h3("C") h4("D") h5("E") h6("F"))");
  EXPECT_EQ(parsed("####### seven\n\n#hashtag"), R"(p("####### seven") p("#hashtag"))");
  EXPECT_EQ(parsed("## Closed ##\n### C#"), R"(h2("Closed") h3("C#"))");
  EXPECT_EQ(parsed("Setext\n======\n\nTwo\n---"), R"(h1("Setext") h2("Two"))");
  EXPECT_EQ(parsed("text\n# Head\nmore"), R"(p("text") h1("Head") p("more"))");
  // A heading with nothing in it shows nothing.
  EXPECT_EQ(parsed("#\n\n##"), "");
}

TEST(ParseMarkdown, Emphasis) {
  EXPECT_EQ(parsed("*a* _b_ **c** __d__"),
            R"(p(em("a") " " em("b") " " strong("c") " " strong("d")))");
  EXPECT_EQ(parsed("***both***"), R"(p(em(strong("both"))))");
  EXPECT_EQ(parsed("**bold *and em***"), R"(p(strong("bold " em("and em"))))");
  EXPECT_EQ(parsed("in*side*word snake_case_name"), R"(p("in" em("side") "word snake_case_name"))");
  EXPECT_EQ(parsed("5 * 3 and ** nothing **"), R"(p("5 * 3 and ** nothing **"))");
  EXPECT_EQ(parsed("\\*not em\\* a\\\\b"), R"(p("*not em* a\b"))");
}

TEST(ParseMarkdown, StrikethroughIsNotEnabledAndStaysText) {
  EXPECT_EQ(parsed("~~gone~~"), R"(p("~~gone~~"))");
}

TEST(ParseMarkdown, CodeSpansAndCodeBlocks) {
  EXPECT_EQ(parsed("call `trim()` now"), R"(p("call " `trim()` " now"))");
  EXPECT_EQ(parsed("``a ` b``"), R"(p(`a ` b`))");
  EXPECT_EQ(parsed("```cpp\nint x = 1;\n\nreturn <x>;\n```"), "pre\"int x = 1;\n\nreturn <x>;\"");
  EXPECT_EQ(parsed("~~~\n*not em*\n~~~"), R"(pre"*not em*")");
  EXPECT_EQ(parsed("```\n```"), R"(pre"")");
}

TEST(ParseMarkdown, IndentedTextIsProseNotCode) {
  // Models indent paragraphs now and then; a book has no indented code blocks.
  EXPECT_EQ(parsed("    An *indented* paragraph.\n    Second line."),
            R"(p("An " em("indented") " paragraph." ~ "Second line."))");
  EXPECT_EQ(parsed("Text.\n\n        deeper <b>\n\nMore."),
            R"(p("Text.") p("deeper <b>") p("More."))");
}

TEST(ParseMarkdown, Links) {
  EXPECT_EQ(parsed("[the *guide*](https://example.org/a?b=1&c=2 \"Title\")"),
            R"(p(a<https://example.org/a?b=1&c=2>("the " em("guide"))))");
  EXPECT_EQ(parsed("<https://example.org>"), R"(p(a<https://example.org>("https://example.org")))");
  EXPECT_EQ(parsed("[ref]\n\n[ref]: /somewhere"), R"(p(a</somewhere>("ref")))");
  // Bare addresses are text (no autolink extension), and a link with no text is dropped.
  EXPECT_EQ(parsed("see https://example.org [](x)"), R"(p("see https://example.org "))");
}

TEST(ParseMarkdown, ImagesBecomeTheirAltText) {
  EXPECT_EQ(parsed("Look: ![a *red* lamp](lamp.png)"), R"(p("Look: a red lamp"))");
}

TEST(ParseMarkdown, BulletLists) {
  EXPECT_EQ(parsed("- one\n- two\n\n- three"), R"(ul[li(p("one")) li(p("two")) li(p("three"))])");
  // Changing the bullet character starts a new list in CommonMark; prose means one list.
  EXPECT_EQ(parsed("- one\n* two\n+ three"), R"(ul[li(p("one")) li(p("two")) li(p("three"))])");
  EXPECT_EQ(parsed("- one\n  continued\n\n  second paragraph\n- *two*"),
            R"(ul[li(p("one" ~ "continued") p("second paragraph")) li(p(em("two")))])");
  EXPECT_EQ(parsed("-\n- x"), R"(ul[li() li(p("x"))])");
}

TEST(ParseMarkdown, OrderedLists) {
  EXPECT_EQ(parsed("1. one\n2. two"), R"(ol1[li(p("one")) li(p("two"))])");
  EXPECT_EQ(parsed("3) three\n4) four"), R"(ol3[li(p("three")) li(p("four"))])");
  EXPECT_EQ(parsed("- a\n1. b"), R"(ul[li(p("a"))] ol1[li(p("b"))])");
  // Only a list starting at 1 interrupts a paragraph.
  EXPECT_EQ(parsed("It was cold in\n1984. Nobody came."),
            R"(p("It was cold in" ~ "1984. Nobody came."))");
  EXPECT_EQ(parsed("Steps:\n1. go"), R"(p("Steps:") ol1[li(p("go"))])");
}

TEST(ParseMarkdown, NestedLists) {
  EXPECT_EQ(parsed("- a\n  - b\n    1. c\n  - d\n- e"),
            R"(ul[li(p("a") ul[li(p("b") ol1[li(p("c"))]) li(p("d"))]) li(p("e"))])");
}

TEST(ParseMarkdown, BlockQuotes) {
  EXPECT_EQ(parsed("> one\n> two\n>\n> three"), R"(quote(p("one" ~ "two") p("three")))");
  EXPECT_EQ(parsed("> outer\n>> inner"), R"(quote(p("outer") quote(p("inner"))))");
  EXPECT_EQ(parsed("> - item\n> # head"), R"(quote(ul[li(p("item"))] h1("head")))");
  EXPECT_EQ(parsed(">"), "");
}

TEST(ParseMarkdown, ThematicBreaks) {
  EXPECT_EQ(parsed("a\n\n* * *\n\nb\n\n---\n\n___\n\n****"), R"(p("a") hr p("b") hr hr hr)");
}

TEST(ParseMarkdown, Tables) {
  EXPECT_EQ(parsed("| Name | Age |\n|:-----|----:|\n| *Mira* | 12 |\n| Ravi | |"),
            R"(table[h: "Name" | "Age" ; em("Mira") | "12" ; "Ravi" | ])");
  // A pipe inside a cell is escaped, in code spans too (GitHub's rule).
  EXPECT_EQ(parsed("a | b\n--|--\nc \\| d | `e\\|f`"), R"(table[h: "a" | "b" ; "c | d" | `e|f`])");
  EXPECT_EQ(parsed("a | b\n--|--\n`c|d`"), R"(table[h: "a" | "b" ; "`c" | "d`"])");
  // Rows are as wide as the header.
  EXPECT_EQ(parsed("|a|\n|-|\n|b|c|"), R"(table[h: "a" ; "b"])");
  EXPECT_EQ(parsed("Not | a table\nbecause no delimiter row"),
            R"(p("Not | a table" ~ "because no delimiter row"))");
}

TEST(ParseMarkdown, RawHtmlIsLiteralText) {
  EXPECT_EQ(parsed("Hello <script>alert(1)</script> & <b>bold</b>"),
            R"(p("Hello <script>alert(1)</script> & <b>bold</b>"))");
  EXPECT_EQ(parsed("<div class=\"x\">\n<p>inside</p>\n</div>"),
            R"(p("<div class="x">" ~ "<p>inside</p>" ~ "</div>"))");
  EXPECT_EQ(parsed("<script>\nalert(1)\n\nmore\n</script>\n\nAfter."),
            R"-(p("<script>" ~ "alert(1)") p("more" ~ "</script>") p("After."))-");
  EXPECT_EQ(parsed("<!-- a comment -->"), R"(p("<!-- a comment -->"))");
  EXPECT_EQ(parsed("# <h1>\n\n*<em>*"), R"(h1("<h1>") p(em("<em>")))");
}

TEST(ParseMarkdown, EntitiesAreDecoded) {
  EXPECT_EQ(parsed("&amp; &lt;b&gt; &copy; &#8212; &nope;"), R"(p("& <b> © — &nope;"))");
}

TEST(ParseMarkdown, SmartPunctuationIsOff) {
  EXPECT_EQ(parsed("\"quoted\" -- it's ..."), R"(p(""quoted" -- it's ..."))");
}

TEST(ParseMarkdown, UnicodeIsKeptIntact) {
  const std::string text =
      "Dragons 🐉🔥 and families 👨‍👩‍👧 👋🏽 मीरा ने दीपक "
      "जलाया। "
      "क्षत्रिय "
      "שלום עולם مرحبا بالعالم 東京";
  EXPECT_EQ(parsed(text), "p(\"" + text + "\")");
  EXPECT_EQ(parsed("*नमस्ते* **مرحبا**"), R"(p(em("नमस्ते") " " strong("مرحبا")))");
}

TEST(ParseMarkdown, InvalidUtf8IsReplaced) {
  EXPECT_EQ(parsed("ok \xE0\xA4 cut \xFF end"), "p(\"ok \xEF\xBF\xBD cut \xEF\xBF\xBD end\")");
  EXPECT_EQ(parsed(std::string_view{"nul\0byte", 8}),
            "p(\"nul\xEF\xBF\xBD"
            "byte\")");
}

TEST(ParseMarkdown, DeeplyNestedQuotesAreFlattenedAtEightLevels) {
  const document d = parse_markdown(std::string(100000, '>') + " deep");
  int depth = 0;
  const std::vector<block>* level = &d.blocks;
  while (level->size() == 1 && level->front().type == block::kind::quote) {
    ++depth;
    level = &level->front().children;
  }
  EXPECT_EQ(depth, 8);
  EXPECT_EQ(test_util::dump(document{*level}), R"(p("deep"))");
}

TEST(ParseMarkdown, DeeplyNestedListsKeepTheirText) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += std::string(static_cast<std::size_t>(i) * 2, ' ') + "- x\n";
  const std::string out = parsed(text);
  EXPECT_EQ(test_util::count_of(out, "\"x\""), 50u);
  EXPECT_LE(test_util::count_of(out, "ul["), 8u);
}

TEST(ParseMarkdown, DeeplyNestedEmphasisKeepsItsText) {
  const std::string stars(4000, '*');
  const std::string out = parsed(stars + "x" + stars);
  EXPECT_NE(out.find("\"x\""), std::string::npos);
  EXPECT_LE(test_util::count_of(out, "strong("), 16u);
}

TEST(ParseMarkdown, FiveMegabyteChapterParses) {
  std::string text;
  const std::string paragraph =
      "She walked *slowly* through the **old** town, and the_lamps_glowed <softly> & warmly.\n"
      "Another line of the same [paragraph](https://example.org).\n\n"
      "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted\n\n- item\n\n";
  constexpr std::size_t five_megabytes = std::size_t{5} << 20;
  while (text.size() < five_megabytes) text += paragraph;
  const document d = parse_markdown(text);
  EXPECT_GT(d.blocks.size(), five_megabytes / paragraph.size() * 4);
}

TEST(ParseMarkdown, HugeRowsOfPipesStayText) {
  // cmark-gfm splits table rows in quadratic time; such a text is parsed without tables.
  std::string wide;
  for (int i = 0; i < 200000; ++i) wide += "a|";
  std::string delimiter;
  for (int i = 0; i < 200000; ++i) delimiter += "-|";
  const document d = parse_markdown(wide + "\n" + delimiter + "\n");
  ASSERT_EQ(d.blocks.size(), 1u);
  EXPECT_EQ(d.blocks[0].type, block::kind::paragraph);
  // Narrow tables elsewhere in a normal text still work.
  EXPECT_EQ(parsed("a|b\n-|-\n" + std::string(64, '|')), R"(table[h: "a" | "b" ;  | ])");
}

TEST(PlainText, JoinsTextOfAllInlines) {
  const document d = parse_markdown("A *b* **c `d`** [e](f)\ng");
  ASSERT_EQ(d.blocks.size(), 1u);
  EXPECT_EQ(plain_text(d.blocks[0].content), "A b c d e g");
}

}  // namespace
}  // namespace lekhika::publishing
