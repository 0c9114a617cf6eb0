#pragma once

// XML and XHTML pieces of book.epub (internal): escaping that also makes any text legal XML,
// the blocks of a document as XHTML, link and language checks, and the stylesheet.

#include <string>
#include <string_view>
#include <vector>

#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/document.hpp"

namespace lekhika::publishing::detail::epub {

/// `text` as valid UTF-8 holding only characters that XML 1.0 allows and a reader can show:
/// broken sequences become U+FFFD; C0 and C1 controls (but tab and newline), U+FFFE/U+FFFF and
/// the other noncharacters are dropped; CRLF and lone CR become LF.
[[nodiscard]] std::string clean_text(std::string_view text);

/// Appends `text` cleaned (as clean_text) with &, < and > escaped; `attribute` also escapes '"'
/// and turns tabs and newlines into spaces, for a double-quoted attribute value.
void append_xml(std::string& out, std::string_view text, bool attribute = false);

/// The href for a link to `url`, or "" when the link is not kept: only absolute http(s) URLs
/// with a host and mailto: addresses are (a relative link would point into the book at a file
/// that does not exist, and javascript: and the like have no business in a book). Bytes a URL
/// may not contain are percent-encoded, so epubcheck sees a valid URL.
[[nodiscard]] std::string link_target(std::string_view url);

/// A well-formed BCP 47 tag for the book's language ("Hindi" -> "hi"; what does not fit the
/// grammar is cut off at the first bad subtag; "en" when nothing is left).
[[nodiscard]] std::string language(std::string_view book_language);

/// True for tags of languages written right to left (Arabic, Hebrew, Persian, Urdu, ...).
[[nodiscard]] bool is_right_to_left(std::string_view tag);

/// Appends the XHTML of `blocks`. Document heading level n becomes <h(n+1)> (the page's own
/// title is the <h1>), at most <h6>. Nesting deeper than a reader could show is flattened, so
/// hostile input cannot exhaust the stack.
void append_blocks(std::string& out, const std::vector<block>& blocks);

/// A CSS font-family list from a CSS-like list in the form ("Georgia, serif"): only plain
/// family names are kept (nothing can escape the declaration), names are quoted, and a
/// generic family ends the list.
[[nodiscard]] std::string font_family_list(std::string_view families);

/// style.css: the book's typography (font families, size, line height) and the layout of the
/// cover, title page, contents, chapters and the block kinds.
[[nodiscard]] std::string stylesheet(const typography& t);

}  // namespace lekhika::publishing::detail::epub
