// Golden files for the text exporters. After an intended change to the output, regenerate
// them with LEKHIKA_UPDATE_GOLDEN=1, read the diff, and check the new files in.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/exporters.hpp"
#include "lekhika/testing/fixtures.hpp"
#include "publishing_test_util.hpp"

namespace lekhika::publishing {
namespace {

using test_util::export_as;
using test_util::make_chapter;

std::filesystem::path golden_dir() {
  return ::lekhika::testing::source_dir() / "tests/unit/publishing/golden";
}

bool updating_goldens() {
  // Read while the test runs on one thread; nothing sets the environment meanwhile.
  const char* value = std::getenv("LEKHIKA_UPDATE_GOLDEN");  // NOLINT(concurrency-mt-unsafe)
  return value != nullptr && std::string_view{value} == "1";
}

void expect_matches_golden(const std::string& file_name, const std::string& actual) {
  const std::filesystem::path path = golden_dir() / file_name;
  if (updating_goldens()) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out << actual;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  std::ifstream in{path, std::ios::binary};
  ASSERT_TRUE(in.good()) << "missing golden file " << path
                         << " (run with LEKHIKA_UPDATE_GOLDEN=1 to create it)";
  std::ostringstream expected_stream;
  expected_stream << in.rdbuf();
  const std::string expected = expected_stream.str();
  if (expected == actual) return;
  // Point at the first differing line rather than printing two whole books.
  std::istringstream want{expected};
  std::istringstream got{actual};
  std::string want_line;
  std::string got_line;
  int line = 1;
  while (true) {
    const bool more_want = static_cast<bool>(std::getline(want, want_line));
    const bool more_got = static_cast<bool>(std::getline(got, got_line));
    if (!more_want && !more_got) break;
    if (more_want != more_got || want_line != got_line) {
      ADD_FAILURE() << path << " differs at line " << line
                    << "\n  golden: " << (more_want ? want_line : "<end of file>")
                    << "\n  actual: " << (more_got ? got_line : "<end of file>")
                    << "\n(LEKHIKA_UPDATE_GOLDEN=1 rewrites the golden files)";
      return;
    }
    ++line;
  }
  ADD_FAILURE() << path << " differs only in its final newline";
}

// A small book that goes through every feature of the exporters: front matter, an untitled
// chapter, Markdown inside chapters (emphasis, a heading, lists, a quote, a scene break, a
// table, a link, code), text that looks like HTML, non-Latin scripts, and the typography
// inputs of the Lekhika form.
book golden_book() {
  const nlohmann::json input = {
      {"book_title", "The Lantern Keeper"},
      {"subtitle", "A Tale of Small Lights"},
      {"author_name", "Asha Rao & Friends"},
      {"foreword", "Every village has a keeper of lights.\nThis is the story of one."},
      {"introduction", "Read it *slowly*, by lamplight."},
      {"author_bio", "Asha Rao writes about <small> things in \"big\" places."},
      {"language", "en"},
      {"typography_combo", "modern"},
      {"body_font_size", "12"},
      {"line_height", "1.6"},
      {"page_size", "6x9"},
      {"page_margins", "wide"},
  };
  std::vector<workflow::chapter> chapters;
  chapters.push_back(make_chapter("The Dark Road",
                                  "The road was *dark* and the wind was **cold**.\n"
                                  "Mira walked on anyway.\n"
                                  "\n"
                                  "## What She Carried\n"
                                  "\n"
                                  "- a lantern\n"
                                  "- a box of matches\n"
                                  "* her grandmother's words\n"
                                  "\n"
                                  "> \"Light is a promise,\" her grandmother had said.\n"
                                  "> \"Keep it.\"\n"
                                  "\n"
                                  "* * *\n"
                                  "\n"
                                  "She counted the steps: 1. left, 2. right.\n"));
  chapters.push_back(
      make_chapter("",
                   "1. Find the oil.\n"
                   "   - in the shed\n"
                   "   - behind the door\n"
                   "2. Trim the wick.\n"
                   "3. Wait for night.\n"
                   "\n"
                   "The village called it *the_keeper's_way*, and nobody asked.\n"
                   "Tags like <b> & \"quotes\" stay text, and so does\n"
                   "<script>alert('x')</script>.\n"
                   "\n"
                   "| Supply | Amount |\n"
                   "|--------|-------:|\n"
                   "| Oil | 2 jars |\n"
                   "| Wick | *one* \\| spare |\n"
                   "\n"
                   "See [the keeper's guide](https://example.org/guide) or `trim()`:\n"
                   "\n"
                   "```\n"
                   "wick.trim(<2mm>);\n"
                   "```\n"));
  chapters.push_back(
      make_chapter("दीपक — The Lamp 🪔",
                   "### नया दिन\n"
                   "\n"
                   "सुबह हुई। The lamp 🪔 went out, and ***Mira*** smiled.\n"
                   "\n"
                   "مرحبا بالعالم — a traveller said.\n"));
  return compile_book(input, std::move(chapters));
}

TEST(ExportGolden, Markdown) { expect_matches_golden("book.md", export_as(golden_book(), "md")); }

TEST(ExportGolden, Html) { expect_matches_golden("book.html", export_as(golden_book(), "html")); }

TEST(ExportGolden, Text) { expect_matches_golden("book.txt", export_as(golden_book(), "txt")); }

TEST(ExportGolden, AboutTheAuthorFirst) {
  book b = golden_book();
  b.about_author_first = true;
  b.foreword.clear();
  b.foreword_body = {};
  b.introduction.clear();
  b.introduction_body = {};
  b.chapters.resize(1);
  b.bodies.resize(1);
  expect_matches_golden("about_first.md", export_as(b, "md"));
  expect_matches_golden("about_first.txt", export_as(b, "txt"));
}

}  // namespace
}  // namespace lekhika::publishing
