// The output node: exported files, their records and the output's warnings.

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>

#include "actor_harness.hpp"
#include "lekhika/persistence/artifact_files.hpp"

namespace lekhika::actor_tests {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::string out;
  std::array<char, 4096> buffer{};
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
    out.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  return out;
}

TEST(Artifacts, OutputNodeStoresTextFormatsAndWarnsAboutUnknownOnes) {
  engine_harness h{with_latency(std::chrono::milliseconds{30})};
  ASSERT_TRUE(h.ready());
  auto body = make_body("tenant-files",
                        json::array({input_node("in"), process_node("writer", "content_writer"),
                                     output_node("out", json::array({"html", "mp3"}))}),
                        json::array({edge("in", "writer"), edge("writer", "out")}),
                        {{"topic", "river boats"},
                         {"book_title", "Down the River"},
                         {"chapter_count", "2"},
                         {"output_formats", json::array({"markdown", "txt"})}});
  auto final = h.run(body);
  ASSERT_NE(final, nullptr);
  const auto& record = final->record;
  ASSERT_EQ(record.status, "completed") << record.error.dump();

  // data.output: the three text formats, an unknown one reported, never fatal.
  const auto& output = record.output;
  ASSERT_TRUE(output.is_object()) << record.output.dump();
  EXPECT_EQ(output.value("primaryFormat", ""), "md") << output.dump();
  const auto& formats = output.at("formats");
  for (const char* format : {"md", "html", "txt"}) {
    ASSERT_TRUE(formats.contains(format)) << format << ": " << output.dump();
  }
  EXPECT_EQ(formats.size(), 3U) << output.dump();
  ASSERT_TRUE(output.contains("warnings")) << output.dump();
  bool mp3_reported = false;
  for (const auto& w : output.at("warnings")) {
    if (w.is_string() && w.get<std::string>().find("mp3") != std::string::npos) mp3_reported = true;
  }
  EXPECT_TRUE(mp3_reported) << output.dump();

  // Stored artifacts: one per format, the files on disk match their hash and size.
  const auto stored = h.artifacts(record.id);
  ASSERT_EQ(stored.size(), 3U);
  for (const auto& artifact : stored) {
    SCOPED_TRACE(artifact.format);
    ASSERT_TRUE(formats.contains(artifact.format));
    ASSERT_TRUE(std::filesystem::exists(artifact.path)) << artifact.path;
    const auto bytes = read_file(artifact.path);
    EXPECT_FALSE(bytes.empty());
    EXPECT_EQ(static_cast<std::int64_t>(bytes.size()), artifact.bytes);
    EXPECT_EQ(persistence::sha256_hex(bytes), artifact.sha256);
    const auto& entry = formats.at(artifact.format);
    EXPECT_EQ(entry.value("sha256", ""), artifact.sha256);
    EXPECT_EQ(entry.value("bytes", std::int64_t{-1}), artifact.bytes);
    EXPECT_EQ(entry.value("mimeType", ""), artifact.mime_type);
    EXPECT_EQ(entry.value("url", ""), "/executions/" + record.id + "/artifacts/" + artifact.format);
    // The inline text of the final answer is the file's content.
    ASSERT_TRUE(final->inline_text.contains(artifact.format));
    EXPECT_EQ(final->inline_text.at(artifact.format), bytes);
    // Files live under the configured artifact folder.
    EXPECT_NE(artifact.path.find("artifacts"), std::string::npos) << artifact.path;
  }
  // The book's chapters are in the files.
  const auto md = final->inline_text.at("md");
  for (const auto& chapter : record.result.at("book").at("chapters")) {
    EXPECT_NE(md.find(chapter.value("title", "?")), std::string::npos) << chapter.dump();
  }
  EXPECT_NE(md.find("Down the River"), std::string::npos);
}

TEST(Artifacts, MarkdownIsProducedWhenNothingUsableIsRequested) {
  engine_harness h{with_latency(std::chrono::milliseconds{20})};
  ASSERT_TRUE(h.ready());
  auto body =
      make_body("tenant-files",
                json::array({input_node("in"), process_node("notes", "researcher"),
                             output_node("out", json::array({"mp3"}))}),
                json::array({edge("in", "notes"), edge("notes", "out")}), {{"topic", "hedgehogs"}});
  auto final = h.run(body);
  ASSERT_NE(final, nullptr);
  ASSERT_EQ(final->record.status, "completed") << final->record.error.dump();
  const auto stored = h.artifacts(final->record.id);
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0].format, "md");
  EXPECT_EQ(persistence::sha256_hex(read_file(stored[0].path)), stored[0].sha256);
  ASSERT_TRUE(final->record.output.contains("warnings"));
  EXPECT_FALSE(final->record.output.at("warnings").empty());
  // A run without a writer still yields a one-chapter book from the upstream text.
  const auto& book = final->record.result.at("book");
  ASSERT_TRUE(book.is_object());
  EXPECT_EQ(book.at("chapters").size(), 1U);
}

}  // namespace
}  // namespace lekhika::actor_tests
