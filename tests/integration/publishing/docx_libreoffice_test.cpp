// book.docx opened by a real word processor: LibreOffice (headless) converts exported books to
// PDF, ODT and text without an error, keeps every chapter heading as a real level-1 heading,
// keeps the table of contents, and carries Devanagari, Arabic and emoji text through. Skipped
// (with a message) where soffice is not installed: apt-get install --no-install-recommends
// libreoffice-writer-nogui; pdftotext comes from poppler-utils.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/exporters.hpp"
#include "lekhika/testing/temp_dir.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace lekhika::publishing {
namespace detail {
// The renderer (publishing/src/export_detail.hpp is private to the library).
[[nodiscard]] std::string render_docx(const book& b);
}  // namespace detail

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

// A cold LibreOffice start plus a conversion takes a few seconds; a hung one is killed well
// before the test's own 120 s limit.
constexpr auto conversion_limit = 90s;

std::optional<fs::path> find_program(std::string_view name) {
  // Read once per lookup on the test thread; nothing changes the environment meanwhile.
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe)
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const std::size_t colon = dirs.find(':');
    const fs::path candidate = fs::path{dirs.substr(0, colon)} / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

std::string read_file(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

struct process_result {
  int exit_code = -1;  // 128 + N when killed by signal N
  bool timed_out = false;
  std::string out;
  std::string err;
};

class spawn_actions {
 public:
  spawn_actions() { posix_spawn_file_actions_init(&actions_); }
  spawn_actions(const spawn_actions&) = delete;
  spawn_actions& operator=(const spawn_actions&) = delete;
  ~spawn_actions() { posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

class spawn_attributes {
 public:
  spawn_attributes() { posix_spawnattr_init(&attributes_); }
  spawn_attributes(const spawn_attributes&) = delete;
  spawn_attributes& operator=(const spawn_attributes&) = delete;
  ~spawn_attributes() { posix_spawnattr_destroy(&attributes_); }
  posix_spawnattr_t* get() { return &attributes_; }

 private:
  posix_spawnattr_t attributes_{};
};

// Runs `args` with HOME set to `home`, stdin from /dev/null and output captured in files of
// `io_dir`, in a process group of its own so that a hung LibreOffice is killed with all of its
// helpers.
process_result run(const std::vector<std::string>& args, const fs::path& home,
                   const fs::path& io_dir) {
  process_result result;
  static int serial = 0;
  const std::string tag = std::to_string(++serial);
  const fs::path out_path = io_dir / ("run-" + tag + ".out");
  const fs::path err_path = io_dir / ("run-" + tag + ".err");

  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view{*e}.starts_with("HOME=")) continue;
    env_text.emplace_back(*e);
  }
  env_text.push_back("HOME=" + home.string());
  std::vector<char*> envp;
  envp.reserve(env_text.size() + 1);
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_text = args;
  std::vector<char*> argv;
  argv.reserve(argv_text.size() + 1);
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);

  spawn_actions actions;
  posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  spawn_attributes attributes;
  posix_spawnattr_setflags(attributes.get(), POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(attributes.get(), 0);

  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], actions.get(), attributes.get(), argv.data(), envp.data()) != 0) {
    result.err = "cannot start " + args.front();
    return result;
  }
  const auto deadline = std::chrono::steady_clock::now() + conversion_limit;
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  // Anything the command left behind in its group goes too (only our own child's group).
  ::kill(-pid, SIGKILL);
  // Decoded by hand: the wait macros expand to old-style casts.
  const int signal_number = status & 0x7f;
  result.exit_code = signal_number == 0 ? (status >> 8) & 0xff : 128 + signal_number;
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

// Lines of LibreOffice's output that report a failure. It also prints a harmless "Warning:
// failed to launch javaldx" where no Java is installed.
std::string error_lines(const process_result& r) {
  std::string errors;
  std::istringstream lines{r.out + "\n" + r.err};
  for (std::string line; std::getline(lines, line);) {
    std::string lowered = line;
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lowered.find("error") != std::string::npos) errors += line + "\n";
  }
  return errors;
}

// The docx bytes the engine exports for `b`.
std::string docx_of(const book& b) {
  const format_info* format = find_format("docx");
  if (format != nullptr && format->available) {
    if (auto file = export_book(b, *format)) return std::move(file->bytes);
  }
  return detail::render_docx(b);
}

struct archive_close {
  void operator()(zip_t* archive) const noexcept { zip_close(archive); }
};
struct file_close {
  void operator()(zip_file_t* file) const noexcept { zip_fclose(file); }
};

// One entry of a zip file on disk ("" when missing).
std::string zip_entry(const fs::path& path, const char* name) {
  int error = 0;
  std::unique_ptr<zip_t, archive_close> archive{zip_open(path.c_str(), ZIP_RDONLY, &error)};
  if (!archive) return {};
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat(archive.get(), name, 0, &stat) != 0) return {};
  std::unique_ptr<zip_file_t, file_close> file{zip_fopen(archive.get(), name, 0)};
  if (!file) return {};
  std::string content(stat.size, '\0');
  if (zip_fread(file.get(), content.data(), stat.size) != static_cast<zip_int64_t>(stat.size))
    return {};
  return content;
}

// The text of XML with its tags removed.
std::string without_tags(std::string_view xml) {
  std::string text;
  bool in_tag = false;
  for (const char c : xml) {
    if (c == '<') in_tag = true;
    if (!in_tag) text += c;
    if (c == '>') in_tag = false;
  }
  return text;
}

// The texts of the ODT headings of outline level `level`, in document order.
std::vector<std::string> odt_headings(std::string_view content, int level) {
  std::vector<std::string> out;
  const std::string marker = "text:outline-level=\"" + std::to_string(level) + "\"";
  for (std::size_t at = content.find("<text:h "); at != std::string_view::npos;
       at = content.find("<text:h ", at + 1)) {
    const std::size_t open_end = content.find('>', at);
    if (content.substr(at, open_end - at).find(marker) == std::string_view::npos) continue;
    const std::size_t close = content.find("</text:h>", open_end);
    out.push_back(without_tags(content.substr(open_end + 1, close - open_end - 1)));
  }
  return out;
}

std::size_t count_of(std::string_view haystack, std::string_view needle) {
  std::size_t count = 0;
  for (std::size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size()))
    ++count;
  return count;
}

workflow::chapter chapter(std::string title, std::string content) {
  workflow::chapter c;
  c.title = std::move(title);
  c.content = std::move(content);
  return c;
}

constexpr std::string_view rich_markdown =
    R"(The gate was **old** and *rusted*, with `code` and a [link](https://example.com/gate).

## On the road

- one
- two
  1. nested a
  2. nested b

3. third
4. fourth

> A quotation that is long enough to wrap onto a second line of the page.

```
int main() {
    return 0;
}
```

---

| Name | Value |
|------|-------|
| a    | 1     |

### Further on

The last paragraph of the chapter.)";

book english_book(std::size_t chapters) {
  std::vector<workflow::chapter> list;
  for (std::size_t i = 1; i <= chapters; ++i) {
    list.push_back(chapter("Road " + std::to_string(i), std::string{rich_markdown}));
  }
  return compile_book(json{{"book_title", "The Long Road"},
                           {"subtitle", "A Novel"},
                           {"author_name", "Asha Rao"},
                           {"foreword", "Kind words."},
                           {"introduction", "What this is."},
                           {"author_bio", "Wrote things."},
                           {"page_size", "A5"}},
                      std::move(list));
}

std::vector<std::string> expected_headings(const book& b) {
  std::vector<std::string> out{"Foreword", "Introduction"};
  for (const auto& c : b.chapters) {
    out.push_back("Chapter " + std::to_string(c.number) + ": " + c.title);
  }
  out.emplace_back("About the Author");
  return out;
}

class DocxLibreOffice : public ::testing::Test {
 protected:
  void SetUp() override {
    soffice_ = find_program("soffice");
    if (!soffice_) {
      GTEST_SKIP() << "soffice not found: install LibreOffice (apt-get install -y "
                      "--no-install-recommends libreoffice-writer-nogui) to run the DOCX "
                      "conversion tests";
    }
    fs::create_directories(dir_.path() / "home");
    fs::create_directories(dir_.path() / "out");
  }

  // Writes `b` as book.docx and converts it with `--convert-to <filter>`; the converted file
  // (book.<extension>) is returned, or "" with a test failure.
  fs::path convert(const book& b, const std::string& filter, const std::string& extension) {
    const fs::path docx = dir_.path() / "book.docx";
    {
      std::ofstream out{docx, std::ios::binary | std::ios::trunc};
      out << docx_of(b);
    }
    // A profile of its own: parallel runs (ctest -j) would otherwise share and lock one.
    const std::string profile =
        "-env:UserInstallation=file://" + (dir_.path() / "profile").string();
    const process_result r =
        run({soffice_->string(), profile, "--headless", "--norestore", "--nolockcheck",
             "--convert-to", filter, "--outdir", (dir_.path() / "out").string(), docx.string()},
            dir_.path() / "home", dir_.path());
    fs::path converted = dir_.path() / "out" / ("book." + extension);
    EXPECT_FALSE(r.timed_out) << "soffice took longer than " << conversion_limit.count() << " s";
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(error_lines(r), "") << "conversion to " << filter << " reported an error";
    EXPECT_TRUE(fs::exists(converted)) << r.out << r.err;
    if (!fs::exists(converted) || fs::file_size(converted) == 0) return {};
    return converted;
  }

  // pdftotext's text of a PDF ("" with a failure when pdftotext is missing or fails).
  std::string pdf_text(const fs::path& pdf) {
    const auto pdftotext = find_program("pdftotext");
    if (!pdftotext) {
      ADD_FAILURE() << "pdftotext not found (poppler-utils)";
      return {};
    }
    const fs::path text = pdf.parent_path() / "pdf.txt";
    const process_result r =
        run({pdftotext->string(), "-enc", "UTF-8", pdf.string(), text.string()},
            dir_.path() / "home", dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return read_file(text);
  }

  int pdf_pages(const fs::path& pdf) {
    const auto pdfinfo = find_program("pdfinfo");
    if (!pdfinfo) return -1;
    const process_result r =
        run({pdfinfo->string(), pdf.string()}, dir_.path() / "home", dir_.path());
    const std::size_t at = r.out.find("Pages:");
    if (at == std::string::npos) return -1;
    return std::atoi(r.out.c_str() + at + 6);
  }

  lekhika::testing::temp_dir dir_;
  std::optional<fs::path> soffice_;
};

TEST_F(DocxLibreOffice, ConvertsToPdfWithEveryChapterOnItsOwnPage) {
  const book b = english_book(12);
  const fs::path pdf = convert(b, "pdf", "pdf");
  ASSERT_FALSE(pdf.empty());
  const std::string text = pdf_text(pdf);
  ASSERT_FALSE(text.empty());
  // Every heading is in the contents and again over its section, in book order.
  const std::size_t contents = text.find("Contents");
  ASSERT_NE(contents, std::string::npos);
  std::size_t after_contents = text.find("Kind words.");
  ASSERT_NE(after_contents, std::string::npos);
  std::size_t previous = after_contents;
  for (const auto& heading : expected_headings(b)) {
    EXPECT_GE(count_of(text, heading + "\n"), 2U) << heading;
    if (heading == "Foreword") continue;
    const std::size_t at = text.find(heading + "\n", previous);
    EXPECT_NE(at, std::string::npos) << heading << " missing or out of order";
    if (at != std::string::npos) previous = at;
  }
  EXPECT_NE(text.find("The last paragraph of the chapter."), std::string::npos);
  // Title page, contents, foreword, introduction, 12 chapters (each at least one page), about.
  EXPECT_GE(pdf_pages(pdf), 2 + 2 + 12 + 1);
}

TEST_F(DocxLibreOffice, KeepsRealHeadingsAndTheTableOfContents) {
  const book b = english_book(5);
  const fs::path odt = convert(b, "odt", "odt");
  ASSERT_FALSE(odt.empty());
  const std::string content = zip_entry(odt, "content.xml");
  ASSERT_FALSE(content.empty());
  EXPECT_EQ(odt_headings(content, 1), expected_headings(b));
  EXPECT_EQ(odt_headings(content, 2).size(), 5U);  // "On the road" in every chapter
  EXPECT_EQ(odt_headings(content, 3).size(), 5U);  // "Further on"
  EXPECT_NE(content.find("<text:table-of-content "), std::string::npos);
  EXPECT_NE(content.find("<table:table "), std::string::npos);
  EXPECT_NE(content.find("xlink:href=\"https://example.com/gate\""), std::string::npos);
}

TEST_F(DocxLibreOffice, CarriesDevanagariArabicEmojiAndMarkupLikeTextThrough) {
  std::vector<workflow::chapter> list;
  list.push_back(chapter("हिन्दी अध्याय", "क्षत्रिय ज्ञान श्रद्धा — देवनागरी।"));
  list.push_back(chapter("فصل عربي", "هذا نص عربي."));
  list.push_back(chapter("Emoji 😀", "Family 👩‍👩‍👧 and 🇮🇳."));
  list.push_back(chapter("<script>alert(1)</script>", "Text with <b>tags</b> & \"quotes\"."));
  const book b =
      compile_book(json{{"book_title", "Many Scripts"}, {"language", "Hindi"}}, std::move(list));
  const fs::path txt = convert(b, "txt:Text (encoded):UTF8", "txt");
  ASSERT_FALSE(txt.empty());
  const std::string text = read_file(txt);
  for (std::string_view expected :
       {"Chapter 1: हिन्दी अध्याय", "क्षत्रिय ज्ञान श्रद्धा — देवनागरी।", "Chapter 2: فصل عربي",
        "هذا نص عربي.", "Chapter 3: Emoji 😀", "Family 👩‍👩‍👧 and 🇮🇳.",
        "Chapter 4: <script>alert(1)</script>", "Text with <b>tags</b> & \"quotes\"."}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\nin:\n" << text;
  }
}

TEST_F(DocxLibreOffice, ConvertsARightToLeftBook) {
  std::vector<workflow::chapter> list;
  list.push_back(chapter("البداية", "هذا نص عربي طويل بما يكفي ليملأ سطرا أو سطرين في الصفحة."));
  list.push_back(chapter("النهاية", "نهاية الكتاب."));
  const book b = compile_book(json{{"book_title", "كتاب"}, {"language", "ar"}}, std::move(list));
  const fs::path pdf = convert(b, "pdf", "pdf");
  ASSERT_FALSE(pdf.empty());
  EXPECT_GE(pdf_pages(pdf), 4);  // title, contents, two chapters
}

}  // namespace
}  // namespace lekhika::publishing
