#pragma once

// A compact, readable dump of the document model, so parser tests can state the whole tree
// they expect on one line:
//   blocks   p(...)  h2(...)  ul[li(...) li(...)]  ol3[...] (start 3)  quote(...)  pre"code"
//            hr  table[h: a | b ; c | d] (header row first, "h:" when it is one)
//   inlines  "text"  em(...)  strong(...)  `code`  a<url>(...)  ~ (soft break)  / (line break)

#include <string>
#include <vector>

#include "lekhika/publishing/document.hpp"

namespace lekhika::publishing::test_util {

inline void dump_inlines(std::string& out, const inlines& content);

inline void dump_inline(std::string& out, const inline_node& node) {
  switch (node.type) {
    case inline_node::kind::text:
      out += '"' + node.text + '"';
      return;
    case inline_node::kind::code:
      out += '`' + node.text + '`';
      return;
    case inline_node::kind::soft_break:
      out += '~';
      return;
    case inline_node::kind::line_break:
      out += '/';
      return;
    case inline_node::kind::emphasis:
      out += "em(";
      break;
    case inline_node::kind::strong:
      out += "strong(";
      break;
    case inline_node::kind::link:
      out += "a<" + node.url + ">(";
      break;
  }
  dump_inlines(out, node.children);
  out += ')';
}

inline void dump_inlines(std::string& out, const inlines& content) {
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (i > 0) out += ' ';
    dump_inline(out, content[i]);
  }
}

inline void dump_blocks(std::string& out, const std::vector<block>& blocks);

inline void dump_block(std::string& out, const block& b) {
  switch (b.type) {
    case block::kind::paragraph:
      out += "p(";
      dump_inlines(out, b.content);
      out += ')';
      return;
    case block::kind::heading:
      out += "h" + std::to_string(b.level) + "(";
      dump_inlines(out, b.content);
      out += ')';
      return;
    case block::kind::bullet_list:
    case block::kind::ordered_list:
      out += b.type == block::kind::bullet_list ? "ul[" : "ol" + std::to_string(b.start) + "[";
      for (std::size_t i = 0; i < b.items.size(); ++i) {
        if (i > 0) out += ' ';
        out += "li(";
        dump_blocks(out, b.items[i]);
        out += ')';
      }
      out += ']';
      return;
    case block::kind::quote:
      out += "quote(";
      dump_blocks(out, b.children);
      out += ')';
      return;
    case block::kind::code_block:
      out += "pre\"" + b.text + '"';
      return;
    case block::kind::thematic_break:
      out += "hr";
      return;
    case block::kind::table:
      out += b.header_row ? "table[h: " : "table[";
      for (std::size_t r = 0; r < b.rows.size(); ++r) {
        if (r > 0) out += " ; ";
        for (std::size_t c = 0; c < b.rows[r].size(); ++c) {
          if (c > 0) out += " | ";
          dump_inlines(out, b.rows[r][c]);
        }
      }
      out += ']';
      return;
  }
}

inline void dump_blocks(std::string& out, const std::vector<block>& blocks) {
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (i > 0) out += ' ';
    dump_block(out, blocks[i]);
  }
}

/// The dump of a whole document.
inline std::string dump(const document& d) {
  std::string out;
  dump_blocks(out, d.blocks);
  return out;
}

/// The dump of parse_markdown(markdown).
inline std::string parsed(std::string_view markdown) { return dump(parse_markdown(markdown)); }

}  // namespace lekhika::publishing::test_util
