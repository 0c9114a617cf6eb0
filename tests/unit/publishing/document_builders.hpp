#pragma once

// Builders for documents made by hand in the publishing tests: one short call per block and
// inline kind of the document model (lekhika/publishing/document.hpp), so a test writes the
// tree an exporter is given, e.g.
//   paragraph(inlines{text("a "), wrap(inline_node::kind::emphasis, {text("b")}),
//                     link("https://example.com", {text("c")})})
//   list(block::kind::ordered_list, {{paragraph("one")}, {paragraph("two")}}, 3)

#include <string>
#include <utility>
#include <vector>

#include "lekhika/publishing/document.hpp"

namespace lekhika::publishing::test_util {

// ---- inlines ----

inline inline_node text(std::string s) {
  return inline_node{inline_node::kind::text, std::move(s), {}, {}};
}

inline inline_node code(std::string s) {
  return inline_node{inline_node::kind::code, std::move(s), {}, {}};
}

/// Emphasis or strong around `children`.
inline inline_node wrap(inline_node::kind kind, inlines children) {
  return inline_node{kind, {}, {}, std::move(children)};
}

inline inline_node link(std::string url, inlines children) {
  return inline_node{inline_node::kind::link, {}, std::move(url), std::move(children)};
}

inline inline_node line_break() { return inline_node{inline_node::kind::line_break, {}, {}, {}}; }

inline inline_node soft_break() { return inline_node{inline_node::kind::soft_break, {}, {}, {}}; }

// ---- blocks ----

inline block paragraph(inlines content) {
  block b;
  b.content = std::move(content);
  return b;
}

/// A paragraph of one text run.
inline block paragraph(std::string s) { return paragraph(inlines{text(std::move(s))}); }

inline block heading(int level, std::string s) {
  block b;
  b.type = block::kind::heading;
  b.level = level;
  b.content = {text(std::move(s))};
  return b;
}

/// A bullet_list or ordered_list; each item is a list of blocks.
inline block list(block::kind kind, std::vector<std::vector<block>> items, int start = 1) {
  block b;
  b.type = kind;
  b.items = std::move(items);
  b.start = start;
  return b;
}

inline block quote(std::vector<block> children) {
  block b;
  b.type = block::kind::quote;
  b.children = std::move(children);
  return b;
}

inline block code_block(std::string s) {
  block b;
  b.type = block::kind::code_block;
  b.text = std::move(s);
  return b;
}

/// A thematic break.
inline block scene_break() {
  block b;
  b.type = block::kind::thematic_break;
  return b;
}

/// Rows of cells; the first row is the header when `header_row`.
inline block table(std::vector<std::vector<inlines>> rows, bool header_row) {
  block b;
  b.type = block::kind::table;
  b.rows = std::move(rows);
  b.header_row = header_row;
  return b;
}

}  // namespace lekhika::publishing::test_util
