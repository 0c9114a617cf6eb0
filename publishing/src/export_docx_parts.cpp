// The parts of book.docx other than the document body. Element order inside pPr, rPr, style
// and settings follows the WordprocessingML schema sequences: Word rejects a file ("unreadable
// content") over an element out of order, even where LibreOffice does not mind.

#include "export_docx_parts.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "export_detail.hpp"
#include "export_docx_xml.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail::docx {
namespace {

constexpr std::string_view xml_declaration =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
constexpr std::string_view w_namespaces =
    " xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""
    " xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"";

constexpr double twips_per_mm = 1440.0 / 25.4;

// Word's own limit for a font name is 31 characters (LOGFONT); a longer "family" is junk.
constexpr std::size_t max_font_name = 31;

// Typography comes from a web form; these bounds keep every value one Word accepts and a
// page one can still print on.
constexpr double min_body_pt = 6.0;
constexpr double max_body_pt = 48.0;
constexpr double min_line_height = 0.8;
constexpr double max_line_height = 3.0;
constexpr double min_page_mm = 50.0;
constexpr double max_page_mm = 1000.0;
constexpr double min_text_mm = 30.0;

struct generic_family {
  std::string_view css;
  std::string_view word;
};

// CSS generic families as fonts every Word installation has; LibreOffice maps them to the
// metric-compatible Liberation fonts or to its configured fallback.
constexpr std::array generic_families = std::to_array<generic_family>({
    {"serif", "Georgia"},
    {"sans-serif", "Arial"},
    {"monospace", "Courier New"},
    {"system-ui", "Arial"},
    {"ui-serif", "Georgia"},
    {"ui-sans-serif", "Arial"},
    {"ui-monospace", "Courier New"},
    {"cursive", "Georgia"},
    {"fantasy", "Georgia"},
});

struct script_fonts {
  std::string_view languages;  // space-separated primary subtags
  std::string_view serif;
  std::string_view sans;
};

// A complex-script language gets a font that has its glyphs named explicitly, so the result
// does not depend on which fallback a machine happens to pick (see stack.md on fontconfig).
// The Noto families are in Debian's fonts-noto-core; Word substitutes its own script font
// (Nirmala UI, Arial, ...) where they are not installed.
constexpr std::array script_font_table = std::to_array<script_fonts>({
    {"hi mr ne sa mai bho kok doi new", "Noto Serif Devanagari", "Noto Sans Devanagari"},
    {"bn as", "Noto Serif Bengali", "Noto Sans Bengali"},
    {"pa", "Noto Serif Gurmukhi", "Noto Sans Gurmukhi"},
    {"gu", "Noto Serif Gujarati", "Noto Sans Gujarati"},
    {"or", "Noto Sans Oriya", "Noto Sans Oriya"},
    {"ta", "Noto Serif Tamil", "Noto Sans Tamil"},
    {"te", "Noto Serif Telugu", "Noto Sans Telugu"},
    {"kn", "Noto Serif Kannada", "Noto Sans Kannada"},
    {"ml", "Noto Serif Malayalam", "Noto Sans Malayalam"},
    {"th", "Noto Serif Thai", "Noto Sans Thai"},
    {"ar fa ur ps sd ug ckb ks", "Noto Naskh Arabic", "Noto Sans Arabic"},
    {"he iw yi", "Noto Serif Hebrew", "Noto Sans Hebrew"},
});

struct east_asian_fonts {
  std::string_view language;
  std::string_view serif;
  std::string_view sans;
};

constexpr std::array east_asian_font_table = std::to_array<east_asian_fonts>({
    {"zh", "Noto Serif CJK SC", "Noto Sans CJK SC"},
    {"ja", "Noto Serif CJK JP", "Noto Sans CJK JP"},
    {"ko", "Noto Serif CJK KR", "Noto Sans CJK KR"},
});

[[nodiscard]] std::string primary_subtag(std::string_view tag) {
  return to_lower_ascii(tag.substr(0, tag.find('-')));
}

[[nodiscard]] bool lists_word(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    const std::size_t space = list.find(' ');
    if (list.substr(0, space) == word) return true;
    if (space == std::string_view::npos) break;
    list.remove_prefix(space + 1);
  }
  return false;
}

// A sans-serif list asks for sans fallbacks; everything else reads as a book serif.
[[nodiscard]] bool wants_sans(std::string_view css_list) {
  const std::string lowered = to_lower_ascii(css_list);
  return lowered.find("sans") != std::string::npos;
}

[[nodiscard]] font_set make_fonts(std::string_view css_list, std::string_view language) {
  font_set fonts;
  fonts.latin = first_font_family(css_list);
  fonts.east_asian = fonts.latin;
  fonts.complex = fonts.latin;
  const std::string primary = primary_subtag(language);
  const bool sans = wants_sans(css_list);
  for (const auto& entry : script_font_table) {
    if (lists_word(entry.languages, primary)) fonts.complex = sans ? entry.sans : entry.serif;
  }
  for (const auto& entry : east_asian_font_table) {
    if (entry.language == primary) fonts.east_asian = sans ? entry.sans : entry.serif;
  }
  return fonts;
}

[[nodiscard]] double bounded(double value, double low, double high, double fallback) {
  if (!std::isfinite(value)) return fallback;
  return std::clamp(value, low, high);
}

[[nodiscard]] int to_twips(double mm) { return static_cast<int>(std::lround(mm * twips_per_mm)); }

void append_number(std::string& out, int value) { out += std::to_string(value); }

void append_attribute(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  append_xml_escaped(out, value);
  out += '"';
}

void append_attribute(std::string& out, std::string_view name, int value) {
  out += ' ';
  out += name;
  out += "=\"";
  append_number(out, value);
  out += '"';
}

void append_fonts(std::string& out, const font_set& fonts) {
  out += "<w:rFonts";
  append_attribute(out, "w:ascii", fonts.latin);
  append_attribute(out, "w:hAnsi", fonts.latin);
  append_attribute(out, "w:eastAsia", fonts.east_asian);
  append_attribute(out, "w:cs", fonts.complex);
  out += "/>";
}

// w:sz and w:szCs: complex-script text (Devanagari, Arabic) takes its size from szCs.
void append_size(std::string& out, int half_points) {
  out += "<w:sz";
  append_attribute(out, "w:val", half_points);
  out += "/><w:szCs";
  append_attribute(out, "w:val", half_points);
  out += "/>";
}

[[nodiscard]] int scaled(int half_points, double factor) {
  return static_cast<int>(std::lround(half_points * factor));
}

// Paragraph style opening: <w:style ...><w:name/><w:basedOn/><w:next/> and the flags.
struct style_head {
  std::string_view type = "paragraph";
  std::string_view id{};
  std::string_view name{};
  std::string_view based_on{};
  std::string_view next{};
  int priority = 0;
  bool is_default = false;
  bool quick = true;  ///< shown in the Styles gallery
};

void open_style(std::string& out, const style_head& head) {
  out += "<w:style";
  append_attribute(out, "w:type", head.type);
  if (head.is_default) out += " w:default=\"1\"";
  append_attribute(out, "w:styleId", head.id);
  out += "><w:name";
  append_attribute(out, "w:val", head.name);
  out += "/>";
  if (!head.based_on.empty()) {
    out += "<w:basedOn";
    append_attribute(out, "w:val", head.based_on);
    out += "/>";
  }
  if (!head.next.empty()) {
    out += "<w:next";
    append_attribute(out, "w:val", head.next);
    out += "/>";
  }
  if (head.priority > 0) {
    out += "<w:uiPriority";
    append_attribute(out, "w:val", head.priority);
    out += "/>";
  }
  if (head.quick) out += "<w:qFormat/>";
}

struct heading_look {
  std::string_view id{};
  std::string_view name{};
  int outline_level = 0;
  double scale = 1.0;
  int before = 0;  // twips
  int after = 0;
  bool bold = false;
  bool italic = false;
  bool centered = false;
  bool page_break = false;
};

void append_heading_style(std::string& out, const layout& page, const heading_look& look) {
  open_style(out, {.id = look.id,
                   .name = look.name,
                   .based_on = "Normal",
                   .next = "Normal",
                   .priority = 9 + look.outline_level});
  out += "<w:pPr><w:keepNext/><w:keepLines/>";
  if (look.page_break) out += "<w:pageBreakBefore/>";
  out += "<w:spacing";
  append_attribute(out, "w:before", look.before);
  append_attribute(out, "w:after", look.after);
  out += " w:line=\"240\" w:lineRule=\"auto\"/>";
  out += look.centered ? "<w:jc w:val=\"center\"/>" : "<w:jc w:val=\"left\"/>";
  out += "<w:outlineLvl";
  append_attribute(out, "w:val", look.outline_level);
  out += "/></w:pPr><w:rPr>";
  append_fonts(out, page.heading);
  if (look.bold) out += "<w:b/><w:bCs/>";
  if (look.italic) out += "<w:i/><w:iCs/>";
  append_size(out, scaled(page.body_half_points, look.scale));
  out += "</w:rPr></w:style>";
}

void append_centered_style(std::string& out, const layout& page, const style_head& head,
                           double scale, int before, int after, bool italic) {
  open_style(out, head);
  out += "<w:pPr><w:keepNext/><w:spacing";
  append_attribute(out, "w:before", before);
  append_attribute(out, "w:after", after);
  out += " w:line=\"240\" w:lineRule=\"auto\"/><w:jc w:val=\"center\"/></w:pPr><w:rPr>";
  append_fonts(out, page.heading);
  if (italic) out += "<w:i/><w:iCs/>";
  append_size(out, scaled(page.body_half_points, scale));
  out += "</w:rPr></w:style>";
}

void append_toc_style(std::string& out, const layout& page, std::string_view id,
                      std::string_view name, int indent) {
  open_style(out, {.id = id,
                   .name = name,
                   .based_on = "Normal",
                   .next = "Normal",
                   .priority = 39,
                   .quick = false});
  // Entry text on the left, dot leader, page number flush with the right margin.
  out += "<w:pPr><w:tabs><w:tab w:val=\"right\" w:leader=\"dot\"";
  append_attribute(out, "w:pos", page.text_width);
  out += "/></w:tabs><w:spacing w:before=\"0\" w:after=\"100\"/>";
  if (indent > 0) {
    out += "<w:ind";
    append_attribute(out, "w:left", indent);
    out += "/>";
  }
  out += "<w:jc w:val=\"left\"/></w:pPr></w:style>";
}

// Bullets per nesting level, cycling like Word's own default list.
constexpr std::array bullet_marks = std::to_array<std::string_view>({"\xE2\x80\xA2",    // •
                                                                     "\xE2\x97\xA6",    // ◦
                                                                     "\xE2\x96\xAA"});  // ▪
constexpr std::array number_formats =
    std::to_array<std::string_view>({"decimal", "lowerLetter", "lowerRoman"});

// Word supports nine list levels (w:ilvl 0..8).
constexpr int list_levels = 9;
constexpr int list_indent_step = 720;  // half an inch per level
constexpr int list_hanging = 360;

void append_level_indent(std::string& out, int level) {
  out += "<w:pPr><w:ind";
  append_attribute(out, "w:left", (level + 1) * list_indent_step);
  append_attribute(out, "w:hanging", list_hanging);
  out += "/></w:pPr>";
}

}  // namespace

std::string first_font_family(std::string_view css_list) {
  // font_family_names keeps letters, digits, spaces and hyphens only: no markup can get in.
  for (const std::string& family : font_family_names(css_list)) {
    const std::string lowered = to_lower_ascii(family);
    for (const auto& generic : generic_families) {
      if (generic.css == lowered) return std::string{generic.word};
    }
    if (family.size() <= max_font_name) return family;
  }
  return std::string{generic_families.front().word};
}

layout make_layout(const book& b) {
  const typography& t = b.typography;
  layout page;
  page.language = language_tag(b.language);
  const std::string primary = primary_subtag(page.language);
  page.rtl = is_rtl_language(page.language);
  page.east_asian = primary == "zh" || primary == "ja" || primary == "ko";
  page.complex_script = page.rtl;
  for (const auto& entry : script_font_table) {
    if (lists_word(entry.languages, primary)) page.complex_script = true;
  }
  page.body = make_fonts(t.body_font, page.language);
  page.heading = make_fonts(t.heading_font, page.language);
  page.mono = page.body;
  page.mono.latin = "Courier New";

  const double body_pt =
      bounded(t.body_size_pt, min_body_pt, max_body_pt, typography{}.body_size_pt);
  page.body_half_points = static_cast<int>(std::lround(body_pt * 2));
  const double line =
      bounded(t.line_height, min_line_height, max_line_height, typography{}.line_height);
  page.line_240ths = static_cast<int>(std::lround(line * 240));

  const double width =
      bounded(t.page_width_mm, min_page_mm, max_page_mm, typography{}.page_width_mm);
  const double height =
      bounded(t.page_height_mm, min_page_mm, max_page_mm, typography{}.page_height_mm);
  const double max_margin = (std::min(width, height) - min_text_mm) / 2;
  const double margin =
      bounded(t.margin_mm, 0.0, max_margin, std::min(typography{}.margin_mm, max_margin));
  page.page_width = to_twips(width);
  page.page_height = to_twips(height);
  page.margin = to_twips(margin);
  page.text_width = page.page_width - 2 * page.margin;
  return page;
}

std::string content_types_xml() {
  std::string out{xml_declaration};
  out +=
      "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
      "<Default Extension=\"rels\" "
      "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
      "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
      "<Override PartName=\"/word/document.xml\" ContentType=\"application/"
      "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
      "<Override PartName=\"/word/styles.xml\" ContentType=\"application/"
      "vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>"
      "<Override PartName=\"/word/settings.xml\" ContentType=\"application/"
      "vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>"
      "<Override PartName=\"/word/numbering.xml\" ContentType=\"application/"
      "vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml\"/>"
      "<Override PartName=\"/word/footer1.xml\" ContentType=\"application/"
      "vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>"
      "<Override PartName=\"/docProps/core.xml\" "
      "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
      "<Override PartName=\"/docProps/app.xml\" ContentType=\"application/"
      "vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
      "</Types>";
  return out;
}

std::string package_relationships_xml() {
  std::string out{xml_declaration};
  out +=
      "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
      "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
      "relationships/officeDocument\" Target=\"word/document.xml\"/>"
      "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/"
      "relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>"
      "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
      "relationships/extended-properties\" Target=\"docProps/app.xml\"/>"
      "</Relationships>";
  return out;
}

std::string document_relationships_xml(const std::vector<link_relationship>& links) {
  constexpr std::string_view type_base =
      "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";
  std::string out{xml_declaration};
  out += "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">";
  auto internal = [&](std::string_view id, std::string_view type, std::string_view target) {
    out += "<Relationship Id=\"";
    out += id;
    out += "\" Type=\"";
    out += type_base;
    out += type;
    out += "\" Target=\"";
    out += target;
    out += "\"/>";
  };
  internal(styles_rid, "styles", "styles.xml");
  internal(settings_rid, "settings", "settings.xml");
  internal(numbering_rid, "numbering", "numbering.xml");
  internal(footer_rid, "footer", "footer1.xml");
  for (const auto& link : links) {
    out += "<Relationship";
    append_attribute(out, "Id", link.id);
    out += " Type=\"";
    out += type_base;
    out += "hyperlink\"";
    append_attribute(out, "Target", link.target);
    out += " TargetMode=\"External\"/>";
  }
  out += "</Relationships>";
  return out;
}

std::string styles_xml(const layout& page) {
  std::string out{xml_declaration};
  out += "<w:styles";
  out += w_namespaces;
  out += '>';

  // Defaults every style inherits: the body font in all four script slots, its size, the
  // document language (w:bidi names the complex-script language, w:eastAsia the CJK one).
  out += "<w:docDefaults><w:rPrDefault><w:rPr>";
  append_fonts(out, page.body);
  append_size(out, page.body_half_points);
  out += "<w:lang";
  append_attribute(out, "w:val", page.language);
  append_attribute(out, "w:eastAsia", page.east_asian ? page.language : std::string{"en-US"});
  append_attribute(out, "w:bidi", page.complex_script ? page.language : std::string{"ar-SA"});
  out +=
      "/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:widowControl/><w:spacing "
      "w:after=\"0\"";
  append_attribute(out, "w:line", page.line_240ths);
  out += " w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>";

  // Normal: justified book text with a little space between paragraphs.
  open_style(out, {.id = "Normal", .name = "Normal", .is_default = true});
  out += "<w:pPr><w:spacing";
  append_attribute(out, "w:after", page.body_half_points * 6);  // half a line
  append_attribute(out, "w:line", page.line_240ths);
  out += " w:lineRule=\"auto\"/><w:jc w:val=\"both\"/></w:pPr></w:style>";

  append_centered_style(out, page,
                        {.id = "Title", .name = "Title", .next = "Normal", .priority = 10}, 2.6,
                        2880, 360, false);
  append_centered_style(out, page,
                        {.id = "Subtitle", .name = "Subtitle", .next = "Normal", .priority = 11},
                        1.5, 0, 720, true);
  append_centered_style(out, page, {.id = "Author", .name = "Author", .next = "Normal"}, 1.25, 480,
                        0, false);

  append_heading_style(out, page,
                       {.id = "Heading1",
                        .name = "heading 1",
                        .outline_level = 0,
                        .scale = 1.8,
                        .before = 1440,
                        .after = 600,
                        .centered = true,
                        .page_break = true});
  append_heading_style(out, page,
                       {.id = "Heading2",
                        .name = "heading 2",
                        .outline_level = 1,
                        .scale = 1.35,
                        .before = 480,
                        .after = 200,
                        .bold = true});
  append_heading_style(out, page,
                       {.id = "Heading3",
                        .name = "heading 3",
                        .outline_level = 2,
                        .scale = 1.15,
                        .before = 360,
                        .after = 160,
                        .bold = true,
                        .italic = true});
  append_heading_style(out, page,
                       {.id = "Heading4",
                        .name = "heading 4",
                        .outline_level = 3,
                        .scale = 1.05,
                        .before = 240,
                        .after = 120,
                        .italic = true});

  // The contents heading looks like a chapter heading but sits at body-text outline level, so
  // an updated table of contents does not list itself.
  open_style(out, {.id = "TOCHeading",
                   .name = "TOC Heading",
                   .based_on = "Heading1",
                   .next = "Normal",
                   .priority = 39});
  out += "<w:pPr><w:outlineLvl w:val=\"9\"/></w:pPr></w:style>";
  append_toc_style(out, page, "TOC1", "toc 1", 0);
  append_toc_style(out, page, "TOC2", "toc 2", 240);
  append_toc_style(out, page, "TOC3", "toc 3", 480);

  open_style(
      out,
      {.id = "Quote", .name = "Quote", .based_on = "Normal", .next = "Normal", .priority = 29});
  out +=
      "<w:pPr><w:ind w:left=\"720\" w:right=\"720\"/></w:pPr><w:rPr><w:i/><w:iCs/>"
      "<w:color w:val=\"404040\"/></w:rPr></w:style>";

  open_style(
      out, {.id = "ListParagraph", .name = "List Paragraph", .based_on = "Normal", .priority = 34});
  out += "<w:pPr><w:ind w:left=\"720\"/><w:contextualSpacing/></w:pPr></w:style>";

  // Code keeps its lines: monospace, left aligned, single spaced, never split across pages,
  // always left to right (even in an Arabic book).
  open_style(out, {.id = "SourceCode", .name = "Source Code", .based_on = "Normal"});
  out +=
      "<w:pPr><w:keepLines/><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"F2F2F2\"/>"
      "<w:bidi w:val=\"0\"/><w:spacing w:before=\"120\" w:after=\"240\" w:line=\"240\" "
      "w:lineRule=\"auto\"/><w:ind w:left=\"284\" w:right=\"284\"/><w:jc w:val=\"left\"/>"
      "</w:pPr><w:rPr>";
  append_fonts(out, page.mono);
  append_size(out, scaled(page.body_half_points, 0.9));
  out += "</w:rPr></w:style>";

  open_style(out,
             {.id = "SceneBreak", .name = "Scene Break", .based_on = "Normal", .next = "Normal"});
  out +=
      "<w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"240\"/>"
      "<w:jc w:val=\"center\"/></w:pPr></w:style>";

  open_style(out, {.id = "TableText", .name = "Table Text", .based_on = "Normal"});
  out +=
      "<w:pPr><w:spacing w:before=\"40\" w:after=\"40\" w:line=\"240\" w:lineRule=\"auto\"/>"
      "<w:jc w:val=\"left\"/></w:pPr></w:style>";
  open_style(out, {.id = "TableHeading", .name = "Table Heading", .based_on = "TableText"});
  out += "<w:pPr><w:keepNext/></w:pPr><w:rPr><w:b/><w:bCs/></w:rPr></w:style>";

  open_style(
      out,
      {.id = "Footer", .name = "footer", .based_on = "Normal", .priority = 99, .quick = false});
  out +=
      "<w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/>"
      "<w:jc w:val=\"center\"/></w:pPr><w:rPr>";
  append_size(out, scaled(page.body_half_points, 0.85));
  out += "</w:rPr></w:style>";

  open_style(out, {.type = "character",
                   .id = "DefaultParagraphFont",
                   .name = "Default Paragraph Font",
                   .priority = 1,
                   .is_default = true,
                   .quick = false});
  out += "</w:style>";
  open_style(out,
             {.type = "character", .id = "VerbatimChar", .name = "Verbatim Char", .quick = false});
  out += "<w:rPr>";
  append_fonts(out, page.mono);
  append_size(out, scaled(page.body_half_points, 0.9));
  out += "</w:rPr></w:style>";
  open_style(out, {.type = "character",
                   .id = "Hyperlink",
                   .name = "Hyperlink",
                   .priority = 99,
                   .quick = false});
  out += "<w:rPr><w:color w:val=\"0563C1\"/><w:u w:val=\"single\"/></w:rPr></w:style>";

  open_style(out, {.type = "table",
                   .id = "TableNormal",
                   .name = "Normal Table",
                   .priority = 99,
                   .is_default = true,
                   .quick = false});
  out +=
      "<w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" "
      "w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" "
      "w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr>"
      "</w:style>";
  open_style(out, {.type = "table",
                   .id = "TableGrid",
                   .name = "Table Grid",
                   .based_on = "TableNormal",
                   .priority = 59,
                   .quick = false});
  out += "<w:tblPr><w:tblBorders>";
  for (std::string_view side : {"top", "left", "bottom", "right", "insideH", "insideV"}) {
    out += "<w:";
    out += side;
    out += " w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"808080\"/>";
  }
  out += "</w:tblBorders></w:tblPr></w:style>";

  out += "</w:styles>";
  return out;
}

std::string settings_xml(const layout& page) {
  std::string out{xml_declaration};
  out += "<w:settings";
  out += w_namespaces;
  // updateFields: Word offers to refresh every field on open, so the table of contents gets
  // its real entries and page numbers.
  out +=
      "><w:zoom w:percent=\"100\"/><w:defaultTabStop w:val=\"720\"/>"
      "<w:characterSpacingControl w:val=\"doNotCompress\"/>"
      "<w:updateFields w:val=\"true\"/>"
      "<w:compat><w:compatSetting w:name=\"compatibilityMode\" "
      "w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat>"
      "<w:themeFontLang";
  append_attribute(out, "w:val", page.language);
  out += "/></w:settings>";
  return out;
}

std::string numbering_xml(const std::vector<ordered_list>& ordered_lists) {
  std::string out{xml_declaration};
  out += "<w:numbering";
  out += w_namespaces;
  out += '>';
  // abstractNum 0: bullets; abstractNum 1: numbers. Every w:abstractNum precedes every w:num.
  out += "<w:abstractNum w:abstractNumId=\"0\"><w:multiLevelType w:val=\"hybridMultilevel\"/>";
  for (int level = 0; level < list_levels; ++level) {
    out += "<w:lvl";
    append_attribute(out, "w:ilvl", level);
    out += "><w:start w:val=\"1\"/><w:numFmt w:val=\"bullet\"/><w:lvlText";
    append_attribute(out, "w:val",
                     bullet_marks[static_cast<std::size_t>(level) % bullet_marks.size()]);
    out += "/><w:lvlJc w:val=\"left\"/>";
    append_level_indent(out, level);
    out += "</w:lvl>";
  }
  out += "</w:abstractNum>";
  out += "<w:abstractNum w:abstractNumId=\"1\"><w:multiLevelType w:val=\"hybridMultilevel\"/>";
  for (int level = 0; level < list_levels; ++level) {
    out += "<w:lvl";
    append_attribute(out, "w:ilvl", level);
    out += "><w:start w:val=\"1\"/><w:numFmt";
    append_attribute(out, "w:val",
                     number_formats[static_cast<std::size_t>(level) % number_formats.size()]);
    out += "/><w:lvlText w:val=\"%";
    append_number(out, level + 1);
    out += ".\"/><w:lvlJc w:val=\"left\"/>";
    append_level_indent(out, level);
    out += "</w:lvl>";
  }
  out += "</w:abstractNum>";

  out += "<w:num";
  append_attribute(out, "w:numId", bullet_num_id);
  out += "><w:abstractNumId w:val=\"0\"/></w:num>";
  int num_id = first_ordered_num_id;
  for (const auto& list : ordered_lists) {
    // Instances of one abstractNum share their counters unless told to restart.
    out += "<w:num";
    append_attribute(out, "w:numId", num_id++);
    out += "><w:abstractNumId w:val=\"1\"/><w:lvlOverride";
    append_attribute(out, "w:ilvl", list.level);
    out += "><w:startOverride";
    append_attribute(out, "w:val", list.start);
    out += "/></w:lvlOverride></w:num>";
  }
  out += "</w:numbering>";
  return out;
}

std::string footer_xml(const layout& page) {
  std::string out{xml_declaration};
  out += "<w:ftr";
  out += w_namespaces;
  out += "><w:p><w:pPr><w:pStyle w:val=\"Footer\"/>";
  if (page.rtl) out += "<w:bidi/>";
  out +=
      "</w:pPr><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText "
      "xml:space=\"preserve\"> PAGE </w:instrText></w:r><w:r><w:fldChar "
      "w:fldCharType=\"separate\"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar "
      "w:fldCharType=\"end\"/></w:r></w:p></w:ftr>";
  return out;
}

std::string core_properties_xml(const book& b, const layout& page) {
  std::string out{xml_declaration};
  out +=
      "<cp:coreProperties "
      "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" "
      "xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>";
  append_xml_escaped(out, display_title(b));
  out += "</dc:title>";
  const std::string subtitle = one_line(b.subtitle);
  if (!subtitle.empty()) {
    out += "<dc:subject>";
    append_xml_escaped(out, subtitle);
    out += "</dc:subject>";
  }
  const std::string author = one_line(b.author);
  if (!author.empty()) {
    out += "<dc:creator>";
    append_xml_escaped(out, author);
    out += "</dc:creator>";
  }
  out += "<dc:language>";
  append_xml_escaped(out, page.language);
  out += "</dc:language></cp:coreProperties>";
  return out;
}

std::string app_properties_xml(const book& b) {
  std::string out{xml_declaration};
  out +=
      "<Properties "
      "xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" "
      "xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">"
      "<Application>Lekhika</Application><DocSecurity>0</DocSecurity><Words>";
  out += std::to_string(b.words);
  out += "</Words></Properties>";
  return out;
}

}  // namespace lekhika::publishing::detail::docx
