#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/publishing/book.hpp"

namespace lekhika::publishing {

/// An export format the engine knows about.
struct format_info {
  std::string_view name;       ///< canonical key: md, html, txt, epub, docx, pdf
  std::string_view extension;  ///< file extension without dot
  std::string_view mime_type;
  bool is_text = false;    ///< text formats carry their content inline in data.output
  bool available = false;  ///< this build can produce it
};

/// The canonical format for a requested name ("markdown" -> md, "text" -> txt, case-insensitive);
/// nullptr for names that are not book formats at all (mp3, audiobook, ...).
[[nodiscard]] const format_info* find_format(std::string_view requested) noexcept;

/// The formats a run should produce, in request order without duplicates: inputs.output_formats
/// (also outputFormats / exportFormats / "Output Formats"; an array or a comma-separated string)
/// followed by the output node's export formats; "md" when nothing usable was asked for (a run
/// always produces a book file). Unknown and not-yet-available formats are dropped with a
/// warning each.
struct format_selection {
  std::vector<const format_info*> formats;
  std::vector<std::string> warnings;
};
[[nodiscard]] format_selection select_formats(const nlohmann::json& user_input,
                                              const std::vector<std::string>& node_formats);

/// One exported file.
struct exported_file {
  const format_info* format = nullptr;
  std::string file_name;  ///< e.g. "book.md"
  std::string bytes;
  std::vector<std::string> warnings;  ///< what the file cannot show as the book asks
};

/// Renders the book in `format` (nullopt for a format outside the table, such as mp3). HTML
/// is one self-contained document with a linked table of contents; all user and model text is
/// escaped. Deterministic: the same book gives the same bytes.
[[nodiscard]] std::optional<exported_file> export_book(const book& b, const format_info& format);

}  // namespace lekhika::publishing
