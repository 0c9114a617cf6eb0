#pragma once

// The fixed-shape parts of a DOCX package (internal): page and font settings derived from the
// book's typography, and the XML of every part except word/document.xml.

#include <string>
#include <string_view>
#include <vector>

#include "lekhika/publishing/book.hpp"

namespace lekhika::publishing::detail::docx {

/// The font of each script class, as w:rFonts attributes name them.
struct font_set {
  std::string latin;       ///< w:ascii and w:hAnsi
  std::string east_asian;  ///< w:eastAsia
  std::string complex;     ///< w:cs: Devanagari, Arabic, Hebrew, Thai, ...
};

/// Page, fonts and language of the document, in Word's units.
struct layout {
  font_set body;
  font_set heading;
  font_set mono;
  int body_half_points = 22;  ///< w:sz
  int line_240ths = 360;      ///< w:spacing w:line with lineRule auto (240 = single)
  int page_width = 0;         ///< twips
  int page_height = 0;
  int margin = 0;
  int text_width = 0;           ///< page width less both margins
  std::string language;         ///< BCP 47 tag
  bool rtl = false;             ///< the book's language is written right to left
  bool complex_script = false;  ///< the language needs the complex-script font and w:bidi lang
  bool east_asian = false;      ///< Chinese, Japanese or Korean
};

/// The layout of `b`: out-of-range typography (zero or absurd sizes, NaN) falls back to usable
/// values instead of producing a document Word rejects.
[[nodiscard]] layout make_layout(const book& b);

/// The first usable family of a CSS-like list ("'Playfair Display', Georgia, serif"), generic
/// families mapped to fonts every Word installation has.
[[nodiscard]] std::string first_font_family(std::string_view css_list);

/// One ordered list of the document: its nesting level and first number. Each gets its own
/// w:num so that every list starts counting afresh.
struct ordered_list {
  int level = 0;
  int start = 1;
};

/// A hyperlink target used by the document, as a relationship of document.xml.
struct link_relationship {
  std::string id;      ///< rIdN
  std::string target;  ///< the URL, already made a valid URI
};

/// Relationship ids of the fixed parts, used by document.xml and its .rels.
inline constexpr std::string_view styles_rid = "rId1";
inline constexpr std::string_view settings_rid = "rId2";
inline constexpr std::string_view numbering_rid = "rId3";
inline constexpr std::string_view footer_rid = "rId4";
/// Hyperlink relationships are numbered from here on.
inline constexpr int first_link_rid = 5;

/// w:numId of the one bullet-list numbering instance; ordered list i has first_ordered_num + i.
inline constexpr int bullet_num_id = 1;
inline constexpr int first_ordered_num_id = 2;

[[nodiscard]] std::string content_types_xml();
[[nodiscard]] std::string package_relationships_xml();
[[nodiscard]] std::string document_relationships_xml(const std::vector<link_relationship>& links);
[[nodiscard]] std::string styles_xml(const layout& page);
[[nodiscard]] std::string settings_xml(const layout& page);
[[nodiscard]] std::string numbering_xml(const std::vector<ordered_list>& ordered_lists);
[[nodiscard]] std::string footer_xml(const layout& page);
[[nodiscard]] std::string core_properties_xml(const book& b, const layout& page);
[[nodiscard]] std::string app_properties_xml(const book& b);

}  // namespace lekhika::publishing::detail::docx
