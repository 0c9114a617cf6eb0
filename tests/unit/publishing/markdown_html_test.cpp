// The small Markdown converter, seen through the HTML and text exporters.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "publishing_test_util.hpp"

namespace lekhika::publishing {
namespace {

using test_util::chapter_html;
using test_util::chapter_text;

// True when every <em>/<strong> is closed in order and no other tag appears.
bool tags_well_formed(std::string_view html) {
  std::vector<std::string_view> open;
  for (std::size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
    const std::size_t end = html.find('>', i);
    if (end == std::string_view::npos) return false;
    const std::string_view tag = html.substr(i + 1, end - i - 1);
    if (tag == "p" || tag == "em" || tag == "strong") {
      open.push_back(tag);
    } else if (tag == "/p" || tag == "/em" || tag == "/strong") {
      if (open.empty() || open.back() != tag.substr(1)) return false;
      open.pop_back();
    } else {
      return false;
    }
  }
  return open.empty();
}

TEST(MarkdownHtml, ParagraphsAreSeparatedByBlankLines) {
  EXPECT_EQ(chapter_html("One.\n\nTwo.\n\n\n\nThree."),
            "<p>One.</p>\n<p>Two.</p>\n<p>Three.</p>\n");
}

TEST(MarkdownHtml, LineBreaksInsideAParagraphBecomeSpaces) {
  EXPECT_EQ(chapter_html("one\ntwo  \n   three"), "<p>one two three</p>\n");
}

TEST(MarkdownHtml, HeadingsRenderOneLevelBelowTheChapterHeading) {
  EXPECT_EQ(chapter_html("# A\n## B\n### C\n#### D\n####### E\n#hashtag"),
            "<h3>A</h3>\n<h4>B</h4>\n<h5>C</h5>\n<h6>D</h6>\n<p>####### E #hashtag</p>\n");
  // Models often start their sections at "##"; the shallowest one used is still one level
  // below the chapter heading, and nothing goes deeper than h6.
  EXPECT_EQ(chapter_html("## A\n### B\n###### F"), "<h3>A</h3>\n<h4>B</h4>\n<h6>F</h6>\n");
  EXPECT_EQ(chapter_html("## Closed ##"), "<h3>Closed</h3>\n");
  EXPECT_EQ(chapter_html("### C#"), "<h3>C#</h3>\n");
  EXPECT_EQ(chapter_html("#"), "");
  EXPECT_EQ(chapter_html("## A\n\n> # Quoted"),
            "<h3>A</h3>\n<blockquote>\n<h3>Quoted</h3>\n</blockquote>\n");
}

TEST(MarkdownHtml, HeadingInterruptsAParagraph) {
  EXPECT_EQ(chapter_html("text\n# Head\nmore"), "<p>text</p>\n<h3>Head</h3>\n<p>more</p>\n");
}

TEST(MarkdownHtml, EmphasisAndStrong) {
  EXPECT_EQ(chapter_html("*a* _b_ **c** __d__ ***e***"),
            "<p><em>a</em> <em>b</em> <strong>c</strong> <strong>d</strong> "
            "<strong><em>e</em></strong></p>\n");
  EXPECT_EQ(chapter_html("**bold *and em***"), "<p><strong>bold <em>and em</em></strong></p>\n");
  EXPECT_EQ(chapter_html("*em **and bold***"), "<p><em>em <strong>and bold</strong></em></p>\n");
  EXPECT_EQ(chapter_html("in*side*word"), "<p>in<em>side</em>word</p>\n");
  EXPECT_EQ(chapter_html("***a** b*"), "<p><em><strong>a</strong> b</em></p>\n");
  EXPECT_EQ(chapter_html("***a* b**"), "<p><strong><em>a</em> b</strong></p>\n");
  EXPECT_EQ(chapter_html("“*quoted*”"), "<p>“<em>quoted</em>”</p>\n");
}

TEST(MarkdownHtml, UnderscoresInsideWordsAreLiteral) {
  EXPECT_EQ(chapter_html("snake_case_name and __init__"),
            "<p>snake_case_name and <strong>init</strong></p>\n");
  EXPECT_EQ(chapter_html("file_name_"), "<p>file_name_</p>\n");
}

TEST(MarkdownHtml, LoneDelimitersStayLiteral) {
  EXPECT_EQ(chapter_html("5 * 3 = 15 and ** nothing ** here"),
            "<p>5 * 3 = 15 and ** nothing ** here</p>\n");
  EXPECT_EQ(chapter_html("*unclosed and **also"), "<p>*unclosed and **also</p>\n");
  EXPECT_EQ(chapter_html("****"), "<hr>\n");
  EXPECT_EQ(chapter_html("a **** b"), "<p>a **** b</p>\n");
}

TEST(MarkdownHtml, CrossedDelimitersStayWellFormed) {
  const std::string html = chapter_html("*a **b* c**");
  EXPECT_TRUE(tags_well_formed(html)) << html;
  EXPECT_EQ(html, "<p><em>a **b</em> c**</p>\n");
}

TEST(MarkdownHtml, RandomDelimiterSoupStaysWellFormed) {
  std::mt19937 rng{12345};
  const std::string_view alphabet = "*_ ab.\\";
  std::uniform_int_distribution<std::size_t> pick{0, alphabet.size() - 1};
  std::uniform_int_distribution<int> length{1, 40};
  for (int round = 0; round < 3000; ++round) {
    std::string text = "x";
    for (int i = length(rng); i > 0; --i) text += alphabet[pick(rng)];
    const std::string html = chapter_html(text + "x");
    EXPECT_TRUE(tags_well_formed(html)) << text << "\n" << html;
  }
}

TEST(MarkdownHtml, BackslashEscapesKeepMarkersLiteral) {
  EXPECT_EQ(chapter_html("\\*not em\\* and a\\\\b"), "<p>*not em* and a\\b</p>\n");
}

TEST(MarkdownHtml, BulletLists) {
  EXPECT_EQ(chapter_html("- one\n* two\n+ three"),
            "<ul>\n<li>one</li>\n<li>two</li>\n<li>three</li>\n</ul>\n");
  EXPECT_EQ(chapter_html("- one\n  continued\n\n- two\n\nafter"),
            "<ul>\n<li>one continued</li>\n<li>two</li>\n</ul>\n<p>after</p>\n");
  EXPECT_EQ(chapter_html("- *em* item"), "<ul>\n<li><em>em</em> item</li>\n</ul>\n");
}

TEST(MarkdownHtml, OrderedLists) {
  EXPECT_EQ(chapter_html("1. one\n2. two"), "<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n");
  EXPECT_EQ(chapter_html("3. three\n4. four"),
            "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>\n");
  EXPECT_EQ(chapter_html("- a\n1. b"), "<ul>\n<li>a</li>\n</ul>\n<ol>\n<li>b</li>\n</ol>\n");
}

TEST(MarkdownHtml, OnlyAListStartingAtOneInterruptsAParagraph) {
  EXPECT_EQ(chapter_html("It was cold in\n1984. Nobody came."),
            "<p>It was cold in 1984. Nobody came.</p>\n");
  EXPECT_EQ(chapter_html("Steps:\n1. go"), "<p>Steps:</p>\n<ol>\n<li>go</li>\n</ol>\n");
}

TEST(MarkdownHtml, BlockQuotes) {
  EXPECT_EQ(chapter_html("> one\n> two\n>\n> three"),
            "<blockquote>\n<p>one two</p>\n<p>three</p>\n</blockquote>\n");
  EXPECT_EQ(chapter_html("> outer\n>> inner"),
            "<blockquote>\n<p>outer</p>\n<blockquote>\n<p>inner</p>\n</blockquote>\n"
            "</blockquote>\n");
  EXPECT_EQ(chapter_html(">"), "");
}

TEST(MarkdownHtml, DeeplyNestedQuotesAreBounded) {
  const std::string html = chapter_html(std::string(100000, '>') + " deep");
  EXPECT_EQ(test_util::count_of(html, "<blockquote>"), 8u);
  EXPECT_NE(html.find("deep</p>"), std::string::npos);
}

TEST(MarkdownHtml, SceneBreaks) {
  EXPECT_EQ(chapter_html("a\n\n* * *\n\nb\n---\nc"), "<p>a</p>\n<hr>\n<p>b</p>\n<hr>\n<p>c</p>\n");
}

TEST(MarkdownHtml, WindowsLineEndings) {
  EXPECT_EQ(chapter_html("one\r\ntwo\r\n\r\n- item\r\n"),
            "<p>one two</p>\n<ul>\n<li>item</li>\n</ul>\n");
}

TEST(MarkdownHtml, IndentedTextIsNotCode) {
  EXPECT_EQ(chapter_html("    indented <code>"), "<p>indented &lt;code&gt;</p>\n");
}

TEST(MarkdownText, RemovesEmphasisMarkersAndHeadingHashes) {
  EXPECT_EQ(chapter_text("## A *Heading*\n\nSome **bold** and _em_ text,\nsnake_case kept, 5 * 3."),
            "A Heading\n\nSome bold and em text, snake_case kept, 5 * 3.");
}

TEST(MarkdownText, KeepsListsQuotesAndSceneBreaksReadable) {
  EXPECT_EQ(chapter_text("- one\n* two\n\n3. three\n4. four\n\n> said\n>\n> twice\n\n---\n\nend"),
            "- one\n- two\n\n3. three\n4. four\n\n> said\n>\n> twice\n\n* * *\n\nend");
}

TEST(MarkdownText, KeepsHtmlLikeTextAsIs) {
  EXPECT_EQ(chapter_text("<b>bold</b> & \"q\""), "<b>bold</b> & \"q\"");
}

}  // namespace
}  // namespace lekhika::publishing
