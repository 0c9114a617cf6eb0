#pragma once

// PDF exporter, steps 2 and 3 (internal): measuring elements into line boxes with pango, and
// cutting the line boxes into pages.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "export_pdf_gfx.hpp"
#include "export_pdf_model.hpp"

namespace lekhika::publishing::detail::pdf {

/// Where the glyphs of one line of a layout are.
struct layout_line {
  PangoLayoutLine* line = nullptr;  ///< owned by the layout
  double x = 0;                     ///< left edge of the line within the layout (alignment)
};

/// Bytes in front of a piece's text in its layout: a continuation piece starts with a
/// directional mark (U+200E or U+200F, three bytes each in UTF-8), see typeset.cpp.
[[nodiscard]] constexpr std::size_t mark_bytes(const text_piece& piece) noexcept {
  return piece.first ? 0 : 3;
}

/// Lays out text with pango. The same element and piece always give the same lines, which is
/// what lets the render pass rebuild a layout and find the lines the measure pass counted.
class typesetter {
 public:
  explicit typesetter(const settings& s);

  [[nodiscard]] const settings& config() const noexcept { return s_; }

  /// Width available to an element's text.
  [[nodiscard]] double text_width(const element& e) const noexcept;

  /// Fills lines and pieces of every element, and the column widths of every table.
  void measure(section& sec) const;

  /// The layout of one piece of a text, code or contents element.
  [[nodiscard]] layout_ptr piece_layout(const element& e, const text_piece& piece) const;

  /// The layout of one table cell, `width` wide (padding excluded).
  [[nodiscard]] layout_ptr cell_layout(const element& row, std::size_t cell, double width) const;

  /// A one-off layout of plain text (headers, page numbers, list markers, leaders); no wrap
  /// when `width` <= 0.
  [[nodiscard]] layout_ptr plain_layout(std::string_view text, const paragraph_style& style,
                                        double width) const;

  /// The lines of `layout` in order.
  [[nodiscard]] static std::vector<layout_line> lines_of(PangoLayout& layout);

  /// Padding inside a table cell.
  [[nodiscard]] double cell_padding() const noexcept { return 0.3 * s_.body_size; }

 private:
  [[nodiscard]] layout_ptr make_layout(const paragraph_style& style, double width) const;
  [[nodiscard]] const std::string& families(font_role role) const noexcept;
  void measure_text(element& e) const;
  void measure_row(element& e, const section& sec) const;
  void measure_table(section& sec, std::size_t table) const;

  settings s_;
  font_map_ptr font_map_;
  context_ptr context_;
};

/// Cuts the measured sections into pages: every section starts a page, paragraphs break
/// between lines (at least two lines at the bottom and the top of a page), headings stay with
/// what follows them, a table's header row is repeated on each page it continues on. Sets each
/// section's first_page (1-based, the cover counting as page 1 when there is one).
[[nodiscard]] std::vector<page_plan> paginate(std::vector<section>& sections,
                                              const page_geometry& page, bool cover);

}  // namespace lekhika::publishing::detail::pdf
