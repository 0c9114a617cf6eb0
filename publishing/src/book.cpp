#include "lekhika/publishing/book.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "export_detail.hpp"
#include "text_util.hpp"

namespace lekhika::publishing {
namespace {

// Single-line fields: valid UTF-8, one line, trimmed.
[[nodiscard]] std::string line_field(const nlohmann::json& input,
                                     std::initializer_list<std::string_view> keys) {
  std::string text = detail::input_text(input, keys);
  detail::repair_utf8(text);
  return detail::one_line(text);
}

// Multi-paragraph fields keep their line structure.
[[nodiscard]] std::string block_field(const nlohmann::json& input,
                                      std::initializer_list<std::string_view> keys) {
  std::string text = detail::input_text(input, keys);
  detail::repair_utf8(text);
  return text;
}

// The typography_combo presets: a heading and a body font list each. Fonts named here are the
// ones the engine's packages install (fonts-noto-core, fonts-dejavu-core), with the CSS
// generic family last so HTML and EPUB readers fall back sensibly.
constexpr std::string_view serif_fonts = "Noto Serif, DejaVu Serif, serif";
constexpr std::string_view sans_fonts = "Noto Sans, DejaVu Sans, sans-serif";

struct typography_preset {
  std::string_view combo;
  std::string_view heading;
  std::string_view body;
};

// Book-like styles are serif throughout; "modern" pairs sans-serif headings with a serif text
// (the usual contemporary book look); business and technical styles are sans-serif throughout.
// Unknown or missing combos get the all-serif book default.
constexpr std::array typography_presets = std::to_array<typography_preset>({
    {"all_serif", serif_fonts, serif_fonts},
    {"classic", serif_fonts, serif_fonts},
    {"elegant", serif_fonts, serif_fonts},
    {"literary", serif_fonts, serif_fonts},
    {"traditional", serif_fonts, serif_fonts},
    {"academic", serif_fonts, serif_fonts},
    {"modern", sans_fonts, serif_fonts},
    {"contemporary", sans_fonts, serif_fonts},
    {"all_sans", sans_fonts, sans_fonts},
    {"business", sans_fonts, sans_fonts},
    {"tech", sans_fonts, sans_fonts},
    {"minimal", sans_fonts, sans_fonts},
    {"clean", sans_fonts, sans_fonts},
});

struct page_format {
  std::string_view name;
  double width_mm;
  double height_mm;
};

// Trade sizes are in inches (6x9 is 152.4 x 228.6 mm); A5 is the book default.
constexpr std::array page_formats = std::to_array<page_format>({
    {"A5", 148.0, 210.0},
    {"A4", 210.0, 297.0},
    {"Letter", 215.9, 279.4},
    {"6x9", 152.4, 228.6},
    {"5x8", 127.0, 203.2},
});

constexpr double min_body_size_pt = 8.0;
constexpr double max_body_size_pt = 18.0;
constexpr double min_line_height = 1.0;
constexpr double max_line_height = 2.5;
constexpr double min_margin_mm = 5.0;
constexpr double max_margin_mm = 40.0;

// A form value as a lower-case key: "All Serif" and "all-serif" mean all_serif.
[[nodiscard]] std::string preset_key(std::string_view value) {
  std::string key = detail::to_lower_ascii(detail::one_line(value));
  std::replace_if(
      key.begin(), key.end(), [](char c) { return c == ' ' || c == '-'; }, '_');
  return key;
}

[[nodiscard]] std::string joined_font_list(std::string_view list) {
  std::string joined;
  for (const std::string& name : detail::font_family_names(list)) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

[[nodiscard]] const page_format& find_page_format(std::string_view value) {
  std::string key;
  for (char c : detail::to_lower_ascii(value)) {
    if (c != ' ') key += c;
  }
  // "6x9in", "6 x 9 inches", "US Letter" and "A5 (148 x 210 mm)" are how forms tend to say it.
  if (const std::size_t paren = key.find('('); paren != std::string::npos) key.resize(paren);
  for (std::string_view unit : {"inches", "inch", "in", "\""}) {
    if (key.ends_with(unit)) {
      key.resize(key.size() - unit.size());
      break;
    }
  }
  if (key == "usletter") key = "letter";
  for (const auto& format : page_formats) {
    if (detail::to_lower_ascii(format.name) == key) return format;
  }
  return page_formats.front();
}

[[nodiscard]] double margin_mm(std::string_view value) {
  const std::string key = preset_key(value);
  if (key == "narrow" || key == "small") return 12.0;
  if (key == "wide" || key == "large") return 25.0;
  if (const std::optional<double> number = detail::leading_number(value)) {
    // A bare number is millimetres; "2cm" and "0.75in" say otherwise.
    double mm = *number;
    if (key.ends_with("cm")) mm *= 10.0;
    if (key.ends_with("in") || key.ends_with("inch") || key.ends_with("inches")) mm *= 25.4;
    return std::clamp(mm, min_margin_mm, max_margin_mm);
  }
  return 18.0;  // "normal", "medium" and anything unreadable
}

[[nodiscard]] typography typography_from(const nlohmann::json& input) {
  typography t;
  const std::string combo = preset_key(detail::input_text(input, {"typography_combo"}));
  const auto preset = std::find_if(typography_presets.begin(), typography_presets.end(),
                                   [&](const typography_preset& p) { return p.combo == combo; });
  const typography_preset& chosen =
      preset == typography_presets.end() ? typography_presets.front() : *preset;
  t.heading_font = std::string{chosen.heading};
  t.body_font = std::string{chosen.body};
  // Explicit font choices win over the combo's.
  if (std::string fonts = joined_font_list(detail::input_text(input, {"heading_font_family"}));
      !fonts.empty()) {
    t.heading_font = std::move(fonts);
  }
  if (std::string fonts = joined_font_list(detail::input_text(input, {"body_font_family"}));
      !fonts.empty()) {
    t.body_font = std::move(fonts);
  }
  const std::string size_text = detail::input_text(input, {"body_font_size"});
  if (const auto size = detail::leading_number(size_text)) {
    // Points unless the form says pixels (16px is 12pt).
    const double pt = detail::to_lower_ascii(size_text).ends_with("px") ? *size * 0.75 : *size;
    t.body_size_pt = std::clamp(pt, min_body_size_pt, max_body_size_pt);
  }
  const std::string height_text = detail::input_text(input, {"line_height"});
  if (const auto height = detail::leading_number(height_text)) {
    // A factor of the font size; "150%" is 1.5.
    const double factor = height_text.ends_with('%') ? *height / 100.0 : *height;
    t.line_height = std::clamp(factor, min_line_height, max_line_height);
  }
  const page_format& page = find_page_format(detail::input_text(input, {"page_size"}));
  t.page_size = std::string{page.name};
  t.page_width_mm = page.width_mm;
  t.page_height_mm = page.height_mm;
  if (const std::string margins = detail::input_text(input, {"page_margins"}); !margins.empty()) {
    t.margin_mm = margin_mm(margins);
  }
  return t;
}

[[nodiscard]] int shallowest_heading(const std::vector<block>& blocks) {
  int level = 7;
  for (const auto& b : blocks) {
    if (b.type == block::kind::heading) level = std::min(level, b.level);
    level = std::min(level, shallowest_heading(b.children));
    for (const auto& item : b.items) level = std::min(level, shallowest_heading(item));
  }
  return level;
}

void shift_headings(std::vector<block>& blocks, int shift) {
  for (auto& b : blocks) {
    if (b.type == block::kind::heading) b.level = std::clamp(b.level + shift, 1, 6);
    shift_headings(b.children, shift);
    for (auto& item : b.items) shift_headings(item, shift);
  }
}

// Parses a chapter or section body. Models start their sections at "#" or at "##" without
// meaning anything different by it, so the shallowest heading becomes level 1 (the level just
// below the chapter heading) and the others keep their distance to it.
[[nodiscard]] document parse_body(std::string_view text) {
  document d = parse_markdown(text);
  if (const int top = shallowest_heading(d.blocks); top > 1 && top <= 6) {
    shift_headings(d.blocks, 1 - top);
  }
  return d;
}

}  // namespace

book compile_book(const nlohmann::json& user_input, std::vector<workflow::chapter> chapters) {
  book b;
  b.title = line_field(user_input, {"book_title", "story_title", "title"});
  if (b.title.empty()) b.title = "Untitled";
  b.subtitle = line_field(user_input, {"subtitle", "subtitle_text"});
  b.author = line_field(user_input, {"author_name", "author", "author_text"});
  b.foreword = block_field(user_input, {"foreword"});
  b.introduction = block_field(user_input, {"introduction"});
  b.about_author = block_field(user_input, {"author_bio", "about_author"});
  b.about_author_first =
      detail::to_lower_ascii(detail::input_text(user_input, {"about_author_position"})) == "start";
  b.language = detail::language_tag(detail::input_text(user_input, {"language"}));
  b.typography = typography_from(user_input);
  b.foreword_body = parse_body(b.foreword);
  b.introduction_body = parse_body(b.introduction);
  b.about_author_body = parse_body(b.about_author);

  b.chapters = std::move(chapters);
  int number = 0;
  for (auto& c : b.chapters) {
    c.number = ++number;
    // Model output can stop mid-character; the JSON writer and browsers must not see that.
    detail::repair_utf8(c.title);
    detail::repair_utf8(c.content);
    c.title = detail::one_line(c.title);
    if (c.title.empty()) c.title = "Chapter " + std::to_string(c.number);
    if (c.words == 0) c.words = workflow::count_words(c.content);
    b.words += c.words;
  }
  b.bodies.reserve(b.chapters.size());
  for (const auto& c : b.chapters) b.bodies.push_back(parse_body(c.content));
  // No image node produces a cover yet; b.cover stays empty until one does.
  return b;
}

nlohmann::json book_to_json(const book& b) {
  nlohmann::json chapters = nlohmann::json::array();
  for (const auto& c : b.chapters) {
    chapters.push_back(
        {{"number", c.number}, {"title", c.title}, {"content", c.content}, {"words", c.words}});
  }
  nlohmann::json out = nlohmann::json::object();
  out["title"] = b.title;
  if (!b.subtitle.empty()) out["subtitle"] = b.subtitle;
  out["author"] = b.author;
  out["chapters"] = std::move(chapters);
  out["words"] = b.words;
  return out;
}

}  // namespace lekhika::publishing
