// book.epub: the container, package, navigation and content documents, read back with libzip.
// (epubcheck itself runs in tests/integration/publishing.)

#include <gtest/gtest.h>
#include <zip.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "document_builders.hpp"
#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/document.hpp"
#include "lekhika/publishing/exporters.hpp"
#include "publishing_test_util.hpp"
#include "xml_scan.hpp"

namespace lekhika::publishing {

namespace detail {
// The renderer behind export_book (declared in the library's private export_detail.hpp), so the
// tests can run before the format table marks epub available.
std::string render_epub(const book& b);
}  // namespace detail

namespace {

using nlohmann::json;
using namespace test_util;  // the builders, the XML scanning, count_of and make_chapter

// ---------------------------------------------------------------------------------------------
// Producing and unpacking the file.

std::string epub_of(const book& b) {
  const format_info* info = find_format("epub");
  if (info != nullptr && info->available) return test_util::export_as(b, "epub");
  return detail::render_epub(b);
}

struct zip_member {
  std::string name;
  std::string data;
  std::uint16_t method = 0;
  int extra_fields = 0;  // local and central
};

struct archive_close {
  void operator()(zip_t* z) const noexcept { zip_discard(z); }
};
struct file_close {
  void operator()(zip_file_t* f) const noexcept { zip_fclose(f); }
};

// Every member in archive order; fails the test (and returns nothing) when the archive is broken.
std::vector<zip_member> unzip(const std::string& bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    ADD_FAILURE() << "zip source: " << zip_error_strerror(&error);
    zip_error_fini(&error);
    return {};
  }
  std::unique_ptr<zip_t, archive_close> archive{
      zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error)};
  if (!archive) {
    ADD_FAILURE() << "not a consistent zip archive: " << zip_error_strerror(&error);
    zip_source_free(source);
    zip_error_fini(&error);
    return {};
  }
  zip_error_fini(&error);
  std::vector<zip_member> members;
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<zip_uint64_t>(i);
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive.get(), index, 0, &stat) != 0) {
      ADD_FAILURE() << "cannot stat entry " << i;
      return {};
    }
    zip_member m;
    m.name = stat.name;
    m.method = stat.comp_method;
    m.extra_fields = zip_file_extra_fields_count(archive.get(), index, ZIP_FL_LOCAL) +
                     zip_file_extra_fields_count(archive.get(), index, ZIP_FL_CENTRAL);
    m.data.resize(stat.size);
    std::unique_ptr<zip_file_t, file_close> file{zip_fopen_index(archive.get(), index, 0)};
    if (!file ||
        zip_fread(file.get(), m.data.data(), stat.size) != static_cast<zip_int64_t>(stat.size)) {
      ADD_FAILURE() << "cannot read " << m.name;
      return {};
    }
    members.push_back(std::move(m));
  }
  return members;
}

// The unpacked publication.
struct epub_file {
  std::string bytes;
  std::vector<zip_member> members;

  [[nodiscard]] const zip_member* find(std::string_view name) const {
    for (const auto& m : members) {
      if (m.name == name) return &m;
    }
    return nullptr;
  }
  [[nodiscard]] std::string text(std::string_view name) const {
    const zip_member* m = find(name);
    if (m == nullptr) {
      ADD_FAILURE() << "no " << name << " in the epub";
      return {};
    }
    return m->data;
  }
  [[nodiscard]] std::string opf() const { return text("OEBPS/content.opf"); }
};

epub_file open_epub(const book& b) {
  epub_file f;
  f.bytes = epub_of(b);
  f.members = unzip(f.bytes);
  return f;
}

// ---------------------------------------------------------------------------------------------
// A small XML well-formedness check: one root element, tags nested and closed, attributes
// quoted and unique, only the predefined and numeric entities, valid UTF-8 and only characters
// XML 1.0 allows. Returns "" when well-formed, else what is wrong.

std::string check_characters(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto [cp, n] = utf8_at(s, i);
    if (n == 0) return "malformed UTF-8 at " + std::to_string(i);
    if (!xml_char(cp)) return "character illegal in XML at " + std::to_string(i);
    i += n;
  }
  return {};
}

std::string check_references(std::string_view text) {
  for (std::size_t amp = text.find('&'); amp != std::string_view::npos;
       amp = text.find('&', amp + 1)) {
    const std::size_t semi = text.find(';', amp);
    if (semi == std::string_view::npos) return "unterminated reference";
    const std::string_view ref = text.substr(amp + 1, semi - amp - 1);
    if (ref == "amp" || ref == "lt" || ref == "gt" || ref == "quot" || ref == "apos") continue;
    if (ref.size() >= 2 && ref[0] == '#') continue;
    return "unknown entity &" + std::string{ref} + ";";
  }
  return {};
}

std::string xml_problem(std::string_view doc) {
  if (std::string e = check_characters(doc); !e.empty()) return e;
  std::size_t i = 0;
  if (doc.starts_with("<?xml")) {
    i = doc.find("?>");
    if (i == std::string_view::npos) return "unterminated XML declaration";
    i += 2;
  }
  std::vector<std::string> open;
  bool root_seen = false;
  while (i < doc.size()) {
    const std::size_t lt = doc.find('<', i);
    const std::string_view text = doc.substr(i, lt == std::string_view::npos ? doc.npos : lt - i);
    if (std::string e = check_references(text); !e.empty()) return e;
    if (text.find('>') != std::string_view::npos && text.find("]]>") != std::string_view::npos) {
      return "]]> in text";
    }
    if (open.empty() && text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      return "text outside the root element";
    }
    if (lt == std::string_view::npos) break;
    const std::string_view rest = doc.substr(lt);
    if (rest.starts_with("<!--")) {
      const std::size_t end = doc.find("-->", lt);
      if (end == std::string_view::npos) return "unterminated comment";
      i = end + 3;
      continue;
    }
    if (rest.starts_with("<!DOCTYPE")) {
      if (root_seen) return "DOCTYPE after the root";
      i = doc.find('>', lt) + 1;
      continue;
    }
    if (rest.starts_with("</")) {
      std::size_t j = lt + 2;
      while (j < doc.size() && xml_name_char(doc[j])) ++j;
      const std::string name{doc.substr(lt + 2, j - lt - 2)};
      while (j < doc.size() && doc[j] == ' ') ++j;
      if (j >= doc.size() || doc[j] != '>') return "bad end tag </" + name;
      if (open.empty() || open.back() != name) {
        return "</" + name + "> closes <" + (open.empty() ? "" : open.back()) + ">";
      }
      open.pop_back();
      i = j + 1;
      continue;
    }
    // Start or empty-element tag.
    std::size_t j = lt + 1;
    while (j < doc.size() && xml_name_char(doc[j])) ++j;
    const std::string name{doc.substr(lt + 1, j - lt - 1)};
    if (name.empty()) return "'<' not starting a tag at " + std::to_string(lt);
    if (open.empty() && root_seen) return "second root element <" + name + ">";
    std::vector<std::string> attributes;
    while (true) {
      while (j < doc.size() && (doc[j] == ' ' || doc[j] == '\n' || doc[j] == '\t')) ++j;
      if (j >= doc.size()) return "unterminated tag <" + name;
      if (doc[j] == '>' || doc.substr(j, 2) == "/>") break;
      const std::size_t attr_start = j;
      while (j < doc.size() && xml_name_char(doc[j])) ++j;
      const std::string attr{doc.substr(attr_start, j - attr_start)};
      if (attr.empty() || j + 1 >= doc.size() || doc[j] != '=' || doc[j + 1] != '"') {
        return "bad attribute in <" + name + ">";
      }
      for (const auto& seen : attributes) {
        if (seen == attr) return "duplicate attribute " + attr;
      }
      attributes.push_back(attr);
      const std::size_t close = doc.find('"', j + 2);
      if (close == std::string_view::npos) return "unterminated attribute value";
      const std::string_view value = doc.substr(j + 2, close - j - 2);
      if (value.find('<') != std::string_view::npos) return "'<' in an attribute value";
      if (std::string e = check_references(value); !e.empty()) return e;
      j = close + 1;
    }
    root_seen = true;
    if (doc[j] == '/') {
      i = j + 2;
    } else {
      open.push_back(name);
      i = j + 1;
    }
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  if (!root_seen) return "no root element";
  return {};
}

// ---------------------------------------------------------------------------------------------
// Reading the package.

// The value of attribute `name` in the first tag at or after `from` that contains `marker`.
std::string attribute(std::string_view xml, std::string_view marker, std::string_view name) {
  const std::size_t at = xml.find(marker);
  if (at == std::string_view::npos) return {};
  const std::size_t tag_start = xml.rfind('<', at);
  const std::size_t tag_end = xml.find('>', at);
  const std::string_view tag = xml.substr(tag_start, tag_end - tag_start);
  const std::string key = " " + std::string{name} + "=\"";
  const std::size_t k = tag.find(key);
  if (k == std::string_view::npos) return {};
  const std::size_t v = k + key.size();
  return std::string{tag.substr(v, tag.find('"', v) - v)};
}

// The text between the first `open` and the next `close` after it.
std::string between(std::string_view text, std::string_view open, std::string_view close) {
  const std::size_t a = text.find(open);
  if (a == std::string_view::npos) return {};
  const std::size_t b = text.find(close, a + open.size());
  if (b == std::string_view::npos) return {};
  return std::string{text.substr(a + open.size(), b - a - open.size())};
}

std::string manifest_href(std::string_view opf, std::string_view id) {
  return attribute(opf, "id=\"" + std::string{id} + "\"", "href");
}

// The spine as files, in reading order.
std::vector<std::string> spine_files(std::string_view opf) {
  std::vector<std::string> files;
  for (const std::string& idref : attribute_values(opf, "itemref", "idref")) {
    files.push_back(manifest_href(opf, idref));
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// Books.

json sample_input() {
  return json{{"book_title", "The Quiet Harbour"},
              {"subtitle", "A Novel of the Coast"},
              {"author_name", "Mira Sen"},
              {"foreword", "A word before.\n\nAnd a second paragraph."},
              {"introduction", "What this book is about."},
              {"author_bio", "Mira Sen lives by the sea."},
              {"language", "English"}};
}

book sample_book(json input = sample_input()) {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(
      make_chapter("Arrival", "The ferry came in at dusk.\n\nGulls *wheeled* above."));
  chapters.push_back(make_chapter("The Lighthouse", "## The keeper\n\nHe kept the **light**."));
  chapters.push_back(make_chapter("", "An untitled chapter."));
  return compile_book(input, std::move(chapters));
}

// A document with every block and inline kind of the model.
document every_kind_document() {
  document d;
  d.blocks.push_back(paragraph(
      inlines{text("Plain, "), wrap(inline_node::kind::emphasis, {text("emphasis")}), text(", "),
              wrap(inline_node::kind::strong, {text("strong")}), text(", "), code("a < b && c"),
              text(", "), link("https://example.com/a b?q=1&r=2", {text("a link")}), soft_break(),
              text("after a soft break"), line_break(), text("after a hard break")}));
  d.blocks.push_back(heading(1, "A section"));
  d.blocks.push_back(heading(2, "A subsection"));
  d.blocks.push_back(
      list(block::kind::bullet_list,
           {{paragraph("first")}, {paragraph("second"), paragraph("second, more")}, {}}));
  d.blocks.push_back(
      list(block::kind::ordered_list, {{paragraph("three")}, {paragraph("four")}}, 3));
  d.blocks.push_back(quote({paragraph("Quoted."), quote({paragraph("Quoted inside.")})}));
  d.blocks.push_back(code_block("int main() {\n  return 1 < 2;\n}\n"));
  d.blocks.push_back(scene_break());
  d.blocks.push_back(table({{{text("Name")}, {text("Value")}},
                            {{text("pi")}, {text("3.14")}},
                            {{wrap(inline_node::kind::emphasis, {text("e")})}, {text("2.72")}}},
                           true));
  d.blocks.push_back(paragraph("The end."));
  return d;
}

book hand_made_book(std::vector<document> bodies, std::string language = "en") {
  book b;
  b.title = "Hand Made";
  b.author = "A. Writer";
  b.language = std::move(language);
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    workflow::chapter c;
    c.number = static_cast<int>(i + 1);
    c.title = "Part " + std::to_string(i + 1);
    b.chapters.push_back(c);
  }
  b.bodies = std::move(bodies);
  return b;
}

book many_chapters_book(std::size_t count) {
  std::vector<workflow::chapter> chapters;
  for (std::size_t i = 1; i <= count; ++i) {
    chapters.push_back(make_chapter("Chapter title " + std::to_string(i),
                                    "Text of chapter " + std::to_string(i) + "."));
  }
  return compile_book(json{{"book_title", "Long Book"}, {"author_name", "Prolific"}},
                      std::move(chapters));
}

std::vector<std::string> xhtml_names(const epub_file& f) {
  std::vector<std::string> names;
  for (const auto& m : f.members) {
    if (m.name.ends_with(".xhtml")) names.push_back(m.name);
  }
  return names;
}

void expect_all_well_formed(const epub_file& f) {
  for (const auto& m : f.members) {
    if (m.name == "mimetype" || m.name.ends_with(".png") || m.name.ends_with(".jpg") ||
        m.name.ends_with(".gif") || m.name.ends_with(".css")) {
      continue;
    }
    EXPECT_EQ(xml_problem(m.data), "") << m.name << ":\n" << m.data;
  }
}

// A real 1x1 PNG.
constexpr std::string_view tiny_png{
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00"
    "\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c"
    "\x63\x38\xb1\xa5\x07\x00\x04\x50\x02\x09\xae\x30\xd6\xa6\x00\x00\x00\x00\x49\x45\x4e\x44"
    "\xae\x42\x60\x82",
    69};

// A real 2x3 grey JPEG (written by Java's ImageIO).
constexpr std::string_view tiny_jpeg{
    "\xff\xd8\xff\xe0\x00\x10\x4a\x46\x49\x46\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00\xff\xdb"
    "\x00\x43\x00\x08\x06\x06\x07\x06\x05\x08\x07\x07\x07\x09\x09\x08\x0a\x0c\x14\x0d\x0c\x0b"
    "\x0b\x0c\x19\x12\x13\x0f\x14\x1d\x1a\x1f\x1e\x1d\x1a\x1c\x1c\x20\x24\x2e\x27\x20\x22\x2c"
    "\x23\x1c\x1c\x28\x37\x29\x2c\x30\x31\x34\x34\x34\x1f\x27\x39\x3d\x38\x32\x3c\x2e\x33\x34"
    "\x32\xff\xc0\x00\x0b\x08\x00\x03\x00\x02\x01\x01\x11\x00\xff\xc4\x00\x1f\x00\x00\x01\x05"
    "\x01\x01\x01\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08"
    "\x09\x0a\x0b\xff\xc4\x00\xb5\x10\x00\x02\x01\x03\x03\x02\x04\x03\x05\x05\x04\x04\x00\x00"
    "\x01\x7d\x01\x02\x03\x00\x04\x11\x05\x12\x21\x31\x41\x06\x13\x51\x61\x07\x22\x71\x14\x32"
    "\x81\x91\xa1\x08\x23\x42\xb1\xc1\x15\x52\xd1\xf0\x24\x33\x62\x72\x82\x09\x0a\x16\x17\x18"
    "\x19\x1a\x25\x26\x27\x28\x29\x2a\x34\x35\x36\x37\x38\x39\x3a\x43\x44\x45\x46\x47\x48\x49"
    "\x4a\x53\x54\x55\x56\x57\x58\x59\x5a\x63\x64\x65\x66\x67\x68\x69\x6a\x73\x74\x75\x76\x77"
    "\x78\x79\x7a\x83\x84\x85\x86\x87\x88\x89\x8a\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3"
    "\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xc2\xc3\xc4\xc5\xc6\xc7"
    "\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea"
    "\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00\xf9\xfe"
    "\xbf\xff\xd9",
    333};

// ---------------------------------------------------------------------------------------------
// The container.

TEST(EpubContainer, MimetypeIsTheFirstEntryStoredWithoutExtraField) {
  const epub_file f = open_epub(sample_book());
  ASSERT_FALSE(f.members.empty());
  EXPECT_EQ(f.members.front().name, "mimetype");
  EXPECT_EQ(f.members.front().method, ZIP_CM_STORE);
  EXPECT_EQ(f.members.front().data, "application/epub+zip");
  // OCF: readers find the type at a fixed offset of the raw bytes.
  ASSERT_GT(f.bytes.size(), 58U);
  EXPECT_EQ(f.bytes.substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_EQ(f.bytes[8], 0);   // compression method: stored
  EXPECT_EQ(f.bytes[28], 0);  // extra field length
  EXPECT_EQ(f.bytes[29], 0);
  EXPECT_EQ(f.bytes.substr(30, 8), "mimetype");
  EXPECT_EQ(f.bytes.substr(38, 20), "application/epub+zip");
  for (const auto& m : f.members) EXPECT_EQ(m.extra_fields, 0) << m.name;
}

TEST(EpubContainer, TextIsDeflatedAndNamesAreUnique) {
  const epub_file f = open_epub(sample_book());
  std::vector<std::string> seen;
  for (const auto& m : f.members) {
    for (const auto& s : seen) EXPECT_NE(s, m.name);
    seen.push_back(m.name);
    if (m.name.ends_with(".xhtml") || m.name.ends_with(".opf") || m.name.ends_with(".css")) {
      EXPECT_EQ(m.method, ZIP_CM_DEFLATE) << m.name;
    }
  }
}

TEST(EpubContainer, ContainerPointsAtThePackage) {
  const epub_file f = open_epub(sample_book());
  const std::string container = f.text("META-INF/container.xml");
  EXPECT_EQ(xml_problem(container), "");
  EXPECT_EQ(attribute(container, "<rootfile ", "full-path"), "OEBPS/content.opf");
  EXPECT_EQ(attribute(container, "<rootfile ", "media-type"), "application/oebps-package+xml");
  EXPECT_NE(f.find("OEBPS/content.opf"), nullptr);
}

// ---------------------------------------------------------------------------------------------
// The package document.

TEST(EpubPackage, HasTheMetadataReadersNeed) {
  const epub_file f = open_epub(sample_book());
  const std::string opf = f.opf();
  EXPECT_EQ(xml_problem(opf), "");
  EXPECT_EQ(attribute(opf, "<package ", "version"), "3.0");
  const std::string id_name = attribute(opf, "<package ", "unique-identifier");
  ASSERT_FALSE(id_name.empty());
  const std::string identifier =
      between(opf, "<dc:identifier id=\"" + id_name + "\">", "</dc:identifier>");
  // Name-based (version 5) UUID of title, author and chapter titles, as Python's
  // uuid.uuid5(UUID("73a10ef0-8f91-4b1b-baff-65b879476d72"), "The Quiet Harbour\x1fMira Sen"
  // "\x1eArrival\x1eThe Lighthouse\x1eChapter 3") computes it.
  EXPECT_EQ(identifier, "urn:uuid:5bfe4b7f-0625-5f31-a537-eaaf4f170751");
  EXPECT_NE(opf.find("<dc:title id=\"title\">The Quiet Harbour</dc:title>"), std::string::npos);
  EXPECT_NE(opf.find(">A Novel of the Coast</dc:title>"), std::string::npos);
  EXPECT_NE(opf.find(">Mira Sen</dc:creator>"), std::string::npos);
  EXPECT_NE(opf.find("<dc:language>en</dc:language>"), std::string::npos);
  EXPECT_NE(opf.find("<meta property=\"dcterms:modified\">2000-01-01T00:00:00Z</meta>"),
            std::string::npos);
  // The NCX names the same identifier (epubcheck insists).
  EXPECT_EQ(attribute(f.text("OEBPS/toc.ncx"), "name=\"dtb:uid\"", "content"), identifier);
}

TEST(EpubPackage, ManifestListsEveryFileAndOnlyThose) {
  const epub_file f = open_epub(sample_book());
  const std::string opf = f.opf();
  std::vector<std::string> hrefs = attribute_values(opf, "item", "href");
  for (const auto& href : hrefs) {
    EXPECT_NE(f.find("OEBPS/" + href), nullptr) << href << " is listed but missing";
  }
  for (const auto& m : f.members) {
    if (m.name == "mimetype" || m.name.starts_with("META-INF/") || m.name == "OEBPS/content.opf") {
      continue;
    }
    const std::string href = m.name.substr(std::string_view{"OEBPS/"}.size());
    EXPECT_NE(std::find(hrefs.begin(), hrefs.end(), href), hrefs.end())
        << m.name << " is in the archive but not in the manifest";
  }
  for (const auto& item : attribute_values(opf, "item", "media-type")) EXPECT_FALSE(item.empty());
  EXPECT_EQ(attribute(opf, "properties=\"nav\"", "href"), "nav.xhtml");
  EXPECT_EQ(attribute(opf, "properties=\"cover-image\"", "href"), "images/cover.png");
  EXPECT_EQ(attribute(opf, "properties=\"cover-image\"", "media-type"), "image/png");
  EXPECT_EQ(attribute(opf, "media-type=\"application/x-dtbncx+xml\"", "href"), "toc.ncx");
  EXPECT_EQ(attribute(opf, "<spine ", "toc"), "ncx");
}

TEST(EpubPackage, SpineReadsCoverTitleContentsFrontMatterChaptersAndAuthor) {
  const epub_file f = open_epub(sample_book());
  const std::vector<std::string> expected = {
      "cover.xhtml",       "title.xhtml",        "nav.xhtml",
      "foreword.xhtml",    "introduction.xhtml", "chapter-001.xhtml",
      "chapter-002.xhtml", "chapter-003.xhtml",  "about-the-author.xhtml"};
  EXPECT_EQ(spine_files(f.opf()), expected);
}

TEST(EpubPackage, AboutTheAuthorCanComeFirst) {
  json input = sample_input();
  input["about_author_position"] = "start";
  const epub_file f = open_epub(sample_book(input));
  const std::vector<std::string> spine = spine_files(f.opf());
  ASSERT_GE(spine.size(), 3U);
  EXPECT_EQ(spine[2], "about-the-author.xhtml");
  EXPECT_EQ(spine.back(), "chapter-003.xhtml");
}

TEST(EpubPackage, LeavesOutMissingFrontMatterAndAuthor) {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter("Only", "Text."));
  const epub_file f =
      open_epub(compile_book(json{{"book_title", "Bare"}, {"foreword", "  \n "}}, chapters));
  const std::vector<std::string> expected = {"cover.xhtml", "title.xhtml", "nav.xhtml",
                                             "chapter-001.xhtml"};
  EXPECT_EQ(spine_files(f.opf()), expected);
  // dc:creator may not be empty, so a book without an author has none.
  EXPECT_EQ(f.opf().find("dc:creator"), std::string::npos);
  expect_all_well_formed(f);
}

// ---------------------------------------------------------------------------------------------
// Navigation.

TEST(EpubNavigation, ContentsLinkEveryChapterInOrder) {
  const epub_file f = open_epub(sample_book());
  const std::string nav = f.text("OEBPS/nav.xhtml");
  EXPECT_EQ(xml_problem(nav), "");
  const std::string toc = between(nav, "<nav epub:type=\"toc\"", "</nav>");
  const std::vector<std::string> links = attribute_values(toc, "a", "href");
  const std::vector<std::string> expected = {"foreword.xhtml",    "introduction.xhtml",
                                             "chapter-001.xhtml", "chapter-002.xhtml",
                                             "chapter-003.xhtml", "about-the-author.xhtml"};
  EXPECT_EQ(links, expected);
  EXPECT_NE(toc.find(">Chapter 1: Arrival</a>"), std::string::npos);
  EXPECT_NE(toc.find(">Chapter 2: The Lighthouse</a>"), std::string::npos);
  EXPECT_NE(toc.find(">Chapter 3</a>"), std::string::npos);

  const std::string landmarks = between(nav, "<nav epub:type=\"landmarks\"", "</nav>");
  EXPECT_NE(landmarks.find("epub:type=\"cover\" href=\"cover.xhtml\""), std::string::npos);
  EXPECT_NE(landmarks.find("epub:type=\"toc\" href=\"nav.xhtml#toc\""), std::string::npos);
  EXPECT_NE(landmarks.find("epub:type=\"bodymatter\" href=\"chapter-001.xhtml\""),
            std::string::npos);

  const std::string ncx = f.text("OEBPS/toc.ncx");
  EXPECT_EQ(xml_problem(ncx), "");
  EXPECT_EQ(attribute_values(ncx, "content", "src"), expected);
  EXPECT_EQ(attribute_values(ncx, "navPoint", "playOrder"),
            (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
}

TEST(EpubNavigation, ABookWithoutChaptersStillHasAContentsEntry) {
  const epub_file f = open_epub(compile_book(json{{"book_title", "Empty"}}, {}));
  const std::string nav = f.text("OEBPS/nav.xhtml");
  const std::string toc = between(nav, "<nav epub:type=\"toc\"", "</nav>");
  EXPECT_EQ(attribute_values(toc, "a", "href"), std::vector<std::string>{"title.xhtml"});
  EXPECT_EQ(attribute_values(f.text("OEBPS/toc.ncx"), "content", "src"),
            std::vector<std::string>{"title.xhtml"});
  expect_all_well_formed(f);
}

// ---------------------------------------------------------------------------------------------
// Content documents.

TEST(EpubContent, ChapterFilesHoldTheirHeadingAndText) {
  const epub_file f = open_epub(sample_book());
  const std::string first = f.text("OEBPS/chapter-001.xhtml");
  EXPECT_NE(first.find("xmlns=\"http://www.w3.org/1999/xhtml\""), std::string::npos);
  EXPECT_NE(first.find("xmlns:epub=\"http://www.idpf.org/2007/ops\""), std::string::npos);
  EXPECT_NE(first.find("xml:lang=\"en\" lang=\"en\""), std::string::npos);
  EXPECT_NE(first.find("<link rel=\"stylesheet\" type=\"text/css\" href=\"style.css\"/>"),
            std::string::npos);
  EXPECT_NE(first.find("<h1>Chapter 1: Arrival</h1>"), std::string::npos);
  EXPECT_NE(first.find("The ferry came in at dusk."), std::string::npos);
  EXPECT_EQ(count_of(first, "<h1>"), 1U);
  EXPECT_NE(f.text("OEBPS/title.xhtml").find("A Novel of the Coast"), std::string::npos);
  EXPECT_NE(f.text("OEBPS/foreword.xhtml").find("<h1>Foreword</h1>"), std::string::npos);
  EXPECT_NE(f.text("OEBPS/about-the-author.xhtml").find("Mira Sen lives by the sea."),
            std::string::npos);
  expect_all_well_formed(f);
}

TEST(EpubContent, RendersEveryBlockAndInlineKind) {
  const epub_file f = open_epub(hand_made_book({every_kind_document()}));
  const std::string x = f.text("OEBPS/chapter-001.xhtml");
  EXPECT_EQ(xml_problem(x), "") << x;
  for (std::string_view expected : {
           "<p>Plain, <em>emphasis</em>, <strong>strong</strong>, <code>a &lt; b &amp;&amp; "
           "c</code>, <a href=\"https://example.com/a%20b?q=1&amp;r=2\">a link</a>\n"
           "after a soft break<br/>\nafter a hard break</p>",
           "<h2>A section</h2>",
           "<h3>A subsection</h3>",
           "<ul>\n<li>first</li>\n<li>\n<p>second</p>\n<p>second, "
           "more</p>\n</li>\n<li></li>\n</ul>",
           "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>",
           "<blockquote>\n<p>Quoted.</p>\n<blockquote>\n<p>Quoted inside.</p>\n</blockquote>\n"
           "</blockquote>",
           "<pre dir=\"ltr\"><code>int main() {\n  return 1 &lt; 2;\n}</code></pre>",
           "<hr class=\"scene-break\"/>",
           "<table>\n<thead>\n<tr><th>Name</th><th>Value</th></tr>\n</thead>\n<tbody>\n"
           "<tr><td>pi</td><td>3.14</td></tr>\n<tr><td><em>e</em></td><td>2.72</td></tr>\n"
           "</tbody>\n</table>",
       }) {
    EXPECT_NE(x.find(expected), std::string::npos) << "missing:\n" << expected << "\nin:\n" << x;
  }
}

TEST(EpubContent, HtmlInTheTextIsText) {
  json input = sample_input();
  input["book_title"] = "<b>Bold</b> & \"co\"";
  input["author_name"] = "<img src=x onerror=alert(1)>";
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter("<script>alert('t')</script>",
                                  "Hello <script>alert(1)</script> & <b>bye</b> ]]> <!-- x -->"));
  const epub_file f = open_epub(compile_book(input, std::move(chapters)));
  for (const auto& m : f.members) {
    if (m.name.starts_with("OEBPS/images/")) continue;  // binary: any byte sequence may occur
    EXPECT_EQ(m.data.find("<script"), std::string::npos) << m.name;
    EXPECT_EQ(m.data.find("<b>"), std::string::npos) << m.name;
    EXPECT_EQ(m.data.find("<img"), std::string::npos) << m.name;
    EXPECT_EQ(m.data.find("<!-- x"), std::string::npos) << m.name;
  }
  const std::string x = f.text("OEBPS/chapter-001.xhtml");
  EXPECT_NE(x.find("Hello &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bye&lt;/b&gt;"),
            std::string::npos)
      << x;
  EXPECT_NE(f.opf().find("&lt;b&gt;Bold&lt;/b&gt; &amp; \"co\"</dc:title>"), std::string::npos);
  expect_all_well_formed(f);
}

TEST(EpubContent, UnsafeAndRelativeLinksKeepOnlyTheirText) {
  document d;
  d.blocks.push_back(paragraph(
      inlines{link("javascript:alert(1)", {text("js")}), link("other.html", {text("rel")}),
              link("data:text/html,<script>x</script>", {text("data")}),
              link("https://", {text("no host")}), link("mailto:a@example.com", {text("mail")}),
              link("HTTPS://example.com/x\"y#frag#more",
                   {text("outer "), link("https://inner.example", {text("inner")})}),
              link("https://example.com/ü", {})}));
  const epub_file f = open_epub(hand_made_book({d}));
  const std::string x = f.text("OEBPS/chapter-001.xhtml");
  EXPECT_EQ(xml_problem(x), "") << x;
  EXPECT_EQ(x.find("javascript"), std::string::npos);
  EXPECT_EQ(x.find("other.html"), std::string::npos);
  EXPECT_EQ(x.find("data:"), std::string::npos);
  EXPECT_EQ(x.find("inner.example"), std::string::npos);  // links do not nest
  EXPECT_NE(x.find("<p>jsreldatano host<a href=\"mailto:a@example.com\">mail</a>"
                   "<a href=\"HTTPS://example.com/x%22y#frag%23more\">outer inner</a>"
                   "<a href=\"https://example.com/%C3%BC\">https://example.com/ü</a></p>"),
            std::string::npos)
      << x;
}

TEST(EpubContent, NonLatinScriptsAndEmojiSurviveIntact) {
  document d;
  d.blocks.push_back(paragraph("देवनागरी में एक वाक्य: क्ष त्र ज्ञ श्र।"));
  d.blocks.push_back(paragraph("Emoji 😀👍🏽 and a family 👨‍👩‍👧"));
  d.blocks.push_back(paragraph("العربية نص من اليمين إلى اليسار"));
  d.blocks.push_back(paragraph("עברית וגם 中文 και ελληνικά"));
  book b = hand_made_book({d}, "Hindi");
  b.title = "हिन्दी पुस्तक 📚";
  b.author = "लेखक";
  const epub_file f = open_epub(b);
  const std::string x = f.text("OEBPS/chapter-001.xhtml");
  EXPECT_EQ(xml_problem(x), "");
  EXPECT_NE(x.find("xml:lang=\"hi\""), std::string::npos);
  EXPECT_EQ(x.find("dir=\"rtl\""), std::string::npos);
  for (std::string_view s :
       {"देवनागरी में एक वाक्य: क्ष त्र ज्ञ श्र।", "😀👍🏽", "👨‍👩‍👧",
        "العربية نص من اليمين إلى اليسار", "עברית וגם 中文 και ελληνικά"}) {
    EXPECT_NE(x.find(s), std::string::npos) << s;
  }
  EXPECT_NE(f.opf().find("<dc:title id=\"title\">हिन्दी पुस्तक 📚</dc:title>"), std::string::npos);
  EXPECT_NE(f.opf().find("<dc:language>hi</dc:language>"), std::string::npos);
  expect_all_well_formed(f);
}

TEST(EpubContent, RightToLeftBooksSayTheirDirection) {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter("البداية", "كان يا ما كان."));
  const epub_file f = open_epub(
      compile_book(json{{"book_title", "كتاب"}, {"language", "Arabic"}}, std::move(chapters)));
  const std::string x = f.text("OEBPS/chapter-001.xhtml");
  EXPECT_NE(x.find("xml:lang=\"ar\" lang=\"ar\" dir=\"rtl\""), std::string::npos) << x;
  EXPECT_NE(f.text("OEBPS/nav.xhtml").find("dir=\"rtl\""), std::string::npos);
  EXPECT_NE(f.opf().find("page-progression-direction=\"rtl\""), std::string::npos);
  EXPECT_NE(f.opf().find("<dc:language>ar</dc:language>"), std::string::npos);
  expect_all_well_formed(f);

  // A right-to-left script named in the tag counts too.
  const epub_file urdu_script = open_epub(hand_made_book({document{}}, "pa-Arab-PK"));
  EXPECT_NE(urdu_script.opf().find("<dc:language>pa-Arab-PK</dc:language>"), std::string::npos);
  EXPECT_NE(urdu_script.opf().find("page-progression-direction=\"rtl\""), std::string::npos);
}

TEST(EpubContent, LanguageTagsAreWellFormed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"English", "en"},
      {"pt_BR", "pt-BR"},
      {"zh-hant-tw", "zh-Hant-TW"},
      {"123", "en"},
      {"", "en"},
      {"abcd", "en"},
      {"en-x-private", "en"},
      {"de-1996", "de"},
      {"sgn-ase", "sgn-ase"},
      {"toolongprimary", "en"},
      {"en-us-us", "en-US"},
  };
  for (const auto& [input, expected] : cases) {
    const epub_file f = open_epub(hand_made_book({}, input));
    EXPECT_NE(f.opf().find("<dc:language>" + expected + "</dc:language>"), std::string::npos)
        << input << "\n"
        << between(f.opf(), "<dc:language>", "</dc:language>");
  }
}

TEST(EpubContent, CharactersXmlForbidsAreDropped) {
  document d;
  d.blocks.push_back(paragraph(std::string{"bell\x07 nul", 9} + std::string{"\0 vt\x0b ff\x0c", 9} +
                               " c1\xc2\x85 nonchar\xef\xbf\xbe cr\r\nlf"));
  d.blocks.push_back(paragraph("broken \xff\xfe utf8 \xe0\x80 and a lone surrogate \xed\xa0\x80"));
  book b = hand_made_book({d});
  b.title = "Title\x01 with control";
  const epub_file f = open_epub(b);
  const std::string x = f.text("OEBPS/chapter-001.xhtml");
  EXPECT_EQ(xml_problem(x), "") << x;
  EXPECT_NE(x.find("<p>bell nul vt ff c1 nonchar cr\nlf</p>"), std::string::npos) << x;
  EXPECT_NE(x.find("broken \xEF\xBF\xBD\xEF\xBF\xBD utf8"), std::string::npos) << x;
  EXPECT_NE(f.opf().find(">Title with control</dc:title>"), std::string::npos);
  expect_all_well_formed(f);
}

TEST(EpubContent, EmptyChaptersAndEmptyBlocksAreWellFormed) {
  const document empties{{paragraph(inlines{}), heading(9, "deep"),  // out of range: clamped
                          list(block::kind::bullet_list, {}), quote({}), table({}, true),
                          code_block("")}};
  const epub_file f = open_epub(hand_made_book({document{}, empties}));
  const std::string first = f.text("OEBPS/chapter-001.xhtml");
  EXPECT_NE(first.find("<h1>Chapter 1: Part 1</h1>\n</section>"), std::string::npos) << first;
  const std::string second = f.text("OEBPS/chapter-002.xhtml");
  EXPECT_NE(second.find("<h6>deep</h6>"), std::string::npos) << second;
  EXPECT_EQ(second.find("<table"), std::string::npos);  // a table needs rows
  expect_all_well_formed(f);
}

TEST(EpubContent, DeepNestingIsFlattenedNotOverflowed) {
  block innermost = paragraph("bottom");
  for (int i = 0; i < 5000; ++i) {
    block quote;
    quote.type = block::kind::quote;
    quote.children.push_back(std::move(innermost));
    innermost = std::move(quote);
  }
  inline_node deep = text("deep text");
  for (int i = 0; i < 5000; ++i) {
    inline_node outer;
    outer.type = inline_node::kind::emphasis;
    outer.children.push_back(std::move(deep));
    deep = std::move(outer);
  }
  document d;
  d.blocks.push_back(std::move(innermost));
  d.blocks.push_back(paragraph(inlines{std::move(deep)}));
  const epub_file f = open_epub(hand_made_book({d}));
  const std::string x = f.text("OEBPS/chapter-001.xhtml");
  EXPECT_EQ(xml_problem(x), "");
  EXPECT_NE(x.find("bottom"), std::string::npos);
  EXPECT_NE(x.find("deep text"), std::string::npos);
  EXPECT_LE(count_of(x, "<blockquote>"), 16U);
  EXPECT_LE(count_of(x, "<em>"), 16U);
}

TEST(EpubContent, BooksWithoutBodiesAreParsedFromTheirText) {
  book b;
  b.title = "No Bodies";
  b.foreword = "Foreword text.";
  workflow::chapter c;
  c.number = 1;
  c.title = "One";
  c.content = "Chapter text & more.";
  b.chapters.push_back(c);
  const epub_file f = open_epub(b);
  EXPECT_NE(f.text("OEBPS/chapter-001.xhtml").find("Chapter text &amp; more."), std::string::npos);
  EXPECT_NE(f.text("OEBPS/foreword.xhtml").find("Foreword text."), std::string::npos);
}

TEST(EpubContent, TwoHundredChaptersGiveTwoHundredFiles) {
  const epub_file f = open_epub(many_chapters_book(200));
  std::size_t chapters = 0;
  for (const auto& name : xhtml_names(f)) {
    if (name.starts_with("OEBPS/chapter-")) ++chapters;
  }
  EXPECT_EQ(chapters, 200U);
  EXPECT_NE(f.find("OEBPS/chapter-001.xhtml"), nullptr);
  EXPECT_NE(f.find("OEBPS/chapter-200.xhtml"), nullptr);
  const std::string nav = f.text("OEBPS/nav.xhtml");
  const std::vector<std::string> links =
      attribute_values(between(nav, "<nav epub:type=\"toc\"", "</nav>"), "a", "href");
  ASSERT_EQ(links.size(), 200U);
  EXPECT_EQ(links[41], "chapter-042.xhtml");
  EXPECT_NE(f.text("OEBPS/chapter-200.xhtml").find("Text of chapter 200."), std::string::npos);
  EXPECT_EQ(spine_files(f.opf()).size(), 203U);  // cover, title, contents, 200 chapters
  expect_all_well_formed(f);
}

TEST(EpubContent, ThousandChaptersWidenTheFileNumbers) {
  const epub_file f = open_epub(many_chapters_book(1000));
  EXPECT_NE(f.find("OEBPS/chapter-0001.xhtml"), nullptr);
  EXPECT_NE(f.find("OEBPS/chapter-1000.xhtml"), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Cover and style.

TEST(EpubCover, IsDrawnWhenTheBookHasNone) {
  const epub_file f = open_epub(sample_book());
  const zip_member* png = f.find("OEBPS/images/cover.png");
  ASSERT_NE(png, nullptr);
  EXPECT_EQ(png->method, ZIP_CM_STORE);  // already compressed
  ASSERT_GT(png->data.size(), 24U);
  EXPECT_EQ(png->data.substr(0, 8), "\x89PNG\r\n\x1a\n");
  // 1600 x 2400 in the IHDR chunk.
  EXPECT_EQ(png->data.substr(16, 8), std::string("\0\0\x06\x40\0\0\x09\x60", 8));
  const std::string cover = f.text("OEBPS/cover.xhtml");
  EXPECT_NE(cover.find("viewBox=\"0 0 1600 2400\""), std::string::npos);
  EXPECT_NE(cover.find("xlink:href=\"images/cover.png\""), std::string::npos);
  EXPECT_NE(f.opf().find("href=\"cover.xhtml\" media-type=\"application/xhtml+xml\" "
                         "properties=\"svg\""),
            std::string::npos);
  EXPECT_NE(f.opf().find("<meta name=\"cover\" content=\"cover-image\"/>"), std::string::npos);
}

TEST(EpubCover, UsesTheBooksImageByItsBytes) {
  book b = sample_book();
  // Declared as JPEG, but the bytes are a PNG: the bytes decide.
  b.cover = cover_image{"image/jpeg", std::string{tiny_png}};
  const epub_file f = open_epub(b);
  const zip_member* png = f.find("OEBPS/images/cover.png");
  ASSERT_NE(png, nullptr);
  EXPECT_EQ(png->data, tiny_png);
  EXPECT_EQ(attribute(f.opf(), "properties=\"cover-image\"", "media-type"), "image/png");
  EXPECT_NE(f.text("OEBPS/cover.xhtml").find("viewBox=\"0 0 1 1\""), std::string::npos);

  b.cover = cover_image{"image/png", std::string{tiny_jpeg}};
  const epub_file j = open_epub(b);
  ASSERT_NE(j.find("OEBPS/images/cover.jpg"), nullptr);
  EXPECT_EQ(attribute(j.opf(), "properties=\"cover-image\"", "media-type"), "image/jpeg");
  EXPECT_NE(j.text("OEBPS/cover.xhtml").find("viewBox=\"0 0 2 3\""), std::string::npos);
}

TEST(EpubCover, AnImageOfAnUnsupportedKindOrWithoutASizeIsReplacedByADrawnCover) {
  book b = sample_book();
  const std::string drawn = open_epub(b).text("OEBPS/images/cover.png");
  for (const std::string& bytes : {
           std::string{"RIFF\x10\0\0\0WEBPVP8 ", 16},                   // WebP
           std::string{"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"},  // SVG
           std::string{tiny_jpeg.substr(0, 40)},                        // JPEG cut before SOF
           std::string{tiny_png.substr(0, 16)},                         // PNG cut in IHDR
           std::string{"GIF89a\0\0\0\0", 10},                           // GIF of size 0
           std::string{},
       }) {
    b.cover = cover_image{"image/png", bytes};
    const epub_file f = open_epub(b);
    EXPECT_EQ(f.text("OEBPS/images/cover.png"), drawn);
    EXPECT_EQ(f.find("OEBPS/images/cover.jpg"), nullptr);
    EXPECT_EQ(attribute(f.opf(), "properties=\"cover-image\"", "media-type"), "image/png");
  }
}

TEST(EpubStyle, CarriesTheTypographyAndNothingElse) {
  book b = sample_book();
  b.typography.body_font = "'EB Garamond', Georgia, serif";
  b.typography.heading_font = "Inter; } body { background: url(http://x) } a {, sans-serif";
  b.typography.body_size_pt = 13.5;
  b.typography.line_height = 1.7;
  const epub_file f = open_epub(b);
  const std::string css = f.text("OEBPS/style.css");
  EXPECT_NE(css.find("font-family: \"EB Garamond\", \"Georgia\", serif;"), std::string::npos)
      << css;
  EXPECT_NE(css.find("font-size: 112.5%;"), std::string::npos) << css;
  EXPECT_NE(css.find("line-height: 1.7;"), std::string::npos) << css;
  // A family name ends where a character that could end the declaration begins.
  EXPECT_NE(css.find("font-family: \"Inter\", sans-serif;"), std::string::npos) << css;
  EXPECT_EQ(css.find("url("), std::string::npos);
  EXPECT_EQ(css.find("background"), std::string::npos);
  EXPECT_EQ(count_of(css, "{"), count_of(css, "}"));

  b.typography.body_size_pt = std::numeric_limits<double>::quiet_NaN();
  b.typography.line_height = -4;
  const std::string fallback = open_epub(b).text("OEBPS/style.css");
  EXPECT_NE(fallback.find("font-size: 91.67%;"), std::string::npos) << fallback;
  EXPECT_NE(fallback.find("line-height: 1.5;"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Determinism and identity.

TEST(EpubExport, TheSameBookGivesTheSameBytes) {
  const book b = sample_book();
  const std::string first = epub_of(b);
  const std::string second = epub_of(b);
  EXPECT_EQ(first.size(), second.size());
  EXPECT_TRUE(first == second);
  // A copy built again from the same input too.
  EXPECT_TRUE(epub_of(sample_book()) == first);
}

TEST(EpubExport, ParallelExportsGiveTheSameBytes) {
  // Exports run on several actor threads at once; cairo, pango and libzip state is per call.
  const book b = sample_book();
  const std::string expected = epub_of(b);
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  threads.reserve(results.size());
  for (auto& r : results) threads.emplace_back([&b, &r] { r = epub_of(b); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(r == expected);
}

TEST(EpubExport, TheIdentifierFollowsTitleAuthorAndChapterTitles) {
  const auto identifier = [](const book& b) {
    return between(open_epub(b).opf(), "<dc:identifier id=\"book-id\">", "</dc:identifier>");
  };
  const book original = sample_book();
  book revised = original;
  revised.chapters[0].content = "Rewritten text.";
  revised.bodies[0] = parse_markdown("Rewritten text.");
  EXPECT_EQ(identifier(revised), identifier(original));
  book retitled = original;
  retitled.title = "Another Harbour";
  EXPECT_NE(identifier(retitled), identifier(original));
  book renamed = original;
  renamed.chapters[1].title = "The Beacon";
  EXPECT_NE(identifier(renamed), identifier(original));
  book untitled;
  EXPECT_EQ(identifier(untitled), "urn:uuid:1e918117-2ad3-547e-a1c9-d11a51ef1b27");
}

}  // namespace
}  // namespace lekhika::publishing
