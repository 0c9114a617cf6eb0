// book.docx: a WordprocessingML package with real paragraph styles (Title, Heading 1-4,
// Quote, List Paragraph, TOC ...), a table-of-contents field Word refreshes on open, one
// Heading 1 per chapter on its own page, numbered and bulleted lists, tables, hyperlinks and
// page numbers, zipped in memory. The parts are built in export_docx_parts.cpp and
// export_docx_body.cpp; this file puts the package together.

#include <string>
#include <vector>

#include "export_detail.hpp"
#include "export_docx_body.hpp"
#include "export_docx_parts.hpp"
#include "export_docx_zip.hpp"

namespace lekhika::publishing::detail {

std::string render_docx(const book& b) {
  const docx::layout page = docx::make_layout(b);
  const docx::body document = docx::render_body(b, page);

  const std::string content_types = docx::content_types_xml();
  const std::string package_rels = docx::package_relationships_xml();
  const std::string document_rels = docx::document_relationships_xml(document.links);
  const std::string styles = docx::styles_xml(page);
  const std::string settings = docx::settings_xml(page);
  const std::string numbering = docx::numbering_xml(document.ordered_lists);
  const std::string footer = docx::footer_xml(page);
  const std::string core = docx::core_properties_xml(b, page);
  const std::string app = docx::app_properties_xml(b);

  // [Content_Types].xml first, as Word itself writes it; readers find parts by name anyway.
  return docx::zip_in_memory({
      {"[Content_Types].xml", content_types},
      {"_rels/.rels", package_rels},
      {"word/document.xml", document.xml},
      {"word/_rels/document.xml.rels", document_rels},
      {"word/styles.xml", styles},
      {"word/settings.xml", settings},
      {"word/numbering.xml", numbering},
      {"word/footer1.xml", footer},
      {"docProps/core.xml", core},
      {"docProps/app.xml", app},
  });
}

}  // namespace lekhika::publishing::detail
