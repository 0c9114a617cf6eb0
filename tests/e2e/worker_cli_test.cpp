// api.md §1: the `lekhika-worker` executable (--version, validate, run, Ctrl-C, serve's secret).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>

#include "lekhika/persistence/store.hpp"
#include "server_harness.hpp"

namespace lekhika::e2e {
namespace {

namespace fs = std::filesystem;

// The stored execution of a finished command (read from its SQLite file).
std::optional<persistence::execution_record> stored_execution(const fs::path& dir,
                                                              const std::string& id) {
  auto store = persistence::open_store("sqlite://" + (dir / "db.sqlite").string());
  if (!store) {
    ADD_FAILURE() << "cannot open the worker's database: " << store.error().message;
    return std::nullopt;
  }
  auto record = store.value()->get_execution(id, std::nullopt);
  if (!record) {
    ADD_FAILURE() << "cannot read execution " << id << ": " << record.error().message;
    return std::nullopt;
  }
  if (!record.value()) ADD_FAILURE() << "execution " << id << " is not stored";
  return record.value();
}

fs::path fixture_path(const std::string& name) { return *testing::fixtures_dir() / name; }

// The formats a request asks for, as canonical names of the text formats (md, html, txt).
std::set<std::string> requested_book_formats(const json& body) {
  std::set<std::string> out;
  const json* inputs = nullptr;
  if (body.contains("inputs") && body["inputs"].is_object()) inputs = &body["inputs"];
  if (body.contains("userInput") && body["userInput"].is_object()) inputs = &body["userInput"];
  if (inputs == nullptr || !inputs->contains("output_formats")) return out;
  for (const auto& f : (*inputs)["output_formats"]) {
    if (!f.is_string()) continue;
    const auto name = f.get<std::string>();
    if (name == "md" || name == "markdown") out.insert("md");
    if (name == "html") out.insert("html");
    if (name == "txt" || name == "text") out.insert("txt");
    if (name == "epub" || name == "docx" || name == "pdf") out.insert(name);
  }
  return out;
}

bool has_output_node(const json& body) {
  const json& flow = body.contains("workflow") ? body["workflow"] : body;
  for (const auto& n : flow["nodes"]) {
    if (n.value("type", std::string{}) == "output") return true;
  }
  return false;
}

TEST(WorkerCli, VersionExitsZero) {
  testing::temp_dir dir;
  auto result = run_worker({"--version"}, {}, dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("lekhika-worker"), std::string::npos) << result.out;
}

TEST(WorkerCli, HelpExitsZero) {
  testing::temp_dir dir;
  auto result = run_worker({"--help"}, {}, dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("validate"), std::string::npos) << result.out;
}

TEST(WorkerCli, ValidateBareFictionFlowListsEveryMissingModel) {
  LEKHIKA_REQUIRE_FIXTURES();
  testing::temp_dir dir;
  auto result = run_worker({"validate", fixture_path("flow-fiction-novel-branching.json").string()},
                           worker_env(dir.path()), dir.path());
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  const auto flow = testing::load_fixture("flow-fiction-novel-branching.json");
  for (std::size_t i = 0; i < flow["nodes"].size(); ++i) {
    const auto id = flow["nodes"][i].value("id", std::string{});
    if (id != "architect-1" && id != "writer-1" && id != "editor-1") continue;
    const auto path = "/nodes/" + std::to_string(i) + "/data/selectedModels";
    EXPECT_NE(result.out.find(path), std::string::npos) << id << ": " << path << " not in:\n"
                                                        << result.out;
    EXPECT_NE(result.out.find(id), std::string::npos) << id << " not named in:\n" << result.out;
  }
}

TEST(WorkerCli, ValidateNeedsTheOpenAiKeyOfTheFixture) {
  LEKHIKA_REQUIRE_FIXTURES();
  testing::temp_dir dir;
  const auto file = fixture_path("payload-execute-test-flow-4-nodes.json").string();
  auto env = worker_env(dir.path());
  auto without = run_worker({"validate", file}, env, dir.path(), "without-key");
  EXPECT_EQ(without.exit_code, 2) << without.out << without.err;
  EXPECT_NE(without.out.find("/workflow/nodes/1/data/selectedModels/0"), std::string::npos)
      << without.out;
  EXPECT_NE(without.out.find("/workflow/nodes/2/data/selectedModels/0"), std::string::npos)
      << without.out;

  env["OPENAI_API_KEY"] = "sk-e2e-not-a-real-key";
  auto with = run_worker({"validate", file}, env, dir.path(), "with-key");
  EXPECT_EQ(with.exit_code, 0) << with.out << with.err;
  EXPECT_EQ(with.out.find("sk-e2e-not-a-real-key"), std::string::npos) << "the key was printed";
  EXPECT_EQ(with.err.find("sk-e2e-not-a-real-key"), std::string::npos) << "the key was printed";
}

TEST(WorkerCli, ValidateAcceptsTheProjectsExample) {
  testing::temp_dir dir;
  auto result =
      run_worker({"validate", (testing::source_dir() / "examples/sample-book.json").string()},
                 worker_env(dir.path()), dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST(WorkerCli, RunEveryFixturePayloadOffline) {
  LEKHIKA_REQUIRE_FIXTURES();
  for (const char* name :
       {"payload-execute-story-3ch-openai.json",
        "payload-execute-fiction-novel-branching-12ch.json",
        "payload-execute-test-flow-4-nodes.json", "payload-execute-audiobook-preview.json",
        "request-execute-legacy-execution-worker.json", "request-execute-readme-minimal.json"}) {
    SCOPED_TRACE(name);
    testing::temp_dir dir;
    const auto out = dir.path() / "out";
    auto result =
        run_worker({"run", fixture_path(name).string(), "--offline", "--out", out.string()},
                   worker_env(dir.path()), dir.path());
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto body = testing::load_fixture(name);
    const auto id = body.value("executionId", std::string{});
    auto record = stored_execution(dir.path(), id);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->status, "completed");
    if (!has_output_node(body)) continue;  // nothing to export (request-execute-readme-minimal)

    auto formats = requested_book_formats(body);
    if (formats.empty()) formats.insert("md");  // nothing producible asked for: markdown
    for (const auto& format : formats) {
      const auto file = out / ("book." + format);
      ASSERT_TRUE(fs::exists(file)) << file;
      EXPECT_GT(fs::file_size(file), 0U) << file;
      // The same bytes as the stored artifact's inline content.
      ASSERT_TRUE(record->output.is_object() && record->output.contains("formats"));
      EXPECT_EQ(record->output["formats"][format].value("bytes", 0U), fs::file_size(file));
    }
    ASSERT_TRUE(record->result.is_object() && record->result["book"].is_object());
    EXPECT_FALSE(record->result["book"]["chapters"].empty());
  }
}

TEST(WorkerCli, RunTwelveChapterFixtureWritesTwelveChapters) {
  LEKHIKA_REQUIRE_FIXTURES();
  testing::temp_dir dir;
  const auto out = dir.path() / "out";
  auto result =
      run_worker({"run", fixture_path("payload-execute-fiction-novel-branching-12ch.json").string(),
                  "--offline", "--out", out.string()},
                 worker_env(dir.path()), dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto record = stored_execution(dir.path(), "00000000-0000-4000-8000-000000000002");
  ASSERT_TRUE(record);
  const auto& chapters = record->result["book"]["chapters"];
  ASSERT_EQ(chapters.size(), 12U);
  // The form asked for pdf and docx: both are written, and nothing is reported missing.
  const auto pdf = read_text(out / "book.pdf");
  ASSERT_GT(pdf.size(), 1000U);
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
  const auto docx = read_text(out / "book.docx");
  ASSERT_GT(docx.size(), 1000U);
  EXPECT_EQ(docx.substr(0, 2), "PK");  // a zip package
  EXPECT_EQ(record->output.value("warnings", json::array()).dump().find("pdf"), std::string::npos);
  for (const auto& ch : chapters) EXPECT_FALSE(ch.value("title", std::string{}).empty());
}

TEST(WorkerCli, RunAudiobookFixtureWarnsAboutAudioAndWritesText) {
  LEKHIKA_REQUIRE_FIXTURES();
  testing::temp_dir dir;
  const auto out = dir.path() / "out";
  auto result = run_worker({"run", fixture_path("payload-execute-audiobook-preview.json").string(),
                            "--offline", "--out", out.string()},
                           worker_env(dir.path()), dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(fs::exists(out / "book.txt"));
  EXPECT_FALSE(fs::exists(out / "book.mp3"));
  EXPECT_FALSE(fs::exists(out / "book.m4a"));
  auto record = stored_execution(dir.path(), "00000000-0000-4000-8000-000000000004");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->status, "completed");
  ASSERT_TRUE(record->output.is_object());
  const auto warnings = record->output.value("warnings", json::array()).dump();
  EXPECT_NE(warnings.find("mp3"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("m4a"), std::string::npos) << warnings;
  EXPECT_TRUE(record->output["formats"].contains("txt"));
  EXPECT_FALSE(record->output["formats"].contains("mp3"));
}

TEST(WorkerCli, RunRejectsAFileThatIsNotJson) {
  testing::temp_dir dir;
  const auto file = dir.path() / "not-json.json";
  write_text(file, "this is not { json");
  auto result = run_worker({"run", file.string(), "--offline"}, worker_env(dir.path()), dir.path());
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_FALSE(result.err.empty());

  auto missing = run_worker({"run", (dir.path() / "missing.json").string(), "--offline"},
                            worker_env(dir.path()), dir.path(), "missing");
  EXPECT_EQ(missing.exit_code, 2) << missing.err;

  const auto invalid = dir.path() / "invalid.json";
  auto body = book_request("cli", 1);
  body["workflow"]["nodes"][1]["data"].erase("selectedModels");
  write_text(invalid, body.dump());
  auto refused =
      run_worker({"run", invalid.string()}, worker_env(dir.path()), dir.path(), "invalid");
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("/workflow/nodes/1/data/selectedModels"), std::string::npos)
      << refused.err;
}

TEST(WorkerCli, RunJsonPrintsOneJsonObjectPerLine) {
  testing::temp_dir dir;
  const auto out = dir.path() / "out";
  auto result = run_worker({"run", (testing::source_dir() / "examples/sample-book.json").string(),
                            "--json", "--out", out.string()},
                           worker_env(dir.path()), dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = lines_of(result.out);
  ASSERT_GE(lines.size(), 3U) << result.out;
  std::int64_t last_seq = 0;
  std::set<std::string> types;
  for (const auto& line : lines) {
    auto parsed = json::parse(line, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << "not JSON: " << line;
    ASSERT_TRUE(parsed.is_object()) << line;
    if (parsed.contains("seq")) {
      EXPECT_GT(parsed["seq"].get<std::int64_t>(), last_seq) << line;
      last_seq = parsed["seq"].get<std::int64_t>();
      types.insert(parsed.value("type", std::string{}));
    }
  }
  EXPECT_TRUE(types.contains("execution.completed")) << result.out.substr(0, 2000);
  EXPECT_TRUE(types.contains("node.completed"));
  const auto summary = json::parse(lines.back(), nullptr, false);
  EXPECT_EQ(summary.value("status", std::string{}), "completed") << lines.back();
  EXPECT_TRUE(fs::exists(out / "book.md"));
  EXPECT_TRUE(fs::exists(out / "book.html"));
  EXPECT_TRUE(fs::exists(out / "book.txt"));
}

// --formats is the whole list: the output node's own exportFormats are not added to it.
TEST(WorkerCli, RunFormatsFlagChoosesExactlyTheFilesWritten) {
  testing::temp_dir dir;
  const auto out = dir.path() / "out";
  auto result = run_worker({"run", (testing::source_dir() / "examples/sample-book.json").string(),
                            "--offline", "--formats", "pdf,epub", "--out", out.string()},
                           worker_env(dir.path()), dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::set<std::string> written;
  for (const auto& entry : fs::directory_iterator(out)) {
    written.insert(entry.path().filename().string());
  }
  EXPECT_EQ(written, (std::set<std::string>{"book.epub", "book.pdf"}));
  EXPECT_EQ(read_text(out / "book.pdf").substr(0, 5), "%PDF-");
}

TEST(WorkerCli, SigintCancelsRunAndKeepsThePartialBook) {
  testing::temp_dir dir;
  auto body = book_request("cli-user", 8);
  body["executionId"] = "e2e-sigint-run";
  const auto file = dir.path() / "book.json";
  write_text(file, body.dump());
  auto env = worker_env(dir.path());
  env["LEKHIKA_OFFLINE_LATENCY_MS"] = "500";
  worker_process process{{"run", file.string(), "--json", "--out", (dir.path() / "out").string()},
                         env,
                         dir.path(),
                         dir.path()};

  // Wait for the writer's second chapter, then press Ctrl-C.
  int chapters_seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (chapters_seen < 2 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_FALSE(process.poll()) << "run ended before the interrupt: " << process.err();
    for (const auto& line : lines_of(process.out())) {
      auto event = json::parse(line, nullptr, false);
      if (event.is_discarded() || event.value("type", std::string{}) != "node.progress") continue;
      if (event["data"].value("nodeId", std::string{}) != "writer") continue;
      chapters_seen = std::max(chapters_seen, event["data"].value("chapter", 0));
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_GE(chapters_seen, 2) << process.out();
  process.signal(SIGINT);
  auto code = process.wait();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 130) << process.err();

  const auto lines = lines_of(process.out());
  ASSERT_FALSE(lines.empty());
  const auto summary = json::parse(lines.back(), nullptr, false);
  EXPECT_EQ(summary.value("status", std::string{}), "cancelled") << lines.back();

  auto record = stored_execution(dir.path(), "e2e-sigint-run");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->status, "cancelled");
  ASSERT_TRUE(record->result.is_object() && record->result["book"].is_object())
      << "partial book not stored: " << record->result.dump().substr(0, 1000);
  EXPECT_GE(record->result["book"]["chapters"].size(), static_cast<std::size_t>(chapters_seen));
  EXPECT_LT(record->result["book"]["chapters"].size(), 8U);
  EXPECT_GT(record->usage.value("calls", 0), chapters_seen);
}

/// `lekhika-worker ARGS...` with a pseudo-terminal as its controlling terminal, stdin and
/// stderr (stdout goes to a file): what a person at a terminal sees, and keys typed there
/// (Ctrl-C reaches it as SIGINT through the terminal, as it would for a person).
class terminal_process {
 public:
  terminal_process(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const fs::path& dir)
      : out_path_(dir / "terminal.stdout") {
    std::map<std::string, std::string> terminal_env = env;
    terminal_env.emplace("TERM", "xterm");
    const worker_command command{args, terminal_env};
    char* const* argv = command.argv();
    char* const* envp = command.envp();
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
    std::array<char, 128> name{};
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0 ||
        ::ptsname_r(master_, name.data(), name.size()) != 0) {
      throw std::runtime_error("cannot open a pseudo-terminal");
    }
    const std::string cwd = dir.string();
    const std::string out = out_path_.string();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec. A new session whose first terminal
      // opened becomes its controlling terminal, with this process group in the foreground.
      reset_signals_after_fork();
      ::setsid();
      const int tty = ::open(name.data(), O_RDWR);
      const int stdout_file = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (tty < 0 || stdout_file < 0 || ::chdir(cwd.c_str()) != 0) ::_exit(126);
      ::dup2(tty, STDIN_FILENO);
      ::dup2(stdout_file, STDOUT_FILENO);
      ::dup2(tty, STDERR_FILENO);
      ::execve(argv[0], argv, envp);
      ::_exit(127);
    }
    // The terminal is read all along, or the worker would block once its buffer is full.
    reader_ = std::thread([this] {
      std::array<char, 4096> buffer{};
      for (;;) {
        pollfd ready{master_, POLLIN, 0};
        if (::poll(&ready, 1, 100) < 0) return;
        if ((ready.revents & POLLIN) != 0) {
          const auto n = ::read(master_, buffer.data(), buffer.size());
          if (n <= 0) return;  // EIO: the worker has closed the terminal
          std::lock_guard lock{mutex_};
          screen_.append(buffer.data(), static_cast<std::size_t>(n));
        } else if ((ready.revents & (POLLHUP | POLLERR)) != 0 || stop_) {
          return;
        }
      }
    });
  }
  terminal_process(const terminal_process&) = delete;
  terminal_process& operator=(const terminal_process&) = delete;
  ~terminal_process() {
    if (!exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    ::close(master_);
  }

  /// Types on the terminal.
  void type(std::string_view keys) const { (void)!::write(master_, keys.data(), keys.size()); }

  /// Everything written on the terminal so far.
  [[nodiscard]] std::string screen() const {
    std::lock_guard lock{mutex_};
    return screen_;
  }

  [[nodiscard]] std::string out() const { return read_text(out_path_); }

  std::optional<int> wait() {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = exit_code_of(status);
        return exit_code_;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "the run did not exit in time; terminal: " << screen();
    return std::nullopt;
  }

 private:
  fs::path out_path_;
  int master_ = -1;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::string screen_;
  std::thread reader_;
};

// api.md §1: on a terminal, `run` redraws one progress bar line; Ctrl-C typed there cancels
// the execution, keeps its partial book and exits 130.
TEST(WorkerCli, OnATerminalRunDrawsAProgressBarAndCtrlCCancels) {
  testing::temp_dir dir;
  auto body = book_request("terminal-user", 8);
  body["executionId"] = "e2e-terminal-run";
  const auto file = dir.path() / "book.json";
  write_text(file, body.dump());
  auto env = worker_env(dir.path());
  env["LEKHIKA_OFFLINE_LATENCY_MS"] = "300";
  terminal_process run{
      {"run", file.string(), "--out", (dir.path() / "out").string()}, env, dir.path()};

  // The bar is redrawn in place (carriage return, erase line) and shows the writer's chapters.
  const std::string redraw = "\r\033[2K[";
  ASSERT_TRUE(eventually(
      [&] {
        const auto screen = run.screen();
        std::size_t redraws = 0;
        for (auto at = screen.find(redraw); at != std::string::npos;
             at = screen.find(redraw, at + 1)) {
          ++redraws;
        }
        return redraws >= 3 && screen.find("writer chapter 2/8") != std::string::npos &&
               screen.find('#') != std::string::npos;
      },
      kPatience))
      << run.screen();
  EXPECT_NE(run.screen().find("%"), std::string::npos);
  EXPECT_EQ(run.screen().find("\"type\""), std::string::npos) << "JSON lines on a terminal";

  run.type("\x03");  // Ctrl-C
  auto code = run.wait();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 130) << run.screen();
  EXPECT_NE(run.screen().find("cancelling"), std::string::npos) << run.screen();
  auto record = stored_execution(dir.path(), "e2e-terminal-run");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->status, "cancelled");
  EXPECT_TRUE(record->result.is_object() && record->result["book"].is_object()) << run.screen();
}

TEST(WorkerCli, ServeRefusesAPlaceholderSecret) {
  testing::temp_dir dir;
  auto env = worker_env(dir.path());
  env["INTERNAL_API_SECRET"] = "changeme";
  auto refused = run_worker({"serve", "--port", "0"}, env, dir.path(), "refused");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("INTERNAL_API_SECRET"), std::string::npos) << refused.err;

  // Unset and too short are refused as well.
  env.erase("INTERNAL_API_SECRET");
  EXPECT_NE(run_worker({"serve", "--port", "0"}, env, dir.path(), "unset").exit_code, 0);
  env["INTERNAL_API_SECRET"] = "short-secret";
  EXPECT_NE(run_worker({"serve", "--port", "0"}, env, dir.path(), "short").exit_code, 0);
}

TEST(WorkerCli, ServeWithInsecureDevStartsAndStopsOnSigterm) {
  testing::temp_dir dir;
  auto env = worker_env(dir.path());
  env["INTERNAL_API_SECRET"] = "changeme";
  env["LOG_LEVEL"] = "info";
  worker_process process{
      {"serve", "--insecure-dev", "--port", "0"}, env, dir.path(), dir.path(), "serve"};

  // The listening line names the port.
  int port = 0;
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (port == 0 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_FALSE(process.poll()) << "serve exited: " << process.err();
    for (const auto& line : lines_of(process.err())) {
      auto entry = json::parse(line, nullptr, false);
      if (!entry.is_discarded() && entry.value("msg", std::string{}) == "http server listening") {
        port = entry.value("port", 0);
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_GT(port, 0) << process.err();
  EXPECT_NE(process.err().find("INSECURE"), std::string::npos)
      << "no warning at start: " << process.err();
  EXPECT_EQ(process.err().find("changeme"), std::string::npos) << "the secret was logged";

  testing::http_request health;
  health.url = "http://127.0.0.1:" + std::to_string(port) + "/health";
  auto response = testing::perform(health);
  EXPECT_EQ(response.status, 200) << describe(response);

  process.signal(SIGTERM);
  auto code = process.wait();
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << process.err();
}

}  // namespace
}  // namespace lekhika::e2e
