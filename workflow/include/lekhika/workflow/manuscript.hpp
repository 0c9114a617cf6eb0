#pragma once

#include <cstddef>
#include <optional>
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

/// A chapter heading line split into its number and title.
struct chapter_heading {
  int number = 0;     ///< 0 when the line names no chapter number ("## The Gate")
  std::string title;  ///< without the "Chapter N" prefix and markup; may be empty
};

/// Reads one line as a chapter heading: "Chapter 3: Title", "Chapter Three - Title",
/// "# Chapter III — Title", "**Chapter 3:** Title", and (with `accept_any_markdown_heading`
/// false) nothing else; with it true, any Markdown heading ("## Title") counts too.
[[nodiscard]] std::optional<chapter_heading> parse_chapter_heading(
    std::string_view line, bool accept_any_markdown_heading = false);

/// Splits a model's chapter answer into title and body: a leading heading such as
/// "Chapter 3: The Gate", "# Chapter 3 - The Gate", "## The Gate" or "**Chapter 3: The Gate**"
/// becomes the title (without the "Chapter N" prefix) and is removed from the body.
/// When the text has no heading, `fallback_title` is used and the body is the whole text.
[[nodiscard]] chapter make_chapter(int number, std::string_view text,
                                   std::string_view fallback_title);

}  // namespace lekhika::workflow
