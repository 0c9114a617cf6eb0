// book.html: one self-contained HTML5 document (no external files, no scripts), readable on
// screen and printable. Every piece of book text is escaped before markup is added.

#include <array>
#include <string>
#include <string_view>

#include "export_detail.hpp"
#include "markdown_html.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail {
namespace {

// Chapter headings are <h2>, so the headings inside a chapter start at <h3>.
constexpr int content_top_heading = 3;

// Book typography: a serif text column of comfortable measure, per-paragraph bidi so Arabic or
// Hebrew passages read right-to-left inside a left-to-right book, and page breaks for print.
constexpr std::string_view stylesheet = R"css(:root { color-scheme: light; }
html { font-size: 112.5%; -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0 auto;
  max-width: 42em;
  padding: 2.5em 1.5em 4em;
  font-family: "Iowan Old Style", "Palatino Linotype", Palatino, Georgia, "Noto Serif",
    "Noto Serif Devanagari", "Times New Roman", serif;
  line-height: 1.65;
  color: #222;
  background: #fffefa;
  overflow-wrap: break-word;
  hyphens: auto;
}
h1, h2, h3, h4, h5, h6 {
  font-weight: normal;
  line-height: 1.25;
  hyphens: manual;
  break-after: avoid;
  page-break-after: avoid;
}
h1, h2, h3, h4, h5, h6, p, li, blockquote { unicode-bidi: plaintext; }
h3 { font-size: 1.25em; margin: 2em 0 0.75em; }
h4, h5, h6 { font-size: 1.05em; font-style: italic; margin: 1.5em 0 0.5em; }
p { margin: 0 0 1em; text-align: start; orphans: 3; widows: 3; }
ul, ol { margin: 0 0 1em; padding-inline-start: 1.75em; }
li { margin: 0.25em 0; }
blockquote { margin: 1.5em 2em; font-style: italic; color: #444; }
hr { border: 0; margin: 2em 0; text-align: center; }
hr::after { content: "* * *"; letter-spacing: 0.6em; color: #666; }
a { color: inherit; }
.title-page { text-align: center; margin: 4em 0 5em; }
.title-page h1 { font-size: 2.5em; margin: 0 0 0.5em; }
.title-page .subtitle { font-size: 1.3em; font-style: italic; margin: 0 0 2.5em; }
.title-page .author { font-size: 1.15em; letter-spacing: 0.05em; }
nav.toc { margin: 0 0 4em; }
nav.toc ol { list-style: none; padding: 0; }
nav.toc li { margin: 0.4em 0; }
nav.toc a { text-decoration: none; }
nav.toc a:hover, nav.toc a:focus { text-decoration: underline; }
nav.toc h2, section > h2 { font-size: 1.6em; text-align: center; margin: 2.5em 0 1.5em; }
section { margin: 0 0 4em; }
@page { margin: 2.5cm 2cm; }
@media print {
  html { font-size: 11pt; }
  body { max-width: none; padding: 0; background: none; color: #000; }
  .title-page { margin: 30% 0 0; }
  nav.toc, section { break-before: page; page-break-before: always; }
  a { text-decoration: none; }
}
)css";

// Scripts written right to left; a book in one of them gets dir="rtl" on the whole document.
constexpr std::array rtl_languages = std::to_array<std::string_view>(
    {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "ug", "ur", "yi"});

[[nodiscard]] bool is_rtl(std::string_view tag) {
  const std::string primary = to_lower_ascii(tag.substr(0, tag.find('-')));
  for (std::string_view code : rtl_languages) {
    if (code == primary) return true;
  }
  return false;
}

void append_front_matter(std::string& out, std::string_view id, std::string_view heading,
                         std::string_view markdown) {
  markdown = trim(markdown);
  if (markdown.empty()) return;
  out += "<section class=\"front-matter\" id=\"";
  out += id;
  out += "\">\n<h2>";
  out += heading;
  out += "</h2>\n";
  append_markdown_html(out, markdown, content_top_heading);
  out += "</section>\n";
}

}  // namespace

std::string render_html(const book& b) {
  const std::string title = display_title(b);
  const std::string subtitle = one_line(b.subtitle);
  const std::string author = one_line(b.author);
  const std::string lang = language_tag(b.language);

  std::string out;
  out.reserve(estimated_size(b) + stylesheet.size());

  out += "<!DOCTYPE html>\n<html lang=\"";
  append_html_escaped(out, lang);
  out += is_rtl(lang) ? "\" dir=\"rtl\">\n" : "\">\n";
  out += "<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  append_html_escaped(out, title);
  out += "</title>\n";
  if (!author.empty()) {
    out += "<meta name=\"author\" content=\"";
    append_html_escaped(out, author);
    out += "\">\n";
  }
  out += "<style>\n";
  out += stylesheet;
  out += "</style>\n</head>\n<body>\n";

  out += "<header class=\"title-page\">\n<h1>";
  append_html_escaped(out, title);
  out += "</h1>\n";
  if (!subtitle.empty()) {
    out += "<p class=\"subtitle\">";
    append_html_escaped(out, subtitle);
    out += "</p>\n";
  }
  if (!author.empty()) {
    out += "<p class=\"author\">by ";
    append_html_escaped(out, author);
    out += "</p>\n";
  }
  out += "</header>\n";

  if (b.about_author_first) {
    append_front_matter(out, "about-the-author", "About the Author", b.about_author);
  }

  if (!b.chapters.empty()) {
    out += "<nav class=\"toc\" aria-labelledby=\"toc-heading\">\n";
    out += "<h2 id=\"toc-heading\">Table of Contents</h2>\n<ol>\n";
    for (const auto& c : b.chapters) {
      out += "<li><a href=\"#";
      out += chapter_anchor(c);
      out += "\">";
      append_html_escaped(out, chapter_heading(c));
      out += "</a></li>\n";
    }
    out += "</ol>\n</nav>\n";
  }

  append_front_matter(out, "foreword", "Foreword", b.foreword);
  append_front_matter(out, "introduction", "Introduction", b.introduction);

  if (!b.chapters.empty()) {
    out += "<main>\n";
    for (const auto& c : b.chapters) {
      out += "<section id=\"";
      out += chapter_anchor(c);
      out += "\">\n<h2>";
      append_html_escaped(out, chapter_heading(c));
      out += "</h2>\n";
      append_markdown_html(out, c.content, content_top_heading);
      out += "</section>\n";
    }
    out += "</main>\n";
  }

  if (!b.about_author_first) {
    append_front_matter(out, "about-the-author", "About the Author", b.about_author);
  }

  out += "</body>\n</html>\n";
  return out;
}

}  // namespace lekhika::publishing::detail
