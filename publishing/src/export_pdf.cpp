// book.pdf: pango lays out the text (any script it can shape, Devanagari conjuncts included),
// cairo writes the PDF to memory with the fonts embedded and subset.
//
// Four steps: flow (the book as sections of styled elements), typeset (pango measures every
// element into line boxes), paginate (line boxes cut into pages, so the table of contents
// knows every page number before the first page is drawn), render (each page drawn once, in
// order, rebuilding the layouts it needs). The output is deterministic: no creation date.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "export_detail.hpp"
#include "export_pdf_gfx.hpp"
#include "export_pdf_model.hpp"
#include "export_pdf_typeset.hpp"

namespace lekhika::publishing::detail {
namespace {

using namespace pdf;  // NOLINT(google-build-using-namespace): the exporter's own namespace

// Colours (grey levels) of the page furniture.
constexpr double header_grey = 0.35;
constexpr double rule_grey = 0.45;
constexpr double code_tint = 0.94;
constexpr double header_row_tint = 0.9;

// cairo's output callback: appends to the string. Nothing may throw through cairo's C frames.
cairo_status_t append_output(void* closure, const unsigned char* data,
                             unsigned int length) noexcept {
  try {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
  } catch (const std::exception&) {
    return CAIRO_STATUS_WRITE_ERROR;
  }
}

struct byte_reader {
  std::string_view bytes;
  std::size_t at = 0;
};

cairo_status_t read_input(void* closure, unsigned char* data, unsigned int length) noexcept {
  auto* reader = static_cast<byte_reader*>(closure);
  if (reader->bytes.size() - reader->at < length) return CAIRO_STATUS_READ_ERROR;
  std::copy_n(reader->bytes.data() + reader->at, length, reinterpret_cast<char*>(data));
  reader->at += length;
  return CAIRO_STATUS_SUCCESS;
}

// Decimal text of a number for cairo's tag attributes, independent of the C locale.
[[nodiscard]] std::string number(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(),
                                    std::round(value * 100) / 100, std::chars_format::fixed, 2);
  return std::string(buffer.data(), result.ptr);
}

// Width and height of a baseline or progressive JPEG with 1 or 3 components (what cairo can
// embed as it is), from its start-of-frame marker.
[[nodiscard]] bool jpeg_size(std::string_view d, int& width, int& height) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(d[i]); };
  if (d.size() < 4 || byte(0) != 0xFF || byte(1) != 0xD8) return false;
  std::size_t i = 2;
  while (i + 4 <= d.size()) {
    if (byte(i) != 0xFF) return false;
    const unsigned char marker = byte(i + 1);
    if (marker == 0xFF) {
      ++i;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
      i += 2;
      continue;
    }
    const std::size_t length = (static_cast<std::size_t>(byte(i + 2)) << 8) | byte(i + 3);
    if (length < 2) return false;
    if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {
      if (i + 10 > d.size()) return false;
      height = (byte(i + 5) << 8) | byte(i + 6);
      width = (byte(i + 7) << 8) | byte(i + 8);
      const unsigned char components = byte(i + 9);
      return width > 0 && height > 0 && (components == 1 || components == 3);
    }
    if (marker == 0xD9 || marker == 0xDA) return false;
    i += 2 + length;
  }
  return false;
}

// The cover as a cairo image; nullopt when there is none or it cannot be read (the book is
// still worth having without it). PNG is decoded; JPEG is embedded as it is (cairo writes the
// attached JPEG data instead of the blank pixels of the placeholder surface).
[[nodiscard]] std::optional<surface_ptr> load_cover(const book& b) {
  constexpr int max_side = 12000;
  constexpr long long max_pixels = 40'000'000;
  if (!b.cover || b.cover->bytes.empty()) return std::nullopt;
  const std::string& bytes = b.cover->bytes;
  if (bytes.starts_with("\x89PNG")) {
    byte_reader reader{bytes};
    surface_ptr image{cairo_image_surface_create_from_png_stream(read_input, &reader)};
    if (!image || cairo_surface_status(image.get()) != CAIRO_STATUS_SUCCESS) return std::nullopt;
    return image;
  }
  int width = 0;
  int height = 0;
  if (!jpeg_size(bytes, width, height) || width > max_side || height > max_side ||
      static_cast<long long>(width) * height > max_pixels)
    return std::nullopt;
  surface_ptr image{cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height)};
  if (!image || cairo_surface_status(image.get()) != CAIRO_STATUS_SUCCESS) return std::nullopt;
  // The book outlives the surface (both end inside render_pdf), so cairo may borrow the bytes.
  if (cairo_surface_set_mime_data(image.get(), CAIRO_MIME_TYPE_JPEG,
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  bytes.size(), nullptr, nullptr) != CAIRO_STATUS_SUCCESS)
    return std::nullopt;
  return image;
}

// PANGO_GLYPH_UNKNOWN_FLAG (a macro with a C cast): pango's glyph for a character no font
// covers is the character's code point with this bit set.
constexpr PangoGlyph unknown_glyph_flag = 0x10000000;
constexpr std::size_t max_missing_noted = 1000;

// The warning for characters the PDF shows as boxes: how many, the first few, and the package
// that covers them when they are Chinese, Japanese or Korean (not installed by default).
std::string missing_glyphs_warning(const std::set<char32_t>& missing) {
  std::string text =
      "pdf: " + std::string{missing.size() >= max_missing_noted ? "at least " : ""} +
      std::to_string(missing.size()) +
      (missing.size() == 1
           ? " character has no glyph in this machine's fonts and shows as a box ("
           : " characters have no glyph in this machine's fonts and show as boxes (");
  bool cjk = false;
  std::size_t listed = 0;
  for (const char32_t c : missing) {
    cjk = cjk || (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) ||
          (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF);
    if (listed == 5) continue;
    std::array<char, 16> code{};
    std::snprintf(code.data(), code.size(), "U+%04X", static_cast<unsigned>(c));
    text += (listed++ == 0 ? "" : ", ") + std::string{code.data()};
  }
  text += missing.size() > listed ? ", ...)" : ")";
  if (cjk) text += "; install fonts-noto-cjk for Chinese, Japanese and Korean text";
  return text;
}

class renderer {
 public:
  renderer(const typesetter& ts, const std::vector<section>& sections, cairo_surface_t& surface,
           cairo_t& cr, std::string_view title)
      : ts_(ts), s_(ts.config()), sections_(sections), surface_(surface), cr_(cr) {
    paragraph_style header_style;
    header_style.size = s_.body_size * 0.8;
    header_style.italic = true;
    header_style.align = text_align::center;
    header_ = ts_.plain_layout(title, header_style, s_.page.content_width());
    // One line, shortened with an ellipsis when the title is longer than the page is wide.
    pango_layout_set_ellipsize(header_.get(), PANGO_ELLIPSIZE_END);
    footer_style_.size = s_.body_size * 0.85;
    footer_style_.align = text_align::center;
    leader_style_.size = s_.body_size;
    leader_style_.line_height = s_.line_height;
    leader_style_.align = text_align::left;
    const layout_ptr unit = ts_.plain_layout(". ", leader_style_, 0);
    int width = 0;
    int height = 0;
    pango_layout_get_size(unit.get(), &width, &height);
    leader_pitch_ = std::max(from_pango(width), 1.0);
  }

  /// Characters drawn with no glyph in any installed font (pango shows each as a box).
  [[nodiscard]] const std::set<char32_t>& missing() const noexcept { return missing_; }

  void page(const page_plan& plan, int number, cairo_surface_t* cover) {
    if (plan.cover) {
      if (cover != nullptr) draw_cover(*cover);
      cairo_show_page(&cr_);
      return;
    }
    const section& sec = sections_[plan.section];
    if (plan.opens_section) mark(sec, plan.section);
    if (plan.decorated) {
      draw_header();
      draw_footer(number);
    }
    for (const auto& f : plan.fragments) draw(sec, f);
    cairo_show_page(&cr_);
  }

 private:
  [[nodiscard]] double left_edge(const element& e) const noexcept {
    return s_.page.margin + e.left;
  }

  void set_grey(double level) { cairo_set_source_rgb(&cr_, level, level, level); }

  // Every layout and line is drawn through these two, which note the characters no font had a
  // glyph for: the book then says so instead of shipping boxes silently.
  void show_layout(PangoLayout* layout) {
    for (GSList* l = pango_layout_get_lines_readonly(layout); l != nullptr; l = l->next) {
      note_missing(static_cast<PangoLayoutLine*>(l->data));
    }
    pango_cairo_show_layout(&cr_, layout);
  }

  void show_line(PangoLayoutLine* line) {
    note_missing(line);
    pango_cairo_show_layout_line(&cr_, line);
  }

  void note_missing(const PangoLayoutLine* line) {
    for (const GSList* run = line->runs; run != nullptr; run = run->next) {
      const PangoGlyphString* glyphs = static_cast<const PangoGlyphItem*>(run->data)->glyphs;
      for (int i = 0; i < glyphs->num_glyphs; ++i) {
        const PangoGlyph glyph = glyphs->glyphs[i].glyph;
        if ((glyph & unknown_glyph_flag) != 0 && missing_.size() < max_missing_noted) {
          missing_.insert(static_cast<char32_t>(glyph & ~unknown_glyph_flag));
        }
      }
    }
  }

  // The named destination the contents link to, and the entry in the PDF outline (bookmarks).
  void mark(const section& sec, std::size_t index) {
    const std::string dest = "name='section-" + std::to_string(index) +
                             "' x=0 y=" + number(std::max(0.0, s_.page.top() - 8));
    cairo_tag_begin(&cr_, CAIRO_TAG_DEST, dest.c_str());
    cairo_tag_end(&cr_, CAIRO_TAG_DEST);
    if (sec.kind == section_kind::title_page) return;
    const std::string link = "dest='section-" + std::to_string(index) + "'";
    cairo_pdf_surface_add_outline(&surface_, CAIRO_PDF_OUTLINE_ROOT, sec.name.c_str(), link.c_str(),
                                  cairo_pdf_outline_flags_t{});
  }

  void draw_cover(cairo_surface_t& cover) {
    cairo_surface_t* image = &cover;
    const double width = cairo_image_surface_get_width(image);
    const double height = cairo_image_surface_get_height(image);
    if (width <= 0 || height <= 0) return;
    // The whole image, as large as the page allows, centred.
    const double scale = std::min(s_.page.width / width, s_.page.height / height);
    cairo_save(&cr_);
    cairo_translate(&cr_, (s_.page.width - width * scale) / 2,
                    (s_.page.height - height * scale) / 2);
    cairo_scale(&cr_, scale, scale);
    cairo_set_source_surface(&cr_, image, 0, 0);
    cairo_paint(&cr_);
    cairo_restore(&cr_);
  }

  void draw_header() {
    int width = 0;
    int height = 0;
    pango_layout_get_size(header_.get(), &width, &height);
    set_grey(header_grey);
    cairo_move_to(&cr_, s_.page.margin, (s_.page.margin - from_pango(height)) / 2);
    show_layout(header_.get());
  }

  void draw_footer(int page_number) {
    const layout_ptr layout =
        ts_.plain_layout(std::to_string(page_number), footer_style_, s_.page.content_width());
    int width = 0;
    int height = 0;
    pango_layout_get_size(layout.get(), &width, &height);
    set_grey(0);
    cairo_move_to(&cr_, s_.page.margin, s_.page.height - (s_.page.margin + from_pango(height)) / 2);
    show_layout(layout.get());
  }

  void draw(const section& sec, const fragment& f) {
    const element& e = sec.elements[f.element];
    switch (e.kind) {
      case element_kind::rule:
        draw_rule(e, f);
        return;
      case element_kind::table_row:
        draw_row(sec, e, f);
        return;
      case element_kind::code:
        draw_tint(e, f);
        break;
      case element_kind::text:
      case element_kind::toc_entry:
        break;
    }
    double y = f.y;
    for (std::size_t k = f.first_line; k < f.first_line + f.line_count; ++k) {
      const line_box& box = e.lines[k];
      const text_piece& piece = e.pieces[box.piece];
      const layout_line& line = cached_line(e, box.piece, box.piece_line);
      const double baseline = y + box.baseline;
      set_grey(0);
      cairo_move_to(&cr_, left_edge(e) + line.x, baseline);
      show_line(line.line);
      if (!e.content.links.empty()) draw_links(e, piece, line, y, box.height);
      if (k == 0 && !e.marker.empty()) draw_marker(e, baseline);
      if (e.kind == element_kind::toc_entry && k + 1 == e.lines.size()) {
        draw_page_reference(e, line, baseline);
      }
      y += box.height;
    }
    if (e.kind == element_kind::toc_entry && e.target < sections_.size()) {
      // The whole entry is a link to its section.
      const std::string link = "rect=[" + number(s_.page.margin) + " " + number(f.y) + " " +
                               number(s_.page.content_width()) + " " + number(y - f.y) +
                               "] dest='section-" + std::to_string(e.target) + "'";
      cairo_tag_begin(&cr_, CAIRO_TAG_LINK, link.c_str());
      cairo_tag_end(&cr_, CAIRO_TAG_LINK);
    }
  }

  // The layouts of the piece being drawn are kept while its lines are drawn, so a paragraph
  // that runs over many pages is laid out once here, not once per page.
  const layout_line& cached_line(const element& e, std::size_t piece, std::size_t line) {
    if (cached_element_ != &e || cached_piece_ != piece) {
      cached_layout_ = ts_.piece_layout(e, e.pieces[piece]);
      cached_lines_ = typesetter::lines_of(*cached_layout_);
      cached_element_ = &e;
      cached_piece_ = piece;
    }
    if (line >= cached_lines_.size()) {
      // Cannot happen: the same inputs give the same lines. Fail loudly rather than misprint.
      throw std::runtime_error("pdf: a layout changed between measuring and drawing");
    }
    return cached_lines_[line];
  }

  // Link annotations over the parts of the line that are links.
  void draw_links(const element& e, const text_piece& piece, const layout_line& line, double top,
                  double height) {
    const std::size_t prefix = mark_bytes(piece);
    const auto line_start = static_cast<std::size_t>(line.line->start_index);
    const auto line_end = line_start + static_cast<std::size_t>(line.line->length);
    for (const auto& link : e.content.links) {
      if (link.end <= piece.start || link.start >= piece.end) continue;
      const std::size_t from =
          std::max(std::max(link.start, piece.start) - piece.start + prefix, line_start);
      const std::size_t to =
          std::min(std::min(link.end, piece.end) - piece.start + prefix, line_end);
      if (from >= to) continue;
      int* ranges = nullptr;
      int count = 0;
      pango_layout_line_get_x_ranges(line.line, static_cast<int>(from), static_cast<int>(to),
                                     &ranges, &count);
      for (int r = 0; r < count; ++r) {
        const double x0 = from_pango(ranges[std::ptrdiff_t{2} * r]);
        const double x1 = from_pango(ranges[std::ptrdiff_t{2} * r + 1]);
        const std::string attributes = "rect=[" + number(left_edge(e) + x0) + " " + number(top) +
                                       " " + number(x1 - x0) + " " + number(height) + "] uri='" +
                                       link.uri + "'";
        cairo_tag_begin(&cr_, CAIRO_TAG_LINK, attributes.c_str());
        cairo_tag_end(&cr_, CAIRO_TAG_LINK);
      }
      g_free(ranges);
    }
  }

  // The list marker, right-aligned in the gutter before the first line (and before the tint
  // of a code block), in the body font whatever the item starts with.
  void draw_marker(const element& e, double baseline) {
    paragraph_style style;
    style.size = s_.body_size;
    style.align = text_align::left;
    const layout_ptr marker = ts_.plain_layout(e.marker, style, 0);
    int width = 0;
    int height = 0;
    pango_layout_get_size(marker.get(), &width, &height);
    const double gap = 0.45 * s_.body_size + (e.kind == element_kind::code ? code_padding(s_) : 0);
    cairo_move_to(&cr_, left_edge(e) - gap - from_pango(width),
                  baseline - from_pango(pango_layout_get_baseline(marker.get())));
    show_layout(marker.get());
  }

  // Dot leaders from the end of the entry's last line to its page number, the dots on a grid
  // shared by all entries so that they line up down the page.
  void draw_page_reference(const element& e, const layout_line& line, double baseline) {
    if (e.target >= sections_.size()) return;
    const layout_ptr page =
        ts_.plain_layout(std::to_string(sections_[e.target].first_page), leader_style_, 0);
    int width = 0;
    int height = 0;
    pango_layout_get_size(page.get(), &width, &height);
    const double right = s_.page.margin + s_.page.content_width();
    const double number_left = right - from_pango(width);
    cairo_move_to(&cr_, number_left, baseline - from_pango(pango_layout_get_baseline(page.get())));
    show_layout(page.get());

    PangoRectangle logical{};
    pango_layout_line_get_extents(line.line, nullptr, &logical);
    const double text_end = left_edge(e) + line.x + from_pango(logical.x + logical.width);
    const double space = 0.4 * s_.body_size;
    const double from =
        s_.page.margin +
        std::ceil((text_end + space - s_.page.margin) / leader_pitch_) * leader_pitch_;
    const double room = number_left - space - from;
    if (room < leader_pitch_) return;
    const auto dots = static_cast<std::size_t>(room / leader_pitch_);
    std::string text;
    for (std::size_t i = 0; i < dots; ++i) text += i == 0 ? "." : " .";
    const layout_ptr leaders = ts_.plain_layout(text, leader_style_, 0);
    cairo_move_to(&cr_, from, baseline - from_pango(pango_layout_get_baseline(leaders.get())));
    show_layout(leaders.get());
  }

  void draw_rule(const element& e, const fragment& f) {
    const double width = std::min(4 * s_.body_size, s_.page.content_width() / 3);
    const double y = f.y + e.lines.front().height / 2;
    set_grey(rule_grey);
    cairo_set_line_width(&cr_, 0.6);
    cairo_move_to(&cr_, s_.page.width / 2 - width / 2, y);
    cairo_line_to(&cr_, s_.page.width / 2 + width / 2, y);
    cairo_stroke(&cr_);
  }

  // The tinted box behind (this page's part of) a code block.
  void draw_tint(const element& e, const fragment& f) {
    double height = 0;
    for (std::size_t k = f.first_line; k < f.first_line + f.line_count; ++k) {
      height += e.lines[k].height;
    }
    const double pad = code_padding(s_);
    const double pad_y = 0.35 * s_.body_size;
    set_grey(code_tint);
    cairo_rectangle(&cr_, left_edge(e) - pad, f.y - pad_y, ts_.text_width(e) + 2 * pad,
                    height + 2 * pad_y);
    cairo_fill(&cr_);
  }

  void draw_row(const section& sec, const element& e, const fragment& f) {
    if (e.table >= sec.tables.size()) return;
    const auto& widths = sec.tables[e.table].widths;
    const double height = e.lines.front().height;
    const double pad = ts_.cell_padding();
    double total = 0;
    for (double w : widths) total += w;
    cairo_save(&cr_);
    // A row taller than the page is cut at the margins rather than drawn over the footer.
    cairo_rectangle(&cr_, 0, s_.page.top(), s_.page.width, s_.page.bottom() - s_.page.top());
    cairo_clip(&cr_);
    if (e.tinted) {
      set_grey(header_row_tint);
      cairo_rectangle(&cr_, left_edge(e), f.y, total, height);
      cairo_fill(&cr_);
    }
    double x = left_edge(e);
    for (std::size_t c = 0; c < widths.size() && c < e.cells.size(); ++c) {
      const layout_ptr cell = ts_.cell_layout(e, c, std::max(widths[c] - 2 * pad, 1.0));
      set_grey(0);
      cairo_move_to(&cr_, x + pad, f.y + pad);
      show_layout(cell.get());
      set_grey(rule_grey);
      cairo_set_line_width(&cr_, 0.5);
      cairo_rectangle(&cr_, x, f.y, widths[c], height);
      cairo_stroke(&cr_);
      x += widths[c];
    }
    cairo_restore(&cr_);
  }

  const typesetter& ts_;
  const settings& s_;
  const std::vector<section>& sections_;
  cairo_surface_t& surface_;
  cairo_t& cr_;
  std::set<char32_t> missing_;
  layout_ptr header_;
  paragraph_style footer_style_;
  paragraph_style leader_style_;
  double leader_pitch_ = 1;
  const element* cached_element_ = nullptr;
  std::size_t cached_piece_ = 0;
  layout_ptr cached_layout_;
  std::vector<layout_line> cached_lines_;
};

void set_metadata(cairo_surface_t& surface, const book& b) {
  const std::string title = clean_line(display_title(b));
  cairo_pdf_surface_set_metadata(&surface, CAIRO_PDF_METADATA_TITLE, title.c_str());
  if (const std::string author = clean_line(b.author); !author.empty()) {
    cairo_pdf_surface_set_metadata(&surface, CAIRO_PDF_METADATA_AUTHOR, author.c_str());
  }
  if (const std::string subtitle = clean_line(b.subtitle); !subtitle.empty()) {
    cairo_pdf_surface_set_metadata(&surface, CAIRO_PDF_METADATA_SUBJECT, subtitle.c_str());
  }
  cairo_pdf_surface_set_metadata(&surface, CAIRO_PDF_METADATA_CREATOR, "Lekhika");
  // An empty date removes the creation date cairo would otherwise take from the clock: the
  // same book gives the same bytes, and this library reads no clock.
  cairo_pdf_surface_set_metadata(&surface, CAIRO_PDF_METADATA_CREATE_DATE, "");
}

}  // namespace

std::string render_pdf(const book& b, std::vector<std::string>* warnings) {
  const settings config = make_settings(b);
  const typesetter ts{config};
  std::vector<section> sections = build_sections(b, config);
  for (auto& sec : sections) ts.measure(sec);
  const std::optional<surface_ptr> cover = load_cover(b);
  const std::vector<page_plan> pages = paginate(sections, config.page, cover.has_value());

  std::string out;
  out.reserve(std::size_t{64} * 1024 + estimated_size(b) / 2);
  {
    surface_ptr surface{cairo_pdf_surface_create_for_stream(append_output, &out, config.page.width,
                                                            config.page.height)};
    if (!surface || cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
      throw std::runtime_error("pdf: cannot create the PDF surface");
    }
    set_metadata(*surface, b);
    cairo_ptr cr{cairo_create(surface.get())};
    if (!cr || cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
      throw std::runtime_error("pdf: cannot create a cairo context");
    }
    renderer r{ts, sections, *surface, *cr, clean_line(display_title(b))};
    int number = 0;
    for (const auto& plan : pages) {
      r.page(plan, ++number, cover ? cover->get() : nullptr);
    }
    if (warnings != nullptr && !r.missing().empty()) {
      warnings->push_back(missing_glyphs_warning(r.missing()));
    }
    const cairo_status_t drawn = cairo_status(cr.get());
    cr.reset();
    cairo_surface_finish(surface.get());
    if (drawn != CAIRO_STATUS_SUCCESS ||
        cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
      throw std::runtime_error(std::string{"pdf: cairo failed: "} +
                               cairo_status_to_string(drawn != CAIRO_STATUS_SUCCESS
                                                          ? drawn
                                                          : cairo_surface_status(surface.get())));
    }
  }
  return out;
}

}  // namespace lekhika::publishing::detail
