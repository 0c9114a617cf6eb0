#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "lekhika/workflow/manuscript.hpp"

namespace lekhika::publishing {

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
};

/// Builds the book from the user input (book_title / story_title / title, subtitle,
/// author_name / author, foreword, introduction, author_bio, about_author_position, language)
/// and the chapters in order (renumbered 1..N). Missing title: "Untitled"; missing author: "";
/// untitled chapters: "Chapter N"; text that is not valid UTF-8 gets U+FFFD in its place.
[[nodiscard]] book compile_book(const nlohmann::json& user_input,
                                std::vector<workflow::chapter> chapters);

/// `{title, subtitle?, author, chapters: [{number, title, content, words}], words}`
/// (api.md data.result.book); subtitle only when there is one.
[[nodiscard]] nlohmann::json book_to_json(const book& b);

}  // namespace lekhika::publishing
