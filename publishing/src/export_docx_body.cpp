// word/document.xml: the book as Word paragraphs, tables, fields and bookmarks. Every piece of
// book text reaches the XML through text_run (runs) or append_xml_escaped (attributes).

#include "export_docx_body.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>
#include <utility>

#include "export_detail.hpp"
#include "export_docx_xml.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail::docx {
namespace {

constexpr std::string_view document_open =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""
    " xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<w:body>";

// The table-of-contents field Word builds from the heading styles: outline levels 1-3 (\o),
// entries as hyperlinks (\h), no page numbers in web view (\z), outline levels of paragraphs
// too (\u).
constexpr std::string_view toc_instruction = R"( TOC \o "1-3" \h \z \u )";

constexpr int indent_step = 720;    // twips per nesting level of quotes and lists
constexpr int code_indent = 284;    // SourceCode's own indent (5 mm)
constexpr int max_list_level = 8;   // w:ilvl 0..8
constexpr int max_nesting = 20;     // deeper quotes and lists indent no further
constexpr int deepest_heading = 4;  // Heading4 is the smallest heading style
// Word limits a hyperlink address to 2083 characters; longer targets stay plain text.
constexpr std::size_t max_link = 2000;
constexpr std::size_t no_chapter = static_cast<std::size_t>(-1);

// Link schemes that are safe to make clickable; anything else (javascript:, data:, relative
// paths) stays plain text.
constexpr std::array link_schemes =
    std::to_array<std::string_view>({"http://", "https://", "mailto:", "ftp://", "tel:"});

struct run_format {
  bool bold = false;
  bool italic = false;
  bool code = false;
  bool link = false;
};

struct paragraph_format {
  std::string_view style{};  // empty: Normal
  int num_id = 0;            // numbering instance of a list item's first paragraph; 0 for none
  int level = 0;             // its list level
  int indent = 0;            // direct left indent in twips; 0 keeps the style's
  bool bidi = false;
};

struct block_context {
  int quote_depth = 0;
  int list_depth = 0;
};

// One Heading 1 part of the book: front matter, a chapter, back matter.
struct section {
  std::string heading;
  std::string bookmark;
  std::size_t chapter = no_chapter;  // index into book.chapters, or no_chapter for the matter
  const document* parsed = nullptr;  // front or back matter: its parsed body
  std::string_view raw;              // and its text, for books put together by hand
};

[[nodiscard]] bool needs_preserve(std::string_view text) {
  // Word trims and collapses unmarked whitespace; keep the author's spaces.
  return text.front() == ' ' || text.back() == ' ' || text.find("  ") != std::string_view::npos;
}

[[nodiscard]] bool is_linkable(std::string_view url) {
  const std::string lowered = to_lower_ascii(url.substr(0, 8));
  return std::any_of(link_schemes.begin(), link_schemes.end(), [&](std::string_view scheme) {
    return lowered.starts_with(scheme) && url.size() > scheme.size();
  });
}

// Relationship targets must be URIs: percent-encode everything outside RFC 3986's characters
// (spaces, non-ASCII bytes, quotes, braces), which strict package readers reject.
[[nodiscard]] std::string as_uri(std::string_view url) {
  constexpr std::string_view allowed = "-._~:/?#[]@!$&'()*+,;=%";
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(url.size());
  for (const char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum || allowed.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4U];
      out += hex[byte & 0x0FU];
    }
  }
  return out;
}

class body_writer {
 public:
  body_writer(const book& b, const layout& page) : book_(b), page_(page) {}

  [[nodiscard]] body render() {
    out_.reserve(estimated_size(book_) * 2);
    out_ += document_open;
    const std::vector<section> sections = collect_sections();
    title_page();
    table_of_contents(sections);
    for (const auto& s : sections) render_section(s);
    section_properties();
    out_ += "</w:body></w:document>";
    result_.xml = std::move(out_);
    return std::move(result_);
  }

 private:
  [[nodiscard]] std::vector<section> collect_sections() const {
    std::vector<section> sections;
    auto add_matter = [&](std::string_view heading, std::string_view bookmark,
                          const document& parsed, std::string_view raw) {
      if (parsed.empty() && trim(raw).empty()) return;
      sections.push_back({std::string{heading}, std::string{bookmark}, no_chapter, &parsed, raw});
    };
    if (book_.about_author_first) {
      add_matter("About the Author", "about_the_author", book_.about_author_body,
                 book_.about_author);
    }
    add_matter("Foreword", "foreword", book_.foreword_body, book_.foreword);
    add_matter("Introduction", "introduction", book_.introduction_body, book_.introduction);
    for (std::size_t i = 0; i < book_.chapters.size(); ++i) {
      // Bookmarks are numbered by position: hand-made books may repeat chapter numbers, and
      // bookmark names must be unique for the contents links to find their heading.
      sections.push_back(
          {chapter_heading(book_.chapters[i]), "chapter_" + std::to_string(i + 1), i, nullptr, {}});
    }
    if (!book_.about_author_first) {
      add_matter("About the Author", "about_the_author", book_.about_author_body,
                 book_.about_author);
    }
    return sections;
  }

  void title_page() {
    const paragraph_format title{.style = "Title", .bidi = page_.rtl};
    open_paragraph(title);
    text_run(display_title(book_), {});
    out_ += "</w:p>";
    const std::string subtitle = one_line(book_.subtitle);
    if (!subtitle.empty()) {
      open_paragraph({.style = "Subtitle", .bidi = page_.rtl});
      text_run(subtitle, {});
      out_ += "</w:p>";
    }
    const std::string author = one_line(book_.author);
    if (!author.empty()) {
      open_paragraph({.style = "Author", .bidi = page_.rtl});
      text_run("by " + author, {});
      out_ += "</w:p>";
    }
    // The page break comes from the next heading's style (pageBreakBefore).
  }

  // A real TOC field, marked dirty (and settings.xml asks for updateFields) so Word rebuilds
  // it with page numbers on open. Its cached result is one linked entry per section: both Word
  // and LibreOffice show the cached result until the field is updated, and an empty result
  // would be an empty contents page. The entries carry no page numbers: LibreOffice prints
  // cached numbers as they are, and numbers guessed without a layout engine would be wrong.
  void table_of_contents(const std::vector<section>& sections) {
    if (sections.empty()) return;
    open_paragraph({.style = "TOCHeading", .bidi = page_.rtl});
    text_run("Contents", {});
    out_ += "</w:p>";
    bool first = true;
    for (const auto& s : sections) {
      open_paragraph({.style = "TOC1", .bidi = page_.rtl});
      if (first) {
        out_ +=
            "<w:r><w:fldChar w:fldCharType=\"begin\" w:dirty=\"true\"/></w:r>"
            "<w:r><w:instrText xml:space=\"preserve\">";
        append_xml_escaped(out_, toc_instruction);
        out_ += "</w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>";
        first = false;
      }
      out_ += "<w:hyperlink w:anchor=\"";
      out_ += s.bookmark;
      out_ += "\" w:history=\"1\">";
      text_run(s.heading, {});
      out_ += "</w:hyperlink></w:p>";
    }
    open_paragraph({.bidi = page_.rtl});
    out_ += "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p>";
  }

  void render_section(const section& s) {
    open_paragraph({.style = "Heading1", .bidi = page_.rtl});
    const int id = next_bookmark_++;
    out_ += "<w:bookmarkStart w:id=\"";
    out_ += std::to_string(id);
    out_ += "\" w:name=\"";
    out_ += s.bookmark;
    out_ += "\"/>";
    text_run(s.heading, {});
    out_ += "<w:bookmarkEnd w:id=\"";
    out_ += std::to_string(id);
    out_ += "\"/></w:p>";
    document scratch;
    const document& content = s.chapter == no_chapter ? section_body(*s.parsed, s.raw, scratch)
                                                      : chapter_body(book_, s.chapter, scratch);
    render_blocks(content.blocks, {});
  }

  void render_blocks(const std::vector<block>& blocks, block_context context) {
    for (const auto& b : blocks) render_block(b, context);
  }

  // The left indent of content nested `depth` quotes and lists deep, kept to half the text
  // width so that deeply nested Markdown still leaves room for its words.
  [[nodiscard]] int nested_indent(int depth) const {
    return std::min(indent_step * std::min(depth, max_nesting), page_.text_width / 2);
  }

  [[nodiscard]] paragraph_format body_format(block_context context) const {
    paragraph_format format{.bidi = page_.rtl};
    const int depth = context.quote_depth + context.list_depth;
    if (context.quote_depth > 0) {
      format.style = "Quote";
    } else if (context.list_depth > 0) {
      format.style = "ListParagraph";
    }
    // Quote and List Paragraph indent one step themselves; deeper nesting indents further.
    if (depth > 1) format.indent = nested_indent(depth);
    return format;
  }

  void render_block(const block& b, block_context context) {
    switch (b.type) {
      case block::kind::paragraph:
        paragraph(b.content, body_format(context));
        break;
      case block::kind::heading: {
        // A chapter's own "# x" sits one level below the chapter heading.
        const int level = std::clamp(b.level + 1, 2, deepest_heading);
        const std::string style = "Heading" + std::to_string(level);
        paragraph(b.content, {.style = style, .bidi = page_.rtl});
        break;
      }
      case block::kind::bullet_list:
      case block::kind::ordered_list:
        list(b, context);
        break;
      case block::kind::quote:
        render_blocks(b.children, {context.quote_depth + 1, context.list_depth});
        break;
      case block::kind::code_block:
        code(b, context);
        break;
      case block::kind::thematic_break:
        open_paragraph({.style = "SceneBreak", .bidi = page_.rtl});
        text_run("* * *", {});
        out_ += "</w:p>";
        break;
      case block::kind::table:
        table(b, context);
        break;
    }
  }

  void paragraph(const inlines& content, const paragraph_format& format) {
    open_paragraph(format);
    inline_nodes(content, {});
    out_ += "</w:p>";
  }

  void list(const block& l, block_context context) {
    const int level = std::min(context.list_depth, max_list_level);
    int num_id = bullet_num_id;
    if (l.type == block::kind::ordered_list) {
      result_.ordered_lists.push_back({level, std::max(0, l.start)});
      num_id = first_ordered_num_id + static_cast<int>(result_.ordered_lists.size()) - 1;
    }
    const paragraph_format marker{
        .style = "ListParagraph", .num_id = num_id, .level = level, .bidi = page_.rtl};
    const block_context inner{context.quote_depth, context.list_depth + 1};
    for (const auto& item : l.items) {
      // The number or bullet goes on the item's first paragraph; an item that starts with
      // something else (a nested list, code) gets an empty numbered paragraph first.
      auto rest = item.begin();
      if (rest != item.end() && rest->type == block::kind::paragraph) {
        paragraph(rest->content, marker);
        ++rest;
      } else {
        open_paragraph(marker);
        out_ += "</w:p>";
      }
      for (; rest != item.end(); ++rest) render_block(*rest, inner);
    }
  }

  void code(const block& b, block_context context) {
    std::string_view text = b.text;
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    const int depth = context.quote_depth + context.list_depth;
    // Code stays left to right in any book: no w:bidi.
    open_paragraph(
        {.style = "SourceCode", .indent = depth > 0 ? code_indent + nested_indent(depth) : 0});
    text_run(text, {});
    out_ += "</w:p>";
  }

  void table(const block& t, block_context context) {
    std::size_t columns = 0;
    for (const auto& row : t.rows) columns = std::max(columns, row.size());
    if (columns == 0) return;
    const int depth = context.quote_depth + context.list_depth;
    const int indent = depth > 0 ? nested_indent(depth) : 0;
    const int width = page_.text_width - indent;
    const int column_width = width / static_cast<int>(columns);

    out_ += "<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/>";
    if (page_.rtl) out_ += "<w:bidiVisual/>";
    out_ += "<w:tblW w:w=\"";
    out_ += std::to_string(width);
    out_ += "\" w:type=\"dxa\"/>";
    if (indent > 0) {
      out_ += "<w:tblInd w:w=\"";
      out_ += std::to_string(indent);
      out_ += "\" w:type=\"dxa\"/>";
    }
    out_ += "<w:tblLayout w:type=\"fixed\"/></w:tblPr><w:tblGrid>";
    for (std::size_t i = 0; i < columns; ++i) {
      out_ += "<w:gridCol w:w=\"";
      out_ += std::to_string(column_width);
      out_ += "\"/>";
    }
    out_ += "</w:tblGrid>";
    bool header = t.header_row;
    for (const auto& row : t.rows) {
      // The header row repeats at the top of every page the table runs onto.
      out_ += header ? "<w:tr><w:trPr><w:tblHeader/></w:trPr>" : "<w:tr>";
      const paragraph_format cell_format{.style = header ? "TableHeading" : "TableText",
                                         .bidi = page_.rtl};
      for (std::size_t i = 0; i < columns; ++i) {
        out_ += "<w:tc><w:tcPr><w:tcW w:w=\"";
        out_ += std::to_string(column_width);
        out_ += "\" w:type=\"dxa\"/></w:tcPr>";
        // Every cell needs a paragraph, short rows are padded with empty cells.
        if (i < row.size()) {
          paragraph(row[i], cell_format);
        } else {
          open_paragraph(cell_format);
          out_ += "</w:p>";
        }
        out_ += "</w:tc>";
      }
      out_ += "</w:tr>";
      header = false;
    }
    out_ += "</w:tbl>";
    // Word merges adjacent tables and wants a paragraph between a table and the section end.
    open_paragraph({.style = "TableText", .bidi = page_.rtl});
    out_ += "</w:p>";
  }

  void open_paragraph(const paragraph_format& format) {
    out_ += "<w:p>";
    if (format.style.empty() && format.num_id == 0 && !format.bidi && format.indent == 0) return;
    out_ += "<w:pPr>";
    if (!format.style.empty()) {
      out_ += "<w:pStyle w:val=\"";
      out_ += format.style;
      out_ += "\"/>";
    }
    if (format.num_id != 0) {
      out_ += "<w:numPr><w:ilvl w:val=\"";
      out_ += std::to_string(format.level);
      out_ += "\"/><w:numId w:val=\"";
      out_ += std::to_string(format.num_id);
      out_ += "\"/></w:numPr>";
    }
    if (format.bidi) out_ += "<w:bidi/>";
    if (format.indent > 0) {
      out_ += "<w:ind w:left=\"";
      out_ += std::to_string(format.indent);
      out_ += "\"/>";
    }
    out_ += "</w:pPr>";
  }

  void inline_nodes(const inlines& nodes, run_format format) {
    for (const auto& node : nodes) {
      run_format inner = format;
      switch (node.type) {
        case inline_node::kind::text:
          text_run(node.text, format);
          break;
        case inline_node::kind::code:
          inner.code = true;
          text_run(node.text, inner);
          break;
        case inline_node::kind::emphasis:
          inner.italic = true;
          text_run(node.text, inner);
          inline_nodes(node.children, inner);
          break;
        case inline_node::kind::strong:
          inner.bold = true;
          text_run(node.text, inner);
          inline_nodes(node.children, inner);
          break;
        case inline_node::kind::link:
          link(node, format);
          break;
        case inline_node::kind::line_break:
          out_ += "<w:r><w:br/></w:r>";
          break;
        case inline_node::kind::soft_break:
          text_run(" ", format);
          break;
      }
    }
  }

  void link(const inline_node& node, run_format format) {
    const std::string_view url = trim(node.url);
    // Hyperlinks do not nest; an inner link keeps its text only.
    const std::string id = format.link ? std::string{} : link_id(url);
    run_format inner = format;
    if (!id.empty()) {
      out_ += "<w:hyperlink r:id=\"";
      out_ += id;
      out_ += "\" w:history=\"1\">";
      inner.link = true;
    }
    if (node.text.empty() && node.children.empty()) {
      text_run(url, inner);  // an autolink shows its address
    } else {
      text_run(node.text, inner);
      inline_nodes(node.children, inner);
    }
    if (!id.empty()) out_ += "</w:hyperlink>";
  }

  // The relationship id of an external link, one per distinct target; "" when the URL should
  // not be clickable.
  [[nodiscard]] std::string link_id(std::string_view url) {
    if (!is_linkable(url)) return {};
    std::string target = as_uri(url);
    if (target.size() > max_link) return {};
    const auto found = link_ids_.find(target);
    if (found != link_ids_.end()) return found->second;
    std::string id = "rId" + std::to_string(first_link_rid + result_.links.size());
    link_ids_.emplace(target, id);
    result_.links.push_back({id, std::move(target)});
    return id;
  }

  void text_run(std::string_view text, run_format format) {
    if (text.empty()) return;
    out_ += "<w:r>";
    run_properties(text, format);
    // Tabs and line breaks are elements of their own in WordprocessingML, not characters.
    std::size_t at = 0;
    while (at < text.size()) {
      const std::size_t stop = text.find_first_of("\t\n\r", at);
      const std::string_view piece =
          text.substr(at, stop == std::string_view::npos ? std::string_view::npos : stop - at);
      if (!piece.empty()) {
        out_ += needs_preserve(piece) ? "<w:t xml:space=\"preserve\">" : "<w:t>";
        append_xml_escaped(out_, piece);
        out_ += "</w:t>";
      }
      if (stop == std::string_view::npos) break;
      at = stop + 1;
      if (text[stop] == '\t') {
        out_ += "<w:tab/>";
      } else {
        out_ += "<w:br/>";
        if (text[stop] == '\r' && at < text.size() && text[at] == '\n') ++at;
      }
    }
    out_ += "</w:r>";
  }

  void run_properties(std::string_view text, run_format format) {
    // Word lays a run out right to left (and uses its complex-script font and sizes) only
    // when the run says so; Latin runs in an Arabic paragraph stay unmarked.
    const bool rtl = has_rtl_text(text);
    if (!format.code && !format.link && !format.bold && !format.italic && !rtl) return;
    out_ += "<w:rPr>";
    if (format.code) {
      out_ += "<w:rStyle w:val=\"VerbatimChar\"/>";
    } else if (format.link) {
      out_ += "<w:rStyle w:val=\"Hyperlink\"/>";
    }
    if (format.bold) out_ += "<w:b/><w:bCs/>";
    if (format.italic) out_ += "<w:i/><w:iCs/>";
    if (rtl) out_ += "<w:rtl/>";
    out_ += "</w:rPr>";
  }

  void section_properties() {
    const std::string margin = std::to_string(page_.margin);
    const std::string distance = std::to_string(page_.margin / 2);
    out_ += "<w:sectPr><w:footerReference w:type=\"default\" r:id=\"";
    out_ += footer_rid;
    out_ += "\"/><w:pgSz w:w=\"";
    out_ += std::to_string(page_.page_width);
    out_ += "\" w:h=\"";
    out_ += std::to_string(page_.page_height);
    out_ += "\"/><w:pgMar w:top=\"" + margin + "\" w:right=\"" + margin + "\" w:bottom=\"" +
            margin + "\" w:left=\"" + margin + "\" w:header=\"" + distance + "\" w:footer=\"" +
            distance + "\" w:gutter=\"0\"/>";
    // titlePg: the title page has a (missing, so empty) first-page footer: no page number.
    out_ += "<w:titlePg/>";
    if (page_.rtl) out_ += "<w:bidi/>";
    out_ += "</w:sectPr>";
  }

  const book& book_;
  const layout& page_;
  std::string out_;
  body result_;
  std::map<std::string, std::string, std::less<>> link_ids_;  // target URI -> relationship id
  int next_bookmark_ = 0;
};

}  // namespace

body render_body(const book& b, const layout& page) { return body_writer{b, page}.render(); }

}  // namespace lekhika::publishing::detail::docx
