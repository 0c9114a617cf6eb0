// book.txt: plain UTF-8 text for any reader, written from the parsed model; no markup, no
// hard wrapping (readers wrap). A paragraph is one line; structure is shown the way plain-text
// books do it: underlined headings, "- " and "1. " lists, quotes indented by four spaces,
// tables as tab-separated rows, scene breaks as "* * *".

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "export_detail.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail {
namespace {

constexpr std::string_view block_indent = "    ";  // quotes and code

enum class line_mode {
  paragraph,  // line breaks are kept
  one_line,   // headings: everything on one line
  cell        // table cells: one line, and no tab (tabs separate the cells)
};

// Sections are set apart by two blank lines and an '=' underline as wide as the heading looks.
void append_heading(std::string& out, std::string_view heading) {
  out += "\n\n";
  out += heading;
  out += '\n';
  out.append(display_width(heading), '=');
  out += '\n';
}

void append_plain(std::string& out, std::string_view text, line_mode mode) {
  for (char c : text) {
    if (c == '\n' || c == '\r' || (c == '\t' && mode == line_mode::cell)) c = ' ';
    out += c;
  }
}

// A link shows where it goes unless its text already says so or it points inside the book.
[[nodiscard]] bool shows_url(const inline_node& link) {
  const std::string_view url = trim(link.url);
  if (url.empty() || url.front() == '#') return false;
  const std::string text = plain_text(link.children);
  return url != text && url != "mailto:" + text;
}

void append_inlines(std::string& out, const inlines& content, line_mode mode) {
  for (const auto& node : content) {
    switch (node.type) {
      case inline_node::kind::text:
      case inline_node::kind::code:
        append_plain(out, node.text, mode);
        break;
      case inline_node::kind::soft_break:
        out += ' ';
        break;
      case inline_node::kind::line_break:
        out += mode == line_mode::paragraph ? '\n' : ' ';
        break;
      case inline_node::kind::emphasis:
      case inline_node::kind::strong:
        append_inlines(out, node.children, mode);
        break;
      case inline_node::kind::link:
        append_inlines(out, node.children, mode);
        if (shows_url(node)) {
          out += " (";
          append_plain(out, trim(node.url), mode);
          out += ')';
        }
        break;
    }
  }
}

// Appends `inner` with `first` before its first line and `rest` before every other non-empty
// line (empty lines stay empty, so the file has no trailing spaces).
void append_prefixed(std::string& out, std::string_view inner, std::string_view first,
                     std::string_view rest) {
  std::size_t at = 0;
  bool first_line = true;
  while (at <= inner.size()) {
    const std::size_t end = std::min(inner.find('\n', at), inner.size());
    const std::string_view line = inner.substr(at, end - at);
    if (first_line) {
      out += line.empty() ? trim(first) : first;
    } else if (!line.empty()) {
      out += rest;
    }
    out += line;
    if (end < inner.size()) out += '\n';
    first_line = false;
    at = end + 1;
  }
}

[[nodiscard]] bool is_list(const block& b) {
  return b.type == block::kind::bullet_list || b.type == block::kind::ordered_list;
}

// An item that is one paragraph (perhaps with sublists) keeps the list compact.
[[nodiscard]] bool is_simple_item(const std::vector<block>& item) {
  return item.empty() || (item.front().type == block::kind::paragraph &&
                          std::all_of(item.begin() + 1, item.end(), is_list));
}

void append_blocks(std::string& out, std::span<const block> blocks, bool tight = false);

void append_list(std::string& out, const block& b) {
  const bool ordered = b.type == block::kind::ordered_list;
  const bool tight = std::all_of(b.items.begin(), b.items.end(), is_simple_item);
  long long number = b.start;
  std::string inner;
  for (std::size_t i = 0; i < b.items.size(); ++i) {
    const std::string marker = ordered ? std::to_string(number++) + ". " : std::string{"- "};
    inner.clear();
    append_blocks(inner, b.items[i], tight);
    if (i > 0) out += tight ? "\n" : "\n\n";
    append_prefixed(out, inner, marker, std::string(marker.size(), ' '));
  }
}

void append_table(std::string& out, const block& b) {
  bool first_row = true;
  for (const auto& row : b.rows) {
    if (!first_row) out += '\n';
    first_row = false;
    bool first_cell = true;
    for (const auto& cell : row) {
      if (!first_cell) out += '\t';
      first_cell = false;
      append_inlines(out, cell, line_mode::cell);
    }
  }
}

void append_block(std::string& out, const block& b) {
  switch (b.type) {
    case block::kind::paragraph:
      append_inlines(out, b.content, line_mode::paragraph);
      return;
    case block::kind::heading: {
      // Chapter headings are underlined with '=', the headings inside them with '-'.
      const std::size_t start = out.size();
      append_inlines(out, b.content, line_mode::one_line);
      const std::size_t width = display_width(std::string_view{out}.substr(start));
      out += '\n';
      out.append(width, '-');
      return;
    }
    case block::kind::bullet_list:
    case block::kind::ordered_list:
      append_list(out, b);
      return;
    case block::kind::quote: {
      std::string inner;
      append_blocks(inner, b.children);
      append_prefixed(out, inner, block_indent, block_indent);
      return;
    }
    case block::kind::code_block: {
      std::string code;
      append_unix_newlines(code, b.text);
      append_prefixed(out, code, block_indent, block_indent);
      return;
    }
    case block::kind::thematic_break:
      out += "* * *";
      return;
    case block::kind::table:
      append_table(out, b);
      return;
  }
}

// The blocks separated by blank lines, without a final line break; in a compact list item the
// sublists follow the item's text on the next line.
void append_blocks(std::string& out, std::span<const block> blocks, bool tight) {
  bool first = true;
  for (const auto& b : blocks) {
    const std::size_t before = out.size();
    if (!first) out += tight && is_list(b) ? "\n" : "\n\n";
    const std::size_t start = out.size();
    append_block(out, b);
    if (out.size() == start) {
      out.resize(before);  // nothing to show: no blank lines for it either
      continue;
    }
    first = false;
  }
}

void append_body(std::string& out, const document& body) {
  const std::size_t start = out.size();
  out += '\n';
  append_blocks(out, body.blocks);
  if (out.size() == start + 1) {
    out.resize(start);
  } else {
    out += '\n';
  }
}

void append_section(std::string& out, std::string_view heading, const document& body) {
  if (body.empty()) return;
  std::string text;
  append_body(text, body);
  if (text.empty()) return;
  append_heading(out, heading);
  out += text;
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

  document about_scratch;
  const document& about = section_body(b.about_author_body, b.about_author, about_scratch);
  if (b.about_author_first) append_section(out, "About the Author", about);

  if (!b.chapters.empty()) {
    append_heading(out, "Contents");
    out += '\n';
    for (const auto& c : b.chapters) {
      out += chapter_heading(c);
      out += '\n';
    }
  }

  document scratch;
  append_section(out, "Foreword", section_body(b.foreword_body, b.foreword, scratch));
  append_section(out, "Introduction", section_body(b.introduction_body, b.introduction, scratch));

  for (std::size_t i = 0; i < b.chapters.size(); ++i) {
    append_heading(out, chapter_heading(b.chapters[i]));
    append_body(out, chapter_body(b, i, scratch));
  }

  if (!b.about_author_first) append_section(out, "About the Author", about);
  return out;
}

}  // namespace lekhika::publishing::detail
