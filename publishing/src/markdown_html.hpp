#pragma once

// The small Markdown converter of this build: just the subset models write in prose
// (paragraphs, #/##/### headings, *em*/_em_, **strong**, -/* and 1. lists, > quotes, scene
// breaks). A real Markdown parser replaces it in a later change, behind these same functions.

#include <string>
#include <string_view>

namespace lekhika::publishing::detail {

/// Appends `text` with &, <, >, " and ' replaced by entities.
void append_html_escaped(std::string& out, std::string_view text);

/// Appends `text` HTML-escaped with `*em*`, `_em_` and `**strong**` turned into tags.
void append_inline_html(std::string& out, std::string_view text);

/// Appends the HTML of `markdown`. The shallowest heading level it uses becomes
/// `<h{top_heading_level}>` and deeper ones follow (at most h6), so "## Part" in a chapter is
/// the level below the chapter heading whether the model wrote "#" or "##". Every piece of text
/// is escaped before any tag is added, so the input can never inject markup.
void append_markdown_html(std::string& out, std::string_view markdown, int top_heading_level);

/// Appends `markdown` as plain text: emphasis markers and heading hashes removed, the lines of a
/// paragraph joined by spaces, blocks separated by one blank line, no trailing newline.
void append_markdown_text(std::string& out, std::string_view markdown);

}  // namespace lekhika::publishing::detail
