#pragma once

// What the exporters share, and one renderer per text format (internal).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/publishing/book.hpp"

namespace lekhika::publishing::detail {

/// The single-line title every format shows; "Untitled" for a book built without one.
[[nodiscard]] std::string display_title(const book& b);

/// "Chapter N: Title", or just "Chapter N" when the title is empty or is that very label
/// (compile_book names untitled chapters "Chapter N"; "Chapter 3: Chapter 3" would be silly).
[[nodiscard]] std::string chapter_heading(const workflow::chapter& c);

/// The anchor id of a chapter, shared by the Markdown and HTML tables of contents.
[[nodiscard]] std::string chapter_anchor(const workflow::chapter& c);

/// A usable language tag for `language`: common language names become their code ("Hindi" ->
/// "hi"), '_' becomes '-', only [a-zA-Z-] is kept (it ends up in an HTML attribute), "en" when
/// nothing is left.
[[nodiscard]] std::string language_tag(std::string_view language);

/// The parsed body of chapter `index`: b.bodies[index] as compile_book made it, or, for a book
/// put together by hand without bodies, the chapter's content parsed into `scratch`.
[[nodiscard]] const document& chapter_body(const book& b, std::size_t index, document& scratch);

/// A front-matter body (foreword, introduction, about the author): `parsed` when it has blocks,
/// otherwise `raw` parsed into `scratch` (books put together by hand).
[[nodiscard]] const document& section_body(const document& parsed, std::string_view raw,
                                           document& scratch);

/// The book as Markdown (book.md).
[[nodiscard]] std::string render_markdown(const book& b);

/// The book as one self-contained HTML5 document (book.html).
[[nodiscard]] std::string render_html(const book& b);

/// The book as plain UTF-8 text (book.txt).
[[nodiscard]] std::string render_text(const book& b);

/// The book as an EPUB 3 container (book.epub): mimetype first and stored, container.xml, the
/// package document with metadata, a nav document, one XHTML file per chapter, CSS, a cover.
/// Throws std::runtime_error when the container cannot be built.
[[nodiscard]] std::string render_epub(const book& b);

/// The book as a Word document (book.docx): title page, table-of-contents field, real Heading 1
/// per chapter, page and typography settings. Throws std::runtime_error on failure.
[[nodiscard]] std::string render_docx(const book& b);

/// The book as PDF (book.pdf): embedded fonts, title page, table of contents with page numbers,
/// running header, page numbers, justified text, any script pango can shape (Devanagari too).
/// Throws std::runtime_error on failure.
/// `warnings` (when given) receives what the PDF cannot show as asked, such as characters no
/// installed font covers.
[[nodiscard]] std::string render_pdf(const book& b, std::vector<std::string>* warnings = nullptr);

/// A capacity guess that keeps building a large book to a handful of reallocations.
[[nodiscard]] std::size_t estimated_size(const book& b);

}  // namespace lekhika::publishing::detail
