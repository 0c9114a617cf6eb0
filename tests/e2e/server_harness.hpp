#pragma once

// Shared helpers of the end-to-end tests: the real engine and HTTP server started in-process on
// a free loopback port, request helpers over real sockets (libcurl), workflows written for these
// tests (offline provider), and a child-process runner for the `lekhika-worker` executable.

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "lekhika/actors/engine.hpp"
#include "lekhika/actors/log.hpp"
#include "lekhika/http/server.hpp"
#include "lekhika/providers/catalog.hpp"
#include "lekhika/testing/fixtures.hpp"
#include "lekhika/testing/http_client.hpp"
#include "lekhika/testing/temp_dir.hpp"

namespace lekhika::e2e {

using json = nlohmann::json;
using namespace std::chrono_literals;
using testing::http_request;
using testing::http_response;

/// Whether this is the ThreadSanitizer build. Load tests, whose point is how much runs at once,
/// skip there: TSan slows every thread many times over, so their figures mean nothing (they run
/// in the default and ASan builds; TSan still runs every other end-to-end test).
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kUnderThreadSanitizer = true;
#else
inline constexpr bool kUnderThreadSanitizer = false;
#endif

/// The shared secret every test server is started with.
inline constexpr std::string_view kSecret = "a-test-secret-of-32-characters!!";

/// The header that authenticates a request.
inline std::string auth_header() { return "X-Internal-Auth: " + std::string{kSecret}; }

/// How long a test waits for something that should happen quickly before giving up. Only a
/// safety net against hangs: no test asserts on elapsed time.
inline constexpr std::chrono::seconds kPatience{90};

// ---- the server ----------------------------------------------------------------------------

/// How a test server is configured.
struct server_options {
  std::size_t max_body_bytes = 8388608;
  std::chrono::milliseconds offline_latency{0};
  int max_running = 2000;
  int max_queued = 100000;
  int tenant_max_running = 50;
  /// The environment the provider catalog sees (nothing else: the real environment of the test
  /// process never leaks in, so OPENAI_API_KEY is unset unless a test sets it here).
  std::map<std::string, std::string> env;
  /// LEKHIKA_PROVIDERS_FILE content (null: none).
  json providers_file = nullptr;
  /// Timeouts, retries and per-key defaults of network calls.
  actors::call_policy calls;
};

/// The real engine + HTTP server on 127.0.0.1:<free port>, with a temporary SQLite database.
class test_server {
 public:
  explicit test_server(server_options options = {}) : options_(std::move(options)) {
    log::configure(log::level::error, false);
    actors::engine_settings settings;
    settings.database_url = "sqlite://" + (dir_.path() / "db.sqlite").string();
    settings.artifact_dir = (dir_.path() / "artifacts").string();
    settings.offline_latency = options_.offline_latency;
    settings.max_running_executions = options_.max_running;
    settings.max_queued_executions = options_.max_queued;
    settings.tenant_max_running = options_.tenant_max_running;
    settings.scheduler_threads = 4;
    settings.worker_id = "e2e-test";
    auto env = options_.env;
    providers::env_lookup lookup = [env](std::string_view name) -> std::optional<std::string> {
      auto it = env.find(std::string{name});
      if (it == env.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
    settings.calls = options_.calls;
    auto catalog = providers::provider_catalog::build(lookup, options_.providers_file);
    if (!catalog) throw std::runtime_error("provider catalog: " + catalog.error().message);
    auto started = actors::engine::start(settings, std::move(catalog).value());
    if (!started) throw std::runtime_error("engine start: " + started.error().message);
    engine_ = std::move(started).value();

    http::server_settings http_settings;
    http_settings.host = "127.0.0.1";
    http_settings.port = 0;
    http_settings.max_body_bytes = options_.max_body_bytes;
    http_settings.auth_secret = providers::secret{std::string{kSecret}};
    http_settings.threads = 2;
    http_settings.version = "e2e";
    auto server = http::http_server::start(http_settings, *engine_);
    if (!server) {
      engine_->stop();
      throw std::runtime_error("http server start: " + server.error().message);
    }
    server_ = std::move(server).value();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  ~test_server() {
    if (server_) server_->stop();
    if (engine_) engine_->stop();
  }

  [[nodiscard]] const std::string& base() const noexcept { return base_; }
  [[nodiscard]] std::string url(std::string_view path) const { return base_ + std::string{path}; }
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_.path(); }

  /// Any request; `auth` adds X-Internal-Auth.
  [[nodiscard]] http_response request(const std::string& method, std::string_view path,
                                      std::string body = {}, std::vector<std::string> headers = {},
                                      bool auth = true,
                                      std::chrono::milliseconds timeout = 30s) const {
    http_request req;
    req.method = method;
    req.url = url(path);
    req.body = std::move(body);
    req.headers = std::move(headers);
    if (auth) req.headers.push_back(auth_header());
    req.timeout = timeout;
    return testing::perform(req);
  }

  [[nodiscard]] http_response get(std::string_view path) const { return request("GET", path); }

  /// POST with a JSON body (Content-Type: application/json) and the secret.
  [[nodiscard]] http_response post_json(std::string_view path, const json& body,
                                        std::vector<std::string> headers = {},
                                        std::chrono::milliseconds timeout = 30s) const {
    headers.emplace_back("Content-Type: application/json");
    return request("POST", path, body.dump(), std::move(headers), true, timeout);
  }

  /// POST /execute synchronously (waits for the end).
  [[nodiscard]] http_response execute_sync(const json& body,
                                           std::chrono::milliseconds timeout = kPatience) const {
    return post_json("/execute", body, {}, timeout);
  }

  /// POST /execute with `Prefer: respond-async`.
  [[nodiscard]] http_response execute_async(const json& body) const {
    return post_json("/execute", body, {"Prefer: respond-async"});
  }

 private:
  server_options options_;
  testing::temp_dir dir_;
  std::unique_ptr<actors::engine> engine_;
  std::unique_ptr<http::http_server> server_;
  std::string base_;
};

// ---- answers -------------------------------------------------------------------------------

/// The parsed body; an empty object (and a test failure) when it is not JSON.
inline json body_of(const http_response& response) {
  auto parsed = json::parse(response.body, nullptr, false);
  if (parsed.is_discarded()) {
    ADD_FAILURE() << "answer is not JSON (status " << response.status << "): " << response.body;
    return json::object();
  }
  return parsed;
}

/// Describes an answer for failure messages (status, transport error, start of the body).
inline std::string describe(const http_response& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  if (!response.transport_error.empty()) text += " (transport: " + response.transport_error + ")";
  text += ": " + response.body.substr(0, 2000);
  return text;
}

/// `{"success":false,"error":{"code":code,"message":...}}` with `status`.
inline ::testing::AssertionResult is_error(const http_response& response, long status,
                                           const std::string& code) {
  if (response.status != status) {
    return ::testing::AssertionFailure()
           << "expected HTTP " << status << " " << code << ", got " << describe(response);
  }
  auto body = json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ::testing::AssertionFailure() << "error answer is not a JSON object: " << response.body;
  }
  if (body.value("success", true) != false) {
    return ::testing::AssertionFailure() << "success is not false: " << response.body;
  }
  if (!body.contains("error") || !body["error"].is_object() ||
      body["error"].value("code", std::string{}) != code || !body["error"].contains("message") ||
      !body["error"]["message"].is_string()) {
    return ::testing::AssertionFailure()
           << "expected error.code '" << code << "' with a message, got: " << response.body;
  }
  return ::testing::AssertionSuccess();
}

/// `{"success":true,"data":{...}}` with `status`; returns data (an empty object, and a test
/// failure, when the answer is not that).
inline json ok_data(const http_response& response, long status = 200) {
  EXPECT_EQ(response.status, status) << describe(response);
  auto body = json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    ADD_FAILURE() << "answer is not a JSON object: " << describe(response);
    return json::object();
  }
  EXPECT_EQ(body.value("success", false), true) << response.body.substr(0, 2000);
  if (!body.contains("data")) {
    ADD_FAILURE() << "no data in " << response.body.substr(0, 2000);
    return json::object();
  }
  return body["data"];
}

/// The `details[*].path` of a 422 answer.
inline std::set<std::string> problem_paths(const http_response& response) {
  std::set<std::string> paths;
  auto body = json::parse(response.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("error")) return paths;
  const auto& error = body["error"];
  if (!error.contains("details") || !error["details"].is_array()) return paths;
  for (const auto& d : error["details"]) {
    if (d.is_object() && d.contains("path") && d["path"].is_string()) {
      paths.insert(d["path"].get<std::string>());
    }
  }
  return paths;
}

inline std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

inline bool is_terminal(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

/// Polls GET /executions/{id} until `done(data)` holds and returns that data (an empty object,
/// and a test failure, when it does not happen). `seen` is called with every data polled.
inline json poll_execution(const test_server& server, const std::string& id,
                           const std::function<bool(const json&)>& done,
                           const std::function<void(const json&)>& seen = {},
                           std::chrono::milliseconds interval = 20ms) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  json last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto response = server.get("/executions/" + id);
    if (response.status == 200) {
      auto body = json::parse(response.body, nullptr, false);
      if (!body.is_discarded() && body.contains("data")) {
        last = body["data"];
        if (seen) seen(last);
        if (done(last)) return last;
      }
    } else {
      // Every caller polls an execution it was told exists (a 404 here is a lost execution).
      ADD_FAILURE() << "GET /executions/" << id << ": " << describe(response);
      return json::object();
    }
    std::this_thread::sleep_for(interval);
  }
  ADD_FAILURE() << "execution " << id
                << " did not reach the expected state; last seen: " << last.dump().substr(0, 2000);
  return json::object();
}

/// Polls until the execution is completed, failed or cancelled and its end is recorded
/// (finishedAt set). Whether the first terminal view is already complete is checked by
/// HttpExecutionView.TerminalStatusComesWithItsEnd, not here.
inline json wait_terminal(const test_server& server, const std::string& id,
                          const std::function<void(const json&)>& seen = {}) {
  return poll_execution(
      server, id,
      [](const json& d) {
        return d.is_object() && is_terminal(d.value("status", std::string{})) &&
               d.contains("finishedAt") && d["finishedAt"].is_string();
      },
      seen);
}

// ---- workflows written for these tests (offline provider) ----------------------------------

/// input -> outline (story_outliner) -> writer (content_writer) -> output (md):
/// one model call for the outline and one per chapter.
inline json book_workflow() {
  const json offline = json::array({"offline:draft"});
  return {
      {"nodes",
       json::array({
           {{"id", "input"},
            {"type", "input"},
            {"data", {{"label", "Input"}, {"role", "story_input"}}}},
           {{"id", "outline"},
            {"type", "process"},
            {"data",
             {{"label", "Outline"},
              {"role", "story_outliner"},
              {"selectedModels", offline},
              {"systemPrompt", "You plan short books."},
              {"userPrompt", "Outline {chapter_count} chapters of {book_title} about {topic}."}}}},
           {{"id", "writer"},
            {"type", "process"},
            {"data",
             {{"label", "Writer"},
              {"role", "content_writer"},
              {"selectedModels", offline},
              {"systemPrompt", "You write warm, clear prose."},
              {"userPrompt",
               "Write chapter {currentChapter} of {totalChapters}: {chapterTitle}."}}}},
           {{"id", "output"},
            {"type", "output"},
            {"data",
             {{"label", "Output"},
              {"role", "output_processor"},
              {"exportFormats", json::array({"md"})}}}},
       })},
      {"edges", json::array({
                    {{"id", "e1"}, {"source", "input"}, {"target", "outline"}},
                    {{"id", "e2"}, {"source", "outline"}, {"target", "writer"}},
                    {{"id", "e3"}, {"source", "writer"}, {"target", "output"}},
                })},
      {"models", json::array()},
  };
}

/// A `POST /execute` body (worker shape) for book_workflow() with `chapters` chapters.
inline json book_request(const std::string& user_id, int chapters,
                         const std::string& title = "The Cartographer's Daughter") {
  return {
      {"userId", user_id},
      {"workflow", book_workflow()},
      {"inputs",
       {{"book_title", title},
        {"author_name", "E2E Author"},
        {"topic", "a girl who maps a city that changes every night"},
        {"chapter_count", std::to_string(chapters)},
        {"word_count", "1500"},
        {"output_formats", json::array({"md"})}}},
  };
}

/// The number of chapters the writer has finished, from GET /executions/{id} data.
inline int writer_chapters_done(const json& data) {
  if (!data.is_object() || !data.contains("nodes")) return 0;
  const auto& nodes = data["nodes"];
  if (!nodes.contains("writer") || !nodes["writer"].contains("chapters")) return 0;
  return nodes["writer"]["chapters"].value("done", 0);
}

/// Polls `probe` every 10 ms until it holds; false after `limit` (a safety net only).
inline bool eventually(const std::function<bool()>& probe,
                       std::chrono::milliseconds limit = std::chrono::seconds{30}) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return probe();
}

// ---- the executable ------------------------------------------------------------------------

/// Reads a whole file ("" when it cannot).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Writes a whole file.
inline void write_text(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
}

/// `lekhika-worker ARGS...` started with fork/exec in `cwd`, with exactly `env` as its
/// environment (plus PATH), stdin from /dev/null and stdout/stderr to files in `io_dir`.
/// Killed (SIGKILL) on destruction if it is still running.
/// The argv and environment of a `lekhika-worker` child, built before fork (exec needs them as
/// arrays of C strings): the binary, `args`, a fixed PATH, this process's sanitizer settings
/// (suppressions) unless `env` sets them, then `env`.
class worker_command {
 public:
  worker_command(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env) {
    argv_text_.emplace_back(LEKHIKA_WORKER_BINARY);
    argv_text_.insert(argv_text_.end(), args.begin(), args.end());
    env_text_.emplace_back("PATH=/usr/local/bin:/usr/bin:/bin");
    for (const char* option : {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"}) {
      if (const char* value = std::getenv(option); value != nullptr && env.count(option) == 0) {
        env_text_.push_back(std::string{option} + "=" + value);
      }
    }
    for (const auto& [key, value] : env) env_text_.push_back(key + "=" + value);
    for (auto& a : argv_text_) argv_.push_back(a.data());
    argv_.push_back(nullptr);
    for (auto& e : env_text_) envp_.push_back(e.data());
    envp_.push_back(nullptr);
  }
  worker_command(const worker_command&) = delete;
  worker_command& operator=(const worker_command&) = delete;

  [[nodiscard]] char* const* argv() const noexcept { return argv_.data(); }
  [[nodiscard]] char* const* envp() const noexcept { return envp_.data(); }

 private:
  std::vector<std::string> argv_text_;
  std::vector<std::string> env_text_;
  std::vector<char*> argv_;
  std::vector<char*> envp_;
};

/// In a forked child before exec: no signal blocked, and the default action for the signals
/// the test process may handle or ignore (async-signal-safe calls only).
inline void reset_signals_after_fork() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction defaults {};  // sa_handler == SIG_DFL
  sigaction(SIGINT, &defaults, nullptr);
  sigaction(SIGTERM, &defaults, nullptr);
  sigaction(SIGPIPE, &defaults, nullptr);
}

/// A waitpid() status as an exit code: 128 + N when killed by signal N. Decoded by hand: the
/// wait macros expand to old-style casts.
inline int exit_code_of(int status) {
  const int sig = status & 0x7f;
  return sig == 0 ? (status >> 8) & 0xff : 128 + sig;
}

class worker_process {
 public:
  worker_process(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env, const std::filesystem::path& cwd,
                 const std::filesystem::path& io_dir, const std::string& name = "worker")
      : out_path_(io_dir / (name + ".stdout")), err_path_(io_dir / (name + ".stderr")) {
    worker_command command{args, env};
    char* const* argv = command.argv();
    char* const* envp = command.envp();
    const std::string cwd_text = cwd.string();
    const std::string out_text = out_path_.string();
    const std::string err_text = err_path_.string();

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      reset_signals_after_fork();
      const int in = ::open("/dev/null", O_RDONLY);
      const int out = ::open(out_text.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(err_text.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0 || err < 0) ::_exit(126);
      ::dup2(in, STDIN_FILENO);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(err, STDERR_FILENO);
      if (::chdir(cwd_text.c_str()) != 0) ::_exit(126);
      ::execve(argv[0], argv, envp);
      ::_exit(127);
    }
  }

  worker_process(const worker_process&) = delete;
  worker_process& operator=(const worker_process&) = delete;

  ~worker_process() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  /// Sends a signal to the process.
  void signal(int sig) const { ::kill(pid_, sig); }

  /// The exit code once it has exited (128 + N when killed by signal N); nullopt while running.
  std::optional<int> poll() {
    if (exit_code_) return exit_code_;
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) exit_code_ = exit_code_of(status);
    return exit_code_;
  }

  /// Waits for the exit; nullopt (and a test failure) when it takes longer than `limit`.
  std::optional<int> wait(std::chrono::milliseconds limit = kPatience) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto code = poll()) return code;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "lekhika-worker (pid " << pid_
                  << ") did not exit in time; stderr: " << read_text(err_path_).substr(0, 2000);
    return std::nullopt;
  }

  [[nodiscard]] std::string out() const { return read_text(out_path_); }
  [[nodiscard]] std::string err() const { return read_text(err_path_); }

 private:
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

/// The finished run of a command.
struct worker_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `lekhika-worker ARGS...` to its end.
inline worker_result run_worker(const std::vector<std::string>& args,
                                const std::map<std::string, std::string>& env,
                                const std::filesystem::path& cwd,
                                const std::string& name = "worker") {
  worker_process process{args, env, cwd, cwd, name};
  worker_result result;
  result.exit_code = process.wait().value_or(-1);
  result.out = process.out();
  result.err = process.err();
  return result;
}

/// The usual environment of a worker in `dir`: its own SQLite file and artifact folder.
inline std::map<std::string, std::string> worker_env(const std::filesystem::path& dir) {
  return {{"DATABASE_URL", "sqlite://" + (dir / "db.sqlite").string()},
          {"ARTIFACT_DIR", (dir / "art").string()},
          {"LOG_LEVEL", "warn"}};
}

/// The non-empty lines of a text.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace lekhika::e2e
