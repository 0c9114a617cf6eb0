// api.md §2.1 (synchronous POST /execute) and §2.5 (artifacts).

#include "lekhika/persistence/artifact_files.hpp"
#include "server_harness.hpp"

namespace lekhika::e2e {
namespace {

TEST(HttpExecute, SyncReturnsTheFinishedBook) {
  test_server server;
  const int chapters = 3;
  const auto request = book_request("sync-user", chapters, "The Salt Road");
  auto response = server.execute_sync(request);
  auto data = ok_data(response);
  ASSERT_TRUE(data.is_object()) << describe(response);

  const auto id = data.value("executionId", std::string{});
  EXPECT_TRUE(id.starts_with("exec_")) << id;
  EXPECT_EQ(data.value("status", std::string{}), "completed");
  EXPECT_FALSE(data.contains("error") && !data["error"].is_null()) << data["error"].dump();

  // result.nodes: every node, with type, role, status and usage.
  ASSERT_TRUE(data.contains("result") && data["result"].is_object());
  const auto& nodes = data["result"]["nodes"];
  for (const char* node : {"input", "outline", "writer", "output"}) {
    SCOPED_TRACE(node);
    ASSERT_TRUE(nodes.contains(node)) << nodes.dump().substr(0, 2000);
    EXPECT_EQ(nodes[node].value("status", std::string{}), "completed");
    EXPECT_TRUE(nodes[node].contains("type"));
    EXPECT_TRUE(nodes[node].contains("role"));
    EXPECT_TRUE(nodes[node].contains("usage"));
  }
  EXPECT_EQ(nodes["writer"].value("provider", std::string{}), "offline");

  // result.book: title, chapters [{number, title, content, words}], words.
  const auto& book = data["result"]["book"];
  ASSERT_TRUE(book.is_object()) << data["result"].dump().substr(0, 2000);
  EXPECT_EQ(book.value("title", std::string{}), "The Salt Road");
  ASSERT_TRUE(book.contains("chapters") && book["chapters"].is_array());
  ASSERT_EQ(book["chapters"].size(), static_cast<std::size_t>(chapters));
  int total_words = 0;
  for (std::size_t i = 0; i < book["chapters"].size(); ++i) {
    const auto& ch = book["chapters"][i];
    EXPECT_EQ(ch.value("number", 0), static_cast<int>(i) + 1);
    EXPECT_FALSE(ch.value("title", std::string{}).empty());
    EXPECT_FALSE(ch.value("content", std::string{}).empty());
    EXPECT_GT(ch.value("words", 0), 0);
    total_words += ch.value("words", 0);
  }
  EXPECT_GT(book.value("words", 0), 0);
  EXPECT_GE(book.value("words", 0), total_words);

  // output: primaryFormat and formats.md {mimeType, bytes, sha256, url, content}.
  ASSERT_TRUE(data.contains("output") && data["output"].is_object());
  const auto& output = data["output"];
  EXPECT_EQ(output.value("primaryFormat", std::string{}), "md");
  ASSERT_TRUE(output.contains("formats") && output["formats"].contains("md")) << output.dump();
  const auto& md = output["formats"]["md"];
  EXPECT_TRUE(md.value("mimeType", std::string{}).starts_with("text/markdown")) << md.dump();
  const auto content = md.value("content", std::string{});
  ASSERT_FALSE(content.empty());
  EXPECT_EQ(md.value("bytes", 0U), content.size());
  EXPECT_EQ(md.value("sha256", std::string{}), persistence::sha256_hex(content));
  EXPECT_EQ(md.value("url", std::string{}), "/executions/" + id + "/artifacts/md");
  for (const auto& ch : book["chapters"]) {
    const auto title = ch.value("title", std::string{});
    EXPECT_NE(content.find(title), std::string::npos)
        << "chapter title '" << title << "' not in md";
  }
  EXPECT_NE(content.find("The Salt Road"), std::string::npos);

  // usage: {inputTokens, outputTokens, totalTokens, costUsd, calls, words}.
  ASSERT_TRUE(data.contains("usage") && data["usage"].is_object());
  const auto& usage = data["usage"];
  for (const char* key :
       {"inputTokens", "outputTokens", "totalTokens", "costUsd", "calls", "words"}) {
    EXPECT_TRUE(usage.contains(key)) << key << " missing in " << usage.dump();
  }
  EXPECT_EQ(usage.value("calls", 0), chapters + 1);  // the outline, then one call per chapter
  EXPECT_GT(usage.value("outputTokens", 0), 0);
  EXPECT_EQ(usage.value("totalTokens", 0),
            usage.value("inputTokens", 0) + usage.value("outputTokens", 0));

  // The download is the same file, with its type and a Content-Disposition.
  auto download = server.get(md.value("url", std::string{}));
  ASSERT_EQ(download.status, 200) << describe(download);
  EXPECT_EQ(download.body, content);
  EXPECT_TRUE(download.headers["content-type"].starts_with("text/markdown"))
      << download.headers["content-type"];
  EXPECT_NE(download.headers["content-disposition"].find("attachment"), std::string::npos)
      << download.headers["content-disposition"];
  EXPECT_NE(download.headers["content-disposition"].find(".md"), std::string::npos)
      << download.headers["content-disposition"];

  // A format that was not produced is a 404 envelope.
  EXPECT_TRUE(is_error(server.get("/executions/" + id + "/artifacts/html"), 404, "not_found"));
}

TEST(HttpExecute, SyncReturnsTheCallersExecutionId) {
  test_server server;
  auto request = book_request("sync-user", 1);
  request["executionId"] = "e2e-chosen-id-1";
  auto data = ok_data(server.execute_sync(request));
  EXPECT_EQ(data.value("executionId", std::string{}), "e2e-chosen-id-1");
  EXPECT_EQ(data.value("status", std::string{}), "completed");
}

TEST(HttpExecute, SyncProducesEveryRequestedTextFormat) {
  test_server server;
  auto request = book_request("formats-user", 2);
  request["executionId"] = "job:formats:1";  // ':' is allowed in ids but not in file names
  request["inputs"]["output_formats"] = json::array({"html", "text", "markdown"});
  auto response = server.execute_sync(request);
  auto data = ok_data(response);
  ASSERT_TRUE(data.is_object());
  const auto& formats = data["output"]["formats"];
  const auto id = data.value("executionId", std::string{});
  for (const char* format : {"md", "html", "txt"}) {
    SCOPED_TRACE(format);
    ASSERT_TRUE(formats.contains(format)) << formats.dump().substr(0, 2000);
    const auto content = formats[format].value("content", std::string{});
    EXPECT_FALSE(content.empty());
    auto download = server.get("/executions/" + id + "/artifacts/" + format);
    EXPECT_EQ(download.status, 200) << describe(download);
    EXPECT_EQ(download.body, content);
    EXPECT_EQ(download.headers["content-type"], formats[format].value("mimeType", std::string{}));
    EXPECT_EQ(download.headers["content-disposition"],
              std::string{"attachment; filename=\"job-formats-1."} + format + "\"");
  }
  EXPECT_TRUE(formats["html"].value("mimeType", std::string{}).starts_with("text/html"));
  EXPECT_TRUE(formats["txt"].value("mimeType", std::string{}).starts_with("text/plain"));
}

// A PDF that has to draw boxes for characters no installed font covers says so in the output's
// warnings (and is still produced); the other formats carry the characters as they are.
TEST(HttpExecute, PdfWarnsAboutCharactersItCannotShow) {
  test_server server;
  auto request = book_request("glyph-user", 1);
  request["inputs"]["book_title"] = "The Unassigned \u0378";
  request["inputs"]["output_formats"] = json::array({"pdf", "md"});
  auto data = ok_data(server.execute_sync(request));
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data.value("status", std::string{}), "completed");
  const auto& output = data["output"];
  EXPECT_TRUE(output["formats"].contains("pdf")) << output.dump().substr(0, 2000);
  std::string found;
  for (const auto& w : output["warnings"]) {
    if (w.is_string() && w.get<std::string>().starts_with("pdf: ")) found = w.get<std::string>();
  }
  EXPECT_NE(found.find("U+0378"), std::string::npos) << output["warnings"].dump();
}

// api.md §2.5: the binary formats are stored as files and downloaded with their MIME type.
TEST(HttpExecute, SyncProducesEpubDocxAndPdfForDownload) {
  test_server server;
  auto request = book_request("binary-user", 2);
  request["inputs"]["output_formats"] = json::array({"epub", "docx", "pdf"});
  auto data = ok_data(server.execute_sync(request));
  ASSERT_TRUE(data.is_object());
  const auto id = data.value("executionId", std::string{});
  const auto& formats = data["output"]["formats"];
  const std::map<std::string, std::string> magic{{"epub", "PK"}, {"docx", "PK"}, {"pdf", "%PDF-"}};
  for (const auto& [format, start] : magic) {
    SCOPED_TRACE(format);
    ASSERT_TRUE(formats.contains(format)) << formats.dump().substr(0, 2000);
    EXPECT_FALSE(formats[format].contains("content"));  // binary: download only
    auto download = server.get("/executions/" + id + "/artifacts/" + format);
    ASSERT_EQ(download.status, 200) << describe(download);
    EXPECT_EQ(download.body.substr(0, start.size()), start);
    EXPECT_EQ(download.body.size(), formats[format].value("bytes", std::size_t{0}));
    EXPECT_EQ(download.headers["content-type"], formats[format].value("mimeType", std::string{}));
    EXPECT_NE(download.headers["content-disposition"].find("attachment"), std::string::npos);
  }
  // A stored file that disappeared from disk is a 404 that does not show the server's paths.
  std::filesystem::remove_all(server.dir() / "artifacts");
  auto gone = server.get("/executions/" + id + "/artifacts/pdf");
  EXPECT_TRUE(is_error(gone, 404, "not_found")) << describe(gone);
  EXPECT_EQ(gone.body.find(server.dir().string()), std::string::npos) << gone.body;
}

// api.md §2.1: a synchronous caller that goes away does not cancel its execution.
TEST(HttpExecute, SyncClientDisconnectDoesNotCancel) {
  server_options options;
  options.offline_latency = 200ms;
  test_server server{options};
  auto body = book_request("gone-user", 4);
  body["executionId"] = "e2e-disconnected-1";
  auto cut = server.execute_sync(body, 300ms);  // the client gives up long before the end
  EXPECT_EQ(cut.status, 0) << "expected the client to time out: " << describe(cut);
  auto final = wait_terminal(server, "e2e-disconnected-1");
  EXPECT_EQ(final.value("status", std::string{}), "completed");
  EXPECT_EQ(final["result"]["book"]["chapters"].size(), 4U);
}

// RESTinio cuts a request after 10 s by default; a synchronous execution that takes longer
// must still get its answer (5 offline calls of 2.5 s each, one after another).
TEST(HttpExecute, SyncLongerThanTheDefaultRequestTimeoutIsAnswered) {
  server_options options;
  options.offline_latency = 2500ms;
  test_server server{options};
  auto response = server.execute_sync(book_request("slow-user", 4), 120s);
  ASSERT_EQ(response.status, 200) << describe(response);
  auto data = ok_data(response);
  EXPECT_EQ(data.value("status", std::string{}), "completed");
  EXPECT_EQ(data["usage"].value("calls", 0), 5);
  EXPECT_EQ(data["result"]["book"]["chapters"].size(), 4U);
}

}  // namespace
}  // namespace lekhika::e2e
