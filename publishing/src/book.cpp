#include "lekhika/publishing/book.hpp"

#include <string>
#include <utility>

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
