#include "export_epub_cover.hpp"

#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "export_epub_xhtml.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail::epub {
namespace {

// ---------------------------------------------------------------------------------------------
// Image signatures.

[[nodiscard]] std::uint32_t big_endian(std::string_view b, std::size_t at, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

[[nodiscard]] std::uint32_t little_endian16(std::string_view b, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 8);
}

// Dimensions bigger than this are not a cover but a broken header.
constexpr std::uint32_t max_dimension = 1U << 16;

[[nodiscard]] int dimension(std::uint32_t v) {
  return v > 0 && v <= max_dimension ? static_cast<int>(v) : 0;
}

// The frame size of a JPEG: the first start-of-frame segment (SOF0..SOF15 but DHT, JPG, DAC).
void jpeg_size(std::string_view b, image_format& f) {
  std::size_t at = 2;
  while (at + 4 <= b.size()) {
    if (static_cast<unsigned char>(b[at]) != 0xFF) return;
    const auto marker = static_cast<unsigned char>(b[at + 1]);
    if (marker == 0xFF) {
      ++at;  // fill byte
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      at += 2;  // no length
      continue;
    }
    const std::size_t length = big_endian(b, at + 2, 2);
    if (length < 2) return;
    const bool start_of_frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (start_of_frame) {
      if (at + 9 > b.size()) return;
      f.height = dimension(big_endian(b, at + 5, 2));
      f.width = dimension(big_endian(b, at + 7, 2));
      return;
    }
    if (marker == 0xDA || marker == 0xD9) return;  // image data began: no frame header found
    at += 2 + length;
  }
}

// ---------------------------------------------------------------------------------------------
// Drawing.

struct surface_destroy {
  void operator()(cairo_surface_t* s) const noexcept { cairo_surface_destroy(s); }
};
struct context_destroy {
  void operator()(cairo_t* cr) const noexcept { cairo_destroy(cr); }
};
struct object_unref {
  void operator()(void* object) const noexcept { g_object_unref(object); }
};
struct font_free {
  void operator()(PangoFontDescription* d) const noexcept { pango_font_description_free(d); }
};
using surface_ptr = std::unique_ptr<cairo_surface_t, surface_destroy>;
using context_ptr = std::unique_ptr<cairo_t, context_destroy>;
using layout_ptr = std::unique_ptr<PangoLayout, object_unref>;
using font_ptr = std::unique_ptr<PangoFontDescription, font_free>;

struct rgb {
  double r;
  double g;
  double b;
};

[[nodiscard]] constexpr rgb hex_colour(std::uint32_t v) {
  return {static_cast<double>((v >> 16) & 0xFF) / 255.0,
          static_cast<double>((v >> 8) & 0xFF) / 255.0, static_cast<double>(v & 0xFF) / 255.0};
}

struct palette_colours {
  rgb background;
  rgb ink;
  rgb accent;
};

// Quiet, low-saturation schemes: paper, ink and a muted accent for the rules.
constexpr std::array palettes = std::to_array<palette_colours>({
    {hex_colour(0xF3EEE3), hex_colour(0x2B2A28), hex_colour(0x9C7A4A)},  // cream
    {hex_colour(0x1F3A4D), hex_colour(0xF2EDE4), hex_colour(0xC9A96E)},  // deep blue
    {hex_colour(0x2F4A3A), hex_colour(0xF1EEE6), hex_colour(0xC8B88A)},  // forest
    {hex_colour(0xE6E3DC), hex_colour(0x33363A), hex_colour(0x6F8587)},  // stone
    {hex_colour(0x4E3B47), hex_colour(0xF4EDEA), hex_colour(0xD2B49C)},  // plum
    {hex_colour(0xDDE4E6), hex_colour(0x263238), hex_colour(0x5F7C8A)},  // mist
});

// Every script the prose of a book may come in, then a font present on nearly every Linux.
// Named explicitly: left to fontconfig, the choice depends on what else is installed.
constexpr const char* serif_fonts =
    "Noto Serif, Noto Serif Devanagari, Noto Serif Bengali, Noto Serif Gujarati, "
    "Noto Serif Gurmukhi, Noto Serif Tamil, Noto Serif Telugu, Noto Serif Kannada, "
    "Noto Serif Malayalam, Noto Serif Sinhala, Noto Serif Thai, Noto Serif Hebrew, "
    "Noto Naskh Arabic, Noto Serif Armenian, Noto Serif Georgian, Noto Serif Ethiopic, "
    "Noto Serif CJK SC, Noto Color Emoji, DejaVu Serif";

constexpr double margin = 200.0;  // text stays this far from the edges
constexpr double frame_inset = 70.0;
constexpr double text_width = generated_cover_width - 2 * margin;

void set_colour(cairo_t* cr, const rgb& c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

struct text_style {
  double size_px;
  double min_size_px;
  double max_height;
  PangoStyle style = PANGO_STYLE_NORMAL;
  PangoWeight weight = PANGO_WEIGHT_NORMAL;
};

// A centred, wrapped layout of `text` that fits `max_height`: the size shrinks step by step
// down to the minimum, after which the text is cut with an ellipsis.
[[nodiscard]] layout_ptr fitted_layout(cairo_t* cr, const std::string& text, const text_style& s) {
  layout_ptr layout{pango_cairo_create_layout(cr)};
  if (!layout) throw std::bad_alloc();
  // Plain text, never markup: a title such as "<b>" stays those three characters.
  pango_layout_set_text(layout.get(), text.c_str(), static_cast<int>(text.size()));
  pango_layout_set_width(layout.get(), static_cast<int>(text_width * PANGO_SCALE));
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(layout.get(), PANGO_ALIGN_CENTER);
  const font_ptr font{pango_font_description_new()};
  pango_font_description_set_family(font.get(), serif_fonts);
  pango_font_description_set_style(font.get(), s.style);
  pango_font_description_set_weight(font.get(), s.weight);
  for (double size = s.size_px;; size *= 0.9) {
    const bool smallest = size * 0.9 < s.min_size_px;
    pango_font_description_set_absolute_size(font.get(), size * PANGO_SCALE);
    pango_layout_set_font_description(layout.get(), font.get());
    int width = 0;
    int height = 0;
    pango_layout_get_pixel_size(layout.get(), &width, &height);
    if (height <= s.max_height) break;
    if (smallest) {
      pango_layout_set_height(layout.get(), static_cast<int>(s.max_height * PANGO_SCALE));
      pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
      break;
    }
  }
  return layout;
}

[[nodiscard]] double layout_height(PangoLayout* layout) {
  int width = 0;
  int height = 0;
  pango_layout_get_pixel_size(layout, &width, &height);
  return height;
}

void draw_layout(cairo_t* cr, PangoLayout* layout, double top) {
  cairo_move_to(cr, margin, top);
  pango_cairo_show_layout(cr, layout);
}

cairo_status_t append_png(void* closure, const unsigned char* data, unsigned int length) {
  // A C callback: nothing may be thrown through cairo.
  try {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
  } catch (...) {
    return CAIRO_STATUS_WRITE_ERROR;
  }
}

}  // namespace

std::optional<image_format> identify_image(std::string_view bytes) {
  constexpr std::string_view png_signature{"\x89PNG\r\n\x1A\n", 8};
  std::optional<image_format> f;
  if (bytes.size() >= 24 && bytes.substr(0, 8) == png_signature && bytes.substr(12, 4) == "IHDR") {
    f = image_format{"image/png", "png", dimension(big_endian(bytes, 16, 4)),
                     dimension(big_endian(bytes, 20, 4))};
  } else if (bytes.size() >= 4 && bytes.substr(0, 3) == "\xFF\xD8\xFF") {
    f = image_format{"image/jpeg", "jpg", 0, 0};
    jpeg_size(bytes, *f);
  } else if (bytes.size() >= 10 &&
             (bytes.substr(0, 6) == "GIF87a" || bytes.substr(0, 6) == "GIF89a")) {
    f = image_format{"image/gif", "gif", dimension(little_endian16(bytes, 6)),
                     dimension(little_endian16(bytes, 8))};
  }
  if (f && (f->width == 0 || f->height == 0)) return std::nullopt;
  return f;
}

std::string render_cover_png(std::string_view title, std::string_view subtitle,
                             std::string_view author, std::size_t palette) {
  const palette_colours& colours = palettes[palette % palettes.size()];
  const surface_ptr surface{cairo_image_surface_create(CAIRO_FORMAT_RGB24, generated_cover_width,
                                                       generated_cover_height)};
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error("epub: cannot create the cover surface");
  }
  const context_ptr context{cairo_create(surface.get())};
  cairo_t* cr = context.get();
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error("epub: cannot draw the cover");
  }

  set_colour(cr, colours.background);
  cairo_paint(cr);

  // A double frame: a firm outer rule and a hairline inside it.
  set_colour(cr, colours.accent);
  cairo_set_line_width(cr, 6.0);
  cairo_rectangle(cr, frame_inset, frame_inset, generated_cover_width - 2 * frame_inset,
                  generated_cover_height - 2 * frame_inset);
  cairo_stroke(cr);
  cairo_set_line_width(cr, 2.0);
  cairo_rectangle(cr, frame_inset + 22, frame_inset + 22,
                  generated_cover_width - 2 * frame_inset - 44,
                  generated_cover_height - 2 * frame_inset - 44);
  cairo_stroke(cr);

  // Cover text is one line each (wrapping is pango's job) and must be valid UTF-8 for pango.
  const std::string title_text = one_line(clean_text(title));
  const std::string subtitle_text = one_line(clean_text(subtitle));
  const std::string author_text = one_line(clean_text(author));

  set_colour(cr, colours.ink);
  // The title sits in the upper half, centred on the line at 36% of the height.
  const layout_ptr title_layout = fitted_layout(
      cr, title_text, text_style{150.0, 72.0, 900.0, PANGO_STYLE_NORMAL, PANGO_WEIGHT_SEMIBOLD});
  const double title_height = layout_height(title_layout.get());
  const double title_top = std::max(330.0, 0.36 * generated_cover_height - title_height / 2);
  draw_layout(cr, title_layout.get(), title_top);

  // A short rule under the title, then the subtitle.
  const double rule_y = title_top + title_height + 80.0;
  set_colour(cr, colours.accent);
  cairo_set_line_width(cr, 4.0);
  cairo_move_to(cr, generated_cover_width / 2.0 - 130.0, rule_y);
  cairo_line_to(cr, generated_cover_width / 2.0 + 130.0, rule_y);
  cairo_stroke(cr);

  set_colour(cr, colours.ink);
  if (!subtitle_text.empty()) {
    const layout_ptr subtitle_layout = fitted_layout(
        cr, subtitle_text, text_style{72.0, 44.0, 360.0, PANGO_STYLE_ITALIC, PANGO_WEIGHT_NORMAL});
    draw_layout(cr, subtitle_layout.get(), rule_y + 80.0);
  }

  // The author near the foot, whatever the length of the title.
  if (!author_text.empty()) {
    const layout_ptr author_layout = fitted_layout(
        cr, author_text, text_style{76.0, 44.0, 220.0, PANGO_STYLE_NORMAL, PANGO_WEIGHT_NORMAL});
    const double author_height = layout_height(author_layout.get());
    draw_layout(cr, author_layout.get(), 0.84 * generated_cover_height - author_height / 2);
  }

  cairo_surface_flush(surface.get());
  std::string png;
  if (cairo_surface_write_to_png_stream(surface.get(), append_png, &png) != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error("epub: cannot encode the cover");
  }
  return png;
}

}  // namespace lekhika::publishing::detail::epub
