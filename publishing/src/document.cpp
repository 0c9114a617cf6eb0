// parse_markdown: cmark-gfm (CommonMark plus GitHub tables) parses, and this file turns its
// syntax tree into the document model. The tree is walked recursively only down to a fixed
// depth; anything nested deeper (a line of ten thousand '>' is valid Markdown) is flattened
// with cmark's own iterator, so neither this walk nor any renderer of the model can run out of
// stack.

#include "lekhika/publishing/document.hpp"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lekhika::publishing {
namespace {

// Quotes and lists nested in each other deeper than this are flattened into the eighth level;
// prose never goes past three or four, and every renderer recurses over the model.
constexpr int max_block_depth = 8;

// Emphasis, strong emphasis and links nested deeper than this keep their text but lose the
// formatting ("****x****" nests two levels per four stars).
constexpr int max_inline_depth = 16;

// A table row is split into cells in time quadratic in its cell count (cmark-gfm 0.29.0.gfm.6),
// so a megabyte-long line of pipes could stall a run for hours. No book has a table this
// wide; a text with such a line is parsed without the table extension, and its pipes stay text.
constexpr std::size_t max_table_pipes_per_line = 64;

struct parser_deleter {
  void operator()(cmark_parser* p) const noexcept { cmark_parser_free(p); }
};
struct node_deleter {
  void operator()(cmark_node* n) const noexcept { cmark_node_free(n); }
};
struct iter_deleter {
  void operator()(cmark_iter* it) const noexcept { cmark_iter_free(it); }
};
using parser_ptr = std::unique_ptr<cmark_parser, parser_deleter>;
using node_ptr = std::unique_ptr<cmark_node, node_deleter>;
using iter_ptr = std::unique_ptr<cmark_iter, iter_deleter>;

// Registering the core extensions writes a global list without a lock; a function-local
// static makes the first call (from whichever thread) the only one.
[[nodiscard]] cmark_syntax_extension* table_extension() noexcept {
  static cmark_syntax_extension* const table = [] {
    cmark_gfm_core_extensions_ensure_registered();
    return cmark_find_syntax_extension("table");
  }();
  return table;
}

[[nodiscard]] bool has_overwide_line(std::string_view text) noexcept {
  std::size_t pipes = 0;
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      pipes = 0;
    } else if (c == '|' && ++pipes > max_table_pipes_per_line) {
      return true;
    }
  }
  return false;
}

[[nodiscard]] std::string_view literal_of(cmark_node* node) noexcept {
  const char* text = cmark_node_get_literal(node);
  return text == nullptr ? std::string_view{} : std::string_view{text};
}

[[nodiscard]] bool is_table(cmark_node* node) noexcept {
  const cmark_syntax_extension* table = table_extension();
  if (table == nullptr || cmark_node_get_syntax_extension(node) != table) return false;
  const char* type = cmark_node_get_type_string(node);
  return type != nullptr && std::string_view{type} == "table";
}

// Adjacent text is one node: cmark splits text at escapes, entities and raw HTML.
void append_text(inlines& out, std::string_view text) {
  if (text.empty()) return;
  if (!out.empty() && out.back().type == inline_node::kind::text) {
    out.back().text.append(text);
    return;
  }
  inline_node node;
  node.text = std::string{text};
  out.push_back(std::move(node));
}

// A line ends without trailing spaces (an image's alt text can leave one before a break).
void append_break(inlines& out, inline_node::kind type) {
  if (!out.empty() && out.back().type == inline_node::kind::text) {
    std::string& text = out.back().text;
    text.erase(std::min(text.find_last_not_of(" \t") + 1, text.size()));
    if (text.empty()) out.pop_back();
  }
  inline_node node;
  node.type = type;
  out.push_back(std::move(node));
}

// Raw inline HTML may span lines ("<b\nclass=x>"); its line endings become soft breaks, so no
// text node ever holds a line ending.
void append_literal_lines(inlines& out, std::string_view literal) {
  std::size_t at = 0;
  for (std::size_t end = literal.find('\n'); end != std::string_view::npos;
       end = literal.find('\n', at)) {
    std::string_view line = literal.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    append_text(out, line);
    append_break(out, inline_node::kind::soft_break);
    at = end + 1;
  }
  append_text(out, literal.substr(at));
}

// Raw HTML is kept as the characters the author wrote: its lines become soft-broken text, and
// a blank line inside it (script and comment blocks may contain one) starts a new paragraph.
void append_literal_paragraphs(std::vector<block>& out, std::string_view literal) {
  while (!literal.empty() && (literal.back() == '\n' || literal.back() == '\r')) {
    literal.remove_suffix(1);
  }
  block paragraph;
  std::size_t at = 0;
  while (at <= literal.size()) {
    const std::size_t end = std::min(literal.find('\n', at), literal.size());
    std::string_view line = literal.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      if (!paragraph.content.empty()) out.push_back(std::move(paragraph));
      paragraph = block{};
    } else {
      if (!paragraph.content.empty())
        append_break(paragraph.content, inline_node::kind::soft_break);
      append_text(paragraph.content, line);
    }
    at = end + 1;
  }
  if (!paragraph.content.empty()) out.push_back(std::move(paragraph));
}

// Only the table extension is attached. Strikethrough stays off: "~~x~~" is kept as the author
// typed it (the model has no struck-out text), and cmark-gfm's inline extensions switch a
// process-wide table of special characters on and off around every parse, which would race
// when books are exported on several threads. Tables are block syntax and touch no global.
[[nodiscard]] node_ptr parse_tree(std::string_view markdown) {
  // Smart punctuation stays off: the author's quotes and dashes are kept as written.
  const parser_ptr parser{cmark_parser_new(CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8)};
  if (!parser) return nullptr;
  if (cmark_syntax_extension* table = table_extension();
      table != nullptr && !has_overwide_line(markdown)) {
    cmark_parser_attach_syntax_extension(parser.get(), table);
  }
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  return node_ptr{cmark_parser_finish(parser.get())};
}

// A heading is one line in every format: the line breaks of a multi-line ("setext") heading
// become spaces.
void join_lines(inlines& content) {
  inlines joined;
  joined.reserve(content.size());
  for (std::size_t i = 0; i < content.size(); ++i) {
    inline_node& node = content[i];
    if (node.type == inline_node::kind::soft_break || node.type == inline_node::kind::line_break) {
      // At the edge of an emphasis a space would undo it ("* x*" is not emphasis).
      if (!joined.empty() && i + 1 < content.size()) append_text(joined, " ");
      continue;
    }
    join_lines(node.children);
    if (node.type == inline_node::kind::text) {
      append_text(joined, node.text);
    } else {
      joined.push_back(std::move(node));
    }
  }
  content = std::move(joined);
}

// The walk over cmark's tree: blocks recurse to max_block_depth, inlines to max_inline_depth.
class tree_walker {
 public:
  void convert_blocks(cmark_node* parent, std::vector<block>& out, int depth) {
    for (cmark_node* child = cmark_node_first_child(parent); child != nullptr;
         child = cmark_node_next(child)) {
      const std::size_t before = out.size();
      convert_block(child, out, depth);
      // "- a" followed by "* b" is two lists in CommonMark; in prose it is one list written
      // with a careless hand, and a book shows one.
      if (before > 0 && out.size() == before + 1 &&
          out[before - 1].type == block::kind::bullet_list &&
          out[before].type == block::kind::bullet_list) {
        auto& items = out[before - 1].items;
        std::move(out[before].items.begin(), out[before].items.end(), std::back_inserter(items));
        out.pop_back();
      }
    }
  }

 private:
  void convert_block(cmark_node* node, std::vector<block>& out, int depth) {
    switch (cmark_node_get_type(node)) {
      case CMARK_NODE_PARAGRAPH: {
        block b;
        convert_inlines(node, b.content, 0);
        if (!b.content.empty()) out.push_back(std::move(b));
        return;
      }
      case CMARK_NODE_HEADING: {
        block b;
        b.type = block::kind::heading;
        b.level = std::clamp(cmark_node_get_heading_level(node), 1, 6);
        convert_inlines(node, b.content, 0);
        join_lines(b.content);
        if (!b.content.empty()) out.push_back(std::move(b));
        return;
      }
      case CMARK_NODE_THEMATIC_BREAK: {
        block b;
        b.type = block::kind::thematic_break;
        out.push_back(std::move(b));
        return;
      }
      case CMARK_NODE_CODE_BLOCK:
        convert_code_block(node, out, depth);
        return;
      case CMARK_NODE_HTML_BLOCK:
        append_literal_paragraphs(out, literal_of(node));
        return;
      case CMARK_NODE_BLOCK_QUOTE: {
        if (depth >= max_block_depth) {
          flatten_blocks(node, out);
          return;
        }
        block b;
        b.type = block::kind::quote;
        convert_blocks(node, b.children, depth + 1);
        if (!b.children.empty()) out.push_back(std::move(b));
        return;
      }
      case CMARK_NODE_LIST: {
        if (depth >= max_block_depth) {
          flatten_blocks(node, out);
          return;
        }
        block b;
        if (cmark_node_get_list_type(node) == CMARK_ORDERED_LIST) {
          b.type = block::kind::ordered_list;
          b.start = cmark_node_get_list_start(node);
        } else {
          b.type = block::kind::bullet_list;
        }
        for (cmark_node* item = cmark_node_first_child(node); item != nullptr;
             item = cmark_node_next(item)) {
          b.items.emplace_back();
          convert_blocks(item, b.items.back(), depth + 1);
        }
        out.push_back(std::move(b));
        return;
      }
      default:
        if (is_table(node)) {
          convert_table(node, out);
        } else {
          flatten_blocks(node, out);
        }
        return;
    }
  }

  void convert_code_block(cmark_node* node, std::vector<block>& out, int depth) {
    std::string_view code = literal_of(node);
    int fence_length = 0;
    int fence_offset = 0;
    char fence_char = 0;
    if (cmark_node_get_fenced(node, &fence_length, &fence_offset, &fence_char) == 0) {
      // Prose has no indented code: a paragraph a model indented by four spaces is still
      // prose, so the indented text is read as Markdown again. Once only: what is indented
      // deeper still is kept as plain lines.
      if (reading_indented_) {
        append_literal_paragraphs(out, code);
        return;
      }
      const node_ptr root = parse_tree(code);
      if (!root) return;
      reading_indented_ = true;
      convert_blocks(root.get(), out, depth);
      reading_indented_ = false;
      return;
    }
    block b;
    b.type = block::kind::code_block;
    // The final line break ends the last line; it is not part of the code.
    if (!code.empty() && code.back() == '\n') code.remove_suffix(1);
    b.text = std::string{code};
    out.push_back(std::move(b));
  }

  void convert_table(cmark_node* node, std::vector<block>& out) {
    block b;
    b.type = block::kind::table;
    for (cmark_node* row = cmark_node_first_child(node); row != nullptr;
         row = cmark_node_next(row)) {
      if (b.rows.empty()) b.header_row = cmark_gfm_extensions_get_table_row_is_header(row) != 0;
      auto& cells = b.rows.emplace_back();
      for (cmark_node* cell = cmark_node_first_child(row); cell != nullptr;
           cell = cmark_node_next(cell)) {
        convert_inlines(cell, cells.emplace_back(), 0);
      }
    }
    if (!b.rows.empty()) out.push_back(std::move(b));
  }

  // The leaf blocks of a subtree too deep to keep, one after another at the current level.
  void flatten_blocks(cmark_node* root, std::vector<block>& out) {
    const iter_ptr it{cmark_iter_new(root)};
    if (!it) return;
    for (cmark_event_type ev = cmark_iter_next(it.get()); ev != CMARK_EVENT_DONE;
         ev = cmark_iter_next(it.get())) {
      cmark_node* node = cmark_iter_get_node(it.get());
      if (ev != CMARK_EVENT_ENTER || node == root) continue;
      const cmark_node_type type = cmark_node_get_type(node);
      const bool container = type == CMARK_NODE_BLOCK_QUOTE || type == CMARK_NODE_LIST ||
                             type == CMARK_NODE_ITEM || type == CMARK_NODE_DOCUMENT ||
                             type == CMARK_NODE_CUSTOM_BLOCK ||
                             type == CMARK_NODE_FOOTNOTE_DEFINITION;
      if (container || (type & CMARK_NODE_TYPE_MASK) != CMARK_NODE_TYPE_BLOCK) continue;
      // A leaf block (its inlines are converted with it): handle it and skip past its subtree.
      convert_block(node, out, max_block_depth);
      cmark_iter_reset(it.get(), node, CMARK_EVENT_EXIT);
    }
  }

  void convert_inlines(cmark_node* parent, inlines& out, int depth) {
    for (cmark_node* child = cmark_node_first_child(parent); child != nullptr;
         child = cmark_node_next(child)) {
      convert_inline(child, out, depth);
    }
  }

  void convert_inline(cmark_node* node, inlines& out, int depth) {
    switch (cmark_node_get_type(node)) {
      case CMARK_NODE_TEXT: {
        std::string_view text = literal_of(node);
        // A line starts without indentation (cmark keeps it after some hard breaks).
        if (!out.empty() && (out.back().type == inline_node::kind::soft_break ||
                             out.back().type == inline_node::kind::line_break)) {
          text.remove_prefix(std::min(text.find_first_not_of(" \t"), text.size()));
        }
        append_text(out, text);
        return;
      }
      case CMARK_NODE_HTML_INLINE:
        append_literal_lines(out, literal_of(node));
        return;
      case CMARK_NODE_SOFTBREAK:
        append_break(out, inline_node::kind::soft_break);
        return;
      case CMARK_NODE_LINEBREAK:
        append_break(out, inline_node::kind::line_break);
        return;
      case CMARK_NODE_CODE: {
        inline_node code;
        code.type = inline_node::kind::code;
        code.text = std::string{literal_of(node)};
        out.push_back(std::move(code));
        return;
      }
      case CMARK_NODE_EMPH:
      case CMARK_NODE_STRONG:
      case CMARK_NODE_LINK: {
        if (depth >= max_inline_depth) {
          flatten_inlines(node, out);
          return;
        }
        inline_node span;
        const cmark_node_type type = cmark_node_get_type(node);
        if (type == CMARK_NODE_EMPH) {
          span.type = inline_node::kind::emphasis;
        } else if (type == CMARK_NODE_STRONG) {
          span.type = inline_node::kind::strong;
        } else {
          span.type = inline_node::kind::link;
          const char* url = cmark_node_get_url(node);
          if (url != nullptr) span.url = url;
        }
        convert_inlines(node, span.children, depth + 1);
        // "[](x)" shows nothing; keep the model free of invisible nodes.
        if (!span.children.empty()) out.push_back(std::move(span));
        return;
      }
      default:
        // Images become their alt text (a book body has no image files); anything else
        // (footnote references, extension inlines) keeps its text.
        flatten_inlines(node, out);
        return;
    }
  }

  // The text of an inline subtree, without its formatting.
  static void flatten_inlines(cmark_node* root, inlines& out) {
    const iter_ptr it{cmark_iter_new(root)};
    if (!it) return;
    for (cmark_event_type ev = cmark_iter_next(it.get()); ev != CMARK_EVENT_DONE;
         ev = cmark_iter_next(it.get())) {
      if (ev != CMARK_EVENT_ENTER) continue;
      cmark_node* node = cmark_iter_get_node(it.get());
      switch (cmark_node_get_type(node)) {
        case CMARK_NODE_TEXT:
        case CMARK_NODE_CODE:
          append_text(out, literal_of(node));
          break;
        case CMARK_NODE_HTML_INLINE:
          append_literal_lines(out, literal_of(node));
          break;
        case CMARK_NODE_SOFTBREAK:
          append_break(out, inline_node::kind::soft_break);
          break;
        case CMARK_NODE_LINEBREAK:
          append_break(out, inline_node::kind::line_break);
          break;
        default:
          break;
      }
    }
  }

  bool reading_indented_ = false;
};

[[nodiscard]] document parse_with_cmark(std::string_view markdown) {
  document d;
  const node_ptr root = parse_tree(markdown);
  if (root) tree_walker{}.convert_blocks(root.get(), d.blocks, 0);
  return d;
}

}  // namespace

document parse_markdown(std::string_view markdown) {
  try {
    return parse_with_cmark(markdown);
  } catch (const std::exception&) {
    // Only memory exhaustion gets here. The text is still worth keeping as one paragraph, if
    // even that fits; the contract is that parsing never fails.
    try {
      document d;
      block b;
      append_text(b.content, markdown);
      if (!b.content.empty()) d.blocks.push_back(std::move(b));
      return d;
    } catch (const std::exception&) {
      return {};
    }
  }
}

std::string plain_text(const inlines& content) {
  std::string out;
  for (const auto& node : content) {
    if (node.type == inline_node::kind::soft_break || node.type == inline_node::kind::line_break) {
      out += ' ';
      continue;
    }
    out += node.text;
    out += plain_text(node.children);
  }
  return out;
}

}  // namespace lekhika::publishing
