#pragma once

// The PDF exporter's own model of a book (internal): the book becomes sections of elements
// (flow), every element is measured into line boxes (typeset), the line boxes are cut into pages
// (paginate), and the pages are drawn (render). Lengths are PDF points (1/72 inch) throughout.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/publishing/book.hpp"

namespace lekhika::publishing::detail::pdf {

inline constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

/// The page and its text area.
struct page_geometry {
  double width = 0;
  double height = 0;
  double margin = 0;
  [[nodiscard]] double content_width() const noexcept { return width - 2 * margin; }
  [[nodiscard]] double top() const noexcept { return margin; }
  [[nodiscard]] double bottom() const noexcept { return height - margin; }
};

/// The typography the exporter uses: the book's settings made safe (finite, within limits).
struct settings {
  page_geometry page;
  double body_size = 11;      ///< pt
  double line_height = 1.5;   ///< baseline distance as a multiple of the font size
  std::string body_families;  ///< pango family lists, fallbacks included
  std::string heading_families;
  std::string mono_families;
  std::string language;  ///< BCP 47 tag for shaping and line breaking
};

/// How far the tinted box of a code block reaches beyond its text (flow indents code by this,
/// render draws the box).
[[nodiscard]] inline double code_padding(const settings& s) noexcept { return 0.5 * s.body_size; }

enum class font_role : std::uint8_t { body, heading, mono };
enum class text_align : std::uint8_t { justify, left, center };

/// How the lines of an element are set.
struct paragraph_style {
  font_role font = font_role::body;
  double size = 11;          ///< pt
  double line_height = 1.5;  ///< CSS-like: the line box is at least size * line_height
  text_align align = text_align::justify;
  bool italic = false;
  bool bold = false;
  double first_indent = 0;     ///< extra indent of the first line; negative for a hanging indent
  bool left_to_right = false;  ///< fixed LTR base direction (TOC entries, which need the leaders)
};

/// Inline styles of a run, combined as bits.
enum run_flag : std::uint8_t { run_italic = 1, run_bold = 2, run_code = 4, run_link = 8 };

/// A run of the text with a style other than the paragraph's own.
struct text_run {
  std::size_t start = 0;  ///< byte offsets into rich_text::text
  std::size_t end = 0;
  std::uint8_t flags = 0;
};

/// A link target over some bytes of the text.
struct text_link {
  std::size_t start = 0;
  std::size_t end = 0;
  std::string uri;  ///< already made safe for a cairo attribute string
};

/// Text with inline styles as non-overlapping sorted runs (never markup: user text is never
/// parsed by pango, so "<b>" in a chapter is just four characters).
struct rich_text {
  std::string text;
  std::vector<text_run> runs;
  std::vector<text_link> links;
};

enum class element_kind : std::uint8_t {
  text,       ///< paragraphs, headings, scene breaks, title page lines
  code,       ///< a code block: monospace on a tinted box
  rule,       ///< a short centred rule (title page ornament)
  table_row,  ///< one row of a ruled table, never split
  toc_entry,  ///< a contents line: the label, dot leaders and the target's page number
};

/// One measured line of an element: its box on the page and where its glyphs are.
struct line_box {
  double height = 0;             ///< height of the line box
  double baseline = 0;           ///< from the top of the box
  std::uint32_t piece = 0;       ///< which text piece holds the line
  std::uint32_t piece_line = 0;  ///< line number within that piece's layout
};

/// A stretch of a long paragraph laid out on its own (see typeset: long paragraphs are laid
/// out in pieces that end at line boundaries, which keeps the work linear in the text size).
struct text_piece {
  std::size_t start = 0;  ///< byte range of rich_text::text
  std::size_t end = 0;
  bool first = true;           ///< carries the first-line indent
  bool right_to_left = false;  ///< the paragraph's resolved direction, for continuation pieces
};

struct element {
  element_kind kind = element_kind::text;
  paragraph_style style;
  rich_text content;
  std::string marker;  ///< list bullet or number, set in the gutter before the first line
  double left = 0;     ///< indents from the text area's edges
  double right = 0;
  double space_before = 0;
  double space_after = 0;
  bool keep_with_next = false;   ///< headings: never the last thing on a page
  bool keep_together = false;    ///< never split across pages (headings, title lines)
  bool tinted = false;           ///< header row of a table
  std::vector<rich_text> cells;  ///< table_row: one per column
  std::size_t table = none;      ///< table_row: index into section::tables
  std::size_t target = none;     ///< toc_entry: the section it points to
  // Filled by typeset:
  std::vector<line_box> lines;
  std::vector<text_piece> pieces;
};

struct table_layout {
  std::size_t columns = 0;
  std::size_t header = none;   ///< element index of the header row, repeated on new pages
  std::vector<double> widths;  ///< column widths (filled by typeset)
};

enum class section_kind : std::uint8_t { title_page, contents, matter, chapter };

struct section {
  section_kind kind = section_kind::matter;
  std::string name;    ///< the label in the table of contents and the PDF outline
  bool listed = true;  ///< appears in the table of contents
  double sink = 0;     ///< space above the first element on the opening page
  std::vector<element> elements;
  std::vector<table_layout> tables;
  int first_page = 0;  ///< 1-based page number, filled by paginate
};

/// Some lines of one element placed on a page.
struct fragment {
  std::size_t element = 0;
  std::size_t first_line = 0;
  std::size_t line_count = 0;
  double y = 0;  ///< top of the first line box
};

struct page_plan {
  bool cover = false;
  std::size_t section = none;
  bool opens_section = false;
  bool decorated = true;  ///< running header and page number
  std::vector<fragment> fragments;
};

/// The book as sections, ready to be measured (flow.cpp). The cover is not a section.
[[nodiscard]] std::vector<section> build_sections(const book& b, const settings& s);

/// `text` on one line, valid UTF-8, without control characters: what cairo needs for metadata
/// and outline entries (an invalid string puts the whole surface in an error state).
[[nodiscard]] std::string clean_line(std::string_view text);

/// The safe typography for `b` (flow.cpp).
[[nodiscard]] settings make_settings(const book& b);

}  // namespace lekhika::publishing::detail::pdf
