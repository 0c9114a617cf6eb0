#include <gtest/gtest.h>

#include <string>

#include "lekhika/workflow/text.hpp"
#include "lekhika/workflow/user_input.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

TEST(UserInput, SanitizeTrimsCutsAndDropsEmptyValues) {
  const json raw = {{"title", "  The Gate  "}, {"blank", "   "},
                    {"nothing", nullptr},      {"count", 3},
                    {"flag", false},           {"long", std::string(5000, 'x')},
                    {"list", {"a", "", " b "}}};
  const json clean = sanitize_user_input(raw);
  EXPECT_EQ(clean.at("title"), "The Gate");
  EXPECT_FALSE(clean.contains("blank"));
  EXPECT_FALSE(clean.contains("nothing"));
  EXPECT_EQ(clean.at("count"), 3);
  EXPECT_EQ(clean.at("flag"), false);
  EXPECT_EQ(clean.at("long").get<std::string>(), std::string(4000, 'x') + "...");
  EXPECT_EQ(clean.at("list"), json({"a", "b"}));
}

TEST(UserInput, SanitizeCutsByCharactersNotBytes) {
  std::string devanagari;
  for (int i = 0; i < 4001; ++i) devanagari += "\xE0\xA4\x95";  // क
  const json clean = sanitize_user_input({{"text", devanagari}});
  const std::string& text = clean.at("text").get_ref<const std::string&>();
  EXPECT_EQ(text.size(), 4000U * 3 + 3);
  EXPECT_EQ(text.substr(text.size() - 3), "...");
}

TEST(UserInput, SanitizeDropsSecretLikeKeys) {
  const json raw = {{"api_key", "k"},
                    {"OpenAIApiKey", "k"},
                    {"lekhikaApiKey", "k"},
                    {"access_token", "t"},
                    {"Client-Secret", "s"},
                    {"PASSWORD", "p"},
                    {"Authorization", "b"},
                    {"topic", "bees"},
                    {"nested", {{"refresh_token", "t"}, {"ok", 1}}}};
  const json clean = sanitize_user_input(raw);
  EXPECT_EQ(clean, json({{"topic", "bees"}, {"nested", {{"ok", 1}}}}));
  EXPECT_TRUE(is_secret_key("X-API-KEY"));
  EXPECT_FALSE(is_secret_key("book_title"));
}

TEST(UserInput, SanitizeLimitsDepth) {
  const json raw = {{"l2", {{"l3", {{"l4", {{"l5", {{"l6", {{"deep", 1}}}, {"keep", 2}}}}}}}}}};
  const json clean = sanitize_user_input(raw);
  const json& l5 = clean.at("l2").at("l3").at("l4").at("l5");
  EXPECT_EQ(l5.at("keep"), 2);
  EXPECT_FALSE(l5.contains("l6"));
  EXPECT_EQ(sanitize_user_input("not an object"), json::object());
}

TEST(UserInput, FindsValuesByNameVariantsAndAliases) {
  const json input = {{"book_title", "The Gate"},
                      {"author_name", "A. Writer"},
                      {"typography_combo", "modern"},
                      {"Target Audience", "teens"},
                      {"Tone", "warm"},
                      {"wordCount", "5000"}};
  const auto text = [&](std::string_view name) {
    const json* v = find_input_value(input, name);
    return v == nullptr ? std::string{"<none>"} : render_value(*v);
  };
  EXPECT_EQ(text("book_title"), "The Gate");
  EXPECT_EQ(text("BOOK_TITLE"), "The Gate");
  EXPECT_EQ(text("Book Title"), "The Gate");
  EXPECT_EQ(text("Author Name"), "A. Writer");
  EXPECT_EQ(text("Typography Style"), "modern");
  EXPECT_EQ(text("Target Audience"), "teens");  // exact key
  EXPECT_EQ(text("tone"), "warm");              // case-insensitive last resort
  EXPECT_EQ(text("word_count"), "5000");        // camelCase key
  EXPECT_EQ(text("bookTitle"), "The Gate");
  EXPECT_EQ(text("genre"), "<none>");
  EXPECT_EQ(find_input_value(json::array(), "x"), nullptr);
}

TEST(UserInput, BookTitleFallsBackToStoryTitle) {
  const json input = {{"story_title", "Eldoria"}};
  ASSERT_NE(find_input_value(input, "Book Title"), nullptr);
  EXPECT_EQ(*find_input_value(input, "Book Title"), "Eldoria");
}

TEST(UserInput, RendersValuesReadably) {
  EXPECT_EQ(render_value("text"), "text");
  EXPECT_EQ(render_value(3), "3");
  EXPECT_EQ(render_value(3.0), "3");
  EXPECT_EQ(render_value(0.5), "0.5");
  EXPECT_EQ(render_value(true), "true");
  EXPECT_EQ(render_value(nullptr), "");
  EXPECT_EQ(render_value({"pdf", "docx"}), "pdf, docx");
  EXPECT_EQ(render_value({{"book_title", "X"}, {"word_count", 500}}),
            "Book Title: X\nWord Count: 500");
  const std::string nested = render_value({{"hero", {{"name", "Mira"}, {"age", 27}}}});
  EXPECT_EQ(nested, "Hero:\n  Age: 27\n  Name: Mira");
  EXPECT_EQ(nested.find("[object Object]"), std::string::npos);
}

TEST(UserInput, RendersInputAsTitleCaseLines) {
  const json input = {
      {"book_title", "The Gate"}, {"output_formats", {"pdf", "epub"}}, {"targetAudience", "teens"}};
  EXPECT_EQ(render_input(input),
            "Book Title: The Gate\nOutput Formats: pdf, epub\nTarget Audience: teens");
}

TEST(UserInput, InputStringTakesFirstPresentKey) {
  const json input = {{"title", "  "}, {"story_title", " Eldoria "}, {"chapters", 4}};
  EXPECT_EQ(input_string(input, {"book_title", "story_title"}), "Eldoria");
  EXPECT_EQ(input_string(input, {"chapters"}), "4");
  EXPECT_EQ(input_string(input, {"missing"}), std::nullopt);
}

TEST(InputTextHelpers, TrimCaseAndNumbers) {
  EXPECT_EQ(trim("  a b \n"), "a b");
  EXPECT_EQ(to_lower("AbC"), "abc");
  EXPECT_TRUE(iequals("Chapter", "CHAPTER"));
  EXPECT_TRUE(icontains("The Story Architect", "story ARCH"));
  EXPECT_EQ(numbers_in("5,000-10,000 words"), (std::vector<long long>{5000, 10000}));
  EXPECT_EQ(numbers_in("6-8"), (std::vector<long long>{6, 8}));
  EXPECT_EQ(numbers_in("100000+"), (std::vector<long long>{100000}));
  EXPECT_EQ(numbers_in("5k to 7.5k"), (std::vector<long long>{5000, 7500}));
  EXPECT_EQ(numbers_in("v2.5 draft"), (std::vector<long long>{2}));
  EXPECT_EQ(numbers_in("1, 2, 3"), (std::vector<long long>{1, 2, 3}));
  EXPECT_EQ(parse_number(" 3.5 "), 3.5);
  EXPECT_EQ(parse_number("+2"), 2.0);
  EXPECT_EQ(parse_number("3 apples"), std::nullopt);
  EXPECT_EQ(utf8_prefix("\xE0\xA4\x95\xE0\xA4\x96", 1), "\xE0\xA4\x95");
  EXPECT_EQ(utf8_suffix("abc\xE0\xA4\x95", 2), "c\xE0\xA4\x95");
}

}  // namespace
}  // namespace lekhika::workflow
