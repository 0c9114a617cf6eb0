// PDF exporter, steps 2 and 3 of 4: measure every element with pango, then cut into pages.

#include "export_pdf_typeset.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lekhika::publishing::detail::pdf {
namespace {

// Pango's line breaking costs more than linearly in the length of one paragraph (a 400 KB
// paragraph takes seven times as long as a 100 KB one), so a long paragraph is laid out in
// pieces of about this size. Each piece ends two lines before its text does and the next piece
// starts where the first dropped line started: pango breaks lines greedily, so every kept line
// is the line a layout of the whole paragraph would have made.
constexpr std::size_t piece_bytes = std::size_t{16} * 1024;
constexpr std::size_t whole_paragraph_bytes = std::size_t{24} * 1024;
constexpr std::size_t lines_dropped = 2;
// How far past piece_bytes a piece may run to end at a space.
constexpr std::size_t space_search_bytes = 4096;

// A table cell holds a few words; a giant one is cut rather than laid out for minutes.
constexpr std::size_t max_cell_bytes = std::size_t{64} * 1024;
// Column widths are estimated from the start of each cell.
constexpr std::size_t natural_width_bytes = 2000;

// A continuation piece starts with a directional mark, so pango gives it the direction of the
// paragraph it continues rather than guessing from its own first letter.
constexpr std::string_view left_to_right_mark = "\u200E";
constexpr std::string_view right_to_left_mark = "\u200F";

static_assert(left_to_right_mark.size() == mark_bytes(text_piece{0, 0, false, false}));
static_assert(right_to_left_mark.size() == left_to_right_mark.size());

constexpr double code_scale = 0.88;  // DejaVu Sans Mono looks larger than serif text

// Where a piece that starts at `start` ends: after the first space or newline past the piece
// size, or at the next character boundary in text without spaces (CJK, one huge word).
[[nodiscard]] std::size_t piece_end(const std::string& text, std::size_t start) {
  if (text.size() - start <= whole_paragraph_bytes) return text.size();
  const std::size_t at = start + piece_bytes;
  const std::size_t limit = std::min(text.size(), at + space_search_bytes);
  for (std::size_t i = at; i < limit; ++i) {
    if (text[i] == ' ' || text[i] == '\n') return i + 1;
  }
  std::size_t end = at;
  while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
  return end;
}

// A UTF-8 prefix of `text` of at most `limit` bytes.
[[nodiscard]] std::string_view utf8_prefix(std::string_view text, std::size_t limit) noexcept {
  if (text.size() <= limit) return text;
  while (limit > 0 && (static_cast<unsigned char>(text[limit]) & 0xC0) == 0x80) --limit;
  return text.substr(0, limit);
}

// The attributes of the bytes [start, end) of `content`, shifted by `shift` (the layout text
// is that range with `shift` bytes in front of it).
[[nodiscard]] attr_list_ptr attributes(const rich_text& content, std::size_t start, std::size_t end,
                                       std::size_t shift, const paragraph_style& style,
                                       const std::string& mono_families) {
  attr_list_ptr list{checked(pango_attr_list_new(), "an attribute list")};
  // Words are never split with an inserted hyphen (lines break between words; only a word
  // wider than the line is broken, between characters).
  add_attribute(*list, attribute_ptr{pango_attr_insert_hyphens_new(FALSE)}, 0,
                PANGO_ATTR_INDEX_TO_TEXT_END);
  const auto& runs = content.runs;
  auto run = std::upper_bound(runs.begin(), runs.end(), start,
                              [](std::size_t at, const text_run& r) { return at < r.end; });
  for (; run != runs.end() && run->start < end; ++run) {
    const std::size_t from = std::max(run->start, start) - start + shift;
    const std::size_t to = std::min(run->end, end) - start + shift;
    if (from >= to) continue;
    if ((run->flags & run_italic) != 0) {
      // Emphasis inside italic text (a quote) is set upright, as books do.
      add_attribute(*list,
                    attribute_ptr{pango_attr_style_new(style.italic ? PANGO_STYLE_NORMAL
                                                                    : PANGO_STYLE_ITALIC)},
                    from, to);
    }
    if ((run->flags & run_bold) != 0) {
      add_attribute(*list, attribute_ptr{pango_attr_weight_new(PANGO_WEIGHT_BOLD)}, from, to);
    }
    if ((run->flags & run_code) != 0) {
      add_attribute(*list, attribute_ptr{pango_attr_family_new(mono_families.c_str())}, from, to);
      add_attribute(*list, attribute_ptr{pango_attr_scale_new(code_scale)}, from, to);
    }
    if ((run->flags & run_link) != 0) {
      // A quiet dark blue: visible as a link on screen, still dark on paper.
      add_attribute(*list, attribute_ptr{pango_attr_foreground_new(0x1f00, 0x4e00, 0x7900)}, from,
                    to);
    }
  }
  return list;
}

// One line's box: at least size * line_height tall (CSS line-height), with the glyphs
// centred in it; taller lines (a larger fallback font, a tall script) keep their own height.
[[nodiscard]] line_box box_for(const paragraph_style& style, const PangoRectangle& logical,
                               int baseline) noexcept {
  const double natural = from_pango(logical.height);
  const double ascent = from_pango(baseline - logical.y);
  const double height = std::max(natural, style.size * style.line_height);
  return line_box{height, (height - natural) / 2 + ascent, 0, 0};
}

}  // namespace

typesetter::typesetter(const settings& s) : s_(s) {
  // A font map of our own: pango's default one is per thread and shared with whatever else
  // the process draws, and exports run on worker threads.
  font_map_.reset(checked(pango_cairo_font_map_new(), "a font map"));
  context_.reset(checked(pango_font_map_create_context(font_map_.get()), "a pango context"));
  // Points are the unit of the PDF surface (the default would be 96 dpi screen pixels).
  pango_cairo_context_set_resolution(context_.get(), 72.0);
  // No hinting: glyph advances must be exact, not rounded to whole points, or justified lines
  // get uneven word spacing.
  font_options_ptr options{checked(cairo_font_options_create(), "font options")};
  cairo_font_options_set_hint_metrics(options.get(), CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(options.get(), CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options(context_.get(), options.get());
  pango_context_set_round_glyph_positions(context_.get(), FALSE);
  pango_context_set_language(context_.get(), pango_language_from_string(s_.language.c_str()));
}

const std::string& typesetter::families(font_role role) const noexcept {
  switch (role) {
    case font_role::heading:
      return s_.heading_families;
    case font_role::mono:
      return s_.mono_families;
    case font_role::body:
      break;
  }
  return s_.body_families;
}

double typesetter::text_width(const element& e) const noexcept {
  // A minimum keeps pango from being asked for a zero or negative width.
  return std::max(s_.page.content_width() - e.left - e.right, 4 * s_.body_size);
}

layout_ptr typesetter::make_layout(const paragraph_style& style, double width) const {
  layout_ptr layout{checked(pango_layout_new(context_.get()), "a layout")};
  font_description_ptr font{checked(pango_font_description_new(), "a font description")};
  pango_font_description_set_family(font.get(), families(style.font).c_str());
  pango_font_description_set_size(font.get(), to_pango(style.size));
  pango_font_description_set_style(font.get(),
                                   style.italic ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL);
  pango_font_description_set_weight(font.get(),
                                    style.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description(layout.get(), font.get());
  if (width > 0) {
    pango_layout_set_width(layout.get(), to_pango(width));
    pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  }
  pango_layout_set_alignment(
      layout.get(), style.align == text_align::center ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT);
  // With auto_dir (the default) a right-to-left paragraph is aligned and justified from the
  // right; the contents keep a fixed left-to-right base so the leaders stay on the right.
  pango_layout_set_justify(layout.get(), style.align == text_align::justify ? TRUE : FALSE);
  if (style.left_to_right) pango_layout_set_auto_dir(layout.get(), FALSE);
  return layout;
}

layout_ptr typesetter::piece_layout(const element& e, const text_piece& piece) const {
  layout_ptr layout = make_layout(e.style, text_width(e));
  if (piece.first && e.style.first_indent != 0) {
    pango_layout_set_indent(layout.get(), to_pango(e.style.first_indent));
  }
  const std::string_view whole = e.content.text;
  std::string text;
  if (!piece.first) text = piece.right_to_left ? right_to_left_mark : left_to_right_mark;
  text.append(whole.substr(piece.start, piece.end - piece.start));
  const attr_list_ptr attrs =
      attributes(e.content, piece.start, piece.end, mark_bytes(piece), e.style, s_.mono_families);
  pango_layout_set_attributes(layout.get(), attrs.get());
  pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
  return layout;
}

layout_ptr typesetter::cell_layout(const element& row, std::size_t cell, double width) const {
  paragraph_style style = row.style;
  style.align = text_align::left;
  layout_ptr layout = make_layout(style, width);
  const rich_text& content = row.cells[cell];
  const std::string_view text =
      utf8_prefix(content.text, width > 0 ? max_cell_bytes : natural_width_bytes);
  const attr_list_ptr attrs = attributes(content, 0, text.size(), 0, style, s_.mono_families);
  pango_layout_set_attributes(layout.get(), attrs.get());
  pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
  return layout;
}

layout_ptr typesetter::plain_layout(std::string_view text, const paragraph_style& style,
                                    double width) const {
  layout_ptr layout = make_layout(style, width);
  const rich_text content{std::string{text}, {}, {}};
  const attr_list_ptr attrs = attributes(content, 0, text.size(), 0, style, s_.mono_families);
  pango_layout_set_attributes(layout.get(), attrs.get());
  pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
  return layout;
}

std::vector<layout_line> typesetter::lines_of(PangoLayout& layout) {
  std::vector<layout_line> lines;
  layout_iter_ptr iter{checked(pango_layout_get_iter(&layout), "a layout iterator")};
  do {
    PangoRectangle logical{};
    pango_layout_iter_get_line_extents(iter.get(), nullptr, &logical);
    lines.push_back(
        layout_line{pango_layout_iter_get_line_readonly(iter.get()), from_pango(logical.x)});
  } while (pango_layout_iter_next_line(iter.get()) != FALSE);
  return lines;
}

void typesetter::measure_text(element& e) const {
  e.lines.clear();
  e.pieces.clear();
  const std::string& text = e.content.text;
  std::size_t start = 0;
  bool right_to_left = false;
  for (bool first = true;; first = false) {
    const text_piece piece{start, piece_end(text, start), first, right_to_left};
    const layout_ptr layout = piece_layout(e, piece);
    struct measured {
      line_box box;
      std::size_t start_index;
    };
    std::vector<measured> lines;
    {
      layout_iter_ptr iter{checked(pango_layout_get_iter(layout.get()), "a layout iterator")};
      do {
        PangoRectangle logical{};
        pango_layout_iter_get_line_extents(iter.get(), nullptr, &logical);
        const int baseline = pango_layout_iter_get_baseline(iter.get());
        const PangoLayoutLine* line = pango_layout_iter_get_line_readonly(iter.get());
        lines.push_back(measured{box_for(e.style, logical, baseline),
                                 static_cast<std::size_t>(line->start_index)});
        if (first && lines.size() == 1) {
          right_to_left = line->resolved_dir == PANGO_DIRECTION_RTL;
        }
      } while (pango_layout_iter_next_line(iter.get()) != FALSE);
    }

    std::size_t keep = lines.size();
    std::size_t next = piece.end;
    const std::size_t prefix = mark_bytes(piece);
    if (piece.end < text.size() && lines.size() > lines_dropped) {
      const std::size_t cut = lines[lines.size() - lines_dropped].start_index;
      if (cut > prefix) {
        keep = lines.size() - lines_dropped;
        next = start + cut - prefix;
      }
    }
    const auto piece_index = static_cast<std::uint32_t>(e.pieces.size());
    e.pieces.push_back(piece);
    for (std::size_t k = 0; k < keep; ++k) {
      line_box box = lines[k].box;
      box.piece = piece_index;
      box.piece_line = static_cast<std::uint32_t>(k);
      e.lines.push_back(box);
    }
    if (next >= text.size()) break;
    start = next;
  }
}

void typesetter::measure_table(section& sec, std::size_t table) const {
  table_layout& t = sec.tables[table];
  const double pad = cell_padding();
  std::vector<double> natural(t.columns, 2 * pad + s_.body_size);
  double available = 0;
  for (const auto& e : sec.elements) {
    if (e.kind != element_kind::table_row || e.table != table) continue;
    available = text_width(e);
    for (std::size_t c = 0; c < t.columns && c < e.cells.size(); ++c) {
      const layout_ptr layout = cell_layout(e, c, 0);
      int width = 0;
      int height = 0;
      pango_layout_get_size(layout.get(), &width, &height);
      natural[c] = std::max(natural[c], from_pango(width) + 2 * pad);
    }
  }
  double total = 0;
  for (double w : natural) total += w;
  t.widths.assign(t.columns, available / static_cast<double>(t.columns));
  if (total <= 0) return;
  // Columns share the width in proportion to what their text needs, none narrower than a few
  // characters (or an equal share, when there are many columns).
  const double floor = std::min(available / static_cast<double>(t.columns), 4 * s_.body_size);
  double sum = 0;
  for (std::size_t c = 0; c < t.columns; ++c) {
    t.widths[c] = std::max(floor, available * natural[c] / total);
    sum += t.widths[c];
  }
  for (double& w : t.widths) w *= available / sum;
}

void typesetter::measure_row(element& e, const section& sec) const {
  const auto& widths = sec.tables[e.table].widths;
  const double pad = cell_padding();
  double height = 0;
  for (std::size_t c = 0; c < e.cells.size() && c < widths.size(); ++c) {
    const layout_ptr layout = cell_layout(e, c, std::max(widths[c] - 2 * pad, 1.0));
    int w = 0;
    int h = 0;
    pango_layout_get_size(layout.get(), &w, &h);
    height = std::max(height, from_pango(h));
  }
  e.lines.assign(1, line_box{height + 2 * pad, 0, 0, 0});
}

void typesetter::measure(section& sec) const {
  for (std::size_t t = 0; t < sec.tables.size(); ++t) measure_table(sec, t);
  for (auto& e : sec.elements) {
    switch (e.kind) {
      case element_kind::rule: {
        const double height = e.style.size * e.style.line_height;
        e.lines.assign(1, line_box{height, height / 2, 0, 0});
        break;
      }
      case element_kind::table_row:
        measure_row(e, sec);
        break;
      case element_kind::text:
      case element_kind::code:
      case element_kind::toc_entry:
        measure_text(e);
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------

namespace {

constexpr double tolerance = 0.01;    // points; rounding must not push a line to the next page
constexpr std::size_t min_lines = 2;  // lines of a paragraph kept together at a page break

class paginator {
 public:
  explicit paginator(const page_geometry& page) : page_(page) {}

  void add_cover() { pages_.push_back(page_plan{true, none, false, false, {}}); }

  void place(section& sec, std::size_t index) {
    decorated_ = sec.kind != section_kind::title_page;
    open(index, true);
    sec.first_page = static_cast<int>(pages_.size());
    y_ += sec.sink;
    double after = 0;
    for (std::size_t i = 0; i < sec.elements.size(); ++i) {
      const element& e = sec.elements[i];
      if (e.lines.empty()) continue;
      double gap = empty_ ? 0 : std::max(after, e.space_before);
      if (!empty_ && y_ + gap + start_height(sec, i, 0) > page_.bottom() + tolerance) {
        open(index, false);
        gap = 0;
      }
      y_ += gap;
      place_lines(sec, i, index);
      after = e.space_after;
    }
  }

  [[nodiscard]] std::vector<page_plan> take() { return std::move(pages_); }

 private:
  void open(std::size_t section, bool opening) {
    pages_.push_back(page_plan{false, section, opening, decorated_, {}});
    y_ = page_.top();
    empty_ = true;
  }

  // Paragraphs of up to three lines are not split (a split would leave a single line).
  [[nodiscard]] static bool whole(const element& e) noexcept {
    return e.keep_together || e.lines.size() <= 2 * min_lines - 1;
  }

  // The height that must fit for element i to start on this page: all of it when it is kept
  // whole, otherwise its first two lines; plus the start of what follows a heading.
  [[nodiscard]] double start_height(const section& sec, std::size_t i, int depth) const {
    const element& e = sec.elements[i];
    const std::size_t count = whole(e) ? e.lines.size() : min_lines;
    double height = 0;
    for (std::size_t k = 0; k < count && k < e.lines.size(); ++k) height += e.lines[k].height;
    if (e.keep_with_next && i + 1 < sec.elements.size() && depth < 4) {
      const element& next = sec.elements[i + 1];
      height += std::max(e.space_after, next.space_before) + start_height(sec, i + 1, depth + 1);
    }
    return height;
  }

  void add(std::size_t element, std::size_t first, std::size_t count, double height) {
    pages_.back().fragments.push_back(fragment{element, first, count, y_});
    y_ += height;
    empty_ = false;
  }

  void place_lines(const section& sec, std::size_t i, std::size_t index) {
    const element& e = sec.elements[i];
    const std::size_t n = e.lines.size();
    std::size_t k = 0;
    while (k < n) {
      if (empty_ && k == 0 && e.kind == element_kind::table_row) repeat_header(sec, i);
      const double available = page_.bottom() - y_;
      std::size_t fit = 0;
      double height = 0;
      while (k + fit < n && height + e.lines[k + fit].height <= available + tolerance) {
        height += e.lines[k + fit].height;
        ++fit;
      }
      if (fit == n - k) {
        add(i, k, fit, height);
        return;
      }
      if (!empty_ && k == 0 && (whole(e) || fit < min_lines)) {
        open(index, false);
        continue;
      }
      if (fit == 0) {
        // A single line taller than the page: it goes on a page of its own (and is clipped).
        fit = 1;
        height = e.lines[k].height;
      } else if (n - k - fit < min_lines && fit > min_lines && !whole(e)) {
        // No single last line at the top of the next page.
        const std::size_t moved = min_lines - (n - k - fit);
        fit -= std::min(moved, fit - min_lines);
        height = 0;
        for (std::size_t m = 0; m < fit; ++m) height += e.lines[k + m].height;
      }
      add(i, k, fit, height);
      k += fit;
      open(index, false);
    }
  }

  // A table continued on a new page gets its header row again.
  void repeat_header(const section& sec, std::size_t i) {
    const element& e = sec.elements[i];
    if (e.table >= sec.tables.size()) return;
    const std::size_t header = sec.tables[e.table].header;
    if (header == none || header == i || header > i) return;
    const element& h = sec.elements[header];
    if (h.lines.empty()) return;
    add(header, 0, 1, h.lines[0].height);
  }

  const page_geometry& page_;
  std::vector<page_plan> pages_;
  double y_ = 0;
  bool empty_ = true;
  bool decorated_ = true;
};

}  // namespace

std::vector<page_plan> paginate(std::vector<section>& sections, const page_geometry& page,
                                bool cover) {
  paginator p{page};
  if (cover) p.add_cover();
  for (std::size_t i = 0; i < sections.size(); ++i) p.place(sections[i], i);
  return p.take();
}

}  // namespace lekhika::publishing::detail::pdf
