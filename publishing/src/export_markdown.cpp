// book.md: the book as Markdown, with explicit anchors so the table of contents links work
// on every renderer (GitHub and others derive different ids from headings).

#include <string>
#include <string_view>

#include "export_detail.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail {
namespace {

// Backslash-escapes the characters of `special` so book fields cannot break the markup around
// them (a "]" in a chapter title would end its table-of-contents link early).
void append_escaped(std::string& out, std::string_view text, std::string_view special) {
  for (char c : text) {
    if (special.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
}

void append_section(std::string& out, std::string_view heading, std::string_view text) {
  text = trim(text);
  if (text.empty()) return;
  out += "\n## ";
  out += heading;
  out += "\n\n";
  append_unix_newlines(out, text);
  out += '\n';
}

}  // namespace

std::string render_markdown(const book& b) {
  std::string out;
  out.reserve(estimated_size(b));

  out += "# ";
  out += display_title(b);
  out += '\n';
  if (const std::string subtitle = one_line(b.subtitle); !subtitle.empty()) {
    out += "\n## ";
    out += subtitle;
    out += '\n';
  }
  if (const std::string author = one_line(b.author); !author.empty()) {
    out += "\n*by ";
    append_escaped(out, author, "\\*_");
    out += "*\n";
  }

  if (b.about_author_first) append_section(out, "About the Author", b.about_author);

  if (!b.chapters.empty()) {
    out += "\n## Table of Contents\n\n";
    for (const auto& c : b.chapters) {
      out += "- [";
      append_escaped(out, chapter_heading(c), "\\[]");
      out += "](#";
      out += chapter_anchor(c);
      out += ")\n";
    }
  }

  append_section(out, "Foreword", b.foreword);
  append_section(out, "Introduction", b.introduction);

  for (const auto& c : b.chapters) {
    // The anchor is its own paragraph: directly above the heading some renderers would swallow
    // the heading into an HTML block.
    out += "\n<a id=\"";
    out += chapter_anchor(c);
    out += "\"></a>\n\n## ";
    out += chapter_heading(c);
    out += '\n';
    if (const std::string_view content = trim(c.content); !content.empty()) {
      out += '\n';
      append_unix_newlines(out, content);
      out += '\n';
    }
  }

  if (!b.about_author_first) append_section(out, "About the Author", b.about_author);
  return out;
}

}  // namespace lekhika::publishing::detail
