#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "lekhika/persistence/artifact_files.hpp"
#include "lekhika/testing/temp_dir.hpp"

namespace {

namespace lp = lekhika::persistence;
namespace fs = std::filesystem;

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

TEST(ArtifactFiles, Sha256MatchesKnownDigests) {
  EXPECT_EQ(lp::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(lp::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ArtifactFiles, WritesAtomicallyAndReadsBack) {
  lekhika::testing::temp_dir dir;
  const std::string content = "# The Book\n\nChapter one.\n";
  auto written = lp::write_artifact_file(dir.path().string(), "exec-1", "md", "book.md",
                                         "text/markdown", content, 1234);
  ASSERT_TRUE(written.ok()) << written.error().message;
  const auto& record = written.value();
  EXPECT_EQ(record.execution_id, "exec-1");
  EXPECT_EQ(record.format, "md");
  EXPECT_EQ(fs::path(record.path), dir.path() / "exec-1" / "book.md");
  EXPECT_EQ(record.mime_type, "text/markdown");
  EXPECT_EQ(record.bytes, static_cast<std::int64_t>(content.size()));
  EXPECT_EQ(record.sha256, lp::sha256_hex(content));
  EXPECT_EQ(record.created_at, 1234);
  // No temporary file is left behind.
  EXPECT_EQ(names_in(dir.path() / "exec-1"), std::vector<std::string>{"book.md"});

  auto read = lp::read_artifact_file(record);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read.value(), content);
}

TEST(ArtifactFiles, RewriteReplacesTheFile) {
  lekhika::testing::temp_dir dir;
  const std::string binary("bytes\0with\0nuls\xff", 16);
  ASSERT_TRUE(lp::write_artifact_file(dir.path().string(), "exec-1", "txt", "book.txt",
                                      "text/plain", "old", 1)
                  .ok());
  auto second = lp::write_artifact_file(dir.path().string(), "exec-1", "txt", "book.txt",
                                        "text/plain", binary, 2);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second.value().bytes, 16);
  auto read = lp::read_artifact_file(second.value());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.value(), binary);
  EXPECT_EQ(names_in(dir.path() / "exec-1").size(), 1U);
}

TEST(ArtifactFiles, RefusesNamesThatAreNotPlain) {
  lekhika::testing::temp_dir dir;
  const std::vector<std::string> bad{"",          ".",    "..",   "a/b",
                                     "../escape", "a\\b", "/abs", std::string("a\0b", 3)};
  for (const auto& name : bad) {
    auto as_execution = lp::write_artifact_file(dir.path().string(), name, "md", "book.md",
                                                "text/markdown", "x", 1);
    ASSERT_FALSE(as_execution.ok());
    EXPECT_EQ(as_execution.error().code, "invalid_name");
    auto as_file =
        lp::write_artifact_file(dir.path().string(), "exec-1", "md", name, "text/markdown", "x", 1);
    ASSERT_FALSE(as_file.ok());
    EXPECT_EQ(as_file.error().code, "invalid_name");
  }
  // Nothing was written anywhere.
  EXPECT_TRUE(names_in(dir.path()).empty());
}

TEST(ArtifactFiles, ReadingAMissingFileIsNotFound) {
  lekhika::testing::temp_dir dir;
  lp::artifact_record record;
  record.execution_id = "exec-1";
  record.format = "md";
  record.path = (dir.path() / "exec-1" / "book.md").string();
  auto read = lp::read_artifact_file(record);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, "not_found");
}

}  // namespace
