#include <gtest/gtest.h>

#include <string>

#include "lekhika/workflow/prompts.hpp"
#include "lekhika/workflow/user_input.hpp"

namespace lekhika::workflow {
namespace {

using json = nlohmann::json;

node make_node(role_kind kind, std::string system, std::string user,
               std::string role = "content_writer") {
  node n;
  n.id = "n1";
  n.type = node_type::process;
  n.kind = kind;
  n.role = std::move(role);
  n.system_prompt = std::move(system);
  n.user_prompt = std::move(user);
  return n;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const json input = sanitize_user_input({{"book_title", "The Gate"},
                                        {"topic", "dragons"},
                                        {"word_count", "5000-10000"},
                                        {"chapter_count", "3"},
                                        {"api_key", "sk-secret"},
                                        {"hero", {{"name", "Mira"}}}});

TEST(BuildPrompt, LookupOrderUpstreamThenSpecialsThenInput) {
  const json clash = {{"research-1", "from input"},
                      {"outline", "input outline"},
                      {"previous_node_output", "input prev"},
                      {"topic", "dragons"}};
  prompt_context ctx;
  ctx.user_input = &clash;
  ctx.upstream = {{"research-1", "RESEARCH"}, {"world-1", "WORLD"}};
  ctx.outline = "OUTLINE";
  const auto out = build_prompt(
      make_node(role_kind::planner, "Sys {topic}",
                "A={research-1} B={previous_node_output} C={outline} D={topic}", "researcher"),
      ctx);
  EXPECT_EQ(out.system, "Sys dragons");
  EXPECT_EQ(out.user, "A=RESEARCH B=RESEARCH\n\nWORLD C=OUTLINE D=dragons");
  EXPECT_TRUE(out.warnings.empty());
}

TEST(BuildPrompt, ChapterVariables) {
  prompt_context ctx;
  ctx.user_input = &input;
  chapter_call call;
  call.current = 2;
  call.total = 3;
  call.title = "Ash";
  call.previous.push_back({1, "The Gate", std::string(300, 'a'), 300});
  ctx.chapter = call;
  const auto out =
      build_prompt(make_node(role_kind::writer, "",
                             "{currentChapter}/{totalChapters} {chapterTitle}|{previousChapters}|"
                             "{previousChapterSummary}"),
                   ctx);
  EXPECT_TRUE(contains(out.user, "2/3 Ash|Chapter 1: " + std::string(200, 'a') +
                                     "...|"
                                     "In Chapter 1, " +
                                     std::string(150, 'a') + "..."));
}

TEST(BuildPrompt, ChapterVariablesOutsideAChapterCall) {
  prompt_context ctx;
  ctx.user_input = &input;
  const auto out = build_prompt(
      make_node(role_kind::planner, "",
                "{currentChapter} {totalChapters} {previousChapters}. {previousChapterSummary}.",
                "researcher"),
      ctx);
  EXPECT_TRUE(contains(out.user, "1 3 No previous chapters available. This is the first chapter."));
}

TEST(BuildPrompt, UserInputValuesRenderReadably) {
  prompt_context ctx;
  ctx.user_input = &input;
  const auto out = build_prompt(
      make_node(role_kind::planner, "", "{Book Title} / {hero} / {user_input_data}", "researcher"),
      ctx);
  EXPECT_TRUE(contains(out.user, "The Gate / Name: Mira / Book Title: The Gate"));
  EXPECT_FALSE(contains(out.user, "[object Object]"));
  EXPECT_FALSE(contains(out.user, "sk-secret"));
}

TEST(BuildPrompt, MissingPlaceholdersWarn) {
  prompt_context ctx;
  ctx.user_input = &input;
  const auto out = build_prompt(
      make_node(role_kind::writer, "{research_data}", "{research_data} {api_key} {outline}"), ctx);
  EXPECT_TRUE(contains(out.user, "[research_data not provided] [api_key not provided]"));
  EXPECT_EQ(out.warnings, (std::vector<std::string>{"placeholder {research_data} is not provided",
                                                    "placeholder {api_key} is not provided",
                                                    "placeholder {outline} is not provided"}));
}

TEST(BuildPrompt, SecretsNeverReachThePromptEvenUnsanitised) {
  const json raw = {{"password", "hunter2"}, {"topic", "x"}};
  prompt_context ctx;
  ctx.user_input = &raw;
  const auto out = build_prompt(
      make_node(role_kind::planner, "", "{password} {user_input_data}", "researcher"), ctx);
  EXPECT_FALSE(contains(out.user, "hunter2"));
}

TEST(BuildPrompt, AppendsUpstreamWhenThePromptNamesNone) {
  prompt_context ctx;
  ctx.user_input = &input;
  ctx.upstream = {{"newest", "NEW TEXT"}, {"older", "OLD TEXT"}};
  const auto out =
      build_prompt(make_node(role_kind::planner, "S", "Do {topic}.", "researcher"), ctx);
  EXPECT_EQ(out.user,
            "Do dragons.\n\n## Input from previous steps\n\n### newest\n\nNEW TEXT\n\n"
            "### older\n\nOLD TEXT");
  // Naming one upstream node is enough to place the input where the template wants it.
  const auto named = build_prompt(
      make_node(role_kind::planner, "S", "Use {older} on {topic}.", "researcher"), ctx);
  EXPECT_EQ(named.user, "Use OLD TEXT on dragons.");
}

TEST(BuildPrompt, UpstreamIsBoundedCuttingTheOldest) {
  prompt_context ctx;
  ctx.upstream = {{"newest", std::string(max_upstream_chars - 10, 'n')},
                  {"middle", std::string(100, 'm')},
                  {"oldest", std::string(100, 'o')}};
  const auto out = build_prompt(make_node(role_kind::planner, "S", "Go.", "researcher"), ctx);
  EXPECT_TRUE(contains(out.user, std::string(max_upstream_chars - 10, 'n')));
  EXPECT_TRUE(contains(out.user, "### middle\n\n" + std::string(10, 'm') + "\n\n[... cut"));
  EXPECT_FALSE(contains(out.user, std::string(11, 'm')));
  EXPECT_FALSE(contains(out.user, "### oldest"));
  EXPECT_TRUE(contains(out.user, "1 older input left out"));
  EXPECT_LT(out.user.size(), max_upstream_chars + 300);
}

TEST(BuildPrompt, ChapterCallAddsOutlineSummaryAndDirective) {
  prompt_context ctx;
  ctx.user_input = &input;
  ctx.outline = "Chapter 1: The Gate\nChapter 2: Ash\nChapter 3: Fire";
  ctx.upstream = {{"architect-1", ctx.outline}};
  chapter_call call;
  call.current = 2;
  call.total = 3;
  call.title = "Ash";
  call.previous.push_back(
      {1, "The Gate", "Mira opened the gate. " + std::string(700, 'x') + " The end of one.", 0});
  ctx.chapter = call;
  const auto out = build_prompt(make_node(role_kind::writer, "You write.", "Write well."), ctx);
  EXPECT_EQ(out.system, "You write.");
  EXPECT_TRUE(contains(out.user, "## Outline\n\nChapter 1: The Gate"));
  EXPECT_FALSE(contains(out.user, "## Input from previous steps"));  // the outline is not doubled
  EXPECT_TRUE(contains(out.user, "## Chapters written so far\n\nChapter 1: The Gate\nMira opened"));
  EXPECT_TRUE(contains(out.user, "The end of one."));  // how the last chapter ended
  EXPECT_TRUE(contains(out.user,
                       "Write Chapter 2 of 3: Ash. Start with the heading "
                       "\"Chapter 2: Ash\"."));
  EXPECT_TRUE(contains(out.user, "Aim for about 3333 words."));  // 10000 / 3
  EXPECT_LT(out.user.find("## Outline"), out.user.find("## Chapters written so far"));
  EXPECT_LT(out.user.find("## Chapters written so far"), out.user.find("Write Chapter 2"));
}

TEST(BuildPrompt, ChapterCallRespectsTemplatePlacement) {
  prompt_context ctx;
  ctx.outline = "THE OUTLINE";
  chapter_call call;
  call.current = 1;
  call.total = 40;
  ctx.chapter = call;
  const auto out = build_prompt(make_node(role_kind::writer, "", "Outline: {outline}"), ctx);
  EXPECT_FALSE(contains(out.user, "## Outline"));
  EXPECT_FALSE(contains(out.user, "## Chapters written so far"));
  EXPECT_TRUE(contains(out.user,
                       "Write Chapter 1 of 40. Start with the heading \"Chapter 1: \" "
                       "followed by a title you choose."));
  EXPECT_TRUE(contains(out.user, "Aim for about 300 words."));  // the per-chapter minimum
}

TEST(BuildPrompt, ManyPreviousChaptersStayBounded) {
  prompt_context ctx;
  chapter_call call;
  call.current = 101;
  call.total = 120;
  for (int i = 1; i <= 100; ++i) {
    call.previous.push_back({i, "T" + std::to_string(i), std::string(5000, 'p'), 5000});
  }
  ctx.chapter = call;
  const auto out = build_prompt(make_node(role_kind::writer, "S", "U"), ctx);
  EXPECT_LT(out.user.size(), 100U * 200 + 5U * 700 + 2000);
  EXPECT_TRUE(contains(out.user, "Chapter 1: T1\n" + std::string(150, 'p') + "...\n"));
  EXPECT_TRUE(contains(out.user, "Chapter 100: T100\n" + std::string(600, 'p') + "..."));
}

TEST(BuildPrompt, ReviserGetsTheTextToRevise) {
  prompt_context ctx;
  ctx.upstream = {{"writer-1", "Draft text."}, {"notes", "Style notes."}};
  ctx.text_to_revise = "Draft text.";
  const auto out =
      build_prompt(make_node(role_kind::reviser, "You edit.", "Polish it.", "editor"), ctx);
  EXPECT_TRUE(contains(out.user, "### notes\n\nStyle notes."));
  EXPECT_FALSE(contains(out.user, "### writer-1"));  // it is the text to revise
  EXPECT_TRUE(contains(out.user, "## Text to revise\n\nDraft text."));
  EXPECT_TRUE(contains(out.user, "Return only the revised text"));
  EXPECT_LT(out.user.find("## Text to revise"), out.user.find("Return only the revised text"));
}

TEST(BuildPrompt, EmptyPromptsGetARoleDefault) {
  prompt_context ctx;
  ctx.user_input = &input;
  const auto writer = build_prompt(make_node(role_kind::writer, " ", ""), ctx);
  EXPECT_FALSE(writer.system.empty());
  EXPECT_TRUE(contains(writer.user, "Write"));
  EXPECT_TRUE(contains(writer.user, "## Book details\n\nBook Title: The Gate"));
  EXPECT_FALSE(contains(writer.user, "sk-secret"));
  const auto reviser = build_prompt(make_node(role_kind::reviser, "", "", "editor"), ctx);
  EXPECT_TRUE(contains(reviser.user, "Revise"));
  const auto planner = build_prompt(make_node(role_kind::planner, "", "", "researcher"), ctx);
  EXPECT_TRUE(contains(planner.user, "notes"));
  EXPECT_NE(writer.user, planner.user);
  EXPECT_TRUE(writer.warnings.empty());
}

TEST(BuildPrompt, TemplateNamingNoInputGetsBookDetails) {
  prompt_context ctx;
  ctx.user_input = &input;
  ctx.upstream = {{"world-1", "WORLD"}};
  const auto out = build_prompt(
      make_node(role_kind::planner, "S", "Use all the data provided.", "researcher"), ctx);
  EXPECT_TRUE(contains(out.user,
                       "Use all the data provided.\n\n## Book details\n\nBook Title: "
                       "The Gate"));
  EXPECT_FALSE(contains(out.user, "sk-secret"));
  EXPECT_LT(out.user.find("## Book details"), out.user.find("## Input from previous steps"));
  // Not when the template picks its fields, nor when the input node already delivered them.
  EXPECT_FALSE(contains(
      build_prompt(make_node(role_kind::planner, "S", "On {topic}.", "researcher"), ctx).user,
      "## Book details"));
  ctx.upstream = {{"input-1", render_input(input)}};
  const auto delivered = build_prompt(make_node(role_kind::planner, "S", "Go.", "researcher"), ctx);
  EXPECT_FALSE(contains(delivered.user, "## Book details"));
  EXPECT_TRUE(contains(delivered.user, "### input-1\n\nBook Title: The Gate"));
}

TEST(BuildPrompt, SystemOnlyPromptStillHasAUserTurn) {
  prompt_context ctx;
  const auto out = build_prompt(make_node(role_kind::writer, "You are a poet.", ""), ctx);
  EXPECT_EQ(out.system, "You are a poet.");
  EXPECT_FALSE(out.user.empty());
}

}  // namespace
}  // namespace lekhika::workflow
