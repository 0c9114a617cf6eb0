#include "markdown_html.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "text_util.hpp"

namespace lekhika::publishing::detail {
namespace {

enum class target { html, text };

// Quotes nest by recursion; a line of thousands of '>' must not exhaust the stack.
constexpr int max_quote_depth = 8;

// ---------------------------------------------------------------------------------------------
// Inline: emphasis and strong emphasis with CommonMark's flanking rules (so "snake_case",
// "5 * 3" and "**" alone stay literal), in one linear pass plus a stack per delimiter kind.

enum class char_class { space, punctuation, other };

[[nodiscard]] constexpr bool is_ascii_punctuation(char32_t c) noexcept {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}

[[nodiscard]] char_class classify_code_point(char32_t c) noexcept {
  if (c < 0x80) {
    if (is_space(static_cast<char>(c))) return char_class::space;
    return is_ascii_punctuation(c) ? char_class::punctuation : char_class::other;
  }
  if (c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
      c == 0x202F || c == 0x205F || c == 0x3000)
    return char_class::space;
  // Quotation marks, dashes and sentence marks of the scripts books use, so that
  // “*quoted*” and «_cité_» get their emphasis like their ASCII forms do.
  if ((c >= 0xA1 && c <= 0xBF) || c == 0xD7 || c == 0xF7 || (c >= 0x2010 && c <= 0x2027) ||
      (c >= 0x2030 && c <= 0x205E) || (c >= 0x3001 && c <= 0x3003) ||
      (c >= 0x3008 && c <= 0x3011) || c == 0x0964 || c == 0x0965 || c == 0x060C || c == 0x061B ||
      c == 0x061F || c == 0x06D4 || c == 0x05BE || c == 0x05C0 || c == 0x05C3 || c == 0x05F3 ||
      c == 0x05F4 || (c >= 0xFF01 && c <= 0xFF0F))
    return char_class::punctuation;
  return char_class::other;
}

// Lenient decoder: the text was validated when the book was compiled; a stray byte here only
// affects whether a neighbouring '*' counts as emphasis.
[[nodiscard]] char32_t decode_at(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return b0;
  const int extra = b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : b0 >= 0xC0 ? 1 : 0;
  if (extra == 0) return 0xFFFD;
  char32_t cp = b0 & (0x3Fu >> extra);
  for (int k = 1; k <= extra; ++k) {
    const std::size_t at = i + static_cast<std::size_t>(k);
    if (at >= s.size()) return 0xFFFD;
    const auto b = static_cast<unsigned char>(s[at]);
    if ((b & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return cp;
}

[[nodiscard]] char_class class_before(std::string_view s, std::size_t pos) noexcept {
  if (pos == 0) return char_class::space;
  std::size_t start = pos - 1;
  for (int k = 0; k < 3 && start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80; ++k)
    --start;
  return classify_code_point(decode_at(s, start));
}

[[nodiscard]] char_class class_at(std::string_view s, std::size_t pos) noexcept {
  if (pos >= s.size()) return char_class::space;
  return classify_code_point(decode_at(s, pos));
}

enum class role : std::uint8_t { literal, open, close };

struct piece {
  std::uint8_t length = 0;  // 1 = em, 2 = strong
  role kind = role::literal;
};

// A backslash escape or a run of '*' / '_' and what it became.
struct token {
  std::size_t pos = 0;
  std::size_t length = 0;  // bytes of the source it covers
  char ch = 0;             // '*', '_', or '\\' for an escaped character
  std::uint8_t piece_count = 0;
  std::array<piece, 2> pieces{};
};

struct opener {
  std::size_t token_index = 0;
  std::uint8_t piece_index = 0;
  std::size_t order = 0;  // position in the text, comparable across stacks
};

class emphasis_matcher {
 public:
  explicit emphasis_matcher(std::string_view text) : text_(text) {}

  [[nodiscard]] std::vector<token> run() {
    std::size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      if (c == '\\' && i + 1 < text_.size() &&
          is_ascii_punctuation(static_cast<unsigned char>(text_[i + 1]))) {
        tokens_.push_back(token{i, 2, '\\', 0, {}});
        i += 2;
        continue;
      }
      if (c == '*' || c == '_') {
        std::size_t j = i;
        while (j < text_.size() && text_[j] == c) ++j;
        add_run(i, j - i, c);
        i = j;
        continue;
      }
      ++i;
    }
    // Openers never closed are literal text.
    for (auto& stack : stacks_) {
      for (const opener& o : stack)
        tokens_[o.token_index].pieces[o.piece_index].kind = role::literal;
      stack.clear();
    }
    return std::move(tokens_);
  }

 private:
  [[nodiscard]] static std::size_t stack_of(char ch, std::size_t length) noexcept {
    return (ch == '*' ? 0 : 2) + (length == 2 ? 1 : 0);
  }

  void add_piece(token& t, std::size_t length, role kind) {
    t.pieces[t.piece_count++] = piece{static_cast<std::uint8_t>(length), kind};
  }

  // Closes the most recent opener of the same kind; openers of other kinds opened after it can
  // no longer close inside it, so they become literal (this keeps the tags properly nested).
  bool try_close(std::size_t token_index, std::size_t length) {
    auto& stack = stacks_[stack_of(tokens_[token_index].ch, length)];
    if (stack.empty()) return false;
    const opener o = stack.back();
    stack.pop_back();
    for (auto& other : stacks_) {
      while (!other.empty() && other.back().order > o.order) {
        opener& later = other.back();
        if (later.token_index == o.token_index) {
          // Both halves of one "***": the half closing now becomes the inner one, the other
          // stays open around it ("***a** b*" is <em><strong>a</strong> b</em>).
          auto& pieces = tokens_[o.token_index].pieces;
          std::swap(pieces[o.piece_index], pieces[later.piece_index]);
          later.piece_index = o.piece_index;
          later.order = o.order;
          break;
        }
        tokens_[later.token_index].pieces[later.piece_index].kind = role::literal;
        other.pop_back();
      }
    }
    add_piece(tokens_[token_index], length, role::close);
    return true;
  }

  void push_opener(std::size_t token_index, std::size_t length) {
    token& t = tokens_[token_index];
    const auto piece_index = t.piece_count;
    add_piece(t, length, role::open);
    stacks_[stack_of(t.ch, length)].push_back(
        opener{token_index, piece_index, token_index * 2 + piece_index});
  }

  void add_run(std::size_t pos, std::size_t length, char ch) {
    const std::size_t index = tokens_.size();
    tokens_.push_back(token{pos, length, ch, 0, {}});
    if (length > 3) {
      // "****" and longer are decoration (or scene breaks), never emphasis.
      add_piece(tokens_[index], 1, role::literal);
      return;
    }
    const char_class before = class_before(text_, pos);
    const char_class after = class_at(text_, pos + length);
    const bool left_flanking = after != char_class::space &&
                               (after != char_class::punctuation || before != char_class::other);
    const bool right_flanking = before != char_class::space &&
                                (before != char_class::punctuation || after != char_class::other);
    bool can_open = left_flanking;
    bool can_close = right_flanking;
    if (ch == '_') {
      // No intraword emphasis with '_': snake_case stays as written.
      can_open = left_flanking && (!right_flanking || before == char_class::punctuation);
      can_close = right_flanking && (!left_flanking || after == char_class::punctuation);
    }

    std::size_t remaining = length;
    if (can_close) {
      if (length == 3) {
        // "***" closes both; the more recently opened one first.
        const auto& em = stacks_[stack_of(ch, 1)];
        const auto& strong = stacks_[stack_of(ch, 2)];
        const bool em_first =
            !em.empty() && (strong.empty() || em.back().order > strong.back().order);
        const std::size_t first = em_first ? 1 : 2;
        if (try_close(index, first)) remaining -= first;
        if (try_close(index, 3 - first)) remaining -= 3 - first;
      } else if (try_close(index, length)) {
        remaining = 0;
      }
    }
    if (remaining == 0) return;
    if (!can_open) {
      add_piece(tokens_[index], remaining, role::literal);
      return;
    }
    if (remaining == 3) {
      push_opener(index, 2);  // <strong><em>, matching the em-first close above
      push_opener(index, 1);
    } else {
      push_opener(index, remaining);
    }
  }

  std::string_view text_;
  std::vector<token> tokens_;
  std::array<std::vector<opener>, 4> stacks_;  // *, **, _, __
};

void append_text_segment(std::string& out, std::string_view text, target to) {
  if (to == target::html) {
    append_html_escaped(out, text);
  } else {
    out.append(text);
  }
}

void append_inline(std::string& out, std::string_view text, target to) {
  const std::vector<token> tokens = emphasis_matcher{text}.run();
  std::size_t at = 0;
  for (const token& t : tokens) {
    append_text_segment(out, text.substr(at, t.pos - at), to);
    at = t.pos + t.length;
    if (t.ch == '\\') {
      append_text_segment(out, text.substr(t.pos + 1, 1), to);
      continue;
    }
    std::size_t emitted = 0;
    for (std::uint8_t p = 0; p < t.piece_count; ++p) {
      const piece& pc = t.pieces[p];
      if (pc.kind == role::literal) {
        // A literal piece covers the rest of the run (all of it for runs longer than three).
        const std::size_t n = p + 1 == t.piece_count ? t.length - emitted : pc.length;
        out.append(n, t.ch);
        emitted += n;
        continue;
      }
      emitted += pc.length;
      if (to == target::text) continue;
      const bool strong = pc.length == 2;
      if (pc.kind == role::open) {
        out += strong ? "<strong>" : "<em>";
      } else {
        out += strong ? "</strong>" : "</em>";
      }
    }
  }
  append_text_segment(out, text.substr(at), to);
}

// ---------------------------------------------------------------------------------------------
// Blocks: one line at a time, no backtracking, so the work is linear in the input.

enum class line_kind { blank, heading, rule, bullet, ordered, quote, text };

struct line_info {
  line_kind kind = line_kind::blank;
  int level = 0;             // heading level
  unsigned long number = 0;  // ordered item number
  std::string_view body;     // content after the marker
  std::string_view whole;    // the trimmed line
};

[[nodiscard]] bool is_rule(std::string_view s) noexcept {
  const char c = s.front();
  if (c != '-' && c != '*' && c != '_') return false;
  std::size_t count = 0;
  for (char x : s) {
    if (x == c) {
      ++count;
    } else if (x != ' ' && x != '\t') {
      return false;
    }
  }
  return count >= 3;
}

[[nodiscard]] line_info classify(std::string_view line) noexcept {
  line_info info;
  const std::string_view s = trim(line);
  info.whole = s;
  if (s.empty()) return info;
  info.kind = line_kind::text;
  info.body = s;

  std::size_t indent = 0;
  for (char c : line) {
    if (c == ' ') {
      ++indent;
    } else if (c == '\t') {
      indent += 4 - indent % 4;
    } else {
      break;
    }
  }
  // Prose has no code blocks: a deeply indented line is just text.
  if (indent >= 4) return info;

  if (s.front() == '#') {
    std::size_t hashes = 0;
    while (hashes < s.size() && s[hashes] == '#') ++hashes;
    if (hashes <= 6 && (hashes == s.size() || is_space(s[hashes]))) {
      std::string_view body = trim(s.substr(hashes));
      // An optional closing run of '#' after a space is not part of the heading.
      const std::size_t last = body.find_last_not_of('#');
      if (last == std::string_view::npos) {
        body = {};
      } else if (last + 1 < body.size() && is_space(body[last])) {
        body = trim(body.substr(0, last));
      }
      info.kind = line_kind::heading;
      info.level = static_cast<int>(hashes);
      info.body = body;
      return info;
    }
    return info;
  }
  if (is_rule(s)) {
    info.kind = line_kind::rule;
    return info;
  }
  if ((s.front() == '-' || s.front() == '*' || s.front() == '+') && s.size() >= 2 &&
      is_space(s[1])) {
    info.kind = line_kind::bullet;
    info.body = trim(s.substr(2));
    return info;
  }
  if (s.front() >= '0' && s.front() <= '9') {
    std::size_t digits = 0;
    unsigned long number = 0;
    while (digits < s.size() && digits < 10 && s[digits] >= '0' && s[digits] <= '9') {
      number = number * 10 + static_cast<unsigned long>(s[digits] - '0');
      ++digits;
    }
    if (digits <= 9 && digits < s.size() && (s[digits] == '.' || s[digits] == ')') &&
        (digits + 1 == s.size() || is_space(s[digits + 1]))) {
      info.kind = line_kind::ordered;
      info.number = number;
      info.body = trim(s.substr(digits + 1));
    }
    return info;
  }
  if (s.front() == '>') {
    std::string_view body = s.substr(1);
    if (!body.empty() && body.front() == ' ') body.remove_prefix(1);
    info.kind = line_kind::quote;
    info.body = body;
    return info;
  }
  return info;
}

[[nodiscard]] std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

class block_renderer {
 public:
  // Headings come out at level + heading_shift, never above top_heading_level nor below h6.
  block_renderer(std::string& out, target to, int top_heading_level, int heading_shift, int depth)
      : out_(out),
        to_(to),
        top_heading_level_(top_heading_level),
        heading_shift_(heading_shift),
        depth_(depth) {}

  /// Renders a whole text, with its shallowest heading at the top heading level.
  void render_document(std::string_view markdown) {
    const std::vector<std::string_view> lines = split_lines(markdown);
    int shallowest = 6;
    for (std::string_view line : lines) {
      const line_info info = classify(line);
      if (info.kind == line_kind::heading) shallowest = std::min(shallowest, info.level);
    }
    heading_shift_ = top_heading_level_ - shallowest;
    render(lines);
  }

 private:
  void render(const std::vector<std::string_view>& lines) {
    std::string buffer;
    std::size_t i = 0;
    while (i < lines.size()) {
      const line_info info = classify(lines[i]);
      switch (info.kind) {
        case line_kind::blank:
          ++i;
          break;
        case line_kind::heading:
          heading(info.level, info.body);
          ++i;
          break;
        case line_kind::rule:
          rule();
          ++i;
          break;
        case line_kind::quote:
          buffer.clear();
          for (; i < lines.size(); ++i) {
            const line_info q = classify(lines[i]);
            if (q.kind != line_kind::quote) break;
            buffer.append(q.body);
            buffer += '\n';
          }
          quote(buffer);
          break;
        case line_kind::bullet:
        case line_kind::ordered:
          i = list(lines, i);
          break;
        case line_kind::text:
          buffer.assign(info.body);
          for (++i; i < lines.size(); ++i) {
            const line_info next = classify(lines[i]);
            // Only a list that starts at 1 may interrupt a paragraph ("1984. It was cold" is
            // prose), as in CommonMark.
            std::string_view more;
            if (next.kind == line_kind::text) {
              more = next.body;
            } else if (next.kind == line_kind::ordered && next.number != 1) {
              more = next.whole;
            } else {
              break;
            }
            buffer += ' ';
            buffer.append(more);
          }
          paragraph(buffer);
          break;
      }
    }
  }

  void begin_text_block() {
    if (wrote_block_) out_ += "\n\n";
    wrote_block_ = true;
  }

  void paragraph(std::string_view text) {
    if (to_ == target::html) {
      out_ += "<p>";
      append_inline(out_, text, to_);
      out_ += "</p>\n";
    } else {
      begin_text_block();
      append_inline(out_, text, to_);
    }
  }

  void heading(int level, std::string_view text) {
    if (text.empty()) return;
    if (to_ == target::text) {
      begin_text_block();
      append_inline(out_, text, to_);
      return;
    }
    const char digit =
        static_cast<char>('0' + std::clamp(level + heading_shift_, top_heading_level_, 6));
    out_ += "<h";
    out_ += digit;
    out_ += '>';
    append_inline(out_, text, to_);
    out_ += "</h";
    out_ += digit;
    out_ += ">\n";
  }

  void rule() {
    if (to_ == target::html) {
      out_ += "<hr>\n";
    } else {
      begin_text_block();
      out_ += "* * *";
    }
  }

  void quote(std::string_view inner) {
    std::string rendered;
    // Headings inside a quote keep the levels of the text around it.
    block_renderer nested{rendered, to_, top_heading_level_, heading_shift_, depth_ + 1};
    if (depth_ + 1 < max_quote_depth) {
      nested.render(split_lines(inner));
    } else {
      // Too deep to nest further: the rest is one paragraph.
      nested.paragraph(one_line(inner));
    }
    if (rendered.empty()) return;
    if (to_ == target::html) {
      out_ += "<blockquote>\n";
      out_ += rendered;
      out_ += "</blockquote>\n";
      return;
    }
    begin_text_block();
    bool line_start = true;
    for (char c : rendered) {
      if (line_start) out_ += c == '\n' ? ">" : "> ";
      out_ += c;
      line_start = c == '\n';
    }
    if (line_start) out_ += '>';
  }

  [[nodiscard]] std::size_t list(const std::vector<std::string_view>& lines, std::size_t i) {
    const line_info first = classify(lines[i]);
    const bool ordered = first.kind == line_kind::ordered;
    unsigned long number = first.number;
    if (to_ == target::html) {
      if (!ordered) {
        out_ += "<ul>\n";
      } else if (number == 1) {
        out_ += "<ol>\n";
      } else {
        out_ += "<ol start=\"" + std::to_string(number) + "\">\n";
      }
    } else {
      begin_text_block();
    }
    std::string item{first.body};
    bool first_item = true;
    auto flush = [&] {
      if (to_ == target::html) {
        out_ += "<li>";
        append_inline(out_, item, to_);
        out_ += "</li>\n";
      } else {
        if (!first_item) out_ += '\n';
        out_ += ordered ? std::to_string(number) + ". " : std::string{"- "};
        append_inline(out_, item, to_);
      }
      first_item = false;
      ++number;
    };
    for (++i; i < lines.size();) {
      const line_info next = classify(lines[i]);
      if (next.kind == first.kind) {
        flush();
        item.assign(next.body);
        ++i;
      } else if (next.kind == line_kind::text) {
        // A wrapped or indented line continues the item.
        if (!item.empty()) item += ' ';
        item.append(next.body);
        ++i;
      } else if (next.kind == line_kind::blank) {
        // Blank lines between items keep one list; anything else after them ends it.
        std::size_t j = i;
        while (j < lines.size() && classify(lines[j]).kind == line_kind::blank) ++j;
        if (j == lines.size() || classify(lines[j]).kind != first.kind) break;
        i = j;
      } else {
        break;
      }
    }
    flush();
    if (to_ == target::html) out_ += ordered ? "</ol>\n" : "</ul>\n";
    return i;
  }

  std::string& out_;
  target to_;
  int top_heading_level_;
  int heading_shift_;
  int depth_;
  bool wrote_block_ = false;
};

}  // namespace

void append_html_escaped(std::string& out, std::string_view text) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view entity;
    switch (text[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&#39;";
        break;
      default:
        continue;
    }
    out.append(text, at, i - at);
    out.append(entity);
    at = i + 1;
  }
  out.append(text, at, std::string_view::npos);
}

void append_inline_html(std::string& out, std::string_view text) {
  append_inline(out, text, target::html);
}

void append_markdown_html(std::string& out, std::string_view markdown, int top_heading_level) {
  block_renderer{out, target::html, std::clamp(top_heading_level, 1, 6), 0, 0}.render_document(
      markdown);
}

void append_markdown_text(std::string& out, std::string_view markdown) {
  block_renderer{out, target::text, 1, 0, 0}.render_document(markdown);
}

}  // namespace lekhika::publishing::detail
