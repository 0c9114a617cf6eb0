// book.epub: an EPUB 3.0 publication that passes epubcheck.
//
// Layout of the container (OCF):
//   mimetype                   first entry, stored, no extra field (readers sniff it)
//   META-INF/container.xml     points at OEBPS/content.opf
//   OEBPS/content.opf          package: metadata, manifest, spine
//   OEBPS/toc.ncx              the EPUB 2 table of contents, for older readers
//   OEBPS/style.css            the book's typography
//   OEBPS/images/cover.*       the supplied cover image, or a typographic cover drawn here
//   OEBPS/*.xhtml              cover, title page, contents (nav), front matter, one file per
//                              chapter, about the author (at the start or the end)
//
// Deterministic: the same book gives the same bytes. The identifier is a name-based UUID of the
// title, author and chapter titles (a revised text of the same book keeps its identity in a
// reader's library), and every timestamp is the fixed `modified_timestamp` below, because the
// book carries no date of its own and this library reads no clock.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "export_detail.hpp"
#include "export_epub_cover.hpp"
#include "export_epub_xhtml.hpp"
#include "export_epub_zip.hpp"
#include "text_util.hpp"

namespace lekhika::publishing::detail {
namespace {

using epub::append_xml;

// dcterms:modified, and the same instant as the MS-DOS time of every ZIP entry.
constexpr std::string_view modified_timestamp = "2000-01-01T00:00:00Z";
constexpr epub::dos_timestamp zip_timestamp{0, ((2000 - 1980) << 9) | (1 << 5) | 1};

// The namespace of book identifiers (a random UUID fixed once for Lekhika; RFC 4122 section 4.3).
constexpr std::array<std::uint8_t, 16> identifier_namespace = {
    0x73, 0xa1, 0x0e, 0xf0, 0x8f, 0x91, 0x4b, 0x1b, 0xba, 0xff, 0x65, 0xb8, 0x79, 0x47, 0x6d, 0x72};

constexpr std::string_view xhtml_media_type = "application/xhtml+xml";

// ---------------------------------------------------------------------------------------------
// Identifier: a version 5 (SHA-1, name-based) UUID.

[[nodiscard]] std::array<std::uint8_t, 20> sha1(std::string_view message) {
  std::string m{message};
  const std::uint64_t bits = static_cast<std::uint64_t>(message.size()) * 8;
  m += '\x80';
  while (m.size() % 64 != 56) m += '\0';
  for (int shift = 56; shift >= 0; shift -= 8) m += static_cast<char>((bits >> shift) & 0xFF);

  std::array<std::uint32_t, 5> h = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::array<std::uint32_t, 80> w{};
  for (std::size_t chunk = 0; chunk < m.size(); chunk += 64) {
    for (std::size_t i = 0; i < 16; ++i) {
      std::uint32_t word = 0;
      for (std::size_t k = 0; k < 4; ++k) {
        word = (word << 8) | static_cast<unsigned char>(m[chunk + 4 * i + k]);
      }
      w[i] = word;
    }
    for (std::size_t i = 16; i < 80; ++i)
      w[i] = std::rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0];
    std::uint32_t b = h[1];
    std::uint32_t c = h[2];
    std::uint32_t d = h[3];
    std::uint32_t e = h[4];
    for (std::size_t i = 0; i < 80; ++i) {
      std::uint32_t f = 0;
      std::uint32_t k = 0;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      const std::uint32_t next = std::rotl(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = std::rotl(b, 30);
      b = a;
      a = next;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  std::array<std::uint8_t, 20> digest{};
  for (std::size_t i = 0; i < 20; ++i) {
    digest[i] = static_cast<std::uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  }
  return digest;
}

struct book_identity {
  std::string urn;        ///< urn:uuid:...
  std::size_t palette{};  ///< picks the generated cover's colours
};

[[nodiscard]] book_identity identify(const book& b) {
  // Unit and record separators cannot occur in one-line text, so the fields cannot run into
  // each other ("ab"+"c" and "a"+"bc" differ).
  std::string name(identifier_namespace.begin(), identifier_namespace.end());
  name += display_title(b);
  name += '\x1F';
  name += one_line(b.author);
  for (const auto& c : b.chapters) {
    name += '\x1E';
    name += one_line(c.title);
  }
  std::array<std::uint8_t, 20> hash = sha1(name);
  hash[6] = static_cast<std::uint8_t>((hash[6] & 0x0F) | 0x50);  // version 5
  hash[8] = static_cast<std::uint8_t>((hash[8] & 0x3F) | 0x80);  // RFC 4122 variant
  constexpr std::string_view hex = "0123456789abcdef";
  book_identity id;
  id.urn = "urn:uuid:";
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id.urn += '-';
    id.urn += hex[hash[i] >> 4];
    id.urn += hex[hash[i] & 0x0F];
  }
  id.palette = hash[15];
  return id;
}

// ---------------------------------------------------------------------------------------------
// Content documents.

struct page_context {
  std::string lang;
  bool rtl = false;
};

// One XHTML file of the spine.
struct page {
  std::string id;          ///< manifest id
  std::string file;        ///< path under OEBPS/
  std::string label;       ///< entry in the table of contents; "" when not listed
  std::string properties;  ///< manifest properties (svg, nav)
  std::string xhtml;
};

void open_page(std::string& out, const page_context& ctx, std::string_view head_title,
               std::string_view body_type, std::string_view body_class = {}) {
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n";
  out += "<html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\"";
  out += " xml:lang=\"";
  out += ctx.lang;
  out += "\" lang=\"";
  out += ctx.lang;
  out += ctx.rtl ? "\" dir=\"rtl\">\n" : "\">\n";
  out += "<head>\n<meta charset=\"UTF-8\"/>\n<title>";
  append_xml(out, head_title);
  out += "</title>\n<link rel=\"stylesheet\" type=\"text/css\" href=\"style.css\"/>\n</head>\n";
  out += "<body";
  if (!body_class.empty()) {
    out += " class=\"";
    out += body_class;
    out += '"';
  }
  out += " epub:type=\"";
  out += body_type;
  out += "\">\n";
}

void close_page(std::string& out) { out += "</body>\n</html>\n"; }

struct cover_art {
  std::string bytes;
  epub::image_format format;
  [[nodiscard]] std::string file() const { return "images/cover." + std::string{format.extension}; }
};

[[nodiscard]] cover_art make_cover(const book& b, std::string_view title, std::string_view subtitle,
                                   std::string_view author, std::size_t palette) {
  if (b.cover) {
    // The bytes decide, not the declared type: epubcheck rejects an image whose content does
    // not match its media type, and so do some readers.
    if (auto format = epub::identify_image(b.cover->bytes)) return {b.cover->bytes, *format};
  }
  return {epub::render_cover_png(title, subtitle, author, palette),
          {"image/png", "png", epub::generated_cover_width, epub::generated_cover_height}};
}

[[nodiscard]] page cover_page(const page_context& ctx, const cover_art& cover,
                              std::string_view title) {
  page p{"cover", "cover.xhtml", "", "svg", ""};
  std::string& out = p.xhtml;
  open_page(out, ctx, title, "cover", "cover");
  out += "<div>\n";
  // An SVG viewport scales the image to the screen keeping its proportions in every reader
  // (a bare <img> is cropped or shrunk to a corner by some). identify_image and the generated
  // cover always give the size.
  const std::string w = std::to_string(cover.format.width);
  const std::string h = std::to_string(cover.format.height);
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"";
  out += " version=\"1.1\" width=\"100%\" height=\"100%\" viewBox=\"0 0 " + w + ' ' + h;
  out += "\" preserveAspectRatio=\"xMidYMid meet\">\n<title>";
  append_xml(out, title);
  out += "</title>\n<image width=\"" + w + "\" height=\"" + h + "\" xlink:href=\"" + cover.file();
  out += "\"/>\n</svg>\n";
  out += "</div>\n";
  close_page(out);
  return p;
}

[[nodiscard]] page title_page(const page_context& ctx, std::string_view title,
                              std::string_view subtitle, std::string_view author) {
  page p{"title-page", "title.xhtml", "", "", ""};
  std::string& out = p.xhtml;
  open_page(out, ctx, title, "frontmatter");
  out += "<section class=\"title-page\" epub:type=\"titlepage\">\n<h1 class=\"title\">";
  append_xml(out, title);
  out += "</h1>\n";
  if (!subtitle.empty()) {
    out += "<p class=\"subtitle\">";
    append_xml(out, subtitle);
    out += "</p>\n";
  }
  if (!author.empty()) {
    out += "<p class=\"author\">";
    append_xml(out, author);
    out += "</p>\n";
  }
  out += "</section>\n";
  close_page(out);
  return p;
}

// A page of prose under its own <h1>: a chapter, the foreword, the introduction, the author.
[[nodiscard]] page prose_page(const page_context& ctx, std::string id, std::string file,
                              std::string heading, std::string_view body_type,
                              std::string_view section_type, const document& body) {
  page p{std::move(id), std::move(file), std::move(heading), "", ""};
  std::string& out = p.xhtml;
  out.reserve(1024 + p.label.size());
  open_page(out, ctx, p.label, body_type);
  out += "<section";
  if (!section_type.empty()) {
    out += " epub:type=\"";
    out += section_type;
    out += '"';
  }
  out += ">\n<h1>";
  append_xml(out, p.label);
  out += "</h1>\n";
  epub::append_blocks(out, body.blocks);
  out += "</section>\n";
  close_page(out);
  return p;
}

// The parsed text of a front or back matter field: the book's parse when it has one, else a
// parse of the raw text (a book assembled by hand may carry only that); nullptr when empty.
[[nodiscard]] const document* matter_body(const document& parsed, const std::string& text,
                                          document& scratch) {
  if (!parsed.empty()) return &parsed;
  if (trim(text).empty()) return nullptr;
  scratch = parse_markdown(text);
  return &scratch;
}

void add_matter(std::vector<page>& pages, const page_context& ctx, std::string id,
                std::string heading, std::string_view body_type, std::string_view section_type,
                const document& parsed, const std::string& text) {
  document scratch;
  if (const document* body = matter_body(parsed, text, scratch)) {
    std::string file = id + ".xhtml";
    pages.push_back(prose_page(ctx, std::move(id), std::move(file), std::move(heading), body_type,
                               section_type, *body));
  }
}

[[nodiscard]] std::string chapter_file_stem(std::size_t index, std::size_t count) {
  // Zero-padded so the files list in reading order everywhere.
  const std::size_t width = std::max<std::size_t>(3, std::to_string(count).size());
  std::string number = std::to_string(index + 1);
  return "chapter-" + std::string(width - number.size(), '0') + number;
}

// The table of contents: every listed page in reading order, or the title page when a book
// has nothing else to list (a navigation list may not be empty).
[[nodiscard]] std::vector<const page*> contents(const std::vector<page>& pages) {
  std::vector<const page*> listed;
  for (const page& p : pages) {
    if (!p.label.empty()) listed.push_back(&p);
  }
  if (listed.empty()) {
    for (const page& p : pages) {
      if (p.id == "title-page") listed.push_back(&p);
    }
  }
  return listed;
}

[[nodiscard]] std::string nav_document(const page_context& ctx, const std::vector<page>& pages,
                                       std::string_view title) {
  std::string out;
  out.reserve(2048 + 96 * pages.size());
  open_page(out, ctx, "Contents", "frontmatter");
  out += "<nav epub:type=\"toc\" id=\"toc\">\n<h1>Contents</h1>\n<ol>\n";
  for (const page* p : contents(pages)) {
    out += "<li><a href=\"" + p->file + "\">";
    append_xml(out, p->label.empty() ? title : std::string_view{p->label});
    out += "</a></li>\n";
  }
  out += "</ol>\n</nav>\n";
  // Landmarks let a reader jump to the cover, the contents and the start of the text.
  out += "<nav epub:type=\"landmarks\" id=\"landmarks\" class=\"landmarks\" hidden=\"hidden\">\n";
  out += "<h2>Guide</h2>\n<ol>\n";
  out += "<li><a epub:type=\"cover\" href=\"cover.xhtml\">Cover</a></li>\n";
  out += "<li><a epub:type=\"titlepage\" href=\"title.xhtml\">Title Page</a></li>\n";
  out += "<li><a epub:type=\"toc\" href=\"nav.xhtml#toc\">Contents</a></li>\n";
  for (const page& p : pages) {
    if (p.id.starts_with("chapter-")) {
      out += "<li><a epub:type=\"bodymatter\" href=\"" + p.file + "\">Start of Content</a></li>\n";
      break;
    }
  }
  out += "</ol>\n</nav>\n";
  close_page(out);
  return out;
}

[[nodiscard]] std::string ncx_document(const page_context& ctx, const std::vector<page>& pages,
                                       const std::string& urn, std::string_view title,
                                       std::string_view author) {
  std::string out;
  out.reserve(1024 + 160 * pages.size());
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<ncx xmlns=\"http://www.daisy.org/z3986/2005/ncx/\" version=\"2005-1\" xml:lang=\"";
  out += ctx.lang;
  out += "\">\n<head>\n<meta name=\"dtb:uid\" content=\"" + urn + "\"/>\n";
  out += "<meta name=\"dtb:depth\" content=\"1\"/>\n";
  out += "<meta name=\"dtb:totalPageCount\" content=\"0\"/>\n";
  out += "<meta name=\"dtb:maxPageNumber\" content=\"0\"/>\n</head>\n<docTitle><text>";
  append_xml(out, title);
  out += "</text></docTitle>\n";
  if (!author.empty()) {
    out += "<docAuthor><text>";
    append_xml(out, author);
    out += "</text></docAuthor>\n";
  }
  out += "<navMap>\n";
  std::size_t order = 0;
  for (const page* p : contents(pages)) {
    const std::string n = std::to_string(++order);
    out += "<navPoint id=\"navpoint-" + n + "\" playOrder=\"" + n + "\"><navLabel><text>";
    append_xml(out, p->label.empty() ? title : std::string_view{p->label});
    out += "</text></navLabel><content src=\"" + p->file + "\"/></navPoint>\n";
  }
  out += "</navMap>\n</ncx>\n";
  return out;
}

[[nodiscard]] std::string package_document(const page_context& ctx, const std::vector<page>& pages,
                                           const cover_art& cover, const std::string& urn,
                                           std::string_view title, std::string_view subtitle,
                                           std::string_view author) {
  std::string out;
  out.reserve(2048 + 200 * pages.size());
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out +=
      "<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" "
      "unique-identifier=\"book-id\" xml:lang=\"";
  out += ctx.lang;
  out += ctx.rtl ? "\" dir=\"rtl\">\n" : "\">\n";
  out += "<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n";
  out += "<dc:identifier id=\"book-id\">" + urn + "</dc:identifier>\n";
  out += "<dc:title id=\"title\">";
  append_xml(out, title);
  out += "</dc:title>\n<meta refines=\"#title\" property=\"title-type\">main</meta>\n";
  if (!subtitle.empty()) {
    out += "<dc:title id=\"subtitle\">";
    append_xml(out, subtitle);
    out += "</dc:title>\n<meta refines=\"#subtitle\" property=\"title-type\">subtitle</meta>\n";
  }
  // dc:creator may not be empty; a book without an author has none.
  if (!author.empty()) {
    out += "<dc:creator id=\"creator\">";
    append_xml(out, author);
    out += "</dc:creator>\n";
    out += "<meta refines=\"#creator\" property=\"role\" scheme=\"marc:relators\">aut</meta>\n";
  }
  out += "<dc:language>" + ctx.lang + "</dc:language>\n";
  out += "<meta property=\"dcterms:modified\">";
  out += modified_timestamp;
  out += "</meta>\n";
  // The EPUB 2 way of naming the cover, still what some readers and stores look for.
  out += "<meta name=\"cover\" content=\"cover-image\"/>\n</metadata>\n<manifest>\n";
  out += "<item id=\"ncx\" href=\"toc.ncx\" media-type=\"application/x-dtbncx+xml\"/>\n";
  out += "<item id=\"style\" href=\"style.css\" media-type=\"text/css\"/>\n";
  out += "<item id=\"cover-image\" href=\"" + cover.file() + "\" media-type=\"";
  out += cover.format.media_type;
  out += "\" properties=\"cover-image\"/>\n";
  for (const page& p : pages) {
    out += "<item id=\"" + p.id + "\" href=\"" + p.file + "\" media-type=\"";
    out += xhtml_media_type;
    out += '"';
    if (!p.properties.empty()) out += " properties=\"" + p.properties + '"';
    out += "/>\n";
  }
  out += "</manifest>\n<spine toc=\"ncx\"";
  if (ctx.rtl) out += " page-progression-direction=\"rtl\"";
  out += ">\n";
  for (const page& p : pages) out += "<itemref idref=\"" + p.id + "\"/>\n";
  out += "</spine>\n</package>\n";
  return out;
}

constexpr std::string_view container_xml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">\n"
    "<rootfiles>\n"
    "<rootfile full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/>\n"
    "</rootfiles>\n"
    "</container>\n";

}  // namespace

std::string render_epub(const book& b) {
  const std::string title = display_title(b);
  const std::string subtitle = one_line(b.subtitle);
  const std::string author = one_line(b.author);
  page_context ctx;
  ctx.lang = epub::language(b.language);
  ctx.rtl = epub::is_right_to_left(ctx.lang);
  const book_identity identity = identify(b);
  const cover_art cover = make_cover(b, title, subtitle, author, identity.palette);

  // The spine, in reading order. The contents page goes where the HTML export has it: after
  // the title page (and an about-the-author placed first), before the foreword.
  std::vector<page> pages;
  pages.reserve(b.chapters.size() + 8);
  pages.push_back(cover_page(ctx, cover, title));
  pages.push_back(title_page(ctx, title, subtitle, author));
  if (b.about_author_first) {
    add_matter(pages, ctx, "about-the-author", "About the Author", "frontmatter", "",
               b.about_author_body, b.about_author);
  }
  const std::size_t nav_at = pages.size();
  pages.push_back(page{"nav", "nav.xhtml", "", "nav", ""});
  add_matter(pages, ctx, "foreword", "Foreword", "frontmatter", "foreword", b.foreword_body,
             b.foreword);
  add_matter(pages, ctx, "introduction", "Introduction", "frontmatter", "introduction",
             b.introduction_body, b.introduction);
  // bodies[i] is the parse of chapters[i]; a book assembled without them gets parsed here.
  const bool parsed = b.bodies.size() == b.chapters.size();
  for (std::size_t i = 0; i < b.chapters.size(); ++i) {
    const auto& c = b.chapters[i];
    std::string stem = chapter_file_stem(i, b.chapters.size());
    std::string file = stem + ".xhtml";
    const document body = parsed ? document{} : parse_markdown(c.content);
    pages.push_back(prose_page(ctx, std::move(stem), std::move(file), chapter_heading(c),
                               "bodymatter", "chapter", parsed ? b.bodies[i] : body));
  }
  if (!b.about_author_first) {
    add_matter(pages, ctx, "about-the-author", "About the Author", "backmatter", "",
               b.about_author_body, b.about_author);
  }
  pages[nav_at].xhtml = nav_document(ctx, pages, title);

  const std::string package =
      package_document(ctx, pages, cover, identity.urn, title, subtitle, author);
  const std::string ncx = ncx_document(ctx, pages, identity.urn, title, author);
  const std::string css = epub::stylesheet(b.typography);

  std::vector<epub::zip_entry> entries;
  entries.reserve(pages.size() + 6);
  // OCF: the first entry is "mimetype", stored, so a reader can identify the file by its bytes.
  entries.push_back({"mimetype", "application/epub+zip", epub::compression::store});
  entries.push_back({"META-INF/container.xml", container_xml, epub::compression::deflate});
  entries.push_back({"OEBPS/content.opf", package, epub::compression::deflate});
  entries.push_back({"OEBPS/toc.ncx", ncx, epub::compression::deflate});
  entries.push_back({"OEBPS/style.css", css, epub::compression::deflate});
  // Images are compressed already; deflating them again only costs time.
  entries.push_back({"OEBPS/" + cover.file(), cover.bytes, epub::compression::store});
  for (const page& p : pages) {
    entries.push_back({"OEBPS/" + p.file, p.xhtml, epub::compression::deflate});
  }
  return epub::zip_archive(entries, zip_timestamp);
}

}  // namespace lekhika::publishing::detail
