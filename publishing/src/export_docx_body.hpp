#pragma once

// word/document.xml of book.docx (internal).

#include <string>
#include <vector>

#include "export_docx_parts.hpp"
#include "lekhika/publishing/book.hpp"

namespace lekhika::publishing::detail::docx {

/// The document part and what it refers to in the other parts.
struct body {
  std::string xml;                          ///< word/document.xml
  std::vector<link_relationship> links;     ///< external hyperlinks, for document.xml.rels
  std::vector<ordered_list> ordered_lists;  ///< one w:num each, for numbering.xml
};

/// Renders the whole document: title page, table-of-contents field, front matter, chapters
/// (one real Heading 1 each, on a new page), back matter, and the page setup.
[[nodiscard]] body render_body(const book& b, const layout& page);

}  // namespace lekhika::publishing::detail::docx
