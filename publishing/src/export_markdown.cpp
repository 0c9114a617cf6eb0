// book.md: the book as Markdown, written from the parsed model (never by copying the model's
// text through), with explicit anchors so the table of contents links work on every renderer
// (GitHub and others derive different ids from headings). Text is backslash-escaped wherever
// it could otherwise be read as Markdown or HTML, so the file parses back to the same book.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "export_detail.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail {
namespace {

// Chapter and front-matter headings are "##"; the headings inside them start one level below.
constexpr int heading_offset = 2;

// CommonMark reads at most nine digits as a list number.
constexpr int max_list_number = 999'999'999;

[[nodiscard]] constexpr bool is_ascii_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Where inline text goes decides what must be escaped and what a line break becomes.
enum class inline_mode {
  paragraph,  // breaks are kept; block markers at the start of a line are escaped
  heading,    // one line; a '#' that could close the heading is escaped
  table_cell  // one line; '|' is escaped
};

class inline_writer {
 public:
  inline_writer(std::string& out, inline_mode mode, bool line_start)
      : out_(out), mode_(mode), line_start_(line_start) {}

  void write(const inlines& content) { write(content, '\n', 0); }

  // `next` is the character written right after `s` ('[' when a link follows).
  void text(std::string_view s, char next = ' ') {
    std::size_t i = 0;
    if (line_start_ && mode_ == inline_mode::paragraph && !s.empty()) i = escape_line_start(s);
    if (!s.empty()) line_start_ = false;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      const bool first = i == 0;
      const bool last = i + 1 == s.size();
      bool escape = false;
      switch (c) {
        case '\\':
        case '`':
        case '[':
        case ']':
        case '<':
          escape = true;
          break;
        case '*':
          // "5 * 3" cannot be emphasis; anything else might, next to another node's text.
          escape = first || last || !is_space(s[i - 1]) || !is_space(s[i + 1]);
          break;
        case '_':
          // Only '_' inside an ASCII word ("snake_case") is never emphasis.
          escape = first || last || !is_ascii_alnum(s[i - 1]) || !is_ascii_alnum(s[i + 1]);
          break;
        case '&':
          // "&amp;" or "&#38;" would be read as an entity.
          escape = !last && (is_ascii_alnum(s[i + 1]) || s[i + 1] == '#');
          break;
        case '|':
          escape = mode_ == inline_mode::table_cell;
          break;
        case '!':
          // "!" right before a link would make it an image.
          escape = last && next == '[';
          break;
        case '#':
          escape = mode_ == inline_mode::heading && (first || s[i - 1] == ' ');
          break;
        case '\n':
        case '\r':
          // Parsed text never holds a line ending; a hand-built one must not end the block.
          out_ += ' ';
          continue;
        default:
          break;
      }
      if (escape) out_ += '\\';
      out_ += c;
    }
  }

 private:
  // A line starting with "#", ">", "-", "+", "=", "~", "|", ":" or "12." / "12)" could start a
  // heading, quote, list, setext underline, fence or table delimiter row; the marker is
  // escaped. Returns how much of `s` is written.
  std::size_t escape_line_start(std::string_view s) {
    const char c = s.front();
    if (c == '#' || c == '>' || c == '-' || c == '+' || c == '=' || c == '~' || c == '|' ||
        c == ':') {
      out_ += '\\';
      return 0;
    }
    std::size_t digits = 0;
    while (digits < s.size() && digits <= 9 && is_digit(s[digits])) ++digits;
    if (digits > 0 && digits <= 9 && digits < s.size() && (s[digits] == '.' || s[digits] == ')')) {
      out_.append(s.substr(0, digits));
      out_ += '\\';
      return digits;
    }
    return 0;
  }

  void line_break(bool hard) {
    if (mode_ != inline_mode::paragraph) {
      out_ += ' ';
      return;
    }
    out_ += hard ? "\\\n" : "\n";
    line_start_ = true;
  }

  void code(std::string_view s) {
    std::size_t longest = 0;
    std::size_t run = 0;
    for (char c : s) {
      run = c == '`' ? run + 1 : 0;
      longest = std::max(longest, run);
    }
    const std::string fence(longest + 1, '`');
    // A space pads code that starts or ends with a backtick, and code with a space at both
    // ends (the parser strips one from each end).
    const bool pad = !s.empty() && (s.front() == '`' || s.back() == '`' ||
                                    (s.front() == ' ' && s.back() == ' ' &&
                                     s.find_first_not_of(' ') != std::string_view::npos));
    out_ += fence;
    if (pad) out_ += ' ';
    for (char c : s) {
      if (c == '|' && mode_ == inline_mode::table_cell) out_ += '\\';
      out_ += c == '\n' || c == '\r' ? ' ' : c;
    }
    if (pad) out_ += ' ';
    out_ += fence;
  }

  // `next` is the first character written after the nodes, `enclosing` the delimiter of the
  // innermost emphasis around them (0 outside any).
  void write(const inlines& content, char next, char enclosing) {
    for (std::size_t i = 0; i < content.size(); ++i) {
      write(content[i], i + 1 < content.size() ? first_char(content[i + 1]) : next, enclosing);
    }
  }

  [[nodiscard]] static char first_char(const inline_node& node) noexcept {
    switch (node.type) {
      case inline_node::kind::text:
        // A leading '*' or '_' is always escaped.
        if (node.text.empty()) return ' ';
        return node.text.front() == '*' || node.text.front() == '_' ? '\\' : node.text.front();
      case inline_node::kind::soft_break:
        return '\n';
      case inline_node::kind::line_break:
        return '\\';
      case inline_node::kind::code:
        return '`';
      case inline_node::kind::link:
        return '[';
      case inline_node::kind::emphasis:
      case inline_node::kind::strong:
        return '*';
    }
    return ' ';
  }

  // Emphasis is written with '*', except where a '*' would run into a neighbouring delimiter
  // ("*a**b*" is not two emphases) or could close the emphasis around it; then with '_' when
  // no letter touches it ('_' does not work inside words). "***x***" stays as it is.
  [[nodiscard]] char delimiter_for(const inline_node& node, char next, char enclosing) const {
    const char prev = out_.empty() || line_start_ ? '\n' : out_.back();
    if (node.type == inline_node::kind::strong && enclosing == '*' && prev == '*' && next == '*') {
      return '*';
    }
    const bool underscore_fits =
        prev != '_' && next != '_' && enclosing != '_' && !is_word(prev) && !is_word(next);
    // An emphasis inside a word needs '*', so the one around it takes '_' if it can.
    if (underscore_fits && has_emphasis_inside_word(node.children)) return '_';
    if (prev != '*' && next != '*' && enclosing != '*') return '*';
    return underscore_fits ? '_' : '*';
  }

  [[nodiscard]] static bool is_word(char c) noexcept {
    return is_ascii_alnum(c) || static_cast<unsigned char>(c) >= 0x80;
  }

  [[nodiscard]] static bool has_emphasis_inside_word(const inlines& content) noexcept {
    for (std::size_t i = 0; i < content.size(); ++i) {
      if (content[i].type != inline_node::kind::emphasis &&
          content[i].type != inline_node::kind::strong) {
        continue;
      }
      const bool word_before = i > 0 && content[i - 1].type == inline_node::kind::text &&
                               !content[i - 1].text.empty() && is_word(content[i - 1].text.back());
      const bool word_after = i + 1 < content.size() &&
                              content[i + 1].type == inline_node::kind::text &&
                              !content[i + 1].text.empty() && is_word(content[i + 1].text.front());
      if (word_before || word_after) return true;
    }
    return false;
  }

  // A plain destination when it is one; the pointy-bracket form takes any other (with <, > and
  // \ escaped), spaces and parentheses included.
  void append_destination(std::string_view url) {
    const bool plain = !url.empty() && url.find_first_of(" \t()<>\\") == std::string_view::npos &&
                       std::none_of(url.begin(), url.end(), [](char c) {
                         return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
                       });
    if (plain) {
      out_.append(url);
      return;
    }
    out_ += '<';
    for (char c : url) {
      if (c == '<' || c == '>' || c == '\\') out_ += '\\';
      out_ += c == '\n' || c == '\r' ? ' ' : c;
    }
    out_ += '>';
  }

  void write(const inline_node& node, char next, char enclosing) {
    switch (node.type) {
      case inline_node::kind::text:
        text(node.text, next);
        return;
      case inline_node::kind::soft_break:
        line_break(false);
        return;
      case inline_node::kind::line_break:
        line_break(true);
        return;
      case inline_node::kind::code:
        line_start_ = false;
        code(node.text);
        return;
      case inline_node::kind::emphasis:
      case inline_node::kind::strong: {
        const char c = delimiter_for(node, next, enclosing);
        line_start_ = false;
        const std::string delimiter(node.type == inline_node::kind::strong ? 2 : 1, c);
        out_ += delimiter;
        write(node.children, c, c);
        out_ += delimiter;
        return;
      }
      case inline_node::kind::link:
        line_start_ = false;
        out_ += '[';
        write(node.children, ']', enclosing);
        out_ += "](";
        append_destination(node.url);
        out_ += ')';
        return;
    }
  }

  std::string& out_;
  inline_mode mode_;
  bool line_start_;
};

void append_inlines(std::string& out, const inlines& content, inline_mode mode) {
  inline_writer{out, mode, true}.write(content);
}

void append_heading_text(std::string& out, std::string_view text) {
  inline_writer{out, inline_mode::heading, false}.text(text);
}

// Appends `inner` with `first` before its first line and `rest` before every other non-empty
// line; empty lines get `blank` (">" inside a quote, nothing inside a list item).
void append_prefixed(std::string& out, std::string_view inner, std::string_view first,
                     std::string_view rest, std::string_view blank) {
  std::size_t at = 0;
  bool first_line = true;
  while (at <= inner.size()) {
    const std::size_t end = std::min(inner.find('\n', at), inner.size());
    const std::string_view line = inner.substr(at, end - at);
    if (first_line) {
      out += line.empty() ? trim(first) : first;
    } else {
      out += line.empty() ? blank : rest;
    }
    out += line;
    if (end < inner.size()) out += '\n';
    first_line = false;
    at = end + 1;
  }
}

// An item that reads as one line of text (perhaps with sublists) keeps its list tight.
[[nodiscard]] bool is_simple_item(const std::vector<block>& item) {
  if (item.empty()) return true;
  if (item.front().type != block::kind::paragraph) return false;
  return std::all_of(item.begin() + 1, item.end(), [](const block& b) {
    return b.type == block::kind::bullet_list || b.type == block::kind::ordered_list;
  });
}

// Whether `b` may follow a paragraph line directly: only a list starting with a non-empty item
// (and, for numbers, at 1) can interrupt a paragraph.
[[nodiscard]] bool can_interrupt_paragraph(const block& b) {
  if (b.items.empty() || b.items.front().empty()) return false;
  return b.type == block::kind::bullet_list || b.start == 1;
}

void append_blocks(std::string& out, const std::vector<block>& blocks, bool tight = false);

void append_list(std::string& out, const block& b, bool alternate) {
  const bool ordered = b.type == block::kind::ordered_list;
  const bool tight = std::all_of(b.items.begin(), b.items.end(), is_simple_item);
  int number = std::clamp(b.start, 0, max_list_number);
  std::string inner;
  std::string marker;
  for (std::size_t i = 0; i < b.items.size(); ++i) {
    const std::vector<block>& item = b.items[i];
    // Two lists in a row stay two lists only if their markers differ.
    if (ordered) {
      marker = std::to_string(number);
      marker += alternate ? ") " : ". ";
      number = std::min(number + 1, max_list_number);
    } else {
      marker = alternate ? "* " : "- ";
    }
    inner.clear();
    append_blocks(inner, item, tight);
    if (i > 0) out += tight ? "\n" : "\n\n";
    append_prefixed(out, inner, marker, std::string(marker.size(), ' '), "");
  }
}

void append_table(std::string& out, const block& b) {
  std::size_t columns = 0;
  for (const auto& row : b.rows) columns = std::max(columns, row.size());
  if (columns == 0) return;
  const inlines empty_cell;
  auto append_row = [&](const std::vector<inlines>* row) {
    out += '|';
    for (std::size_t c = 0; c < columns; ++c) {
      out += ' ';
      const inlines& cell = row != nullptr && c < row->size() ? (*row)[c] : empty_cell;
      inline_writer{out, inline_mode::table_cell, false}.write(cell);
      out += " |";
    }
  };
  std::size_t next = 0;
  // GitHub tables always have a header row; a table without one gets an empty header.
  append_row(b.header_row ? &b.rows[next++] : nullptr);
  out += "\n|";
  for (std::size_t c = 0; c < columns; ++c) out += " --- |";
  for (; next < b.rows.size(); ++next) {
    out += '\n';
    append_row(&b.rows[next]);
  }
}

void append_code_block(std::string& out, std::string_view code) {
  std::size_t longest = 0;
  std::size_t run = 0;
  for (char c : code) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  out += fence;
  out += '\n';
  if (!code.empty()) {
    append_unix_newlines(out, code);
    out += '\n';
  }
  out += fence;
}

void append_block(std::string& out, const block& b, bool alternate) {
  switch (b.type) {
    case block::kind::paragraph:
      append_inlines(out, b.content, inline_mode::paragraph);
      return;
    case block::kind::heading:
      out.append(static_cast<std::size_t>(std::clamp(b.level + heading_offset, 1, 6)), '#');
      out += ' ';
      append_inlines(out, b.content, inline_mode::heading);
      return;
    case block::kind::bullet_list:
    case block::kind::ordered_list:
      append_list(out, b, alternate);
      return;
    case block::kind::quote: {
      std::string inner;
      append_blocks(inner, b.children);
      append_prefixed(out, inner, "> ", "> ", ">");
      return;
    }
    case block::kind::code_block:
      append_code_block(out, b.text);
      return;
    case block::kind::thematic_break:
      out += "* * *";
      return;
    case block::kind::table:
      append_table(out, b);
      return;
  }
}

// The blocks separated by blank lines, without a final line break. In a tight list item the
// sublists follow the item's text directly where they can.
void append_blocks(std::string& out, const std::vector<block>& blocks, bool tight) {
  const block* previous = nullptr;
  bool alternate = false;
  for (const auto& b : blocks) {
    const std::size_t before = out.size();
    if (previous != nullptr) out += tight && can_interrupt_paragraph(b) ? "\n" : "\n\n";
    const std::size_t start = out.size();
    const bool is_list = b.type == block::kind::bullet_list || b.type == block::kind::ordered_list;
    alternate = is_list && previous != nullptr && previous->type == b.type && !alternate;
    append_block(out, b, alternate);
    if (out.size() == start) {
      out.resize(before);  // nothing to show (an empty table): no blank lines for it either
      continue;
    }
    previous = &b;
  }
}

void append_section(std::string& out, std::string_view heading, const document& body) {
  if (body.empty()) return;
  std::string text;
  append_blocks(text, body.blocks);
  if (text.empty()) return;
  out += "\n## ";
  out += heading;
  out += "\n\n";
  out += text;
  out += '\n';
}

}  // namespace

std::string render_markdown(const book& b) {
  std::string out;
  out.reserve(estimated_size(b));

  out += "# ";
  append_heading_text(out, display_title(b));
  out += '\n';
  // The subtitle is a bold line, not a heading: a `##` would read as the book's first section
  // in every Markdown outline, next to the chapters.
  if (const std::string subtitle = one_line(b.subtitle); !subtitle.empty()) {
    out += "\n**";
    inline_writer{out, inline_mode::paragraph, false}.text(subtitle);
    out += "**\n";
  }
  if (const std::string author = one_line(b.author); !author.empty()) {
    out += "\n*by ";
    inline_writer{out, inline_mode::paragraph, false}.text(author);
    out += "*\n";
  }

  document scratch;
  const document& about = section_body(b.about_author_body, b.about_author, scratch);
  if (b.about_author_first) append_section(out, "About the Author", about);

  if (!b.chapters.empty()) {
    out += "\n## Contents\n\n";
    for (const auto& c : b.chapters) {
      out += "- [";
      inline_writer{out, inline_mode::paragraph, false}.text(chapter_heading(c));
      out += "](#";
      out += chapter_anchor(c);
      out += ")\n";
    }
  }

  document section_scratch;
  append_section(out, "Foreword", section_body(b.foreword_body, b.foreword, section_scratch));
  append_section(out, "Introduction",
                 section_body(b.introduction_body, b.introduction, section_scratch));

  for (std::size_t i = 0; i < b.chapters.size(); ++i) {
    const auto& c = b.chapters[i];
    // The anchor is its own paragraph: directly above the heading some renderers would swallow
    // the heading into an HTML block.
    out += "\n<a id=\"";
    out += chapter_anchor(c);
    out += "\"></a>\n\n## ";
    append_heading_text(out, chapter_heading(c));
    out += '\n';
    const document& body = chapter_body(b, i, section_scratch);
    if (!body.empty()) {
      const std::size_t start = out.size();
      out += '\n';
      append_blocks(out, body.blocks);
      if (out.size() == start + 1) {
        out.resize(start);
      } else {
        out += '\n';
      }
    }
  }

  if (!b.about_author_first) append_section(out, "About the Author", about);
  return out;
}

}  // namespace lekhika::publishing::detail
