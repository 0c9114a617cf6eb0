#include "lekhika/workflow/user_input.hpp"

#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "lekhika/workflow/text.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

// Display names the flow editor and the original's prompts use for form fields
// (original-worker.md §2.10). Most also resolve by "spaces to underscores"; they are listed
// so that the table documents the accepted names, and for the few that differ.
constexpr std::array<std::pair<std::string_view, std::string_view>, 25> display_aliases{{
    {"book title", "book_title"},
    {"book title", "story_title"},  // story forms ask for a story title instead
    {"title", "book_title"},
    {"title", "story_title"},
    {"author name", "author_name"},
    {"author", "author_name"},
    {"word count", "word_count"},
    {"chapter count", "chapter_count"},
    {"number of chapters", "chapter_count"},
    {"tone", "tone"},
    {"accent", "accent"},
    {"target audience", "target_audience"},
    {"custom instructions", "custom_instructions"},
    {"typography style", "typography_combo"},
    {"writing style", "writing_style"},
    {"genre", "genre"},
    {"topic", "topic"},
    {"story title", "story_title"},
    {"story title", "book_title"},
    {"story premise", "story_premise"},
    {"main characters", "main_characters"},
    {"setting", "setting"},
    {"theme", "theme"},
    {"output formats", "output_formats"},
    {"output format", "output_formats"},
}};

bool is_empty_value(const json& value) {
  return value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty());
}

// Depth counts containers: the input object itself is level 1.
json sanitize_value(const json& value, int depth) {
  if (value.is_string()) {
    const std::string_view text = trim(value.get_ref<const std::string&>());
    const std::string_view kept = utf8_prefix(text, max_input_string_chars);
    if (kept.size() == text.size()) return std::string{text};
    return std::string{kept} + "...";
  }
  if (value.is_object()) {
    if (depth > max_input_depth) return nullptr;
    json out = json::object();
    for (const auto& [key, item] : value.items()) {
      if (is_secret_key(key)) continue;
      json clean = sanitize_value(item, depth + 1);
      if (!is_empty_value(clean)) out[key] = std::move(clean);
    }
    return out;
  }
  if (value.is_array()) {
    if (depth > max_input_depth) return nullptr;
    json out = json::array();
    for (const auto& item : value) {
      json clean = sanitize_value(item, depth + 1);
      if (!is_empty_value(clean)) out.push_back(std::move(clean));
    }
    return out;
  }
  if (value.is_number_float() && !std::isfinite(value.get<double>())) return nullptr;
  return value;
}

// "bookTitle" -> "book_title", "Book Title" -> "book_title", "book-title" -> "book_title".
std::string snake_case(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == ' ' || c == '-' || c == '_') {
      if (!out.empty() && out.back() != '_') out.push_back('_');
      continue;
    }
    const bool upper = c >= 'A' && c <= 'Z';
    if (upper && i > 0 && name[i - 1] >= 'a' && name[i - 1] <= 'z' && !out.empty() &&
        out.back() != '_') {
      out.push_back('_');
    }
    out.push_back(upper ? static_cast<char>(c - 'A' + 'a') : c);
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

const json* find_key(const json& input, const std::string& key) {
  const auto it = input.find(key);
  return it == input.end() ? nullptr : &*it;
}

// "book_title" -> "Book Title", "targetAudience" -> "Target Audience".
std::string title_case(std::string_view key) {
  std::string out;
  bool start = true;
  for (char c : snake_case(key)) {
    if (c == '_') {
      out.push_back(' ');
      start = true;
      continue;
    }
    out.push_back(start && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    start = false;
  }
  return out.empty() ? std::string{key} : out;
}

bool is_scalar(const json& value) { return !value.is_object() && !value.is_array(); }

std::string indent(const std::string& text) {
  std::string out = "  ";
  for (char c : text) {
    out.push_back(c);
    if (c == '\n') out += "  ";
  }
  return out;
}

std::string render_number(const json& value) {
  if (value.is_number_float()) {
    const double d = value.get<double>();
    // 3.0 reads better as "3"; JSON's float form is kept for everything else.
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
      return std::to_string(static_cast<long long>(d));
    }
  }
  return value.dump();
}

std::string render_object(const json& object) {
  std::string out;
  for (const auto& [key, item] : object.items()) {
    if (is_secret_key(key)) continue;
    std::string text = render_value(item);
    if (text.empty()) continue;
    if (!out.empty()) out.push_back('\n');
    if (text.find('\n') != std::string::npos && !item.is_string()) {
      out += title_case(key) + ":\n" + indent(text);
    } else {
      out += title_case(key) + ": " + text;
    }
  }
  return out;
}

}  // namespace

bool is_secret_key(std::string_view key) noexcept {
  for (std::string_view marker :
       {"api_key", "apikey", "api-key", "token", "secret", "password", "authorization"}) {
    if (icontains(key, marker)) return true;
  }
  return false;
}

json sanitize_user_input(const json& raw) {
  if (!raw.is_object()) return json::object();
  return sanitize_value(raw, 1);
}

const json* find_input_value(const json& input, std::string_view name) {
  if (!input.is_object()) return nullptr;
  const std::string exact{name};
  if (const json* found = find_key(input, exact)) return found;
  const std::string trimmed{trim(name)};
  if (trimmed.empty()) return nullptr;
  if (const json* found = find_key(input, trimmed)) return found;
  const std::string lower = to_lower(trimmed);
  if (const json* found = find_key(input, lower)) return found;
  std::string underscored = lower;
  for (char& c : underscored) c = c == ' ' ? '_' : c;
  if (const json* found = find_key(input, underscored)) return found;
  std::string mixed = trimmed;
  for (char& c : mixed) c = c == ' ' ? '_' : c;
  if (const json* found = find_key(input, mixed)) return found;
  for (const auto& [display, key] : display_aliases) {
    if (iequals(display, trimmed)) {
      if (const json* found = find_key(input, std::string{key})) return found;
    }
  }
  const std::string snake = snake_case(trimmed);
  if (const json* found = find_key(input, snake)) return found;
  // Last resort: a key that differs only in case or separators ("Book_Title", "book-title").
  for (const auto& [key, item] : input.items()) {
    if (snake_case(key) == snake) return &item;
  }
  return nullptr;
}

std::string render_value(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return {};
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return render_number(value);
  if (value.is_array()) {
    bool scalars = true;
    for (const auto& item : value) scalars = scalars && is_scalar(item);
    std::string out;
    for (const auto& item : value) {
      std::string text = render_value(item);
      if (text.empty()) continue;
      if (!out.empty()) out += scalars ? ", " : "\n\n";
      out += text;
    }
    return out;
  }
  if (value.is_object()) return render_object(value);
  return {};  // binary values have no readable form
}

std::string render_input(const json& input) {
  if (!input.is_object()) return render_value(input);
  return render_object(input);
}

std::optional<std::string> input_string(const json& input,
                                        std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    const json* found = find_input_value(input, key);
    if (found == nullptr) continue;
    if (found->is_string()) {
      const std::string_view text = trim(found->get_ref<const std::string&>());
      if (!text.empty()) return std::string{text};
    } else if (found->is_number() || found->is_boolean()) {
      return render_value(*found);
    }
  }
  return std::nullopt;
}

}  // namespace lekhika::workflow
