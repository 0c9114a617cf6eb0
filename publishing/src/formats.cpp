#include <array>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "lekhika/publishing/exporters.hpp"
#include "text_util.hpp"

namespace lekhika::publishing {
namespace {

// Every format Lekhika's form offers; a name outside this table (mp3) is a warning.
constexpr std::array formats = std::to_array<format_info>({
    {"md", "md", "text/markdown; charset=utf-8", true, true},
    {"html", "html", "text/html; charset=utf-8", true, true},
    {"txt", "txt", "text/plain; charset=utf-8", true, true},
    {"epub", "epub", "application/epub+zip", false, true},
    {"docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     false, true},
    {"pdf", "pdf", "application/pdf", false, true},
});

struct alias {
  std::string_view name;
  std::size_t format;  // index into `formats`
};

constexpr std::array aliases = std::to_array<alias>({
    {"md", 0},
    {"markdown", 0},
    {"html", 1},
    {"htm", 1},
    {"txt", 2},
    {"text", 2},
    {"plain", 2},
    {"epub", 3},
    {"docx", 4},
    {"pdf", 5},
});

// Input keys that carry the requested formats, in the order the original worker read them.
constexpr std::array input_keys = std::to_array<std::string_view>(
    {"output_formats", "outputFormats", "exportFormats", "Output Formats"});

// One bad request must not flood output.warnings.
constexpr std::size_t max_warnings = 20;
// Long enough for any real format name; longer input is cut in the warning.
constexpr std::size_t max_name_in_warning = 40;

[[nodiscard]] constexpr char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

[[nodiscard]] bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

[[nodiscard]] constexpr bool is_separator(char c) noexcept {
  return c == ',' || c == ';' || detail::is_space(c);
}

// The name as it may appear in a warning: lower-case, cut at a character boundary.
[[nodiscard]] std::string warning_name(std::string_view name) {
  std::string shown = detail::to_lower_ascii(name);
  if (shown.size() <= max_name_in_warning) return shown;
  std::size_t cut = max_name_in_warning;
  while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
  shown.resize(cut);
  shown += "...";
  return shown;
}

class format_collector {
 public:
  void add_list(std::string_view list) {
    std::size_t i = 0;
    while (i < list.size()) {
      while (i < list.size() && is_separator(list[i])) ++i;
      std::size_t end = i;
      while (end < list.size() && !is_separator(list[end])) ++end;
      if (end > i) add_name(list.substr(i, end - i));
      i = end;
    }
  }

  // Strings (possibly comma lists) or arrays of them; other JSON types ask for nothing.
  void add_value(const nlohmann::json& value) {
    if (value.is_string()) {
      add_list(value.get_ref<const std::string&>());
    } else if (value.is_array()) {
      for (const auto& element : value) {
        if (element.is_string()) add_list(element.get_ref<const std::string&>());
      }
    }
  }

  [[nodiscard]] bool requested_any() const noexcept { return requested_any_; }

  [[nodiscard]] format_selection finish() && {
    // Every run produces a book file, even when nothing requested can be made.
    if (selection_.formats.empty()) selection_.formats.push_back(&formats[0]);
    return std::move(selection_);
  }

 private:
  void add_name(std::string_view name) {
    requested_any_ = true;
    const format_info* format = find_format(name);
    if (format == nullptr) {
      std::string shown = warning_name(name);
      if (unknown_.insert(shown).second) {
        warn("format '" + shown + "' cannot be produced by this engine; skipped");
      }
      return;
    }
    for (const format_info* seen : selection_.formats) {
      if (seen == format) return;
    }
    for (const format_info* seen : unavailable_) {
      if (seen == format) return;
    }
    if (!format->available) {
      unavailable_.push_back(format);
      warn("format '" + std::string{format->name} + "' is not available yet; skipped");
      return;
    }
    selection_.formats.push_back(format);
  }

  void warn(std::string message) {
    if (selection_.warnings.size() < max_warnings) {
      selection_.warnings.push_back(std::move(message));
    } else if (selection_.warnings.size() == max_warnings) {
      selection_.warnings.emplace_back("further unknown formats skipped");
    }
  }

  format_selection selection_;
  std::vector<const format_info*> unavailable_;
  std::unordered_set<std::string> unknown_;
  bool requested_any_ = false;
};

}  // namespace

const format_info* find_format(std::string_view requested) noexcept {
  requested = detail::trim(requested);
  if (!requested.empty() && requested.front() == '.') requested.remove_prefix(1);  // ".pdf"
  for (const alias& a : aliases) {
    if (equals_ignoring_case(requested, a.name)) return &formats[a.format];
  }
  return nullptr;
}

format_selection select_formats(const nlohmann::json& user_input,
                                const std::vector<std::string>& node_formats) {
  format_collector collector;
  // The first input key that asks for something wins, as in the original worker.
  for (std::string_view key : input_keys) {
    if (const nlohmann::json* value = detail::input_value(user_input, key)) {
      collector.add_value(*value);
      if (collector.requested_any()) break;
    }
  }
  for (const std::string& entry : node_formats) collector.add_list(entry);
  return std::move(collector).finish();
}

}  // namespace lekhika::publishing
