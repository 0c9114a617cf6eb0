#pragma once

// Starts the `fake-provider` executable (OpenAI, Anthropic and Gemini wire formats on a free
// loopback port, with injectable latency and faults) for a test, and reads its counters.
//
//   lekhika::testing::fake_provider_process fake;           // started, listening
//   env["OPENAI_BASE_URL"] = fake.base_url() + "/v1";        // model "fake-fail-503-times-2" ...
//   ...
//   EXPECT_TRUE(fake.wait_until([](const auto& s) { return s.aborted == 1; }));
//
// See tests/fake_provider/README.md for the directives and admin routes.

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lekhika::testing {

/// GET /_stats, parsed.
struct fake_provider_stats {
  struct counts {
    std::int64_t requests = 0;
    std::int64_t completed = 0;  ///< 2xx answers written in full
    std::int64_t aborted = 0;    ///< the client closed or reset before the answer was complete
    std::int64_t errors = 0;     ///< error statuses written, dropped sockets, drop-mid-stream
  };
  std::int64_t requests = 0;
  std::int64_t completed = 0;
  std::int64_t aborted = 0;
  std::int64_t errors = 0;
  std::int64_t active = 0;           ///< being answered now (not reset by /_reset)
  std::int64_t protocol_errors = 0;  ///< connections that sent something that is not HTTP
  std::map<std::string, counts> by_model;
  std::map<int, std::int64_t> by_status;  ///< the status chosen for each request
  nlohmann::json raw;
};

struct fake_provider_options {
  int threads = 1;
  bool require_auth = true;
  /// Extra command-line arguments, e.g. {"--latency-ms", "50"}.
  std::vector<std::string> extra_args;
  std::chrono::milliseconds start_timeout{10000};
};

/// The fake provider as a child process. Starting throws std::runtime_error when the binary
/// does not start listening in time. The destructor stops it (SIGTERM, then SIGKILL). The child
/// also exits by itself when this process dies (it watches a pipe on its stdin).
class fake_provider_process {
 public:
  explicit fake_provider_process(fake_provider_options options = {});
  ~fake_provider_process();
  fake_provider_process(const fake_provider_process&) = delete;
  fake_provider_process& operator=(const fake_provider_process&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// "http://127.0.0.1:<port>" (append "/v1" for an OpenAI base URL; Anthropic and Gemini use
  /// it as it is).
  [[nodiscard]] std::string base_url() const;
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  /// GET /_stats (throws std::runtime_error when the fake does not answer).
  [[nodiscard]] fake_provider_stats stats() const;
  /// POST /_reset: counters, log and `times-k` counters start again.
  void reset() const;
  /// GET /_log?limit=N&since=S: the log entries, oldest first (limit 0: all kept, 10,000 max).
  [[nodiscard]] nlohmann::json log(std::size_t limit = 0, std::uint64_t since = 0) const;
  /// POST /_config with any of latency_ms, ttft_ms, words, chunks; returns the new defaults.
  nlohmann::json configure(const nlohmann::json& defaults) const;
  /// Polls /_stats every few milliseconds until `done` holds; false after `timeout`.
  [[nodiscard]] bool wait_until(const std::function<bool(const fake_provider_stats&)>& done,
                                std::chrono::milliseconds timeout = std::chrono::seconds{10}) const;

  /// Stops the process now (idempotent).
  void stop();

 private:
  [[nodiscard]] std::string admin(const std::string& method, const std::string& path,
                                  const std::string& body = {}) const;

  pid_t pid_ = -1;
  int stdin_fd_ = -1;  ///< our end of the child's stdin; closing it makes the child exit
  std::uint16_t port_ = 0;
};

}  // namespace lekhika::testing
