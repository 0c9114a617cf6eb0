// book.txt: plain UTF-8 text for any reader; no markup, no hard wrapping (readers wrap).

#include <string>
#include <string_view>

#include "export_detail.hpp"
#include "markdown_html.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail {
namespace {

// Sections are set apart by two blank lines and an '=' underline as wide as the heading looks.
void append_heading(std::string& out, std::string_view heading) {
  out += "\n\n";
  out += heading;
  out += '\n';
  out.append(display_width(heading), '=');
  out += '\n';
}

void append_section(std::string& out, std::string_view heading, std::string_view markdown) {
  markdown = trim(markdown);
  if (markdown.empty()) return;
  append_heading(out, heading);
  out += '\n';
  append_markdown_text(out, markdown);
  out += '\n';
}

}  // namespace

std::string render_text(const book& b) {
  std::string out;
  out.reserve(estimated_size(b));

  out += display_title(b);
  out += '\n';
  if (const std::string subtitle = one_line(b.subtitle); !subtitle.empty()) {
    out += subtitle;
    out += '\n';
  }
  if (const std::string author = one_line(b.author); !author.empty()) {
    out += "\nby ";
    out += author;
    out += '\n';
  }

  if (b.about_author_first) append_section(out, "About the Author", b.about_author);

  if (!b.chapters.empty()) {
    append_heading(out, "Contents");
    out += '\n';
    for (const auto& c : b.chapters) {
      out += chapter_heading(c);
      out += '\n';
    }
  }

  append_section(out, "Foreword", b.foreword);
  append_section(out, "Introduction", b.introduction);

  for (const auto& c : b.chapters) {
    append_heading(out, chapter_heading(c));
    if (const std::string_view content = trim(c.content); !content.empty()) {
      out += '\n';
      append_markdown_text(out, content);
      out += '\n';
    }
  }

  if (!b.about_author_first) append_section(out, "About the Author", b.about_author);
  return out;
}

}  // namespace lekhika::publishing::detail
