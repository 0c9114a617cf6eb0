#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "lekhika/publishing/exporters.hpp"

namespace lekhika::publishing {
namespace {

using nlohmann::json;

std::vector<std::string> names(const format_selection& s) {
  std::vector<std::string> out;
  for (const format_info* f : s.formats) out.emplace_back(f->name);
  return out;
}

using strings = std::vector<std::string>;

TEST(FindFormat, KnowsCanonicalNamesAndAliases) {
  const std::vector<std::pair<std::string_view, std::string_view>> cases{
      {"md", "md"},    {"markdown", "md"}, {"html", "html"}, {"htm", "html"},  {"txt", "txt"},
      {"text", "txt"}, {"plain", "txt"},   {"epub", "epub"}, {"docx", "docx"}, {"pdf", "pdf"}};
  for (const auto& [requested, canonical] : cases) {
    const format_info* f = find_format(requested);
    ASSERT_NE(f, nullptr) << requested;
    EXPECT_EQ(f->name, canonical) << requested;
  }
}

TEST(FindFormat, IsCaseInsensitiveAndIgnoresSurroundingSpaceAndDot) {
  EXPECT_EQ(find_format("MarkDown"), find_format("md"));
  EXPECT_EQ(find_format(" HTML "), find_format("html"));
  EXPECT_EQ(find_format(".PDF"), find_format("pdf"));
}

TEST(FindFormat, ReturnsNullForAudioAndUnknownNames) {
  for (std::string_view name : {"mp3", "m4a", "wav", "audiobook", "", "doc", "mdx", "md,html"}) {
    EXPECT_EQ(find_format(name), nullptr) << name;
  }
}

TEST(FindFormat, DescribesEachFormat) {
  struct expected_format {
    std::string_view name, extension, mime;
    bool available;
  };
  const std::vector<expected_format> cases{
      {"md", "md", "text/markdown; charset=utf-8", true},
      {"html", "html", "text/html; charset=utf-8", true},
      {"txt", "txt", "text/plain; charset=utf-8", true},
      {"epub", "epub", "application/epub+zip", true},
      {"docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
       true},
      {"pdf", "pdf", "application/pdf", true}};
  for (const auto& c : cases) {
    const format_info* f = find_format(c.name);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->extension, c.extension);
    EXPECT_EQ(f->mime_type, c.mime);
    EXPECT_EQ(f->available, c.available) << c.name;
    EXPECT_EQ(f->is_text, c.name == "md" || c.name == "html" || c.name == "txt") << c.name;
  }
}

TEST(SelectFormats, DefaultsToMarkdownWhenNothingIsRequested) {
  for (const json& input : {json(nullptr), json::object(), json{{"output_formats", json::array()}},
                            json{{"output_formats", ""}}, json{{"output_formats", 3}}}) {
    const auto s = select_formats(input, {});
    EXPECT_EQ(names(s), strings{"md"}) << input;
    EXPECT_TRUE(s.warnings.empty()) << input;
  }
}

TEST(SelectFormats, KeepsRequestOrder) {
  const auto s = select_formats({{"output_formats", {"txt", "html", "md"}}}, {});
  EXPECT_EQ(names(s), (strings{"txt", "html", "md"}));
  EXPECT_TRUE(s.warnings.empty());
}

TEST(SelectFormats, ResolvesAliasesAndDropsDuplicates) {
  const auto s =
      select_formats({{"output_formats", {"Markdown", "HTML", "md", "htm", "text", "txt"}}}, {});
  EXPECT_EQ(names(s), (strings{"md", "html", "txt"}));
  EXPECT_TRUE(s.warnings.empty());
}

TEST(SelectFormats, AcceptsCommaOrSpaceSeparatedString) {
  EXPECT_EQ(names(select_formats({{"output_formats", "html, txt,md"}}, {})),
            (strings{"html", "txt", "md"}));
  EXPECT_EQ(names(select_formats({{"output_formats", "HTML TXT"}}, {})), (strings{"html", "txt"}));
  EXPECT_EQ(names(select_formats({{"output_formats", {"html,txt"}}}, {})),
            (strings{"html", "txt"}));
}

TEST(SelectFormats, ReadsEveryInputKeyTheOriginalRead) {
  for (const char* key : {"output_formats", "outputFormats", "exportFormats", "Output Formats"}) {
    EXPECT_EQ(names(select_formats({{key, {"html"}}}, {})), strings{"html"}) << key;
  }
}

TEST(SelectFormats, FirstInputKeyThatAsksForSomethingWins) {
  EXPECT_EQ(names(select_formats({{"output_formats", {"txt"}}, {"exportFormats", {"html"}}}, {})),
            strings{"txt"});
  EXPECT_EQ(
      names(select_formats({{"output_formats", json::array()}, {"exportFormats", {"html"}}}, {})),
      strings{"html"});
}

TEST(SelectFormats, AppendsNodeFormatsAfterInputFormats) {
  EXPECT_EQ(names(select_formats({{"output_formats", {"html"}}}, {"txt", "HTML", "markdown"})),
            (strings{"html", "txt", "md"}));
  EXPECT_EQ(names(select_formats(json::object(), {"txt"})), strings{"txt"});
}

TEST(SelectFormats, WarnsAboutFormatsThatCannotBeProduced) {
  const auto s = select_formats({{"output_formats", {"mp3", "m4a", "txt"}}}, {});
  EXPECT_EQ(names(s), strings{"txt"});
  EXPECT_EQ(s.warnings, (strings{"format 'mp3' cannot be produced by this engine; skipped",
                                 "format 'm4a' cannot be produced by this engine; skipped"}));
}

TEST(SelectFormats, ProducesEveryBookFormatOfTheForm) {
  const auto s = select_formats({{"output_formats", {"html", "PDF", "docx", "epub"}}}, {});
  EXPECT_EQ(names(s), (strings{"html", "pdf", "docx", "epub"}));
  EXPECT_TRUE(s.warnings.empty());
  for (const char* name : {"epub", "docx", "pdf"}) {
    const format_info* f = find_format(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_TRUE(f->available) << name;
    EXPECT_FALSE(f->is_text) << name;
  }
}

TEST(SelectFormats, FallsBackToMarkdownWithWarningsWhenNothingUsableWasRequested) {
  const auto s = select_formats({{"output_formats", {"mp3", "wav"}}}, {"mp3"});
  EXPECT_EQ(names(s), strings{"md"});
  EXPECT_EQ(s.warnings, (strings{"format 'mp3' cannot be produced by this engine; skipped",
                                 "format 'wav' cannot be produced by this engine; skipped"}));
}

TEST(SelectFormats, WarnsOncePerName) {
  const auto s = select_formats({{"output_formats", {"mp3", "MP3", "wav", "wav"}}}, {"mp3"});
  EXPECT_EQ(s.warnings.size(), 2u);
}

TEST(SelectFormats, BoundsWarningsAndWarningLength) {
  json requested = json::array();
  for (int i = 0; i < 1000; ++i) requested.push_back("fmt" + std::to_string(i));
  requested.push_back(std::string(10000, 'x'));
  const auto s = select_formats({{"output_formats", requested}}, {});
  EXPECT_EQ(names(s), strings{"md"});
  EXPECT_LE(s.warnings.size(), 21u);
  for (const auto& w : s.warnings) EXPECT_LT(w.size(), 120u);
}

TEST(SelectFormats, IgnoresNonStringEntries) {
  const auto s = select_formats({{"output_formats", {1, nullptr, "html", {{"a", 1}}}}}, {});
  EXPECT_EQ(names(s), strings{"html"});
  EXPECT_TRUE(s.warnings.empty());
}

}  // namespace
}  // namespace lekhika::publishing
