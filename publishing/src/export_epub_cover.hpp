#pragma once

// The cover of book.epub (internal): recognising a supplied cover image, and drawing a
// typographic one with cairo and pango when there is none.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lekhika::publishing::detail::epub {

/// What the bytes of an image are, from its signature (never from a declared MIME type).
struct image_format {
  std::string_view media_type;  ///< image/png, image/jpeg or image/gif (EPUB core media types)
  std::string_view extension;   ///< png, jpg, gif
  int width = 0;                ///< pixels, from the header
  int height = 0;
};

/// The format of `bytes` when it is a PNG, JPEG or GIF image whose header gives its size;
/// nullopt for anything else (WebP and SVG included: EPUB 3.0 readers need not show them as a
/// cover; and a header without a size is a broken image that readers and epubcheck reject).
/// Only the header is read: a corrupt image body is not noticed.
[[nodiscard]] std::optional<image_format> identify_image(std::string_view bytes);

/// The size of the generated cover: 2:3 like a trade paperback, and at least 1400 pixels wide
/// as the large stores ask.
constexpr int generated_cover_width = 1600;
constexpr int generated_cover_height = 2400;

/// A typographic cover as PNG: the title (shrunk to fit, wrapped, at most a few lines), a rule,
/// the subtitle and the author on a plain calm background with a thin frame. `palette` picks
/// one of a few colour schemes (any number; the same number gives the same scheme). Fonts are
/// named explicitly (Noto Serif and its script siblings, then DejaVu Serif) so the result does
/// not depend on which other fonts the machine has. Throws std::runtime_error when cairo fails.
[[nodiscard]] std::string render_cover_png(std::string_view title, std::string_view subtitle,
                                           std::string_view author, std::size_t palette);

}  // namespace lekhika::publishing::detail::epub
