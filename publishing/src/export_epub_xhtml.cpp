#include "export_epub_xhtml.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "export_detail.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail::epub {
namespace {

// Quotes and lists nested deeper than this are shown flat: no reader indents 16 levels
// visibly, and a bound on the recursion keeps a hostile document from exhausting the stack.
constexpr int max_block_depth = 16;
constexpr int max_inline_depth = 16;

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// Decodes the well-formed UTF-8 sequence at `i` (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF); returns its length, or 0 when the bytes there are not one.
[[nodiscard]] std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  const std::size_t left = s.size() - i;
  auto cont = [&](std::size_t k) -> int {
    const auto b = static_cast<unsigned char>(s[i + k]);
    return (b & 0xC0) == 0x80 ? (b & 0x3F) : -1;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (left < 2 || cont(1) < 0) return 0;
    cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | static_cast<char32_t>(cont(1));
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || cont(1) < 0 || cont(2) < 0) return 0;
    cp = (static_cast<char32_t>(b0 & 0x0F) << 12) | (static_cast<char32_t>(cont(1)) << 6) |
         static_cast<char32_t>(cont(2));
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || cont(1) < 0 || cont(2) < 0 || cont(3) < 0) return 0;
    cp = (static_cast<char32_t>(b0 & 0x07) << 18) | (static_cast<char32_t>(cont(1)) << 12) |
         (static_cast<char32_t>(cont(2)) << 6) | static_cast<char32_t>(cont(3));
    if (cp < 0x10000 || cp > 0x10FFFF) return 0;
    return 4;
  }
  return 0;
}

// XML 1.0 allows tab, LF, CR and everything from U+0020 up except surrogates and U+FFFE/FFFF.
// C1 controls and noncharacters are allowed but "discouraged": no prose needs them, and a
// reader would show them as boxes.
[[nodiscard]] constexpr bool keeps(char32_t cp) noexcept {
  if (cp < 0x20) return cp == '\t' || cp == '\n';
  if (cp >= 0x7F && cp <= 0x9F) return false;
  if (cp >= 0xFDD0 && cp <= 0xFDEF) return false;
  return (cp & 0xFFFE) != 0xFFFE;
}

// Appends `text` made legal (see clean_text), handing each kept run to `escape`.
template <typename Escape>
void append_clean(std::string& out, std::string_view text, Escape escape) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      escape(out, text[i]);
      ++i;
      continue;
    }
    if (c == '\r') {
      // CRLF and a lone CR are both one line end.
      escape(out, '\n');
      i += i + 1 < text.size() && text[i + 1] == '\n' ? 2 : 1;
      continue;
    }
    char32_t cp = 0;
    const std::size_t n = decode(text, i, cp);
    if (n == 0) {
      out += replacement_character;
      ++i;
      continue;
    }
    if (keeps(cp)) {
      if (n == 1) {
        escape(out, text[i]);
      } else {
        out.append(text, i, n);
      }
    }
    i += n;
  }
}

[[nodiscard]] constexpr bool is_ascii_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
[[nodiscard]] constexpr bool is_ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr bool is_hex_digit(char c) noexcept {
  return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

[[nodiscard]] bool starts_with_ascii_ci(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && to_lower_ascii(text.substr(0, prefix.size())) == prefix;
}

// ---------------------------------------------------------------------------------------------
// Blocks and inlines.

class xhtml_writer {
 public:
  explicit xhtml_writer(std::string& out) : out_(out) {}

  void blocks(const std::vector<block>& list, int depth) {
    for (const block& b : list) one_block(b, depth);
  }

 private:
  void one_block(const block& b, int depth) {
    switch (b.type) {
      case block::kind::paragraph:
        out_ += "<p>";
        write_inlines(b.content, 0, false);
        out_ += "</p>\n";
        break;
      case block::kind::heading: {
        // The page title is the <h1>; a document's level 1 is the level below it.
        const char level = static_cast<char>('0' + std::min(std::clamp(b.level, 1, 6) + 1, 6));
        out_ += "<h";
        out_ += level;
        out_ += '>';
        write_inlines(b.content, 0, false);
        out_ += "</h";
        out_ += level;
        out_ += ">\n";
        break;
      }
      case block::kind::bullet_list:
      case block::kind::ordered_list:
        list(b, depth);
        break;
      case block::kind::quote:
        if (depth >= max_block_depth) {
          flattened(b.children);
          break;
        }
        out_ += "<blockquote>\n";
        blocks(b.children, depth + 1);
        out_ += "</blockquote>\n";
        break;
      case block::kind::code_block: {
        std::string_view code = b.text;
        // The parser keeps the newline that ends the last line; inside <pre> it would show as
        // an empty line.
        if (!code.empty() && code.back() == '\n') code.remove_suffix(1);
        // Code reads left to right in any book (EPUB style sheets may not set direction).
        out_ += "<pre dir=\"ltr\"><code>";
        append_xml(out_, code);
        out_ += "</code></pre>\n";
        break;
      }
      case block::kind::thematic_break:
        out_ += "<hr class=\"scene-break\"/>\n";
        break;
      case block::kind::table:
        table(b);
        break;
    }
  }

  void list(const block& b, int depth) {
    if (depth >= max_block_depth) {
      for (const auto& item : b.items) flattened(item);
      return;
    }
    const bool ordered = b.type == block::kind::ordered_list;
    if (!ordered) {
      out_ += "<ul>\n";
    } else if (b.start != 1) {
      out_ += "<ol start=\"";
      out_ += std::to_string(b.start);
      out_ += "\">\n";
    } else {
      out_ += "<ol>\n";
    }
    for (const auto& item : b.items) {
      out_ += "<li>";
      if (item.size() == 1 && item.front().type == block::kind::paragraph) {
        // A tight item: its text without a <p> around it, as a list is usually set.
        write_inlines(item.front().content, 0, false);
      } else if (!item.empty()) {
        out_ += '\n';
        blocks(item, depth + 1);
      }
      out_ += "</li>\n";
    }
    out_ += ordered ? "</ol>\n" : "</ul>\n";
  }

  void table(const block& b) {
    // An HTML table needs rows; a table without any has nothing to show.
    if (b.rows.empty()) return;
    out_ += "<table>\n";
    std::size_t first_body_row = 0;
    if (b.header_row) {
      out_ += "<thead>\n";
      row(b.rows.front(), "th");
      out_ += "</thead>\n";
      first_body_row = 1;
    }
    if (first_body_row < b.rows.size()) {
      out_ += "<tbody>\n";
      for (std::size_t r = first_body_row; r < b.rows.size(); ++r) row(b.rows[r], "td");
      out_ += "</tbody>\n";
    }
    out_ += "</table>\n";
  }

  void row(const std::vector<inlines>& cells, std::string_view tag) {
    out_ += "<tr>";
    for (const auto& cell : cells) {
      out_ += '<';
      out_ += tag;
      out_ += '>';
      write_inlines(cell, 0, false);
      out_ += "</";
      out_ += tag;
      out_ += '>';
    }
    out_ += "</tr>\n";
  }

  // Quotes and lists past the depth limit: their blocks in order, without the nesting, walked
  // with an explicit stack instead of recursion.
  void flattened(const std::vector<block>& list) {
    struct frame {
      const std::vector<block>* blocks = nullptr;
      const std::vector<std::vector<block>>* items = nullptr;
      std::size_t next = 0;
    };
    std::vector<frame> stack{frame{&list, nullptr, 0}};
    while (!stack.empty()) {
      frame& top = stack.back();
      if (top.items != nullptr) {
        if (top.next == top.items->size()) {
          stack.pop_back();
          continue;
        }
        const std::vector<block>* item = &(*top.items)[top.next++];
        stack.push_back(frame{item, nullptr, 0});
        continue;
      }
      if (top.next == top.blocks->size()) {
        stack.pop_back();
        continue;
      }
      const block& b = (*top.blocks)[top.next++];
      if (b.type == block::kind::quote) {
        stack.push_back(frame{&b.children, nullptr, 0});
      } else if (b.type == block::kind::bullet_list || b.type == block::kind::ordered_list) {
        stack.push_back(frame{nullptr, &b.items, 0});
      } else {
        one_block(b, max_block_depth);
      }
    }
  }

  void write_inlines(const inlines& list, int depth, bool in_link) {
    for (const inline_node& node : list) {
      switch (node.type) {
        case inline_node::kind::text:
          append_xml(out_, node.text);
          break;
        case inline_node::kind::emphasis:
          wrapped(node, "em", depth, in_link);
          break;
        case inline_node::kind::strong:
          wrapped(node, "strong", depth, in_link);
          break;
        case inline_node::kind::code:
          out_ += "<code>";
          append_xml(out_, node.text);
          out_ += "</code>";
          break;
        case inline_node::kind::link:
          link(node, depth, in_link);
          break;
        case inline_node::kind::line_break:
          out_ += "<br/>\n";
          break;
        case inline_node::kind::soft_break:
          out_ += '\n';
          break;
      }
    }
  }

  void wrapped(const inline_node& node, std::string_view tag, int depth, bool in_link) {
    if (depth >= max_inline_depth) {
      flat_text(node.children);
      return;
    }
    out_ += '<';
    out_ += tag;
    out_ += '>';
    write_inlines(node.children, depth + 1, in_link);
    out_ += "</";
    out_ += tag;
    out_ += '>';
  }

  void link(const inline_node& node, int depth, bool in_link) {
    // A link inside a link is not HTML; the inner one keeps only its text.
    const std::string target = in_link ? std::string{} : link_target(node.url);
    if (target.empty() || depth >= max_inline_depth) {
      if (depth >= max_inline_depth) {
        flat_text(node.children);
      } else {
        write_inlines(node.children, depth + 1, in_link);
      }
      return;
    }
    out_ += "<a href=\"";
    append_xml(out_, target, true);
    out_ += "\">";
    if (node.children.empty()) {
      append_xml(out_, node.url);
    } else {
      write_inlines(node.children, depth + 1, true);
    }
    out_ += "</a>";
  }

  // The text of inlines nested past the depth limit, collected without recursion.
  void flat_text(const inlines& list) {
    std::vector<std::pair<const inlines*, std::size_t>> stack{{&list, 0}};
    while (!stack.empty()) {
      auto& [nodes, next] = stack.back();
      if (next == nodes->size()) {
        stack.pop_back();
        continue;
      }
      const inline_node& node = (*nodes)[next++];
      if (node.type == inline_node::kind::line_break ||
          node.type == inline_node::kind::soft_break) {
        out_ += '\n';
      } else {
        append_xml(out_, node.text);
      }
      if (!node.children.empty()) stack.emplace_back(&node.children, 0);
    }
  }

  std::string& out_;
};

// ---------------------------------------------------------------------------------------------
// Language tags.

[[nodiscard]] bool all_letters(std::string_view s) {
  return std::all_of(s.begin(), s.end(), is_ascii_alpha);
}

[[nodiscard]] std::vector<std::string_view> subtags(std::string_view tag) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t dash = tag.find('-');
    parts.push_back(tag.substr(0, dash));
    if (dash == std::string_view::npos) break;
    tag.remove_prefix(dash + 1);
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// CSS.

constexpr std::array generic_families = std::to_array<std::string_view>(
    {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"});
constexpr std::size_t max_families = 8;
constexpr std::size_t max_family_name = 64;

// A CSS number without exponent or locale ("1.5", "91.7").
[[nodiscard]] std::string css_number(double value) {
  std::array<char, 32> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                       std::chars_format::fixed, 2);
  if (ec != std::errc{}) return "1";
  std::string text{buffer.data(), end};
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

// Typography comes from a form; anything absurd or not a number falls back to the default.
[[nodiscard]] double sane(double value, double low, double high, double fallback) {
  if (!std::isfinite(value) || value < low || value > high) return fallback;
  return value;
}

// Reading systems take 100% as the reader's chosen size; a 12 pt book is set at that size and
// the form's size scales it, so the reader's font-size control still works.
constexpr double reader_default_pt = 12.0;

}  // namespace

std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_clean(out, text, [](std::string& o, char c) { o += c; });
  return out;
}

void append_xml(std::string& out, std::string_view text, bool attribute) {
  append_clean(out, text, [attribute](std::string& o, char c) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        if (attribute) {
          o += "&quot;";
        } else {
          o += c;
        }
        break;
      case '\n':
      case '\t':
        o += attribute ? ' ' : c;
        break;
      default:
        o += c;
    }
  });
}

std::string link_target(std::string_view url) {
  url = trim(url);
  if (starts_with_ascii_ci(url, "http://") || starts_with_ascii_ci(url, "https://")) {
    const std::string_view rest = url.substr(url.find("//") + 2);
    const std::size_t host_end = rest.find_first_of("/?#");
    if (trim(rest.substr(0, host_end)).empty()) return {};
  } else if (starts_with_ascii_ci(url, "mailto:")) {
    if (url.size() == std::string_view{"mailto:"}.size()) return {};
  } else {
    return {};
  }
  constexpr std::string_view hex = "0123456789ABCDEF";
  constexpr std::string_view allowed = "-._~!$&'()*+,;=:/?@";
  std::string out;
  out.reserve(url.size());
  bool seen_fragment = false;
  for (std::size_t i = 0; i < url.size(); ++i) {
    const char c = url[i];
    const bool keep =
        is_ascii_alpha(c) || is_ascii_digit(c) || allowed.find(c) != std::string_view::npos ||
        (c == '#' && !seen_fragment) ||
        (c == '%' && i + 2 < url.size() && is_hex_digit(url[i + 1]) && is_hex_digit(url[i + 2]));
    if (c == '#') seen_fragment = true;
    if (keep) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0x0F];
    }
  }
  return out;
}

std::string language(std::string_view book_language) {
  const std::string tag = language_tag(book_language);
  const std::vector<std::string_view> parts = subtags(tag);
  const std::string_view primary = parts.front();
  // RFC 5646: a language subtag has 2-3 letters (optionally extended) or 5-8 letters.
  if (!all_letters(primary) || primary.size() < 2 || primary.size() == 4 || primary.size() > 8) {
    return "en";
  }
  std::string out = to_lower_ascii(primary);
  // The subtags that may follow, in the order the grammar allows them.
  enum class stage { extlang, script, region, variant };
  stage at = primary.size() <= 3 ? stage::extlang : stage::script;
  int extlangs = 0;
  std::vector<std::string> variants;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string part = to_lower_ascii(parts[i]);
    const std::size_t n = part.size();
    if (!all_letters(part)) break;
    if (at == stage::extlang && n == 3 && extlangs < 3) {
      ++extlangs;
      out += '-';
      out += part;
      continue;
    }
    if (at <= stage::script && n == 4) {
      at = stage::region;
      out += '-';
      out += static_cast<char>(part[0] - 'a' + 'A');
      out += part.substr(1);
      continue;
    }
    if (at <= stage::region && n == 2) {
      at = stage::variant;
      out += '-';
      out += static_cast<char>(part[0] - 'a' + 'A');
      out += static_cast<char>(part[1] - 'a' + 'A');
      continue;
    }
    if (n >= 5 && n <= 8 && std::find(variants.begin(), variants.end(), part) == variants.end()) {
      at = stage::variant;
      variants.push_back(part);
      out += '-';
      out += part;
      continue;
    }
    // A singleton (extension or private use) or a subtag out of place: the rest is dropped.
    break;
  }
  return out;
}

bool is_right_to_left(std::string_view tag) { return is_right_to_left_language(tag); }

void append_blocks(std::string& out, const std::vector<block>& blocks) {
  xhtml_writer{out}.blocks(blocks, 0);
}

std::string font_family_list(std::string_view families) {
  std::vector<std::string> names;
  bool has_generic = false;
  while (!families.empty() && names.size() < max_families) {
    const std::size_t comma = families.find(',');
    std::string_view entry = trim(families.substr(0, comma));
    families.remove_prefix(comma == std::string_view::npos ? families.size() : comma + 1);
    if (entry.size() >= 2 && (entry.front() == '"' || entry.front() == '\'') &&
        entry.back() == entry.front()) {
      entry = trim(entry.substr(1, entry.size() - 2));
    }
    // Plain names only: a quote, semicolon, brace or backslash could end the declaration, so
    // a name ends at the first character that is not a letter, digit, space, '-' or '_'.
    std::string name;
    for (const char c : entry) {
      if (!is_ascii_alpha(c) && !is_ascii_digit(c) && c != ' ' && c != '-' && c != '_') break;
      name += c;
    }
    name = one_line(name);
    if (name.empty() || name.size() > max_family_name) continue;
    const std::string lowered = to_lower_ascii(name);
    if (std::find(generic_families.begin(), generic_families.end(), lowered) !=
        generic_families.end()) {
      names.push_back(lowered);
      has_generic = true;
      break;  // nothing after a generic family is ever used
    }
    names.push_back('"' + name + '"');
  }
  if (!has_generic) names.emplace_back("serif");
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string stylesheet(const typography& t) {
  const double size_pt = sane(t.body_size_pt, 6.0, 36.0, 11.0);
  const double line_height = sane(t.line_height, 1.0, 3.0, 1.5);
  std::string css;
  css.reserve(3072);
  css +=
      "/* The reader's own settings (size, margins, night mode) win where it has them: sizes\n"
      "   are relative and no colours are set for the text. */\n";
  css += "body {\n  margin: 0;\n  padding: 0 0.5em;\n  font-family: ";
  css += font_family_list(t.body_font);
  css += ";\n  font-size: ";
  css += css_number(100.0 * size_pt / reader_default_pt);
  css += "%;\n  line-height: ";
  css += css_number(line_height);
  css += ";\n}\n";
  css += "h1, h2, h3, h4, h5, h6 {\n  font-family: ";
  css += font_family_list(t.heading_font);
  css += R"css(;
  font-weight: normal;
  line-height: 1.25;
  page-break-after: avoid;
  break-after: avoid;
  page-break-inside: avoid;
  break-inside: avoid;
}
h1 { font-size: 1.6em; text-align: center; margin: 2em 0 1.5em; }
h2 { font-size: 1.3em; margin: 1.75em 0 0.75em; }
h3 { font-size: 1.15em; margin: 1.5em 0 0.5em; }
h4, h5, h6 { font-size: 1em; font-style: italic; margin: 1.25em 0 0.5em; }
p { margin: 0; text-indent: 1.5em; orphans: 2; widows: 2; }
h1 + p, h2 + p, h3 + p, h4 + p, h5 + p, h6 + p, hr + p, blockquote + p, pre + p, ul + p,
ol + p, table + p, li > p:first-child, blockquote > p:first-child { text-indent: 0; }
li > p, blockquote > p { margin: 0 0 0.5em; }
ul, ol { margin: 0.75em 0; padding-left: 1.75em; padding-right: 0; }
[dir="rtl"] ul, [dir="rtl"] ol { padding-left: 0; padding-right: 1.75em; }
li { margin: 0.25em 0; }
blockquote { margin: 1em 1.5em; }
pre {
  margin: 1em 0;
  white-space: pre-wrap;
  font-size: 0.85em;
  line-height: 1.4;
  text-align: left;
}
code { font-family: monospace; }
hr.scene-break { border: 0; border-top: 1px solid; width: 25%; margin: 1.5em auto; }
table { border-collapse: collapse; margin: 1em auto; }
th, td { border: 1px solid; padding: 0.25em 0.5em; text-align: start; vertical-align: top; }
th { font-weight: bold; }
a { text-decoration: underline; }
body.cover { margin: 0; padding: 0; text-align: center; }
body.cover div { margin: 0; padding: 0; height: 100%; }
body.cover svg { display: block; width: 100%; height: 100%; }
.title-page { text-align: center; margin-top: 25%; }
.title-page h1 { font-size: 2.2em; margin: 0 0 0.5em; }
.title-page .subtitle { font-size: 1.3em; font-style: italic; text-indent: 0; margin: 0 0 2.5em; }
.title-page .author { font-size: 1.15em; letter-spacing: 0.05em; text-indent: 0; }
nav ol { list-style: none; padding: 0; margin: 0; }
nav li { margin: 0.5em 0; }
nav a { text-decoration: none; }
nav.landmarks { display: none; }
)css";
  return css;
}

}  // namespace lekhika::publishing::detail::epub
