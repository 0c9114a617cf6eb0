#include "lekhika/workflow/templates.hpp"

#include <algorithm>

#include "lekhika/workflow/text.hpp"

namespace lekhika::workflow {
namespace {

constexpr std::size_t max_name_chars = 64;

bool is_name_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ' ' || c == '.' || c == '-';
}

void add_unique(std::vector<std::string>& names, std::string_view name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
}

}  // namespace

rendered_template render_template(std::string_view text, const template_lookup& lookup) {
  rendered_template out;
  out.text.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '{') {
      out.text.push_back(c);
      ++i;
      continue;
    }
    // "{{name}}" is literal text (the palette writes {{NODE_ID}} in descriptions); copying the
    // opening pair lets the scan go on after it without treating "{name}}" as a placeholder.
    if (i + 1 < text.size() && text[i + 1] == '{') {
      out.text += "{{";
      i += 2;
      continue;
    }
    std::size_t end = i + 1;
    while (end < text.size() && end - i - 1 <= max_name_chars && is_name_char(text[end])) ++end;
    const std::size_t length = end - i - 1;
    const bool closed = end < text.size() && text[end] == '}';
    const std::string_view name = trim(text.substr(i + 1, length));
    // Anything else in braces (JSON examples such as {"a": 1}, code) is left as written.
    if (!closed || length == 0 || length > max_name_chars || name.empty()) {
      out.text.push_back(c);
      ++i;
      continue;
    }
    std::optional<std::string> value;
    if (lookup) value = lookup(name);
    if (value) {
      out.text += *value;
      add_unique(out.used, name);
    } else {
      out.text += "[";
      out.text += name;
      out.text += " not provided]";
      add_unique(out.missing, name);
    }
    i = end + 1;
  }
  return out;
}

}  // namespace lekhika::workflow
