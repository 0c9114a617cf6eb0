#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lekhika::workflow {

/// One chapter as a writer produced it (the structured book, never re-parsed from Markdown).
struct chapter {
  int number = 0;
  std::string title;
  std::string content;  ///< Markdown-ish prose without the chapter heading line
  std::size_t words = 0;
};

/// Counts words (runs of non-space characters; UTF-8 aware enough for prose).
[[nodiscard]] std::size_t count_words(std::string_view text) noexcept;

/// Splits a model's chapter answer into title and body: a leading heading such as
/// "Chapter 3: The Gate", "# Chapter 3 - The Gate", "## The Gate" or "**Chapter 3: The Gate**"
/// becomes the title (without the "Chapter N" prefix) and is removed from the body.
/// When the text has no heading, `fallback_title` is used and the body is the whole text.
[[nodiscard]] chapter make_chapter(int number, std::string_view text, std::string_view fallback_title);

}  // namespace lekhika::workflow
