#pragma once

// Helpers shared by the publishing tests.

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/exporters.hpp"

namespace lekhika::publishing::test_util {

/// A chapter as a writer node would hand it over.
inline workflow::chapter make_chapter(std::string title, std::string content) {
  workflow::chapter c;
  c.title = std::move(title);
  c.content = std::move(content);
  return c;
}

/// The bytes of `b` exported as `format`; fails the test when the format is not produced.
inline std::string export_as(const book& b, std::string_view format) {
  const format_info* info = find_format(format);
  if (info == nullptr) {
    ADD_FAILURE() << "unknown format " << format;
    return {};
  }
  auto file = export_book(b, *info);
  if (!file) {
    ADD_FAILURE() << "format " << format << " not exported";
    return {};
  }
  return std::move(file->bytes);
}

/// How many times `needle` occurs in `haystack` (non-overlapping).
inline std::size_t count_of(std::string_view haystack, std::string_view needle) {
  std::size_t count = 0;
  for (std::size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size()))
    ++count;
  return count;
}

/// The HTML the exporter makes of one chapter's content (between its heading and </section>).
inline std::string chapter_html(std::string content) {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter("T", std::move(content)));
  const book b = compile_book(nlohmann::json::object(), std::move(chapters));
  const std::string html = export_as(b, "html");
  const std::string start = "<h2>Chapter 1: T</h2>\n";
  const std::size_t from = html.find(start);
  const std::size_t to = html.find("</section>", from);
  if (from == std::string::npos || to == std::string::npos) {
    ADD_FAILURE() << "no chapter section in:\n" << html;
    return {};
  }
  return html.substr(from + start.size(), to - from - start.size());
}

/// The plain text the txt exporter makes of one chapter's content.
inline std::string chapter_text(std::string content) {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter("T", std::move(content)));
  const book b = compile_book(nlohmann::json::object(), std::move(chapters));
  const std::string text = export_as(b, "txt");
  const std::string start = "Chapter 1: T\n============\n\n";  // heading + underline
  const std::size_t from = text.rfind(start);
  if (from == std::string::npos) {
    ADD_FAILURE() << "no chapter in:\n" << text;
    return {};
  }
  std::string body = text.substr(from + start.size());
  if (!body.empty() && body.back() == '\n') body.pop_back();
  return body;
}

}  // namespace lekhika::publishing::test_util
