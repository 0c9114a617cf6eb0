#include "lekhika/publishing/exporters.hpp"

#include <array>
#include <exception>
#include <utility>

#include "export_detail.hpp"
#include "text_util.hpp"

namespace lekhika::publishing {
namespace detail {
namespace {

struct language_name {
  std::string_view name;
  std::string_view code;
};

// Book forms often ask for the language by name; an HTML lang attribute needs the code.
constexpr std::array language_names = std::to_array<language_name>({
    {"arabic", "ar"},     {"bangla", "bn"},    {"bengali", "bn"},    {"chinese", "zh"},
    {"dutch", "nl"},      {"english", "en"},   {"farsi", "fa"},      {"french", "fr"},
    {"german", "de"},     {"gujarati", "gu"},  {"hebrew", "he"},     {"hindi", "hi"},
    {"indonesian", "id"}, {"italian", "it"},   {"japanese", "ja"},   {"kannada", "kn"},
    {"korean", "ko"},     {"malayalam", "ml"}, {"marathi", "mr"},    {"nepali", "ne"},
    {"odia", "or"},       {"persian", "fa"},   {"portuguese", "pt"}, {"punjabi", "pa"},
    {"russian", "ru"},    {"spanish", "es"},   {"swahili", "sw"},    {"tamil", "ta"},
    {"telugu", "te"},     {"turkish", "tr"},   {"urdu", "ur"},
});

// Longest well-formed BCP 47 tags are about this long; anything longer is not a language.
constexpr std::size_t max_language_tag = 35;

}  // namespace

std::string display_title(const book& b) {
  std::string title = one_line(b.title);
  return title.empty() ? std::string{"Untitled"} : title;
}

std::string chapter_heading(const workflow::chapter& c) {
  std::string label = "Chapter " + std::to_string(c.number);
  const std::string title = one_line(c.title);
  if (title.empty() || to_lower_ascii(title) == to_lower_ascii(label)) return label;
  label += ": ";
  label += title;
  return label;
}

std::string chapter_anchor(const workflow::chapter& c) {
  return "chapter-" + std::to_string(c.number);
}

std::string language_tag(std::string_view language) {
  const std::string lowered = to_lower_ascii(trim(language));
  for (const auto& entry : language_names) {
    if (entry.name == lowered) return std::string{entry.code};
  }
  std::string tag;
  for (char c : trim(language)) {
    if (c == '_') c = '-';
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-') tag += c;
  }
  while (!tag.empty() && tag.front() == '-') tag.erase(tag.begin());
  while (!tag.empty() && tag.back() == '-') tag.pop_back();
  if (tag.empty() || tag.size() > max_language_tag) return "en";
  return tag;
}

const document& chapter_body(const book& b, std::size_t index, document& scratch) {
  if (index < b.bodies.size()) return b.bodies[index];
  scratch = index < b.chapters.size() ? parse_markdown(b.chapters[index].content) : document{};
  return scratch;
}

const document& section_body(const document& parsed, std::string_view raw, document& scratch) {
  if (!parsed.empty()) return parsed;
  scratch = parse_markdown(raw);
  return scratch;
}

std::size_t estimated_size(const book& b) {
  std::size_t size = 4096 + b.title.size() + b.subtitle.size() + b.author.size() +
                     b.foreword.size() + b.introduction.size() + b.about_author.size();
  for (const auto& c : b.chapters) size += c.content.size() + 2 * c.title.size() + 160;
  // Escaping and tags add a little; a tenth more avoids a final doubling for most books.
  return size + size / 10;
}

}  // namespace detail

std::optional<exported_file> export_book(const book& b, const format_info& format) {
  // Always hand back the table's own entry, whatever copy the caller passed in.
  const format_info* known = find_format(format.name);
  if (known == nullptr || !known->available) return std::nullopt;
  try {
    exported_file file;
    file.format = known;
    file.file_name = "book.";
    file.file_name += known->extension;
    if (known->name == "md") {
      file.bytes = detail::render_markdown(b);
    } else if (known->name == "html") {
      file.bytes = detail::render_html(b);
    } else if (known->name == "txt") {
      file.bytes = detail::render_text(b);
    } else if (known->name == "epub") {
      file.bytes = detail::render_epub(b);
    } else if (known->name == "docx") {
      file.bytes = detail::render_docx(b);
    } else if (known->name == "pdf") {
      file.bytes = detail::render_pdf(b, &file.warnings);
    } else {
      return std::nullopt;
    }
    return file;
  } catch (const std::exception&) {
    // Only memory exhaustion gets here (the renderers have no other failure); the caller then
    // reports this format as not produced instead of losing the whole run.
    return std::nullopt;
  }
}

}  // namespace lekhika::publishing
