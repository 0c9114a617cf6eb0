// Writers: chapters, outlines, checkpoints, cancellation in the middle of a book.

#include <gtest/gtest.h>

#include <regex>

#include "actor_harness.hpp"

namespace lekhika::actor_tests {
namespace {

// "Chapter 3: The Quiet Harbour" lines of an outline, by chapter number.
std::map<int, std::string> outline_titles(const std::string& outline) {
  std::map<int, std::string> titles;
  const std::regex line{R"(Chapter (\d+): ([^\n]+))"};
  for (auto it = std::sregex_iterator(outline.begin(), outline.end(), line);
       it != std::sregex_iterator(); ++it) {
    titles.emplace(std::stoi((*it)[1].str()), (*it)[2].str());
  }
  return titles;
}

TEST(Writers, WriteTheRequestedChaptersWithOutlineTitles) {
  engine_harness h{with_latency(std::chrono::milliseconds{60})};
  ASSERT_TRUE(h.ready());
  auto body = make_body(
      "tenant-writer",
      json::array({input_node("in"), process_node("outline", "story_outliner"),
                   process_node("writer", "content_writer"), output_node("out")}),
      json::array({edge("in", "outline"), edge("outline", "writer"), edge("writer", "out")}),
      {{"topic", "a lighthouse keeper"},
       {"book_title", "The Keeper"},
       {"author_name", "Test Author"},
       {"chapter_count", "5"}});
  auto final = h.run(body);
  ASSERT_NE(final, nullptr);
  const auto& record = final->record;
  ASSERT_EQ(record.status, "completed") << record.error.dump();

  // The outline node's text names five chapters.
  const auto& nodes = record.result.at("nodes");
  const auto titles = outline_titles(nodes.at("outline").value("text", ""));
  ASSERT_EQ(titles.size(), 5U) << nodes.at("outline").dump();

  // Five checkpoints, in order, with the outline's titles.
  const auto stored = h.chapters(record.id, "writer");
  ASSERT_EQ(stored.size(), 5U);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const int number = static_cast<int>(i) + 1;
    EXPECT_EQ(stored[i].number, number);
    EXPECT_EQ(stored[i].title, titles.at(number)) << "chapter " << number;
    EXPECT_GT(stored[i].words, 0) << "chapter " << number;
    EXPECT_FALSE(stored[i].content.empty()) << "chapter " << number;
  }

  // One progress event per chapter, counting up.
  const auto log = h.events(record.id);
  const auto progress = positions(log, "node.progress", "writer");
  ASSERT_EQ(progress.size(), 5U) << describe(log);
  for (std::size_t i = 0; i < progress.size(); ++i) {
    const auto& data = log[progress[i]].data;
    EXPECT_EQ(data.value("chapter", -1), static_cast<int>(i) + 1) << data.dump();
    EXPECT_EQ(data.value("of", -1), 5) << data.dump();
  }
  // The outline was written before the writer began.
  const auto outline_done = first(log, "node.completed", "outline");
  const auto writer_started = first(log, "node.started", "writer");
  ASSERT_TRUE(outline_done && writer_started) << describe(log);
  EXPECT_LT(*outline_done, *writer_started);

  // The book of the result.
  const auto& book = record.result.at("book");
  ASSERT_TRUE(book.is_object()) << record.result.dump();
  ASSERT_EQ(book.at("chapters").size(), 5U) << book.dump();
  for (std::size_t i = 0; i < 5; ++i) {
    const auto& chapter = book.at("chapters")[i];
    const int number = static_cast<int>(i) + 1;
    EXPECT_EQ(chapter.value("number", -1), number);
    EXPECT_EQ(chapter.value("title", ""), titles.at(number)) << chapter.dump();
    EXPECT_GT(chapter.value("words", 0), 0) << "chapter " << number;
  }
  EXPECT_GT(book.value("words", 0), 0);
  EXPECT_EQ(book.value("title", ""), "The Keeper");
  // The writer's node entry lists its chapters too.
  EXPECT_EQ(nodes.at("writer").at("chapters").size(), 5U) << nodes.at("writer").dump();
  // One outline call and five chapter calls.
  EXPECT_EQ(record.usage.value("calls", -1), 6) << record.usage.dump();
  EXPECT_EQ(h.node_run(record.id, "writer").chapters_done, 5);
  EXPECT_EQ(h.node_run(record.id, "writer").chapters_total, 5);
}

TEST(Writers, TheOutlineReachesWritersThroughOtherNodes) {
  engine_harness h{with_latency(std::chrono::milliseconds{20})};
  ASSERT_TRUE(h.ready());
  auto body = make_body("tenant-writer",
                        json::array({input_node("in"), process_node("outline", "plot_architect"),
                                     process_node("notes", "character_developer"),
                                     process_node("writer", "copywriter"), output_node("out")}),
                        json::array({edge("in", "outline"), edge("outline", "notes"),
                                     edge("notes", "writer"), edge("writer", "out")}),
                        {{"topic", "a night market"}, {"chapter_count", "3"}});
  auto final = h.run(body);
  ASSERT_NE(final, nullptr);
  ASSERT_EQ(final->record.status, "completed") << final->record.error.dump();
  const auto titles =
      outline_titles(final->record.result.at("nodes").at("outline").value("text", ""));
  ASSERT_EQ(titles.size(), 3U);
  const auto stored = h.chapters(final->record.id, "writer");
  ASSERT_EQ(stored.size(), 3U);
  for (const auto& chapter : stored) {
    EXPECT_EQ(chapter.title, titles.at(chapter.number)) << "chapter " << chapter.number;
  }
}

TEST(Writers, ChapterConcurrencyWritesEveryChapterOnce) {
  engine_harness h{with_latency(std::chrono::milliseconds{100})};
  ASSERT_TRUE(h.ready());
  auto body = make_body(
      "tenant-writer",
      json::array({input_node("in"), process_node("outline", "content_architect"),
                   process_node("writer", "technical_writer", json::array({"offline:draft"}),
                                {{"chapterConcurrency", 3}}),
                   output_node("out")}),
      json::array({edge("in", "outline"), edge("outline", "writer"), edge("writer", "out")}),
      {{"topic", "bread baking"}, {"chapter_count", "4-6"}});
  auto final = h.run(body);
  ASSERT_NE(final, nullptr);
  ASSERT_EQ(final->record.status, "completed") << final->record.error.dump();
  // A range takes its upper bound.
  const auto stored = h.chapters(final->record.id, "writer");
  ASSERT_EQ(stored.size(), 6U);
  for (std::size_t i = 0; i < stored.size(); ++i)
    EXPECT_EQ(stored[i].number, static_cast<int>(i) + 1);
  const auto& book = final->record.result.at("book");
  ASSERT_EQ(book.at("chapters").size(), 6U);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(book.at("chapters")[i].value("number", -1), static_cast<int>(i) + 1);
  }
  const auto log = h.events(final->record.id);
  EXPECT_EQ(count(log, "node.progress", "writer"), 6U) << describe(log);
}

TEST(Writers, CancelMidBookKeepsTheChaptersWritten) {
  engine_harness h{with_latency(std::chrono::milliseconds{200})};
  ASSERT_TRUE(h.ready());
  auto plan = h.plan(writer_body("tenant-cancel", 8));
  ASSERT_NE(plan, nullptr);
  auto [observer, live_log] = h.observer();
  auto admitted = h.submit(plan, false, observer);
  ASSERT_FALSE(admitted.error) << admitted.error->message;
  const auto& id = plan->execution_id;

  // Wait for the second chapter, then cancel.
  ASSERT_TRUE(live_log->wait_until([](const auto& events) {
    return std::any_of(events.begin(), events.end(), [](const persistence::event_record& e) {
      return e.type == "node.progress" && node_of(e) == "writer" && e.data.value("chapter", 0) >= 2;
    });
  })) << describe(live_log->events());
  auto cancelled = h.cancel(id, true);
  EXPECT_TRUE(cancelled.live);
  ASSERT_NE(cancelled.final, nullptr);
  const auto& record = cancelled.final->record;
  EXPECT_EQ(record.status, "cancelled");
  EXPECT_EQ(cancelled.status, "cancelled");

  // Checkpoints: at least the two seen, never the whole book.
  const auto stored = h.chapters(id, "writer");
  EXPECT_GE(stored.size(), 2U);
  EXPECT_LE(stored.size(), 7U);
  for (std::size_t i = 0; i < stored.size(); ++i)
    EXPECT_EQ(stored[i].number, static_cast<int>(i) + 1);

  // The partial book is the result's book.
  const auto& book = record.result.at("book");
  ASSERT_TRUE(book.is_object()) << record.result.dump();
  ASSERT_EQ(book.at("chapters").size(), stored.size()) << book.dump();
  for (std::size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(book.at("chapters")[i].value("title", ""), stored[i].title);
  }
  // The usage of the chapters written is kept.
  EXPECT_GE(record.usage.value("calls", 0), static_cast<int>(stored.size())) << record.usage.dump();

  // cancelling, then cancelled; the writer never completed.
  const auto log = h.events(id);
  const auto cancelling = first(log, "execution.cancelling");
  const auto ended = first(log, "execution.cancelled");
  ASSERT_TRUE(cancelling && ended) << describe(log);
  EXPECT_LT(*cancelling, *ended);
  EXPECT_EQ(*ended, log.size() - 1) << describe(log);
  for (auto p : positions(log, "node.completed", "writer")) {
    EXPECT_LT(p, *cancelling) << describe(log);
  }
  EXPECT_EQ(count(log, "node.completed", "writer"), 0U) << describe(log);
  EXPECT_EQ(count(log, "node.started", "out"), 0U) << describe(log);

  EXPECT_EQ(h.node_run(id, "writer").status, "cancelled");
  EXPECT_EQ(h.node_run(id, "out").status, "cancelled");
  auto row = h.stored(id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, "cancelled");
  EXPECT_GT(row->finished_at, 0);

  // Cancelling again is harmless: the execution is no longer live here.
  auto again = h.cancel(id, false);
  EXPECT_FALSE(again.live);
}

TEST(Writers, CancelOfAQueuedExecutionEndsItWithoutStarting) {
  engine_harness h{with_latency(std::chrono::milliseconds{150}).limit_running(1)};
  ASSERT_TRUE(h.ready());
  auto running = h.plan(writer_body("tenant-queue", 6));
  auto waiting = h.plan(single_call_body("tenant-queue"));
  ASSERT_TRUE(running && waiting);
  ASSERT_FALSE(h.submit(running, false).error);
  auto queued_reply = h.submit(waiting, false);
  ASSERT_FALSE(queued_reply.error);
  EXPECT_EQ(queued_reply.status, "queued");
  EXPECT_EQ(h.live(waiting->execution_id).record.status, "queued");

  auto cancelled = h.cancel(waiting->execution_id, false);
  EXPECT_TRUE(cancelled.live);
  EXPECT_EQ(cancelled.status, "cancelled");
  ASSERT_NE(cancelled.final, nullptr);
  EXPECT_EQ(cancelled.final->record.status, "cancelled");
  EXPECT_EQ(cancelled.final->record.started_at, 0);

  // The other execution still runs; the queue is empty.
  auto counters = h.stats();
  EXPECT_EQ(counters.running, 1);
  EXPECT_EQ(counters.queued, 0);
  EXPECT_EQ(h.live(running->execution_id).record.status, "running");

  auto row = h.wait_stored(waiting->execution_id, [](const persistence::execution_record& r) {
    return r.status == "cancelled";
  });
  ASSERT_TRUE(row) << "the queued cancellation was never stored";
  EXPECT_EQ(row->started_at, 0);

  // Let the first one end; the cancelled one must not start afterwards.
  auto first_end = h.cancel(running->execution_id, true);
  ASSERT_NE(first_end.final, nullptr);
  EXPECT_EQ(h.stats().running, 0);
  const auto log = h.events(waiting->execution_id);
  ASSERT_EQ(log.size(), 2U) << describe(log);
  EXPECT_EQ(log[0].type, "execution.queued");
  EXPECT_EQ(log[1].type, "execution.cancelled");
  EXPECT_EQ(count(log, "execution.started"), 0U);
  for (const auto& run : h.node_runs(waiting->execution_id)) {
    EXPECT_NE(run.status, "running") << run.node_id;
    EXPECT_NE(run.status, "completed") << run.node_id;
  }
}

}  // namespace
}  // namespace lekhika::actor_tests
