// book.html: one self-contained HTML5 document (no external files, no scripts), readable on
// screen and printable, written from the parsed model. Every piece of book text is escaped
// before markup is added, so text that looks like HTML in a chapter stays text.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "export_detail.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail {
namespace {

// Chapter headings are <h2>, so the headings inside a chapter start at <h3>.
constexpr int content_top_heading = 3;

// The fixed part of the stylesheet: a text column of comfortable measure, per-paragraph bidi
// so Arabic or Hebrew passages read right-to-left inside a left-to-right book, and page breaks
// for print. typography_css() adds the book's own fonts, sizes and page.
constexpr std::string_view stylesheet = R"css(:root { color-scheme: light; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0 auto;
  max-width: 42em;
  padding: 2.5em 1.5em 4em;
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
h1, h2, h3, h4, h5, h6, p, li, blockquote, th, td { unicode-bidi: plaintext; }
h3 { font-size: 1.25em; margin: 2em 0 0.75em; }
h4, h5, h6 { font-size: 1.05em; font-style: italic; margin: 1.5em 0 0.5em; }
p { margin: 0 0 1em; text-align: start; orphans: 3; widows: 3; }
ul, ol { margin: 0 0 1em; padding-inline-start: 1.75em; }
li { margin: 0.25em 0; }
li > ul, li > ol { margin: 0.25em 0 0; }
blockquote { margin: 1.5em 2em; font-style: italic; color: #444; }
hr { border: 0; margin: 2em 0; text-align: center; }
hr::after { content: "* * *"; letter-spacing: 0.6em; color: #666; }
a { color: inherit; }
code, pre { font-family: "DejaVu Sans Mono", "Noto Sans Mono", monospace; font-size: 0.85em; }
pre { margin: 0 0 1em; white-space: pre-wrap; }
table { border-collapse: collapse; margin: 0 0 1em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: start; vertical-align: top; }
th { font-weight: bold; }
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
@media print {
  body { max-width: none; padding: 0; background: none; color: #000; }
  .title-page { margin: 30% 0 0; }
  nav.toc, section { break-before: page; page-break-before: always; }
  a { text-decoration: none; }
}
)css";

// On screen, text set at 11pt reads small; the book's size is scaled so that 11pt shows at
// the browsers' comfortable 112.5% (18px), and print uses the size as given.
constexpr double screen_percent_per_pt = 112.5 / 11.0;

// CSS generic families are keywords; every other name is quoted.
constexpr std::array generic_families = std::to_array<std::string_view>(
    {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "ui-serif",
     "ui-sans-serif", "ui-monospace", "ui-rounded", "math", "emoji", "fangsong"});

// "1.5", "12", "112.5": at most two decimals and no trailing zeros, for CSS values.
[[nodiscard]] std::string css_number(double value) {
  const auto hundredths = std::llround(value * 100.0);
  std::string out = std::to_string(hundredths / 100);
  if (const auto fraction = hundredths % 100; fraction != 0) {
    out += '.';
    out += static_cast<char>('0' + fraction / 10);
    if (fraction % 10 != 0) out += static_cast<char>('0' + fraction % 10);
  }
  return out;
}

// A font-family value from a CSS-like list. compile_book already sanitised the names, but a
// book can be put together by hand, and this text ends up inside <style>.
[[nodiscard]] std::string css_font_family(std::string_view list, std::string_view fallback) {
  std::string out;
  for (const std::string& name : font_family_names(list)) {
    if (!out.empty()) out += ", ";
    const std::string lower = to_lower_ascii(name);
    const bool generic = std::find(generic_families.begin(), generic_families.end(), lower) !=
                         generic_families.end();
    if (generic) {
      out += lower;
    } else {
      out += '"';
      out += name;
      out += '"';
    }
  }
  return out.empty() ? std::string{fallback} : out;
}

// The part of the stylesheet the Lekhika form controls: fonts, text size and line height, and
// the printed page.
[[nodiscard]] std::string typography_css(const typography& t) {
  const double size_pt = std::clamp(t.body_size_pt, 6.0, 72.0);
  std::string css;
  css += "html { font-size: ";
  css += css_number(size_pt * screen_percent_per_pt);
  css += "%; }\nbody { font-family: ";
  css += css_font_family(t.body_font, "serif");
  css += "; line-height: ";
  css += css_number(std::clamp(t.line_height, 0.5, 4.0));
  css += "; }\nh1, h2, h3, h4, h5, h6 { font-family: ";
  css += css_font_family(t.heading_font, "serif");
  css += "; }\n@page { size: ";
  css += css_number(std::clamp(t.page_width_mm, 50.0, 1000.0));
  css += "mm ";
  css += css_number(std::clamp(t.page_height_mm, 50.0, 1000.0));
  css += "mm; margin: ";
  css += css_number(std::clamp(t.margin_mm, 0.0, 100.0));
  css += "mm; }\n@media print { html { font-size: ";
  css += css_number(size_pt);
  css += "pt; } }\n";
  return css;
}

// Only links a reader can follow from a file on disk become links: web and mail
// addresses, and anchors in this document. Anything else (javascript:, data:, relative
// paths) stays text.
[[nodiscard]] bool is_followable(std::string_view url) {
  const std::string lower = to_lower_ascii(trim(url));
  return lower.starts_with("https://") || lower.starts_with("http://") ||
         lower.starts_with("mailto:") || (lower.starts_with('#') && lower.size() > 1);
}

void append_inlines(std::string& out, const inlines& content) {
  for (const auto& node : content) {
    switch (node.type) {
      case inline_node::kind::text:
        append_html_escaped(out, node.text);
        break;
      case inline_node::kind::soft_break:
        out += '\n';
        break;
      case inline_node::kind::line_break:
        out += "<br>\n";
        break;
      case inline_node::kind::code:
        out += "<code>";
        append_html_escaped(out, node.text);
        out += "</code>";
        break;
      case inline_node::kind::emphasis:
        out += "<em>";
        append_inlines(out, node.children);
        out += "</em>";
        break;
      case inline_node::kind::strong:
        out += "<strong>";
        append_inlines(out, node.children);
        out += "</strong>";
        break;
      case inline_node::kind::link:
        if (!is_followable(node.url)) {
          append_inlines(out, node.children);
          break;
        }
        out += "<a href=\"";
        append_html_escaped(out, trim(node.url));
        out += "\">";
        append_inlines(out, node.children);
        out += "</a>";
        break;
    }
  }
}

void append_blocks(std::string& out, std::span<const block> blocks);

void append_list_item(std::string& out, const std::vector<block>& item) {
  // An item that is one paragraph (perhaps with sublists) is written without <p>, the way
  // a tight list reads; anything longer keeps its paragraphs.
  const bool simple =
      item.empty() || (item.front().type == block::kind::paragraph &&
                       std::all_of(item.begin() + 1, item.end(), [](const block& b) {
                         return b.type == block::kind::bullet_list ||
                                b.type == block::kind::ordered_list;
                       }));
  if (!simple) {
    out += "<li>\n";
    append_blocks(out, item);
    out += "</li>\n";
    return;
  }
  out += "<li>";
  if (!item.empty()) append_inlines(out, item.front().content);
  if (item.size() > 1) {
    out += '\n';
    append_blocks(out, std::span<const block>{item}.subspan(1));
  }
  out += "</li>\n";
}

void append_table(std::string& out, const block& b) {
  std::size_t columns = 0;
  for (const auto& row : b.rows) columns = std::max(columns, row.size());
  if (columns == 0) return;
  auto append_row = [&](const std::vector<inlines>& row, std::string_view cell_tag) {
    out += "<tr>";
    for (std::size_t c = 0; c < columns; ++c) {
      out += '<';
      out += cell_tag;
      out += '>';
      if (c < row.size()) append_inlines(out, row[c]);
      out += "</";
      out += cell_tag;
      out += '>';
    }
    out += "</tr>\n";
  };
  out += "<table>\n";
  std::size_t next = 0;
  if (b.header_row) {
    out += "<thead>\n";
    append_row(b.rows[next++], "th");
    out += "</thead>\n";
  }
  if (next < b.rows.size()) {
    out += "<tbody>\n";
    for (; next < b.rows.size(); ++next) append_row(b.rows[next], "td");
    out += "</tbody>\n";
  }
  out += "</table>\n";
}

void append_block(std::string& out, const block& b) {
  switch (b.type) {
    case block::kind::paragraph:
      out += "<p>";
      append_inlines(out, b.content);
      out += "</p>\n";
      return;
    case block::kind::heading: {
      const char digit = static_cast<char>(
          '0' + std::clamp(b.level + content_top_heading - 1, content_top_heading, 6));
      out += "<h";
      out += digit;
      out += '>';
      append_inlines(out, b.content);
      out += "</h";
      out += digit;
      out += ">\n";
      return;
    }
    case block::kind::bullet_list:
      out += "<ul>\n";
      for (const auto& item : b.items) append_list_item(out, item);
      out += "</ul>\n";
      return;
    case block::kind::ordered_list:
      if (b.start == 1) {
        out += "<ol>\n";
      } else {
        out += "<ol start=\"";
        out += std::to_string(b.start);
        out += "\">\n";
      }
      for (const auto& item : b.items) append_list_item(out, item);
      out += "</ol>\n";
      return;
    case block::kind::quote:
      if (b.children.empty()) return;
      out += "<blockquote>\n";
      append_blocks(out, b.children);
      out += "</blockquote>\n";
      return;
    case block::kind::code_block:
      out += "<pre><code>";
      append_html_escaped(out, b.text);
      out += "</code></pre>\n";
      return;
    case block::kind::thematic_break:
      out += "<hr>\n";
      return;
    case block::kind::table:
      append_table(out, b);
      return;
  }
}

void append_blocks(std::string& out, std::span<const block> blocks) {
  for (const auto& b : blocks) append_block(out, b);
}

void append_front_matter(std::string& out, std::string_view id, std::string_view heading,
                         const document& body) {
  if (body.empty()) return;
  out += "<section class=\"front-matter\" id=\"";
  out += id;
  out += "\">\n<h2>";
  out += heading;
  out += "</h2>\n";
  append_blocks(out, body.blocks);
  out += "</section>\n";
}

}  // namespace

std::string render_html(const book& b) {
  const std::string title = display_title(b);
  const std::string subtitle = one_line(b.subtitle);
  const std::string author = one_line(b.author);
  const std::string lang = language_tag(b.language);

  std::string out;
  out.reserve(estimated_size(b) + stylesheet.size() + 512);

  out += "<!DOCTYPE html>\n<html lang=\"";
  append_html_escaped(out, lang);
  out += is_right_to_left_language(lang) ? "\" dir=\"rtl\">\n" : "\">\n";
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
  out += typography_css(b.typography);
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

  document about_scratch;
  const document& about = section_body(b.about_author_body, b.about_author, about_scratch);
  if (b.about_author_first) append_front_matter(out, "about-the-author", "About the Author", about);

  if (!b.chapters.empty()) {
    out += "<nav class=\"toc\" aria-labelledby=\"toc-heading\">\n";
    out += "<h2 id=\"toc-heading\">Contents</h2>\n<ol>\n";
    for (const auto& c : b.chapters) {
      out += "<li><a href=\"#";
      out += chapter_anchor(c);
      out += "\">";
      append_html_escaped(out, chapter_heading(c));
      out += "</a></li>\n";
    }
    out += "</ol>\n</nav>\n";
  }

  document scratch;
  append_front_matter(out, "foreword", "Foreword",
                      section_body(b.foreword_body, b.foreword, scratch));
  append_front_matter(out, "introduction", "Introduction",
                      section_body(b.introduction_body, b.introduction, scratch));

  if (!b.chapters.empty()) {
    out += "<main>\n";
    for (std::size_t i = 0; i < b.chapters.size(); ++i) {
      const auto& c = b.chapters[i];
      out += "<section id=\"";
      out += chapter_anchor(c);
      out += "\">\n<h2>";
      append_html_escaped(out, chapter_heading(c));
      out += "</h2>\n";
      append_blocks(out, chapter_body(b, i, scratch).blocks);
      out += "</section>\n";
    }
    out += "</main>\n";
  }

  if (!b.about_author_first) {
    append_front_matter(out, "about-the-author", "About the Author", about);
  }

  out += "</body>\n</html>\n";
  return out;
}

}  // namespace lekhika::publishing::detail
