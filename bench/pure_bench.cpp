// Parsing and validating the largest fixture, rendering a chapter prompt, planning a 50-chapter
// book and exporting it: the engine's own CPU cost per book, next to which provider latency
// should dominate. Run: build/bench/pure_bench (LEKHIKA_FIXTURES_DIR for the fixture case).

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lekhika/publishing/book.hpp"
#include "lekhika/publishing/exporters.hpp"
#include "lekhika/workflow/chapters.hpp"
#include "lekhika/workflow/parse.hpp"
#include "lekhika/workflow/prompts.hpp"
#include "lekhika/workflow/user_input.hpp"
#include "lekhika/workflow/validate.hpp"

namespace {

nlohmann::json load_fixture(const char* name) {
  const char* dir = std::getenv("LEKHIKA_FIXTURES_DIR");
  if (dir == nullptr) return nullptr;
  std::ifstream in{std::string{dir} + "/" + name};
  std::ostringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, false);
}

void ParseAndValidateFixture(benchmark::State& state) {
  const auto body = load_fixture("payload-execute-fiction-novel-branching-12ch.json");
  if (!body.is_object()) {
    state.SkipWithError("set LEKHIKA_FIXTURES_DIR to the Lekhika fixtures folder");
    return;
  }
  const lekhika::workflow::model_checker accept_all = [](const auto&) { return std::nullopt; };
  for (auto _ : state) {
    auto parsed = lekhika::workflow::parse_execution_request(body);
    auto report = lekhika::workflow::validate_request(*parsed.request, accept_all);
    benchmark::DoNotOptimize(report);
  }
}
BENCHMARK(ParseAndValidateFixture);

nlohmann::json sample_input() {
  return {{"book_title", "The Lighthouse Keeper's Ledger"},
          {"author_name", "Bench"},
          {"chapter_count", "50"},
          {"word_count", "100000"},
          {"tone", "warm"},
          {"topic", "a ledger that predicts rescues"}};
}

std::vector<lekhika::workflow::chapter> sample_chapters(int count, std::size_t words_each) {
  std::vector<lekhika::workflow::chapter> chapters;
  std::string paragraph;
  for (std::size_t i = 0; i < words_each; ++i) paragraph += (i % 12 == 11) ? "word.\n\n" : "word ";
  for (int i = 1; i <= count; ++i) {
    chapters.push_back({i, "Chapter title " + std::to_string(i), paragraph, words_each});
  }
  return chapters;
}

void RenderChapterPrompt(benchmark::State& state) {
  lekhika::workflow::node writer;
  writer.id = "writer";
  writer.kind = lekhika::workflow::role_kind::writer;
  writer.role = "content_writer";
  writer.system_prompt = "You write {tone} prose for {book_title}.";
  writer.user_prompt =
      "Write chapter {currentChapter} of {totalChapters}: {chapterTitle}. Outline: {outline}";
  const auto input = lekhika::workflow::sanitize_user_input(sample_input());
  lekhika::workflow::prompt_context context;
  context.user_input = &input;
  context.outline = std::string(4000, 'o');
  context.chapter = lekhika::workflow::chapter_call{25, 50, "The middle", sample_chapters(24, 100)};
  for (auto _ : state) benchmark::DoNotOptimize(lekhika::workflow::build_prompt(writer, context));
}
BENCHMARK(RenderChapterPrompt);

void PlanFiftyChapters(benchmark::State& state) {
  std::string outline;
  for (int i = 1; i <= 50; ++i)
    outline += "Chapter " + std::to_string(i) + ": Title number " + std::to_string(i) + "\n";
  const auto input = sample_input();
  for (auto _ : state) benchmark::DoNotOptimize(lekhika::workflow::plan_chapters(input, outline));
}
BENCHMARK(PlanFiftyChapters);

void ExportFiftyChapterBook(benchmark::State& state) {
  const auto book = lekhika::publishing::compile_book(sample_input(), sample_chapters(50, 2000));
  const auto* format = lekhika::publishing::find_format(state.range(0) == 0   ? "md"
                                                        : state.range(0) == 1 ? "html"
                                                                              : "txt");
  for (auto _ : state) benchmark::DoNotOptimize(lekhika::publishing::export_book(book, *format));
}
BENCHMARK(ExportFiftyChapterBook)->Arg(0)->Arg(1)->Arg(2);

}  // namespace

BENCHMARK_MAIN();
