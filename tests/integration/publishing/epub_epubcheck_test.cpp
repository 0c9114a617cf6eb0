// book.epub against the reference validator: epubcheck (Debian package `epubcheck`, which needs
// a Java runtime: `apt-get install -y --no-install-recommends epubcheck default-jre-headless`).
// The jar is run with `java -jar` rather than through /usr/bin/epubcheck, because that link to
// the jar only executes where binfmt_misc is set up (it is not in most containers). Set
// LEKHIKA_EPUBCHECK_JAR to use another jar. Without epubcheck the tests are skipped.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "document_builders.hpp"
#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/document.hpp"
#include "lekhika/publishing/exporters.hpp"
#include "lekhika/testing/temp_dir.hpp"
#include "publishing_test_util.hpp"

namespace lekhika::publishing {

namespace detail {
// The renderer behind export_book (declared in the library's private export_detail.hpp), so the
// tests can run before the format table marks epub available.
std::string render_epub(const book& b);
}  // namespace detail

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace test_util;  // the document builders and make_chapter

std::string epub_of(const book& b) {
  const format_info* info = find_format("epub");
  if (info != nullptr && info->available) {
    auto file = export_book(b, *info);
    if (!file) {
      ADD_FAILURE() << "epub not exported";
      return {};
    }
    return std::move(file->bytes);
  }
  return detail::render_epub(b);
}

// ---------------------------------------------------------------------------------------------
// Finding and running epubcheck.

std::optional<fs::path> on_path(std::string_view program) {
  // Read before any test thread starts; nothing here sets the environment.
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe)
  if (path == nullptr) return std::nullopt;
  std::string_view dirs{path};
  while (!dirs.empty()) {
    const std::size_t colon = dirs.find(':');
    const fs::path candidate = fs::path{std::string{dirs.substr(0, colon)}} / program;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

bool is_jar(const fs::path& file) {
  std::ifstream in{file, std::ios::binary};
  std::string magic(2, '\0');
  in.read(magic.data(), 2);
  return in && magic == "PK";
}

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

// The command that runs epubcheck, without the file argument; "" when it is not installed.
std::string epubcheck_command() {
  std::vector<fs::path> jars;
  const char* chosen = std::getenv("LEKHIKA_EPUBCHECK_JAR");  // NOLINT(concurrency-mt-unsafe)
  if (chosen != nullptr && *chosen != '\0') {
    jars.emplace_back(chosen);
  }
  jars.emplace_back("/usr/share/java/epubcheck.jar");
  const std::optional<fs::path> program = on_path("epubcheck");
  if (program) jars.push_back(fs::canonical(*program));
  const std::optional<fs::path> java = on_path("java");
  for (const fs::path& jar : jars) {
    std::error_code ec;
    if (!fs::is_regular_file(jar, ec) || !is_jar(jar)) continue;
    if (!java) return {};
    // A short-lived JVM: the optimising compiler and parallel GC threads cost more than they
    // save (about 3.5 s per book instead of 10 s on two cores).
    return shell_quoted(java->string()) + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar " +
           shell_quoted(jar.string());
  }
  // A wrapper script (as some distributions install) runs by itself.
  if (program && !is_jar(*program)) return shell_quoted(program->string());
  return {};
}

struct check_result {
  int exit_code = -1;
  std::string output;
};

struct pipe_close {
  void operator()(FILE* f) const noexcept { pclose(f); }
};

check_result run_epubcheck(const std::string& command, const fs::path& file) {
  check_result result;
  const std::string line = command + " " + shell_quoted(file.string()) + " 2>&1";
  FILE* pipe = popen(line.c_str(), "r");
  if (pipe == nullptr) return result;
  std::unique_ptr<FILE, pipe_close> guard{pipe};
  char buffer[4096];
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe);
    if (n == 0) break;
    result.output.append(buffer, n);
  }
  const int status = pclose(guard.release());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class Epubcheck : public ::testing::Test {
 protected:
  void SetUp() override {
    command_ = epubcheck_command();
    if (command_.empty()) {
      GTEST_SKIP() << "epubcheck is not installed (apt-get install -y --no-install-recommends "
                      "epubcheck default-jre-headless, or set LEKHIKA_EPUBCHECK_JAR)";
    }
  }

  // Exports `b`, runs epubcheck on it, and expects a clean report.
  void expect_valid(const book& b, std::string_view name) {
    const fs::path file = dir_.path() / (std::string{name} + ".epub");
    {
      std::ofstream out{file, std::ios::binary};
      const std::string bytes = epub_of(b);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      ASSERT_TRUE(out.good());
    }
    const check_result r = run_epubcheck(command_, file);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("No errors or warnings detected"), std::string::npos) << r.output;
  }

 private:
  std::string command_;
  testing::temp_dir dir_;
};

// ---------------------------------------------------------------------------------------------
// Books.

// Every block and inline kind, several scripts, markup-like and illegal characters, links of
// every sort and nesting past the renderer's depth limit.
document everything() {
  document d;
  d.blocks.push_back(paragraph(
      inlines{text("Plain, "), wrap(inline_node::kind::emphasis, {text("emphasis")}), text(", "),
              wrap(inline_node::kind::strong,
                   {text("strong "), wrap(inline_node::kind::emphasis, {text("and both")})}),
              text(", "), code("x < y && z"), text(", "),
              link("https://example.com/path with space?a=1&b=ü#f#g", {text("a web link")}),
              text(", "), link("mailto:someone@example.com", {text("mail")}), text(", "),
              link("javascript:alert(1)", {text("script link")}), text(", "),
              link("../elsewhere.html", {text("relative")}), soft_break(), text("soft"),
              line_break(), text("hard")}));
  for (int level = 1; level <= 6; ++level) {
    d.blocks.push_back(heading(level, "Heading level " + std::to_string(level)));
  }
  d.blocks.push_back(
      paragraph("हिन्दी: क्ष त्र ज्ञ श्र। Emoji "
                "😀👍🏽👨‍👩‍👧. "
                "العربية. "
                "עברית. "
                "中文. "
                "Ελληνικά."));
  d.blocks.push_back(
      paragraph("Markup as text: <script>alert(1)</script> <b>b</b> &amp; ]]> <!-- c -->"));
  d.blocks.push_back(paragraph(std::string{"Controls \x01\x02\x0b\x0c and broken \xff\xfe bytes"}));
  d.blocks.push_back(list(
      block::kind::bullet_list,
      {{paragraph("one")},
       {paragraph("two"), paragraph("two, again")},
       {},
       {paragraph("with a list"), list(block::kind::ordered_list, {{paragraph("seven")}}, 7)}}));
  d.blocks.push_back(list(block::kind::ordered_list, {{paragraph("zero")}}, 0));
  d.blocks.push_back(quote({paragraph("A quotation.")}));
  d.blocks.push_back(quote({}));
  d.blocks.push_back(code_block("for (int i = 0; i < n; ++i) {\n  std::cout << \"<tag>\";\n}\n"));
  d.blocks.push_back(scene_break());
  d.blocks.push_back(table({{{text("Name")}, {text("नाम")}},
                            {{text("a")}, {wrap(inline_node::kind::strong, {text("b")})}},
                            {{text("ragged row")}}},
                           true));
  d.blocks.push_back(table({{{text("only")}, {text("body")}}}, false));
  block deep = paragraph("deep");
  for (int i = 0; i < 40; ++i) {
    std::vector<block> children;
    children.push_back(std::move(deep));
    deep = quote(std::move(children));
  }
  d.blocks.push_back(std::move(deep));
  d.blocks.push_back(paragraph(inlines{}));
  return d;
}

book normal_book() {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(
      make_chapter("Arrival", "The ferry came in at *dusk*.\n\n## The quay\n\nGulls."));
  chapters.push_back(
      make_chapter("The Lighthouse",
                   "He kept the **light**.\n\n- oil\n- wick\n\n> Keep it burning.\n\n"
                   "* * *\n\nMorning came."));
  chapters.push_back(
      make_chapter("Tables", "| Day | Ships |\n|---|---|\n| Mon | 3 |\n| Tue | 5 |"));
  chapters.push_back(
      make_chapter("", "An untitled chapter with `code` and a [link](https://example.org)."));
  return compile_book(json{{"book_title", "The Quiet Harbour"},
                           {"subtitle", "A Novel of the Coast"},
                           {"author_name", "Mira Sen"},
                           {"foreword", "A word before."},
                           {"introduction", "What this is."},
                           {"author_bio", "Mira Sen lives by the sea."},
                           {"typography_combo", "modern"},
                           {"body_font_size", "12"},
                           {"line_height", "1.6"}},
                      std::move(chapters));
}

// ---------------------------------------------------------------------------------------------

TEST_F(Epubcheck, NormalBookPasses) { expect_valid(normal_book(), "normal"); }

TEST_F(Epubcheck, TwoHundredChapterBookPasses) {
  std::vector<workflow::chapter> chapters;
  for (int i = 1; i <= 200; ++i) {
    chapters.push_back(
        make_chapter("Part " + std::to_string(i),
                     "Paragraph one of " + std::to_string(i) + ".\n\nParagraph two."));
  }
  expect_valid(
      compile_book(json{{"book_title", "Long"}, {"author_name", "A"}}, std::move(chapters)),
      "two-hundred");
}

TEST_F(Epubcheck, EveryBlockKindAndScriptPasses) {
  book b;
  b.title = "सब कुछ <all> & \"everything\" 📚";
  b.subtitle = "Devanagari, emoji\x01 and markup";
  b.author = "लेखक O'Brien";
  b.language = "Hindi";
  b.foreword_body = everything();
  b.about_author_body = everything();
  for (int i = 1; i <= 3; ++i) {
    workflow::chapter c;
    c.number = i;
    c.title = i == 2 ? "" : "अध्याय <" + std::to_string(i) + ">";
    b.chapters.push_back(c);
    b.bodies.push_back(i == 3 ? document{} : everything());
  }
  b.typography.body_font = "'Noto Serif Devanagari'; } * { color: red";
  expect_valid(b, "everything");
}

TEST_F(Epubcheck, RightToLeftBookWithAuthorFirstPasses) {
  std::vector<workflow::chapter> chapters;
  chapters.push_back(
      make_chapter("البداية", "كان يا ما كان في قديم الزمان.\n\n> حكمة\n\n1. أول\n2. ثاني"));
  chapters.push_back(make_chapter("النهاية", "Mixed العربية and English."));
  expect_valid(compile_book(json{{"book_title", "كتاب"},
                                 {"author_name", "كاتب"},
                                 {"language", "Arabic"},
                                 {"author_bio", "عن الكاتب."},
                                 {"about_author_position", "start"}},
                            std::move(chapters)),
               "rtl");
}

TEST_F(Epubcheck, BooksWithTheirOwnCoverPass) {
  book b = normal_book();
  // A real 1x1 PNG.
  b.cover = cover_image{
      "image/png",
      std::string{"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01"
                  "\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41"
                  "\x54\x78\x9c\x63\x38\xb1\xa5\x07\x00\x04\x50\x02\x09\xae\x30\xd6\xa6\x00\x00\x00"
                  "\x00\x49\x45\x4e\x44\xae\x42\x60\x82",
                  69}};
  expect_valid(b, "own-cover");
  // A real 2x3 grey JPEG (written by Java's ImageIO).
  b.cover = cover_image{
      "image/jpeg",
      std::string{
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
          333}};
  expect_valid(b, "own-jpeg-cover");
}

TEST_F(Epubcheck, MinimalBooksPass) {
  expect_valid(compile_book(json::object(), {}), "empty");
  book bare;  // not even compiled: no title, no language, no bodies
  bare.language = "";
  bare.chapters.push_back(workflow::chapter{});
  expect_valid(bare, "bare");
}

}  // namespace
}  // namespace lekhika::publishing
