// The PDF exporter checked with poppler-utils (pdfinfo, pdffonts, pdftotext, pdftoppm,
// pdfimages): fonts embedded, page size and metadata from the book, a text layer with the
// headings, running header and page numbers, and contents entries that point at the right pages.
// Each test skips with a message when poppler-utils is not installed.
//
// The pictures in docs/images/ come from PdfDocImages.TitleAndChapterPages:
//   LEKHIKA_UPDATE_DOC_IMAGES=1 ./build/tests/publishing_integration_test
//       --gtest_filter='PdfDocImages.*'

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// render_pdf is internal to the library (export_book offers pdf once formats.cpp lists it).
#include "../../../publishing/src/export_detail.hpp"
#include "document_builders.hpp"
#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/document.hpp"
#include "lekhika/testing/fixtures.hpp"
#include "lekhika/testing/temp_dir.hpp"

namespace lekhika::publishing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace test_util;  // the document builders

// --- Running the poppler tools ---------------------------------------------------------------

struct pclose_deleter {
  void operator()(FILE* f) const noexcept { pclose(f); }
};

// Standard output of a shell command (stderr discarded).
std::string run(const std::string& command) {
  std::unique_ptr<FILE, pclose_deleter> pipe{popen((command + " 2>/dev/null").c_str(), "r")};
  if (!pipe) return {};
  std::string out;
  std::array<char, 4096> buffer{};
  while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) {
    out.append(buffer.data(), n);
  }
  return out;
}

bool have_tool(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

#define REQUIRE_POPPLER()                                                                    \
  do {                                                                                       \
    for (const char* tool : {"pdfinfo", "pdffonts", "pdftotext", "pdftoppm", "pdfimages"}) { \
      if (!have_tool(tool))                                                                  \
        GTEST_SKIP() << tool << " not found: install poppler-utils to check the PDF output"; \
    }                                                                                        \
  } while (false)

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out{path, std::ios::binary};
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string read_file(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// pdfinfo's "Key: value" lines.
std::map<std::string, std::string> pdf_info(const fs::path& pdf) {
  std::map<std::string, std::string> info;
  std::istringstream lines{run("pdfinfo " + quoted(pdf))};
  for (std::string line; std::getline(lines, line);) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::size_t value = colon + 1;
    while (value < line.size() && line[value] == ' ') ++value;
    info[line.substr(0, colon)] = line.substr(value);
  }
  return info;
}

std::string page_text(const fs::path& pdf, int page) {
  const std::string n = std::to_string(page);
  return run("pdftotext -layout -f " + n + " -l " + n + " " + quoted(pdf) + " -");
}

// --- Books -----------------------------------------------------------------------------------

std::string filler(int sentences, int seed) {
  static constexpr std::array<std::string_view, 8> sentence = {
      "The harbour lights came on one by one as the tide turned.",
      "Nobody in the village remembered who had built the first wall along the shore.",
      "She wrote every measurement in the ledger, even the ones that made no sense.",
      "By evening the wind had dropped and the gulls had gone quiet.",
      "The old keeper said the sea keeps its own accounts, and settles them late.",
      "There were three boats at the jetty, and only two of them were ever used.",
      "He counted the steps to the lamp room twice, and got two different numbers.",
      "Rain moved across the bay like a curtain being drawn by a patient hand.",
  };
  std::string out;
  for (int i = 0; i < sentences; ++i) {
    if (i > 0) out += ' ';
    out += sentence[static_cast<std::size_t>(i + seed) % sentence.size()];
  }
  return out;
}

book test_book(int chapters, int paragraphs_each) {
  std::vector<workflow::chapter> list;
  for (int i = 0; i < chapters; ++i) {
    workflow::chapter c;
    c.title = "Station " + std::to_string(i + 1);
    list.push_back(std::move(c));
  }
  book b = compile_book({{"book_title", "Tide Tables"},
                         {"subtitle", "A Test of Pages"},
                         {"author_name", "Mira Castellan"},
                         {"foreword", "A short foreword."}},
                        std::move(list));
  b.bodies.clear();
  for (int i = 0; i < chapters; ++i) {
    document d;
    for (int p = 0; p < paragraphs_each + i % 3; ++p)
      d.blocks.push_back(paragraph(filler(9, p + i)));
    b.bodies.push_back(std::move(d));
  }
  return b;
}

// The book shown in docs/images: a few chapters of original prose, one paragraph in Hindi.
book sample_book() {
  std::vector<workflow::chapter> chapters;
  for (const char* title : {"The Ledger", "Monsoon Letters", "What the Lamp Saw"}) {
    workflow::chapter c;
    c.title = title;
    chapters.push_back(std::move(c));
  }
  book b = compile_book({{"book_title", "The Keeper of Small Lights"},
                         {"subtitle", "A Novel in Three Tides"},
                         {"author_name", "Anaya Deshmukh"},
                         {"foreword", "This book began as a notebook kept on a windy coast."},
                         {"language", "en"}},
                        std::move(chapters));
  b.bodies.clear();

  document one;
  one.blocks.push_back(paragraph(
      "The lighthouse at Varkal Point had not been lit for eleven years when Ira Menon climbed "
      "its hundred and twelve steps with a tin of lamp oil and a ledger she had bought for "
      "forty rupees. The ledger was meant for a shop. It had columns for credit and debit, "
      "and a ruled margin for the date, and she used all of them for the sea."));
  one.blocks.push_back(paragraph(inlines{
      text("Each morning she wrote down the height of the tide, the colour of the water and the "
           "number of boats that went out. Each evening she wrote down how many came back. "
           "The two numbers were always the same, and she found that "),
      wrap(inline_node::kind::emphasis, {text("comforting")}),
      text(" in a way she could not have explained to anyone in the village, least of all to "
           "her brother, who thought the whole project was a way of not looking for work.")}));
  one.blocks.push_back(paragraph(
      "In the third week a letter arrived, addressed to the keeper. It had been posted in "
      "Kochi nine years earlier and had spent the time, as far as she could tell, in a drawer "
      "at the post office. The envelope was soft with damp. Inside was a single page in a "
      "careful hand, and the first line was in Hindi."));
  one.blocks.push_back(
      paragraph("“समुद्र अपना हिसाब खुद रखता है, और उसे देर से चुकाता है।” उसने पत्र को दो बार पढ़ा। "
                "क्षितिज पर बादल इकट्ठा हो रहे थे, और श्रमिकों की नावें धीरे-धीरे किनारे की ओर लौट रही "
                "थीं। ज्ञान और धैर्य, उसके दादा कहते थे, एक ही रस्सी के दो सिरे हैं।"));
  one.blocks.push_back(paragraph(
      "The sea keeps its own accounts, and settles them late. She read the line again, then "
      "turned the page over. On the back, in pencil, someone had drawn the outline of the bay "
      "and marked three points with small crosses. One of them was the lighthouse. The other "
      "two were in the water."));
  one.blocks.push_back(paragraph(
      "She copied the crosses into the ledger, in the column for debit, because it seemed the "
      "right place for things that were owed. Then she lit the lamp, for the first time in "
      "eleven years, and watched the beam go out across the bay and come back empty."));
  b.bodies.push_back(std::move(one));

  document two;
  two.blocks.push_back(paragraph(
      "The rains came early that year. The ledger filled with a new kind of entry: the depth "
      "of the water in the lamp room, the number of hours the generator ran, the names of the "
      "fishermen who stopped to ask whether the light was official now."));
  two.blocks.push_back(
      quote({paragraph("Nothing on this coast is official. It is only regular.")}));
  two.blocks.push_back(paragraph("She kept three rules, and wrote them inside the cover:"));
  two.blocks.push_back(list(block::kind::ordered_list,
                            {{paragraph("Light the lamp at dusk, whatever the weather.")},
                             {paragraph("Write down what comes back, not only what goes out.")},
                             {paragraph("Answer every letter, even the old ones.")}}));
  two.blocks.push_back(scene_break());
  two.blocks.push_back(paragraph(filler(12, 2)));
  b.bodies.push_back(std::move(two));

  document three;
  three.blocks.push_back(paragraph(filler(14, 5)));
  three.blocks.push_back(paragraph(filler(10, 1)));
  b.bodies.push_back(std::move(three));
  return b;
}

class rendered {
 public:
  explicit rendered(const book& b) : pdf_(dir_.path() / "book.pdf") {
    write_file(pdf_, detail::render_pdf(b));
  }
  [[nodiscard]] const fs::path& pdf() const noexcept { return pdf_; }
  [[nodiscard]] const fs::path& dir() const noexcept { return dir_.path(); }

 private:
  testing::temp_dir dir_;
  fs::path pdf_;
};

// --- Tests -----------------------------------------------------------------------------------

TEST(PdfPoppler, EveryFontIsEmbeddedAndSubset) {
  REQUIRE_POPPLER();
  book b = sample_book();
  // Every style: bold headings, italic quote, monospace code.
  b.bodies[1].blocks.push_back(code_block("int lamp = 1;"));
  const rendered r{b};
  std::istringstream lines{run("pdffonts " + quoted(r.pdf()))};
  std::string line;
  std::getline(lines, line);  // header
  std::getline(lines, line);  // dashes
  int fonts = 0;
  std::vector<std::string> names;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    ++fonts;
    std::istringstream fields{line};
    std::string name;
    fields >> name;
    names.push_back(name);
    // The emb, sub and uni columns sit before the object number: "... yes yes yes  12  0".
    static const std::regex flags{R"((yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$)"};
    std::smatch m;
    ASSERT_TRUE(std::regex_search(line, m, flags)) << line;
    EXPECT_EQ(m[1], "yes") << "not embedded: " << line;
    EXPECT_EQ(m[2], "yes") << "not subset: " << line;
    EXPECT_EQ(m[3], "yes") << "no ToUnicode map (text not extractable): " << line;
  }
  EXPECT_GE(fonts, 4);
  const auto uses = [&](std::string_view font) {
    for (const auto& n : names) {
      if (n.find(font) != std::string::npos) return true;
    }
    return false;
  };
  // The explicitly named fonts, not whatever this machine would pick.
  EXPECT_TRUE(uses("NotoSerif-Regular"));
  EXPECT_TRUE(uses("NotoSerif-Bold"));
  EXPECT_TRUE(uses("NotoSerif-Italic"));
  EXPECT_TRUE(uses("NotoSerifDevanagari"));
  EXPECT_TRUE(uses("DejaVuSansMono"));
}

TEST(PdfPoppler, PageSizeAndMetadataComeFromTheBook) {
  REQUIRE_POPPLER();
  book b = test_book(2, 3);
  {
    const rendered r{b};
    auto info = pdf_info(r.pdf());
    EXPECT_EQ(info["Page size"].substr(0, 21), "419.528 x 595.276 pts");
    EXPECT_EQ(info["Title"], "Tide Tables");
    EXPECT_EQ(info["Author"], "Mira Castellan");
    EXPECT_EQ(info["Subject"], "A Test of Pages");
    EXPECT_EQ(info["Creator"], "Lekhika");
  }
  b.typography.page_size = "A4";
  b.typography.page_width_mm = 210;
  b.typography.page_height_mm = 297;
  b.title = "हिन्दी शीर्षक (A4)";
  {
    const rendered r{b};
    auto info = pdf_info(r.pdf());
    EXPECT_EQ(info["Page size"].substr(0, 20), "595.276 x 841.89 pts");
    EXPECT_EQ(info["Title"], "हिन्दी शीर्षक (A4)");
  }
  b.typography.page_size = "6x9";
  b.typography.page_width_mm = 152.4;
  b.typography.page_height_mm = 228.6;
  {
    const rendered r{b};
    EXPECT_EQ(pdf_info(r.pdf())["Page size"].substr(0, 13), "432 x 648 pts");
  }
}

TEST(PdfPoppler, ContentsPageNumbersPointAtTheChapterPages) {
  REQUIRE_POPPLER();
  // Chapters of different lengths, so the numbers are not a simple sequence.
  const book b = test_book(7, 9);
  const rendered r{b};
  const int pages = std::stoi(pdf_info(r.pdf())["Pages"]);
  ASSERT_GT(pages, 10);

  const std::string all = run("pdftotext -layout " + quoted(r.pdf()) + " -");
  EXPECT_NE(all.find("Tide Tables"), std::string::npos);
  EXPECT_NE(all.find("Mira Castellan"), std::string::npos);

  // Title page: no running header, no page number. Contents is page 2.
  const std::string title_page = page_text(r.pdf(), 1);
  EXPECT_NE(title_page.find("A Test of Pages"), std::string::npos);
  const std::string contents = page_text(r.pdf(), 2);
  ASSERT_NE(contents.find("Contents"), std::string::npos) << contents;

  std::vector<std::string> headings = {"Foreword"};
  for (const auto& c : b.chapters) headings.push_back(detail::chapter_heading(c));
  int previous = 2;
  for (const auto& heading : headings) {
    // "Chapter 3: Station 3 . . . . . . 9"
    const std::regex entry{heading + R"([ .]*\s(\d+)\s*$)"};
    std::smatch m;
    std::istringstream lines{contents};
    int listed = 0;
    for (std::string line; std::getline(lines, line);) {
      if (std::regex_search(line, m, entry)) listed = std::stoi(m[1]);
    }
    ASSERT_GT(listed, previous) << heading << " not listed in order:\n" << contents;
    previous = listed;
    // The heading is on the page the contents name, and not on the page before.
    EXPECT_NE(page_text(r.pdf(), listed).find(heading), std::string::npos)
        << heading << " is not on page " << listed;
    if (heading != headings.front()) {  // the page before the first one is the contents
      EXPECT_EQ(page_text(r.pdf(), listed - 1).find(heading), std::string::npos)
          << heading << " is already on page " << listed - 1;
    }
  }

  // Pages after the title page carry the running header and their own number at the bottom.
  for (int page = 2; page <= pages; ++page) {
    const std::string t = page_text(r.pdf(), page);
    EXPECT_NE(t.find("Tide Tables"), std::string::npos) << "no running header on page " << page;
    std::string_view rest = t;
    while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\f' || rest.back() == ' '))
      rest.remove_suffix(1);
    const std::size_t last_line = rest.rfind('\n');
    const std::string footer{rest.substr(last_line == std::string_view::npos ? 0 : last_line + 1)};
    EXPECT_EQ(std::regex_replace(footer, std::regex{R"(\s+)"}, ""), std::to_string(page))
        << "page " << page << " footer: " << footer;
  }
  // The title page has no page number (its last line is the author).
  EXPECT_EQ(std::regex_search(title_page, std::regex{R"(\n\s*1\s*$)"}), false) << title_page;
}

TEST(PdfPoppler, DevanagariIsInTheTextLayer) {
  REQUIRE_POPPLER();
  const rendered r{sample_book()};
  const std::string all = run("pdftotext " + quoted(r.pdf()) + " -");
  // Extraction may reorder vowel signs (a PDF text layer limit); the consonants and whole
  // words without pre-base vowel signs come through.
  for (std::string_view word : {"समुद्र", "अपना", "हिसाब", "पत्र", "बादल", "किनारे"}) {
    EXPECT_NE(all.find(word), std::string::npos) << word;
  }
  for (std::string_view consonant : {"क्ष", "ज्ञ", "श्र"}) {
    EXPECT_NE(all.find(consonant), std::string::npos) << consonant;
  }
}

TEST(PdfPoppler, ALongParagraphLosesAndRepeatsNothing) {
  REQUIRE_POPPLER();
  // 120 KB in one paragraph is laid out in pieces; every word must come out once, in order.
  std::string words;
  constexpr int count = 15000;
  for (int i = 0; i < count; ++i) {
    if (i > 0) words += ' ';
    words += "w" + std::to_string(100000 + i);
  }
  std::vector<workflow::chapter> chapters;
  workflow::chapter c;
  c.title = "Long";
  c.content = words;
  chapters.push_back(std::move(c));
  const rendered r{compile_book({{"book_title", "Pieces"}}, std::move(chapters))};
  // -layout: justified lines have wide gaps, which plain pdftotext reads as columns.
  const std::string all = run("pdftotext -layout " + quoted(r.pdf()) + " -");
  const std::regex word{R"(w(\d{6}))"};
  int expected = 100000;
  int seen = 0;
  for (auto it = std::sregex_iterator{all.begin(), all.end(), word}; it != std::sregex_iterator{};
       ++it) {
    ASSERT_EQ(std::stoi((*it)[1]), expected) << "after " << seen << " words";
    ++expected;
    ++seen;
  }
  EXPECT_EQ(seen, count);
}

TEST(PdfPoppler, CoversAreEmbedded) {
  REQUIRE_POPPLER();
  testing::temp_dir dir;
  // A JPEG made by poppler itself from a page of a PDF of ours, and a PNG likewise.
  const rendered source{test_book(1, 1)};
  run("pdftoppm -jpeg -r 20 -f 1 -l 1 " + quoted(source.pdf()) + " " + quoted(dir.path() / "c"));
  run("pdftoppm -png -r 20 -f 1 -l 1 " + quoted(source.pdf()) + " " + quoted(dir.path() / "c"));
  std::string jpeg;
  std::string png;
  for (const auto& entry : fs::directory_iterator{dir.path()}) {
    if (entry.path().extension() == ".jpg") jpeg = read_file(entry.path());
    if (entry.path().extension() == ".png") png = read_file(entry.path());
  }
  ASSERT_FALSE(jpeg.empty());
  ASSERT_FALSE(png.empty());

  book b = test_book(1, 2);
  b.cover = cover_image{"image/jpeg", jpeg};
  {
    const rendered r{b};
    const std::string images = run("pdfimages -list " + quoted(r.pdf()));
    EXPECT_NE(images.find(" jpeg "), std::string::npos) << images;  // embedded as it is
    EXPECT_NE(images.find("\n   1 "), std::string::npos) << "the image is on page 1:\n" << images;
    EXPECT_NE(page_text(r.pdf(), 2).find("A Test of Pages"), std::string::npos);
  }
  b.cover = cover_image{"image/png", png};
  {
    const rendered r{b};
    const std::string images = run("pdfimages -list " + quoted(r.pdf()));
    EXPECT_NE(images.find(" image "), std::string::npos) << images;
    EXPECT_NE(page_text(r.pdf(), 2).find("A Test of Pages"), std::string::npos);
  }
}

TEST(PdfPoppler, LinksAndBookmarks) {
  REQUIRE_POPPLER();
  book b = test_book(2, 1);
  b.bodies[0].blocks.push_back(paragraph(
      inlines{text("See "), link("https://example.com/tides?a=(1)", {text("the tide tables")}),
              text(".")}));
  const rendered r{b};
  const std::string urls = run("pdfinfo -url " + quoted(r.pdf()));
  EXPECT_NE(urls.find("https://example.com/tides?a=%281%29"), std::string::npos) << urls;
}

// Renders the sample book and turns its title page and first chapter page into PNGs; with
// LEKHIKA_UPDATE_DOC_IMAGES=1 they replace docs/images/pdf-title-page.png and
// docs/images/pdf-chapter-page.png.
TEST(PdfDocImages, TitleAndChapterPages) {
  REQUIRE_POPPLER();
  const book b = sample_book();
  const rendered r{b};
  const std::string contents = page_text(r.pdf(), 2);
  const std::string first_chapter = detail::chapter_heading(b.chapters.front());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(contents, m, std::regex{first_chapter + R"([ .]*\s(\d+))"}))
      << contents;
  const int chapter_page = std::stoi(m[1]);

  const auto to_png = [&](int page, const std::string& name) {
    const std::string n = std::to_string(page);
    run("pdftoppm -png -r 60 -singlefile -f " + n + " -l " + n + " " + quoted(r.pdf()) + " " +
        quoted(r.dir() / name));
    const fs::path png = r.dir() / (name + ".png");
    EXPECT_TRUE(fs::exists(png)) << png;
    return png;
  };
  const fs::path title_png = to_png(1, "pdf-title-page");
  const fs::path chapter_png = to_png(chapter_page, "pdf-chapter-page");
  for (const auto& png : {title_png, chapter_png}) {
    ASSERT_TRUE(fs::exists(png));
    EXPECT_LT(fs::file_size(png), 100u * 1024) << png;
  }

  // LEKHIKA_PDF_SAMPLE=<path> keeps the whole sample PDF for a closer look.
  if (const char* keep = std::getenv("LEKHIKA_PDF_SAMPLE"); keep != nullptr && *keep != 0) {
    fs::copy_file(r.pdf(), keep, fs::copy_options::overwrite_existing);
  }
  const char* update = std::getenv("LEKHIKA_UPDATE_DOC_IMAGES");
  if (update == nullptr || std::string_view{update} != "1") return;
  const fs::path images = testing::source_dir() / "docs" / "images";
  fs::create_directories(images);
  fs::copy_file(title_png, images / title_png.filename(), fs::copy_options::overwrite_existing);
  fs::copy_file(chapter_png, images / chapter_png.filename(), fs::copy_options::overwrite_existing);
}

}  // namespace
}  // namespace lekhika::publishing
