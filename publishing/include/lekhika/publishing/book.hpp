#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "lekhika/publishing/document.hpp"
#include "lekhika/workflow/manuscript.hpp"

namespace lekhika::publishing {

/// Typography and page settings from the Lekhika form (typography_combo, heading_font_family,
/// body_font_family, body_font_size, line_height, page_size, page_margins), honoured where a
/// format allows. Font families are CSS-like lists ("Georgia, serif").
struct typography {
  std::string heading_font = "serif";
  std::string body_font = "serif";
  double body_size_pt = 11.0;
  double line_height = 1.5;
  std::string page_size = "A5";  ///< A4, A5, Letter, 6x9 (inches), 5x8 (inches)
  double page_width_mm = 148.0;
  double page_height_mm = 210.0;
  double margin_mm = 18.0;  ///< page_margins: narrow 12, normal 18, wide 25 (or a number)
};

/// An image for the cover (from an image node), when one was produced.
struct cover_image {
  std::string mime_type;  ///< image/png or image/jpeg
  std::string bytes;
};

/// The structured book every exporter reads.
struct book {
  std::string title;
  std::string subtitle;
  std::string author;
  std::string foreword;
  std::string introduction;
  std::string about_author;
  bool about_author_first = false;  ///< about_author_position == "start"
  std::vector<workflow::chapter> chapters;
  std::size_t words = 0;  ///< sum of chapter words
  std::string language = "en";
  /// The parsed content, parsed once by compile_book: bodies[i] is chapters[i].content.
  std::vector<document> bodies;
  document foreword_body;
  document introduction_body;
  document about_author_body;
  publishing::typography typography;
  std::optional<cover_image> cover;
};

/// Builds the book from the user input (book_title / story_title / title, subtitle,
/// author_name / author, foreword, introduction, author_bio, about_author_position, language,
/// and the typography fields) and the chapters in order (renumbered 1..N). Missing title:
/// "Untitled"; missing author: ""; untitled chapters: "Chapter N"; text that is not valid UTF-8
/// gets U+FFFD in its place. Every chapter and front-matter text is parsed once into its body,
/// with its shallowest heading made level 1; typography_combo picks a font pair (book styles
/// serif, "modern" sans headings over serif text, business/tech sans), explicit font families
/// override it, sizes are clamped (8..18 pt, line height 1.0..2.5, margins 5..40 mm).
[[nodiscard]] book compile_book(const nlohmann::json& user_input,
                                std::vector<workflow::chapter> chapters);

/// `{title, subtitle?, author, chapters: [{number, title, content, words}], words}`
/// (api.md data.result.book); subtitle only when there is one.
[[nodiscard]] nlohmann::json book_to_json(const book& b);

}  // namespace lekhika::publishing
