#pragma once

// Owning handles for the cairo, pango and glib objects the PDF exporter uses (internal). Every
// C object is owned by exactly one of these from the moment it is created, so an exception or
// an early return can never leak a font map or a half-written surface.

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib-object.h>
#include <pango/pangocairo.h>

#include <cmath>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

namespace lekhika::publishing::detail::pdf {

struct cairo_surface_deleter {
  void operator()(cairo_surface_t* p) const noexcept { cairo_surface_destroy(p); }
};
struct cairo_context_deleter {
  void operator()(cairo_t* p) const noexcept { cairo_destroy(p); }
};
struct cairo_font_options_deleter {
  void operator()(cairo_font_options_t* p) const noexcept { cairo_font_options_destroy(p); }
};
// Font maps, contexts and layouts are GObjects: one reference each, dropped on destruction.
struct gobject_deleter {
  void operator()(gpointer p) const noexcept { g_object_unref(p); }
};
struct font_description_deleter {
  void operator()(PangoFontDescription* p) const noexcept { pango_font_description_free(p); }
};
struct attr_list_deleter {
  void operator()(PangoAttrList* p) const noexcept { pango_attr_list_unref(p); }
};
struct attribute_deleter {
  void operator()(PangoAttribute* p) const noexcept { pango_attribute_destroy(p); }
};
struct layout_iter_deleter {
  void operator()(PangoLayoutIter* p) const noexcept { pango_layout_iter_free(p); }
};
struct font_metrics_deleter {
  void operator()(PangoFontMetrics* p) const noexcept { pango_font_metrics_unref(p); }
};

using surface_ptr = std::unique_ptr<cairo_surface_t, cairo_surface_deleter>;
using cairo_ptr = std::unique_ptr<cairo_t, cairo_context_deleter>;
using font_options_ptr = std::unique_ptr<cairo_font_options_t, cairo_font_options_deleter>;
using font_map_ptr = std::unique_ptr<PangoFontMap, gobject_deleter>;
using context_ptr = std::unique_ptr<PangoContext, gobject_deleter>;
using layout_ptr = std::unique_ptr<PangoLayout, gobject_deleter>;
using font_description_ptr = std::unique_ptr<PangoFontDescription, font_description_deleter>;
using attr_list_ptr = std::unique_ptr<PangoAttrList, attr_list_deleter>;
using attribute_ptr = std::unique_ptr<PangoAttribute, attribute_deleter>;
using layout_iter_ptr = std::unique_ptr<PangoLayoutIter, layout_iter_deleter>;
using font_metrics_ptr = std::unique_ptr<PangoFontMetrics, font_metrics_deleter>;

/// Checks what a constructor returned: glib and cairo hand back null (or an object in an error
/// state) only when memory ran out, and that must not turn into a null dereference later.
template <typename Ptr>
[[nodiscard]] Ptr checked(Ptr p, const char* what) {
  if (!p) throw std::runtime_error(std::string{"pdf: cannot create "} + what);
  return p;
}

/// Adds `attribute` over the bytes [start, end) of the layout text; the list takes ownership.
inline void add_attribute(PangoAttrList& list, attribute_ptr attribute, std::size_t start,
                          std::size_t end) {
  if (!attribute) throw std::runtime_error("pdf: cannot create a text attribute");
  attribute->start_index = static_cast<guint>(start);
  attribute->end_index = static_cast<guint>(end);
  pango_attr_list_insert(&list, attribute.release());
}

/// Pango lengths are integers in 1/PANGO_SCALE points; the page is laid out in points.
[[nodiscard]] constexpr double from_pango(int units) noexcept {
  return static_cast<double>(units) / PANGO_SCALE;
}
[[nodiscard]] inline int to_pango(double points) noexcept {
  return static_cast<int>(std::lround(points * PANGO_SCALE));
}

}  // namespace lekhika::publishing::detail::pdf
