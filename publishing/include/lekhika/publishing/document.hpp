#pragma once

// The structured content of a chapter (and of the foreword, introduction and about-the-author):
// model text arrives as Markdown-ish prose and is parsed once, with a real CommonMark parser
// (cmark-gfm, with GitHub tables), into these blocks and inlines. Every exporter renders from
// this model; none re-parses Markdown.

#include <string>
#include <string_view>
#include <vector>

namespace lekhika::publishing {

/// A run of inline content.
struct inline_node {
  enum class kind { text, emphasis, strong, code, link, line_break, soft_break };
  kind type = kind::text;
  std::string text;                   ///< text and code: the characters (UTF-8, unescaped)
  std::string url;                    ///< link: the destination
  std::vector<inline_node> children;  ///< emphasis, strong, link: what they contain
};

using inlines = std::vector<inline_node>;

/// A block of a document.
struct block {
  enum class kind {
    paragraph,
    heading,         ///< `level` 1..6, relative to the chapter (a chapter's own "# x" is level 1)
    bullet_list,     ///< `items`
    ordered_list,    ///< `items`, numbered from `start`
    quote,           ///< `children`
    code_block,      ///< `text` verbatim
    thematic_break,  ///< a scene break
    table            ///< `rows` of cells; the first row is the header when `header_row`
  };
  kind type = kind::paragraph;
  int level = 0;
  inlines content;                         ///< paragraph, heading
  std::vector<std::vector<block>> items;   ///< list items, each a list of blocks
  std::vector<block> children;             ///< quote
  std::string text;                        ///< code block
  int start = 1;                           ///< ordered list
  std::vector<std::vector<inlines>> rows;  ///< table
  bool header_row = false;                 ///< table
};

/// A parsed piece of prose.
struct document {
  std::vector<block> blocks;
  [[nodiscard]] bool empty() const noexcept { return blocks.empty(); }
};

/// Parses Markdown (CommonMark + GitHub tables) into a document. Raw HTML in the input is kept
/// as literal text, never as markup; invalid UTF-8 is replaced. Never fails.
[[nodiscard]] document parse_markdown(std::string_view markdown);

/// The plain text of some inlines (for titles, tables of contents, metadata).
[[nodiscard]] std::string plain_text(const inlines& content);

}  // namespace lekhika::publishing
