// Chapter content as the HTML, text and Markdown exporters show it: parsed once by
// compile_book, rendered from the model by each exporter.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "document_dump.hpp"
#include "publishing_test_util.hpp"

namespace lekhika::publishing {
namespace {

using test_util::chapter_html;
using test_util::chapter_text;
using test_util::export_as;
using test_util::make_chapter;

// The Markdown the md exporter writes for one chapter's content (after its heading).
std::string chapter_markdown(std::string content) {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter("T", std::move(content)));
  const std::string md =
      export_as(compile_book(nlohmann::json::object(), std::move(chapters)), "md");
  const std::string start = "## Chapter 1: T\n";
  const std::size_t from = md.find(start);
  if (from == std::string::npos) {
    ADD_FAILURE() << "no chapter in:\n" << md;
    return {};
  }
  std::string body = md.substr(from + start.size());
  if (body.starts_with('\n')) body.erase(0, 1);
  if (body.ends_with('\n')) body.pop_back();
  return body;
}

// The chapter body compile_book makes of `content`, as a dump.
std::string body_of(std::string content) {
  const book b = compile_book(nlohmann::json::object(), {make_chapter("T", std::move(content))});
  return test_util::dump(b.bodies.at(0));
}

// True when every tag is one the exporter writes for inline content and they nest properly.
bool tags_well_formed(std::string_view html) {
  std::vector<std::string_view> open;
  for (std::size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
    const std::size_t end = html.find('>', i);
    if (end == std::string_view::npos) return false;
    const std::string_view tag = html.substr(i + 1, end - i - 1);
    if (tag == "p" || tag == "em" || tag == "strong" || tag == "code") {
      open.push_back(tag);
    } else if (tag == "/p" || tag == "/em" || tag == "/strong" || tag == "/code") {
      if (open.empty() || open.back() != tag.substr(1)) return false;
      open.pop_back();
    } else if (tag != "br") {
      return false;
    }
  }
  return open.empty();
}

TEST(RenderHtml, ParagraphsAndLineBreaks) {
  EXPECT_EQ(chapter_html("One.\n\nTwo.\n\n\n\nThree."),
            "<p>One.</p>\n<p>Two.</p>\n<p>Three.</p>\n");
  EXPECT_EQ(chapter_html("one\ntwo  \n   three"), "<p>one\ntwo<br>\nthree</p>\n");
  EXPECT_EQ(chapter_html("one\r\ntwo\r\n\r\n- item\r\n"),
            "<p>one\ntwo</p>\n<ul>\n<li>item</li>\n</ul>\n");
}

TEST(RenderHtml, HeadingsRenderOneLevelBelowTheChapterHeading) {
  EXPECT_EQ(chapter_html("# A\n## B\n### C\n#### D\n####### E"),
            "<h3>A</h3>\n<h4>B</h4>\n<h5>C</h5>\n<h6>D</h6>\n<p>####### E</p>\n");
  // Models often start their sections at "##"; the shallowest one used is still one level
  // below the chapter heading, and nothing goes deeper than h6.
  EXPECT_EQ(chapter_html("## A\n### B\n###### F"), "<h3>A</h3>\n<h4>B</h4>\n<h6>F</h6>\n");
  EXPECT_EQ(chapter_html("text\n## Head\nmore"), "<p>text</p>\n<h3>Head</h3>\n<p>more</p>\n");
}

TEST(RenderHtml, InlineFormatting) {
  EXPECT_EQ(chapter_html("*a* **b** ***c*** `x < y`"),
            "<p><em>a</em> <strong>b</strong> <em><strong>c</strong></em> "
            "<code>x &lt; y</code></p>\n");
  EXPECT_EQ(chapter_html("snake_case and 5 * 3"), "<p>snake_case and 5 * 3</p>\n");
}

TEST(RenderHtml, OnlyFollowableLinksAreLinks) {
  EXPECT_EQ(chapter_html("[web](https://example.org/?a=1&b=\"2\") [mail](mailto:a@b.c) "
                         "[js](javascript:alert(1)) [rel](notes.html) [top](#chapter-1)"),
            "<p><a href=\"https://example.org/?a=1&amp;b=&quot;2&quot;\">web</a> "
            "<a href=\"mailto:a@b.c\">mail</a> js rel <a href=\"#chapter-1\">top</a></p>\n");
}

TEST(RenderHtml, Lists) {
  EXPECT_EQ(chapter_html("- one\n* two\n\n3. three\n4. four"),
            "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
            "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>\n");
  EXPECT_EQ(chapter_html("- a\n  - b\n- c"),
            "<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul>\n</li>\n<li>c</li>\n</ul>\n");
  EXPECT_EQ(chapter_html("1. first\n\n   more\n2. second"),
            "<ol>\n<li>\n<p>first</p>\n<p>more</p>\n</li>\n<li>second</li>\n</ol>\n");
}

TEST(RenderHtml, QuotesCodeAndSceneBreaks) {
  EXPECT_EQ(chapter_html("> one\n> two\n>\n> three"),
            "<blockquote>\n<p>one\ntwo</p>\n<p>three</p>\n</blockquote>\n");
  EXPECT_EQ(chapter_html("```\nif (a < b) {}\n```"), "<pre><code>if (a &lt; b) {}</code></pre>\n");
  EXPECT_EQ(chapter_html("a\n\n* * *\n\nb"), "<p>a</p>\n<hr>\n<p>b</p>\n");
}

TEST(RenderHtml, Tables) {
  EXPECT_EQ(chapter_html("| A | B |\n|---|---|\n| *1* | <2> |\n| 3 |"),
            "<table>\n<thead>\n<tr><th>A</th><th>B</th></tr>\n</thead>\n<tbody>\n"
            "<tr><td><em>1</em></td><td>&lt;2&gt;</td></tr>\n<tr><td>3</td><td></td></tr>\n"
            "</tbody>\n</table>\n");
}

TEST(RenderHtml, IndentedTextIsNotCode) {
  EXPECT_EQ(chapter_html("    indented <code>"), "<p>indented &lt;code&gt;</p>\n");
}

TEST(RenderHtml, RandomDelimiterSoupStaysWellFormed) {
  std::mt19937 rng{12345};
  const std::string_view alphabet = "*_ ab.\\`<>&";
  std::uniform_int_distribution<std::size_t> pick{0, alphabet.size() - 1};
  std::uniform_int_distribution<int> length{1, 40};
  for (int round = 0; round < 2000; ++round) {
    std::string text = "x";
    for (int i = length(rng); i > 0; --i) text += alphabet[pick(rng)];
    const std::string html = chapter_html(text + "x");
    EXPECT_TRUE(tags_well_formed(html)) << text << "\n" << html;
  }
}

TEST(RenderText, RemovesMarkupAndUnderlinesHeadings) {
  EXPECT_EQ(chapter_text("## A *Heading*\n\nSome **bold** and _em_ text,\nsnake_case kept, 5 * 3."),
            "A Heading\n---------\n\nSome bold and em text, snake_case kept, 5 * 3.");
}

TEST(RenderText, ListsQuotesAndSceneBreaks) {
  EXPECT_EQ(chapter_text("- one\n* two\n\n3. three\n4. four\n\n> said\n>\n> twice\n\n---\n\nend"),
            "- one\n- two\n\n3. three\n4. four\n\n    said\n\n    twice\n\n* * *\n\nend");
  EXPECT_EQ(chapter_text("- a\n  - b\n    continued\n- c"), "- a\n  - b continued\n- c");
  EXPECT_EQ(chapter_text("10. ten\n\n    more\n11. eleven"), "10. ten\n\n    more\n\n11. eleven");
}

TEST(RenderText, TablesCodeLinksAndBreaks) {
  EXPECT_EQ(chapter_text("| A | B |\n|---|---|\n| 1 | two words |"), "A\tB\n1\ttwo words");
  EXPECT_EQ(chapter_text("```\nline 1\n\n  line 3\n```"), "    line 1\n\n      line 3");
  EXPECT_EQ(chapter_text("[site](https://example.org), <https://example.org>, [top](#x)"),
            "site (https://example.org), https://example.org, top");
  EXPECT_EQ(chapter_text("one\\\ntwo"), "one\ntwo");
}

TEST(RenderText, KeepsHtmlLikeTextAsIs) {
  EXPECT_EQ(chapter_text("<b>bold</b> & \"q\""), "<b>bold</b> & \"q\"");
}

TEST(RenderMarkdown, WritesCleanMarkdown) {
  EXPECT_EQ(chapter_markdown("# Part\n\nText *em* and __strong__.\n\n+ a\n+ b\n\n>quote"),
            "### Part\n\nText *em* and **strong**.\n\n- a\n- b\n\n> quote");
  EXPECT_EQ(chapter_markdown("| A | B |\n|:-|-:|\n| 1 | x \\| y |"),
            "| A | B |\n| --- | --- |\n| 1 | x \\| y |");
  EXPECT_EQ(chapter_markdown("~~~\n```\n~~~"), "````\n```\n````");
  EXPECT_EQ(chapter_markdown("1. a\n\n   b\n2. c"), "1. a\n\n   b\n\n2. c");
}

TEST(RenderMarkdown, EscapesTextThatWouldBeMarkup) {
  EXPECT_EQ(chapter_markdown("\\# not a heading \\*nor em\\* <b> [x] `a`\n\n\\- no list"),
            "\\# not a heading \\*nor em\\* \\<b> \\[x\\] `a`\n\n\\- no list");
  EXPECT_EQ(chapter_markdown("1986\\. A year.\n\nAT&amp;T \\&amp;"),
            "1986\\. A year.\n\nAT\\&T \\&amp;");
  EXPECT_EQ(chapter_markdown("5 * 3 and snake_case"), "5 * 3 and snake_case");
}

// Whatever a chapter holds, book.md reads back as the same book.
TEST(RenderMarkdown, ReadsBackAsTheSameBody) {
  const std::vector<std::string> contents = {
      "Plain *em* **strong** ***both*** `code` and `` a`b `` text.",
      "# Top\n\n## Sub\n\n### Subsub\n\nText",
      "Line one\nline two  \nline three\\\nfour",
      "- a\n- b\n\n* c\n\n1. x\n2. y\n\n1) z\n\n7. seven",
      "- a\n  - b\n    - c\n      1. d\n- e\n\n  second paragraph of e",
      "> quote\n>\n> > nested\n> - list in quote\n\nafter",
      "Text\n\n```\ncode ``` with fences\n\n  indented\n```\n\n* * *",
      "| a | b |\n|---|---|\n| *c* | `d\\|e` |\n| f |",
      "5 * 3 _ x_y \\* \\_ \\\\ \\` \\[ \\] \\< > & &amp; &copy; # 1. - + = ~ | ! [ ] ( )",
      "\\# h\n\n\\> q\n\n\\- l\n\n\\+ l\n\n1\\. n\n\n2\\) n\n\n\\=\\=\\=\n\n\\~~~\n\n\\```",
      "Text\n\\---\n\nText\n\\===",
      "<div>raw</div>\n\n<script>alert('x')</script> and <b>inline</b>",
      "[link *em*](https://example.org/a_b?c=d&e=f) [x](<a b>) [y](\\<z\\>)",
      "Emoji 🐉🔥👨‍👩‍👧, नमस्ते *दुनिया*",
      "שלום, مرحبا **بالعالم**",
      "1. one\n   ```\n   code\n   ```\n2. two\n\n   > quoted",
      "-\n- x\n-",
      "a\n\n    indented *prose*\n\nb",
  };
  for (const std::string& content : contents) {
    const std::string md = chapter_markdown(content);
    EXPECT_EQ(body_of(md), body_of(content)) << "content:\n" << content << "\nmarkdown:\n" << md;
  }
}

TEST(RenderMarkdown, RandomTextReadsBackAsTheSameBody) {
  std::mt19937 rng{2024};
  const std::string_view alphabet = "*_ ab1.)\\`<>&#-+=~|![]()\n\n";
  std::uniform_int_distribution<std::size_t> pick{0, alphabet.size() - 1};
  std::uniform_int_distribution<int> length{1, 60};
  for (int round = 0; round < 3000; ++round) {
    std::string content;
    for (int i = length(rng); i > 0; --i) content += alphabet[pick(rng)];
    const std::string md = chapter_markdown(content);
    EXPECT_EQ(body_of(md), body_of(content)) << "content:\n" << content << "\nmarkdown:\n" << md;
  }
}

}  // namespace
}  // namespace lekhika::publishing
