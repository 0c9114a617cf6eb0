// book.docx: the package opens (parts, content types, relationships), every part is
// well-formed XML whatever the book text holds, and the document is a real Word document:
// title page, table-of-contents field, one Heading 1 per chapter, styles, lists, tables, links.

#include <gtest/gtest.h>
#include <zip.h>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
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
// The renderer itself (publishing/src/export_detail.hpp is private to the library): the docx
// format is produced through export_book only once formats.cpp marks it available.
[[nodiscard]] std::string render_docx(const book& b);
}  // namespace detail

namespace {

using nlohmann::json;
using namespace test_util;  // the builders, the XML scanning, count_of and make_chapter

using parts = std::map<std::string, std::string, std::less<>>;

// ---- reading the package ----

struct archive_close {
  void operator()(zip_t* archive) const noexcept { zip_discard(archive); }
};
struct file_close {
  void operator()(zip_file_t* file) const noexcept { zip_fclose(file); }
};

// Every entry of the zip by name; fails the test when the bytes are not a readable zip.
parts unzip(const std::string& bytes) {
  parts out;
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    ADD_FAILURE() << "zip source: " << zip_error_strerror(&error);
    zip_error_fini(&error);
    return out;
  }
  std::unique_ptr<zip_t, archive_close> archive{
      zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error)};
  if (!archive) {
    ADD_FAILURE() << "not a zip: " << zip_error_strerror(&error);
    zip_source_free(source);
    zip_error_fini(&error);
    return out;
  }
  zip_error_fini(&error);
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<zip_uint64_t>(i);
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive.get(), index, 0, &stat) != 0) {
      ADD_FAILURE() << "cannot stat entry " << i;
      continue;
    }
    std::unique_ptr<zip_file_t, file_close> file{zip_fopen_index(archive.get(), index, 0)};
    if (!file) {
      ADD_FAILURE() << "cannot open " << stat.name;
      continue;
    }
    std::string content(stat.size, '\0');
    const zip_int64_t read = zip_fread(file.get(), content.data(), stat.size);
    EXPECT_EQ(read, static_cast<zip_int64_t>(stat.size)) << stat.name;
    out.emplace(stat.name, std::move(content));
  }
  return out;
}

std::vector<std::string> entry_order(const std::string& bytes) {
  std::vector<std::string> names;
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  std::unique_ptr<zip_t, archive_close> archive{
      source == nullptr ? nullptr : zip_open_from_source(source, ZIP_RDONLY, &error)};
  if (!archive && source != nullptr) zip_source_free(source);
  zip_error_fini(&error);
  if (!archive) return names;
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i)
    names.emplace_back(zip_get_name(archive.get(), static_cast<zip_uint64_t>(i), 0));
  return names;
}

// ---- a small XML 1.0 well-formedness checker ----

class xml_checker {
 public:
  explicit xml_checker(std::string_view xml) : xml_(xml) {}

  // "" when well-formed, otherwise what is wrong and where.
  std::string check() {
    if (xml_.starts_with("<?xml")) {
      const std::size_t end = xml_.find("?>");
      if (end == std::string_view::npos) return "unterminated declaration";
      at_ = end + 2;
    }
    std::vector<std::string> open;
    int roots = 0;
    while (at_ < xml_.size()) {
      if (xml_[at_] == '<') {
        if (xml_.substr(at_, 2) == "</") {
          at_ += 2;
          const std::string name = read_name();
          if (open.empty() || open.back() != name) return error("mismatched </" + name + ">");
          open.pop_back();
          if (!expect('>')) return error("bad end tag");
          continue;
        }
        if (xml_.substr(at_, 2) == "<!" || xml_.substr(at_, 2) == "<?")
          return error("unexpected markup declaration");
        ++at_;
        const std::string name = read_name();
        if (name.empty()) return error("empty tag name");
        if (open.empty() && ++roots > 1) return error("second root element");
        std::set<std::string> attributes;
        while (true) {
          skip_space();
          if (at_ >= xml_.size()) return error("unterminated tag");
          if (xml_.substr(at_, 2) == "/>") {
            at_ += 2;
            break;
          }
          if (xml_[at_] == '>') {
            ++at_;
            open.push_back(name);
            break;
          }
          const std::string attribute = read_name();
          if (attribute.empty()) return error("bad attribute in <" + name + ">");
          if (!attributes.insert(attribute).second) return error("duplicate " + attribute);
          skip_space();
          if (!expect('=')) return error("attribute without value");
          skip_space();
          if (at_ >= xml_.size() || (xml_[at_] != '"' && xml_[at_] != '\''))
            return error("unquoted attribute");
          const char quote = xml_[at_++];
          if (auto e = characters(quote); !e.empty()) return e;
          ++at_;
        }
        continue;
      }
      if (open.empty() && !is_space(xml_[at_])) return error("text outside the root");
      if (auto e = characters('<'); !e.empty()) return e;
    }
    if (!open.empty()) return "unclosed <" + open.back() + ">";
    if (roots != 1) return "no root element";
    return {};
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

  std::string error(const std::string& what) const {
    const std::size_t from = at_ > 40 ? at_ - 40 : 0;
    return what + " at " + std::to_string(at_) + ": ..." + std::string{xml_.substr(from, 80)};
  }

  std::string read_name() {
    const std::size_t start = at_;
    while (at_ < xml_.size() && xml_name_char(xml_[at_])) ++at_;
    return std::string{xml_.substr(start, at_ - start)};
  }

  void skip_space() {
    while (at_ < xml_.size() && is_space(xml_[at_])) ++at_;
  }

  bool expect(char c) {
    if (at_ >= xml_.size() || xml_[at_] != c) return false;
    ++at_;
    return true;
  }

  // Character data up to `stop`: valid UTF-8, XML characters only, no raw '<', only the
  // predefined entities and character references.
  std::string characters(char stop) {
    while (at_ < xml_.size() && xml_[at_] != stop) {
      const char c = xml_[at_];
      if (c == '<') return error("raw '<' in text");
      if (c == '&') {
        const std::size_t semi = xml_.find(';', at_);
        if (semi == std::string_view::npos) return error("unterminated entity");
        const std::string_view entity = xml_.substr(at_ + 1, semi - at_ - 1);
        const bool named = entity == "amp" || entity == "lt" || entity == "gt" ||
                           entity == "quot" || entity == "apos";
        const bool numeric = entity.size() > 1 && entity.front() == '#';
        if (!named && !numeric) return error("unknown entity &" + std::string{entity} + ";");
        at_ = semi + 1;
        continue;
      }
      const auto [cp, length] = utf8_at(xml_, at_);
      if (length == 0) return error("malformed UTF-8");
      if (!xml_char(cp)) return error("character not allowed in XML 1.0");
      at_ += length;
    }
    if (at_ >= xml_.size() && stop != '<') return error("unterminated attribute");
    return {};
  }

  std::string_view xml_;
  std::size_t at_ = 0;
};

std::string xml_problem(std::string_view xml) { return xml_checker{xml}.check(); }

// ---- reading document.xml ----

std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const std::size_t semi = text.find(';', i);
    const std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") out += '&';
    if (entity == "lt") out += '<';
    if (entity == "gt") out += '>';
    if (entity == "quot") out += '"';
    if (entity == "apos") out += '\'';
    i = semi;
  }
  return out;
}

struct word_paragraph {
  std::string style;  // "" for Normal
  std::string text;   // the w:t contents, tabs as '\t' (breaks are left out)
  std::string xml;
};

// The paragraphs of a part in order (table cells included).
std::vector<word_paragraph> paragraphs_of(std::string_view xml) {
  std::vector<word_paragraph> out;
  std::size_t at = 0;
  while (true) {
    std::size_t start = xml.find("<w:p>", at);
    const std::size_t with_attributes = xml.find("<w:p ", at);
    start = std::min(start, with_attributes);
    if (start == std::string_view::npos) break;
    const std::size_t end = xml.find("</w:p>", start);
    if (end == std::string_view::npos) break;
    word_paragraph p;
    p.xml = std::string{xml.substr(start, end - start)};
    const std::string style_tag = "<w:pStyle w:val=\"";
    if (const std::size_t s = p.xml.find(style_tag); s != std::string::npos) {
      const std::size_t from = s + style_tag.size();
      p.style = p.xml.substr(from, p.xml.find('"', from) - from);
    }
    std::size_t t = 0;
    while (true) {
      const std::size_t open_t = p.xml.find("<w:t", t);
      if (open_t == std::string::npos) break;
      const char after = p.xml[open_t + 4];
      if (after == 'a' && p.xml.compare(open_t, 8, "<w:tab/>") == 0) {
        p.text += '\t';
        t = open_t + 8;
        continue;
      }
      if (after != '>' && after != ' ') {
        t = open_t + 4;
        continue;
      }
      const std::size_t content = p.xml.find('>', open_t) + 1;
      const std::size_t close = p.xml.find("</w:t>", content);
      p.text += unescape(std::string_view{p.xml}.substr(content, close - content));
      t = close;
    }
    out.push_back(std::move(p));
    at = end + 6;
  }
  return out;
}

std::vector<std::string> texts_with_style(std::string_view xml, std::string_view style) {
  std::vector<std::string> out;
  for (const auto& p : paragraphs_of(xml)) {
    if (p.style == style) out.push_back(p.text);
  }
  return out;
}

// ---- books ----

// One chapter with every block and inline kind the document model has.
document every_kind_document() {
  document d;
  d.blocks.push_back(paragraph(inlines{
      text("Plain, "), wrap(inline_node::kind::strong, {text("bold")}), text(", "),
      wrap(inline_node::kind::emphasis, {text("italic")}), text(", "),
      wrap(inline_node::kind::strong, {wrap(inline_node::kind::emphasis, {text("both")})}),
      text(", "), code("x < y && z"), text(" and "),
      link("https://example.com/a b?q=ü", {text("a link")}), line_break(), text("after a break"),
      soft_break(), text("soft"), link("javascript:alert(1)", {text("not a link")}),
      link("https://example.com/a b?q=ü", {text("same link")})}));
  d.blocks.push_back(heading(1, "Section heading"));
  d.blocks.push_back(heading(2, "Subsection heading"));
  d.blocks.push_back(heading(4, "Deep heading"));
  d.blocks.push_back(list(block::kind::bullet_list,
                          {{paragraph("first bullet")},
                           {paragraph("second bullet"),
                            list(block::kind::ordered_list, {{paragraph("nested one")}})}}));
  d.blocks.push_back(
      list(block::kind::ordered_list,
           {{paragraph("third")}, {paragraph("fourth"), paragraph("fourth, continued")}}, 3));
  d.blocks.push_back(quote({paragraph("A quoted line.")}));
  d.blocks.push_back(code_block("int main() {\n  return 0;\n}\n"));
  d.blocks.push_back(scene_break());
  d.blocks.push_back(table(
      {{{text("Name")}, {text("Value")}}, {{text("a")}, {text("1")}}, {{text("short")}}}, true));
  d.blocks.push_back(paragraph("The end."));
  return d;
}

book sample_book(std::size_t chapters = 3) {
  std::vector<workflow::chapter> list;
  for (std::size_t i = 1; i <= chapters; ++i) {
    list.push_back(
        make_chapter("Part " + std::to_string(i), "Text of chapter " + std::to_string(i) + "."));
  }
  return compile_book(
      json{{"book_title", "The Long Road"}, {"subtitle", "A Novel"}, {"author_name", "Asha Rao"}},
      std::move(list));
}

std::string docx(const book& b) { return detail::render_docx(b); }

parts docx_parts(const book& b) { return unzip(docx(b)); }

void expect_all_well_formed(const parts& package) {
  for (const auto& [name, content] : package) {
    EXPECT_EQ(xml_problem(content), "") << name;
  }
}

constexpr std::string_view main_content_type =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";

// ---- tests ----

// The checker the other tests lean on must itself catch what Word would reject.
TEST(DocxTestSupport, XmlCheckerRejectsMalformedXml) {
  EXPECT_EQ(xml_problem("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>t &amp; &#10;</a>"), "");
  for (std::string_view bad : {
           "<a><b></a></b>",        // crossed tags
           "<a>",                   // unclosed
           "<a></a><b></b>",        // two roots
           "<a>x < y</a>",          // raw '<'
           "<a x=\"<\"/>",          // '<' in an attribute
           "<a>&nbsp;</a>",         // entity XML does not define
           "<a x=\"1\" x=\"2\"/>",  // duplicate attribute
           "<a x=1/>",              // unquoted attribute
           "<a>\x01</a>",           // control character
           "<a>\xFF</a>",           // malformed UTF-8
           "<a>\xEF\xBF\xBE</a>",   // U+FFFE
       }) {
    EXPECT_NE(xml_problem(bad), "") << bad;
  }
}

TEST(DocxPackage, HasEveryPartWithItsContentType) {
  const std::string bytes = docx(sample_book());
  const parts package = unzip(bytes);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"word/document.xml", std::string{main_content_type}},
      {"word/styles.xml",
       "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"},
      {"word/settings.xml",
       "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"},
      {"word/numbering.xml",
       "application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"},
      {"word/footer1.xml",
       "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"},
      {"docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"},
      {"docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml"},
  };
  ASSERT_TRUE(package.count("[Content_Types].xml"));
  const std::string& types = package.at("[Content_Types].xml");
  for (const auto& [part, type] : expected) {
    EXPECT_TRUE(package.count(part)) << part;
    EXPECT_NE(types.find("<Override PartName=\"/" + part + "\" ContentType=\"" + type + "\"/>"),
              std::string::npos)
        << part;
  }
  EXPECT_NE(types.find("<Default Extension=\"rels\" ContentType=\"application/"
                       "vnd.openxmlformats-package.relationships+xml\"/>"),
            std::string::npos);
  EXPECT_TRUE(package.count("_rels/.rels"));
  EXPECT_TRUE(package.count("word/_rels/document.xml.rels"));
  EXPECT_EQ(entry_order(bytes).front(), "[Content_Types].xml");
  expect_all_well_formed(package);
}

TEST(DocxPackage, RelationshipsPointAtPartsThatExist) {
  const parts package = docx_parts(sample_book());
  const std::string& root = package.at("_rels/.rels");
  EXPECT_NE(root.find("relationships/officeDocument\" Target=\"word/document.xml\""),
            std::string::npos);
  for (const auto& target : attribute_values(root, "Relationship", "Target")) {
    EXPECT_TRUE(package.count(target)) << target;
  }
  const std::string& rels = package.at("word/_rels/document.xml.rels");
  for (const auto& target : attribute_values(rels, "Relationship", "Target")) {
    EXPECT_TRUE(package.count("word/" + target)) << target;
  }
  // Every r:id the document uses is declared.
  const std::string& document = package.at("word/document.xml");
  const auto ids = attribute_values(rels, "Relationship", "Id");
  const std::set<std::string> declared(ids.begin(), ids.end());
  for (const auto& id : attribute_values(document, "w:footerReference", "r:id")) {
    EXPECT_TRUE(declared.count(id)) << id;
  }
}

TEST(DocxPackage, CorePropertiesCarryTitleAuthorAndLanguage) {
  book b = sample_book();
  b.language = "hi";
  const parts package = docx_parts(b);
  const std::string& core = package.at("docProps/core.xml");
  EXPECT_NE(core.find("<dc:title>The Long Road</dc:title>"), std::string::npos);
  EXPECT_NE(core.find("<dc:creator>Asha Rao</dc:creator>"), std::string::npos);
  EXPECT_NE(core.find("<dc:language>hi</dc:language>"), std::string::npos);
  EXPECT_NE(package.at("docProps/app.xml").find("<Application>Lekhika</Application>"),
            std::string::npos);
}

TEST(DocxDocument, HasOneHeading1PerChapterInOrder) {
  const parts package = docx_parts(sample_book(4));
  const std::string& document = package.at("word/document.xml");
  EXPECT_EQ(texts_with_style(document, "Heading1"),
            (std::vector<std::string>{"Chapter 1: Part 1", "Chapter 2: Part 2", "Chapter 3: Part 3",
                                      "Chapter 4: Part 4"}));
  // Each heading is bookmarked, so the contents entries can link to it.
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(count_of(document, "w:name=\"chapter_" + std::to_string(i) + "\""), 1U);
  }
  // The chapter text follows its heading.
  const auto all = paragraphs_of(document);
  for (std::size_t i = 0; i + 1 < all.size(); ++i) {
    if (all[i].text == "Chapter 2: Part 2" && all[i].style == "Heading1") {
      EXPECT_EQ(all[i + 1].text, "Text of chapter 2.");
    }
  }
}

TEST(DocxDocument, StartsWithTheTitlePage) {
  const auto all = paragraphs_of(docx_parts(sample_book()).at("word/document.xml"));
  ASSERT_GE(all.size(), 4U);
  EXPECT_EQ(all[0].style, "Title");
  EXPECT_EQ(all[0].text, "The Long Road");
  EXPECT_EQ(all[1].style, "Subtitle");
  EXPECT_EQ(all[1].text, "A Novel");
  EXPECT_EQ(all[2].style, "Author");
  EXPECT_EQ(all[2].text, "by Asha Rao");
  // The contents start on a new page (TOCHeading breaks the page, as Heading1 does).
  EXPECT_EQ(all[3].style, "TOCHeading");
}

TEST(DocxDocument, TitlePageWithoutSubtitleOrAuthor) {
  std::vector<workflow::chapter> list;
  list.push_back(make_chapter("", "x"));
  const book b = compile_book(json::object(), std::move(list));
  const auto all = paragraphs_of(docx_parts(b).at("word/document.xml"));
  ASSERT_GE(all.size(), 2U);
  EXPECT_EQ(all[0].text, "Untitled");
  EXPECT_EQ(all[1].style, "TOCHeading");
  EXPECT_EQ(texts_with_style(docx_parts(b).at("word/document.xml"), "Heading1"),
            std::vector<std::string>{"Chapter 1"});
}

TEST(DocxDocument, HasATableOfContentsFieldWithAnEntryPerChapter) {
  const std::string document = docx_parts(sample_book(3)).at("word/document.xml");
  EXPECT_EQ(count_of(document,
                     "<w:instrText xml:space=\"preserve\"> TOC \\o &quot;1-3&quot; "
                     "\\h \\z \\u </w:instrText>"),
            1U);
  EXPECT_EQ(count_of(document, "<w:fldChar w:fldCharType=\"begin\" w:dirty=\"true\"/>"), 1U);
  // Placeholder entries so the contents show before any field update, each a link to its
  // chapter's bookmark.
  auto entries = texts_with_style(document, "TOC1");
  ASSERT_EQ(entries.size(), 3U);
  EXPECT_EQ(entries[0], "Chapter 1: Part 1");
  EXPECT_EQ(entries[2], "Chapter 3: Part 3");
  for (int i = 1; i <= 3; ++i) {
    const std::string name = "chapter_" + std::to_string(i);
    EXPECT_EQ(count_of(document, "<w:hyperlink w:anchor=\"" + name + "\""), 1U);
  }
  // One field, balanced.
  EXPECT_EQ(count_of(document, "w:fldCharType=\"begin\""), 1U);
  EXPECT_EQ(count_of(document, "w:fldCharType=\"separate\""), 1U);
  EXPECT_EQ(count_of(document, "w:fldCharType=\"end\""), 1U);
  // The contents come before the first chapter.
  EXPECT_LT(document.find("TOC \\o"), document.find("w:name=\"chapter_1\""));
}

TEST(DocxDocument, SettingsAskWordToUpdateFields) {
  const std::string settings = docx_parts(sample_book()).at("word/settings.xml");
  EXPECT_NE(settings.find("<w:updateFields w:val=\"true\"/>"), std::string::npos);
}

TEST(DocxDocument, FooterHasAPageNumberField) {
  const parts package = docx_parts(sample_book());
  EXPECT_NE(package.at("word/footer1.xml").find("> PAGE </w:instrText>"), std::string::npos);
  const std::string& document = package.at("word/document.xml");
  EXPECT_NE(document.find("<w:footerReference w:type=\"default\" r:id=\"rId4\"/>"),
            std::string::npos);
}

TEST(DocxDocument, EmptyBookAndEmptyChapterAreValid) {
  const book empty = compile_book(json::object(), {});
  const parts none = docx_parts(empty);
  expect_all_well_formed(none);
  EXPECT_EQ(none.at("word/document.xml").find("TOC \\o"), std::string::npos);
  EXPECT_EQ(texts_with_style(none.at("word/document.xml"), "Title"),
            std::vector<std::string>{"Untitled"});

  std::vector<workflow::chapter> list;
  list.push_back(make_chapter("Nothing here", ""));
  list.push_back(make_chapter("Something", "text"));
  const parts package = docx_parts(compile_book(json::object(), std::move(list)));
  expect_all_well_formed(package);
  const auto all = paragraphs_of(package.at("word/document.xml"));
  bool seen = false;
  for (std::size_t i = 0; i + 1 < all.size(); ++i) {
    if (all[i].style == "Heading1" && all[i].text == "Chapter 1: Nothing here") {
      seen = true;
      EXPECT_EQ(all[i + 1].style, "Heading1");  // straight on to the next chapter
    }
  }
  EXPECT_TRUE(seen);
}

TEST(DocxDocument, TwoHundredChapters) {
  const parts package = docx_parts(sample_book(200));
  const std::string& document = package.at("word/document.xml");
  const auto headings = texts_with_style(document, "Heading1");
  ASSERT_EQ(headings.size(), 200U);
  EXPECT_EQ(headings.front(), "Chapter 1: Part 1");
  EXPECT_EQ(headings[99], "Chapter 100: Part 100");
  EXPECT_EQ(headings.back(), "Chapter 200: Part 200");
  EXPECT_EQ(texts_with_style(document, "TOC1").size(), 200U);
  EXPECT_EQ(xml_problem(document), "");
}

TEST(DocxDocument, FrontAndBackMatterInBookOrder) {
  json input = {{"book_title", "T"},
                {"foreword", "Kind words."},
                {"introduction", "What this is."},
                {"author_bio", "Wrote things."}};
  std::vector<workflow::chapter> list;
  list.push_back(make_chapter("One", "x"));
  const std::string last = docx_parts(compile_book(input, list)).at("word/document.xml");
  EXPECT_EQ(
      texts_with_style(last, "Heading1"),
      (std::vector<std::string>{"Foreword", "Introduction", "Chapter 1: One", "About the Author"}));
  EXPECT_EQ(texts_with_style(last, "TOC1").size(), 4U);
  input["about_author_position"] = "start";
  const std::string first = docx_parts(compile_book(input, list)).at("word/document.xml");
  EXPECT_EQ(
      texts_with_style(first, "Heading1"),
      (std::vector<std::string>{"About the Author", "Foreword", "Introduction", "Chapter 1: One"}));
  // The front matter's own text follows its heading.
  const auto all = paragraphs_of(first);
  for (std::size_t i = 0; i + 1 < all.size(); ++i) {
    if (all[i].style == "Heading1" && all[i].text == "Foreword") {
      EXPECT_EQ(all[i + 1].text, "Kind words.");
    }
  }
}

TEST(DocxDocument, ParsedBodiesAreUsedWhenPresent) {
  book b = sample_book(2);
  b.bodies.assign(2, publishing::document{});
  b.bodies[1].blocks.push_back(paragraph("From the parsed body."));
  b.foreword_body.blocks.push_back(paragraph("Parsed foreword."));
  const std::string document = docx_parts(b).at("word/document.xml");
  EXPECT_NE(document.find("From the parsed body."), std::string::npos);
  EXPECT_EQ(document.find("Text of chapter 2."), std::string::npos);
  EXPECT_EQ(texts_with_style(document, "Heading1").front(), "Foreword");
  EXPECT_NE(document.find("Parsed foreword."), std::string::npos);
}

TEST(DocxDocument, EveryBlockAndInlineKindBecomesWordStructure) {
  book b = sample_book(1);
  b.bodies = {every_kind_document()};
  const parts package = docx_parts(b);
  expect_all_well_formed(package);
  const std::string& document = package.at("word/document.xml");
  const auto all = paragraphs_of(document);

  // Headings one level below the chapter heading.
  EXPECT_EQ(texts_with_style(document, "Heading2"), std::vector<std::string>{"Section heading"});
  EXPECT_EQ(texts_with_style(document, "Heading3"), std::vector<std::string>{"Subsection heading"});
  EXPECT_EQ(texts_with_style(document, "Heading4"), std::vector<std::string>{"Deep heading"});

  // Inlines: bold, italic, both, code, a hyperlink, a line break.
  EXPECT_NE(document.find("<w:r><w:rPr><w:b/><w:bCs/></w:rPr><w:t>bold</w:t></w:r>"),
            std::string::npos);
  EXPECT_NE(document.find("<w:r><w:rPr><w:i/><w:iCs/></w:rPr><w:t>italic</w:t></w:r>"),
            std::string::npos);
  EXPECT_NE(document.find("<w:rPr><w:b/><w:bCs/><w:i/><w:iCs/></w:rPr><w:t>both</w:t>"),
            std::string::npos);
  EXPECT_NE(document.find("<w:rStyle w:val=\"VerbatimChar\"/></w:rPr><w:t>x &lt; y &amp;&amp; "
                          "z</w:t>"),
            std::string::npos);
  EXPECT_NE(document.find("<w:br/></w:r><w:r><w:t>after a break</w:t>"), std::string::npos);
  const auto links = attribute_values(document, "w:hyperlink", "r:id");
  ASSERT_EQ(links.size(), 2U);    // the javascript: link is text only
  EXPECT_EQ(links[0], links[1]);  // one relationship per target
  const std::string& rels = package.at("word/_rels/document.xml.rels");
  EXPECT_NE(rels.find("Id=\"" + links[0] +
                      "\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
                      "relationships/hyperlink\" Target=\"https://example.com/a%20b?q=%C3%BC\" "
                      "TargetMode=\"External\""),
            std::string::npos);
  EXPECT_EQ(rels.find("javascript"), std::string::npos);
  EXPECT_NE(document.find("<w:t>not a link</w:t>"), std::string::npos);

  // Lists: bullets share numId 1; each ordered list has its own numbering that restarts.
  std::vector<std::string> list_items;
  for (const auto& p : all) {
    if (p.xml.find("<w:numPr>") != std::string::npos) list_items.push_back(p.text);
  }
  EXPECT_EQ(list_items, (std::vector<std::string>{"first bullet", "second bullet", "nested one",
                                                  "third", "fourth"}));
  EXPECT_NE(document.find("<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"1\"/></w:numPr>"),
            std::string::npos);
  EXPECT_NE(document.find("<w:numPr><w:ilvl w:val=\"1\"/><w:numId w:val=\"2\"/></w:numPr>"),
            std::string::npos);
  EXPECT_NE(document.find("<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"3\"/></w:numPr>"),
            std::string::npos);
  const std::string& numbering = package.at("word/numbering.xml");
  EXPECT_NE(numbering.find("<w:numFmt w:val=\"bullet\"/>"), std::string::npos);
  EXPECT_NE(numbering.find("<w:numFmt w:val=\"decimal\"/>"), std::string::npos);
  EXPECT_NE(numbering.find("<w:num w:numId=\"3\"><w:abstractNumId w:val=\"1\"/><w:lvlOverride "
                           "w:ilvl=\"0\"><w:startOverride w:val=\"3\"/>"),
            std::string::npos);
  EXPECT_EQ(texts_with_style(document, "ListParagraph").back(), "fourth, continued");

  EXPECT_EQ(texts_with_style(document, "Quote"), std::vector<std::string>{"A quoted line."});
  EXPECT_EQ(texts_with_style(document, "SourceCode"),
            std::vector<std::string>{"int main() {  return 0;}"});  // breaks are w:br
  EXPECT_NE(document.find("<w:t>int main() {</w:t><w:br/><w:t xml:space=\"preserve\">  return "
                          "0;</w:t><w:br/><w:t>}</w:t>"),
            std::string::npos);
  EXPECT_EQ(texts_with_style(document, "SceneBreak"), std::vector<std::string>{"* * *"});

  // The table: a real w:tbl, header row marked and bold, short rows padded.
  EXPECT_EQ(count_of(document, "<w:tbl>"), 1U);
  EXPECT_EQ(count_of(document, "<w:tr>"), 3U);
  EXPECT_EQ(count_of(document, "<w:tc>"), 6U);
  EXPECT_EQ(count_of(document, "<w:tblHeader/>"), 1U);
  EXPECT_EQ(texts_with_style(document, "TableHeading"),
            (std::vector<std::string>{"Name", "Value"}));
  EXPECT_EQ(count_of(document, "<w:gridCol "), 2U);
}

TEST(DocxDocument, DeepNestingStaysOnThePage) {
  // Thirty quotes deep with a list, code and a table at the bottom.
  block nested = list(block::kind::bullet_list,
                      {{paragraph("deep"), code_block("x"), table({{{text("cell")}}}, false)}});
  for (int i = 0; i < 30; ++i) nested = quote({nested});
  book b = sample_book(1);
  b.bodies = {publishing::document{{nested}}};
  const parts package = docx_parts(b);
  expect_all_well_formed(package);
  const std::string& document = package.at("word/document.xml");
  // The default A5 page with 18 mm margins has 6350 twips of text; nothing indents past half.
  for (const auto& value : attribute_values(document, "w:ind", "w:left")) {
    EXPECT_LE(std::stoi(value), 6350 / 2 + 284) << value;
  }
  for (const auto& value : attribute_values(document, "w:tblInd", "w:w")) {
    EXPECT_LE(std::stoi(value), 6350 / 2) << value;
  }
  EXPECT_NE(document.find("<w:t>deep</w:t>"), std::string::npos);
}

TEST(DocxStyles, DefineEveryStyleTheDocumentUses) {
  book b = sample_book(1);
  b.bodies = {every_kind_document()};
  const parts package = docx_parts(b);
  const std::string& styles = package.at("word/styles.xml");
  const auto ids = attribute_values(styles, "w:style", "w:styleId");
  const std::set<std::string, std::less<>> defined(ids.begin(), ids.end());
  EXPECT_EQ(defined.size(), ids.size()) << "a style is defined twice";
  for (const std::string_view part : {"word/document.xml", "word/footer1.xml"}) {
    for (const std::string_view element : {"w:pStyle", "w:rStyle", "w:tblStyle"}) {
      for (const auto& used : attribute_values(package.at(std::string{part}), element, "w:val")) {
        EXPECT_TRUE(defined.count(used)) << part << " uses undefined " << used;
      }
    }
  }
  for (const std::string_view required :
       {"Normal", "Title", "Subtitle", "Heading1", "Heading2", "Heading3", "Quote", "ListParagraph",
        "TOCHeading", "TOC1", "Hyperlink", "TableGrid"}) {
    EXPECT_TRUE(defined.count(required)) << required;
  }
  // Built-in names, so Word treats them as its own Heading 1 etc. (navigation pane, TOC).
  EXPECT_NE(styles.find("w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/>"), std::string::npos);
  EXPECT_NE(styles.find("w:styleId=\"TOC1\"><w:name w:val=\"toc 1\"/>"), std::string::npos);
  EXPECT_NE(styles.find("w:styleId=\"ListParagraph\"><w:name w:val=\"List Paragraph\"/>"),
            std::string::npos);
  EXPECT_NE(styles.find("<w:outlineLvl w:val=\"0\"/>"), std::string::npos);
}

TEST(DocxStyles, FollowTheTypography) {
  book b = sample_book(1);
  b.typography.body_font = "'Palatino Linotype', Palatino, serif";
  b.typography.heading_font = "\"Playfair Display\", Georgia, serif";
  b.typography.body_size_pt = 12;
  b.typography.line_height = 1.2;
  b.typography.page_size = "A4";
  b.typography.page_width_mm = 210;
  b.typography.page_height_mm = 297;
  b.typography.margin_mm = 25;
  const parts package = docx_parts(b);
  const std::string& styles = package.at("word/styles.xml");
  EXPECT_NE(styles.find("<w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Palatino Linotype\" "
                        "w:hAnsi=\"Palatino Linotype\" w:eastAsia=\"Palatino Linotype\" "
                        "w:cs=\"Palatino Linotype\"/><w:sz w:val=\"24\"/><w:szCs w:val=\"24\"/>"),
            std::string::npos);
  EXPECT_NE(styles.find("w:line=\"288\" w:lineRule=\"auto\""), std::string::npos);
  EXPECT_NE(styles.find("<w:rFonts w:ascii=\"Playfair Display\""), std::string::npos);
  const std::string& document = package.at("word/document.xml");
  EXPECT_NE(document.find("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"), std::string::npos);
  EXPECT_NE(document.find("<w:pgMar w:top=\"1417\" w:right=\"1417\" w:bottom=\"1417\" "
                          "w:left=\"1417\""),
            std::string::npos);
  // The contents' right tab stop sits on the right margin: 11906 - 2 * 1417.
  EXPECT_NE(styles.find("w:leader=\"dot\" w:pos=\"9072\""), std::string::npos);
}

TEST(DocxStyles, GenericAndHostileTypographyStaysUsable) {
  book b = sample_book(1);
  b.typography.body_font = "sans-serif";
  b.typography.heading_font = "\"<b>&\"";  // nothing usable: falls back
  b.typography.body_size_pt = std::numeric_limits<double>::quiet_NaN();
  b.typography.line_height = 100;
  b.typography.page_width_mm = -5;
  b.typography.page_height_mm = std::numeric_limits<double>::infinity();
  b.typography.margin_mm = 500;
  const parts package = docx_parts(b);
  expect_all_well_formed(package);
  const std::string& styles = package.at("word/styles.xml");
  EXPECT_NE(styles.find("<w:rFonts w:ascii=\"Arial\""), std::string::npos);
  EXPECT_EQ(styles.find("&lt;b&gt;"), std::string::npos);
  EXPECT_NE(styles.find("<w:sz w:val=\"22\"/>"), std::string::npos);  // 11 pt default
  EXPECT_NE(styles.find("w:line=\"720\""), std::string::npos);        // clamped to 3 lines
  const std::string& document = package.at("word/document.xml");
  EXPECT_NE(document.find("<w:pgSz w:w=\"2835\" w:h=\"11906\"/>"), std::string::npos);
  // The margin leaves at least 30 mm of text: (50 - 30) / 2 mm = 567 twips.
  EXPECT_NE(document.find("<w:pgMar w:top=\"567\""), std::string::npos);
}

TEST(DocxText, HostileTextStaysWellFormedXml) {
  std::vector<workflow::chapter> list;
  list.push_back(make_chapter("<script>alert('x')</script> & \"quotes\"",
                              "<script>alert(1)</script><img src=x onerror=alert(1)>\n"
                              "]]> <![CDATA[ x ]]> &amp; &#0; <!-- c --> <?pi?>\n"
                              "controls:\x01\x02\x0B\x1F\x7F end"));
  list.push_back(make_chapter("Emoji 😀🎉👩‍👩‍👧",
                              "Family 👩‍👩‍👧 and flags 🇮🇳 and ❤️."));
  list.push_back(make_chapter("हिन्दी अध्याय", "क्षत्रिय ज्ञान श्रद्धा — देवनागरी।"));
  list.push_back(make_chapter("فصل عربي", "هذا نص عربي مع English words."));
  book b = compile_book(json{{"book_title", "<b>Bold</b> & Co"},
                             {"author_name", "A <i>n</i> \"Author\""},
                             {"subtitle", "</w:t></w:r></w:p><w:p>"}},
                        std::move(list));
  // Text straight from a hand-made document skips compile_book's repair.
  b.bodies[0].blocks.push_back(
      paragraph({text("bad \xFF\xFE utf8, \xEF\xBF\xBE nonchar, \xED\xA0\x80 "
                      "surrogate, \xC0\xAF overlong")}));
  b.bodies[0].blocks.push_back(paragraph({link("https://x.test/\"><script>", {text("<script>")})}));
  const std::string bytes = docx(b);
  const parts package = unzip(bytes);
  ASSERT_FALSE(package.empty());
  expect_all_well_formed(package);
  for (const auto& [name, content] : package) {
    EXPECT_EQ(content.find("<script"), std::string::npos) << name;
    EXPECT_EQ(content.find("<img"), std::string::npos) << name;
    EXPECT_EQ(content.find("<b>"), std::string::npos) << name;
  }
  const std::string& document = package.at("word/document.xml");
  const auto headings = texts_with_style(document, "Heading1");
  ASSERT_EQ(headings.size(), 4U);
  EXPECT_EQ(headings[0], "Chapter 1: <script>alert('x')</script> & \"quotes\"");
  EXPECT_EQ(headings[1], "Chapter 2: Emoji 😀🎉👩‍👩‍👧");
  EXPECT_EQ(headings[2], "Chapter 3: हिन्दी अध्याय");
  EXPECT_EQ(headings[3], "Chapter 4: فصل عربي");
  EXPECT_EQ(texts_with_style(document, "Subtitle"),
            std::vector<std::string>{"</w:t></w:r></w:p><w:p>"});
  EXPECT_NE(document.find("bad \xEF\xBF\xBD\xEF\xBF\xBD utf8"), std::string::npos);
  EXPECT_NE(document.find("Family 👩‍👩‍👧 and flags 🇮🇳"), std::string::npos);
  EXPECT_NE(document.find("क्षत्रिय ज्ञान श्रद्धा"), std::string::npos);
}

TEST(DocxText, SpacesAreKeptAndTabsAreElements) {
  book b = sample_book(1);
  b.bodies = {publishing::document{}};
  b.bodies[0].blocks.push_back(paragraph(
      {text("  leading"), text("inner  gap"), text("trailing "), text("a\tb"), text("plain")}));
  const std::string document = docx_parts(b).at("word/document.xml");
  EXPECT_NE(document.find("<w:t xml:space=\"preserve\">  leading</w:t>"), std::string::npos);
  EXPECT_NE(document.find("<w:t xml:space=\"preserve\">inner  gap</w:t>"), std::string::npos);
  EXPECT_NE(document.find("<w:t xml:space=\"preserve\">trailing </w:t>"), std::string::npos);
  EXPECT_NE(document.find("<w:t>a</w:t><w:tab/><w:t>b</w:t>"), std::string::npos);
  EXPECT_NE(document.find("<w:t>plain</w:t>"), std::string::npos);
}

TEST(DocxText, RightToLeftBookMarksParagraphsAndRuns) {
  std::vector<workflow::chapter> list;
  list.push_back(make_chapter("البداية", "هذا نص عربي."));
  list.push_back(make_chapter("Latin title", "Latin text."));
  const book b =
      compile_book(json{{"book_title", "كتاب"}, {"language", "Arabic"}}, std::move(list));
  const parts package = docx_parts(b);
  expect_all_well_formed(package);
  const std::string& document = package.at("word/document.xml");
  for (const auto& p : paragraphs_of(document)) {
    if (p.style == "Heading1" || p.style.empty()) {
      EXPECT_NE(p.xml.find("<w:bidi/>"), std::string::npos) << p.text;
    }
  }
  EXPECT_NE(document.find("<w:rPr><w:rtl/></w:rPr><w:t>هذا نص عربي.</w:t>"), std::string::npos);
  EXPECT_NE(document.find("<w:r><w:t>Latin text.</w:t></w:r>"), std::string::npos);
  EXPECT_NE(document.find("<w:titlePg/><w:bidi/></w:sectPr>"), std::string::npos);
  const std::string& styles = package.at("word/styles.xml");
  EXPECT_NE(styles.find("w:cs=\"Noto Naskh Arabic\""), std::string::npos);
  EXPECT_NE(styles.find("<w:lang w:val=\"ar\" w:eastAsia=\"en-US\" w:bidi=\"ar\"/>"),
            std::string::npos);

  // An Arabic quotation inside an English book: the run is marked, the paragraph is not.
  book english = sample_book(1);
  english.bodies = {publishing::document{}};
  english.bodies[0].blocks.push_back(paragraph({text("He said "), text("مرحبا")}));
  const std::string mixed = docx_parts(english).at("word/document.xml");
  EXPECT_NE(mixed.find("<w:rPr><w:rtl/></w:rPr><w:t>مرحبا</w:t>"), std::string::npos);
  EXPECT_EQ(mixed.find("<w:bidi/>"), std::string::npos);
}

TEST(DocxText, DevanagariBookNamesAComplexScriptFont) {
  std::vector<workflow::chapter> list;
  list.push_back(make_chapter("पहला अध्याय", "यह हिन्दी पाठ है।"));
  const book b =
      compile_book(json{{"book_title", "किताब"}, {"language", "Hindi"}}, std::move(list));
  const parts package = docx_parts(b);
  expect_all_well_formed(package);
  const std::string& styles = package.at("word/styles.xml");
  // The default typography is "Noto Serif, ...": Latin text in it, Devanagari in its sister.
  EXPECT_NE(styles.find("<w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Noto Serif\" w:hAnsi=\"Noto "
                        "Serif\" w:eastAsia=\"Noto Serif\" w:cs=\"Noto Serif Devanagari\"/>"),
            std::string::npos);
  EXPECT_NE(styles.find("<w:lang w:val=\"hi\" w:eastAsia=\"en-US\" w:bidi=\"hi\"/>"),
            std::string::npos);
  // Devanagari is left to right: no bidi anywhere.
  EXPECT_EQ(package.at("word/document.xml").find("<w:bidi/>"), std::string::npos);
  EXPECT_EQ(texts_with_style(package.at("word/document.xml"), "Heading1"),
            std::vector<std::string>{"Chapter 1: पहला अध्याय"});
}

TEST(DocxExport, IsDeterministic) {
  book b = sample_book(5);
  b.bodies.assign(5, every_kind_document());
  const std::string first = docx(b);
  const std::string second = docx(b);
  EXPECT_EQ(first, second);
  EXPECT_EQ(docx(sample_book(5)), docx(sample_book(5)));
  EXPECT_NE(docx(sample_book(5)), docx(sample_book(6)));
}

TEST(DocxExport, ExportBookProducesTheSameFile) {
  const format_info* format = find_format("docx");
  ASSERT_NE(format, nullptr);
  EXPECT_EQ(format->extension, "docx");
  ASSERT_TRUE(format->available);
  const book b = sample_book(2);
  const auto file = export_book(b, *format);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->file_name, "book.docx");
  EXPECT_EQ(file->bytes, docx(b));
}

}  // namespace
}  // namespace lekhika::publishing
