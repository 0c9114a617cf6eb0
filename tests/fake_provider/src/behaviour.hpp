#pragma once

// What a request asks the fake provider to do: the directives in its model name (or in the
// X-Fake-Behaviour header), the server-wide defaults, and the deterministic placeholder prose.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fake_provider {

/// Server-wide defaults (CLI flags, POST /_config).
struct defaults {
  int latency_ms = 100;  ///< whole answer time, first byte of the request to the last chunk
  int ttft_ms = 20;      ///< time to the first content chunk
  int words = 60;        ///< words in an answer
  int chunks = 8;        ///< content chunks in a streamed answer
};

/// The directives of one request. Unknown directives are ignored.
struct behaviour {
  std::optional<int> latency_ms;         ///< slow-<ms>
  std::optional<int> ttft_ms;            ///< ttft-<ms>
  std::optional<int> words;              ///< words-<n>
  std::optional<int> chunks;             ///< chunks-<n>
  std::optional<int> fail_status;        ///< fail-<status>
  std::optional<int> fail_times;         ///< fail-<status>-times-<k>
  std::optional<int> ratelimit_seconds;  ///< ratelimit-<seconds>
  std::optional<int> ratelimit_times;    ///< ratelimit-<seconds>-times-<k>
  bool stall_after_first = false;
  bool drop = false;
  bool drop_mid_stream = false;
  bool endless = false;
  bool nostream = false;
  bool no_usage = false;
  std::vector<std::string> recognised;  ///< the directives understood, normalised

  /// How the `attempt`-th request (1-based) with this behaviour key fails, if it does.
  struct failure {
    int status = 0;
    std::optional<int> retry_after;  ///< seconds, for rate limits
  };
  [[nodiscard]] std::optional<failure> failure_on(std::int64_t attempt) const;
};

/// Parses directives separated by ',' or '+'; each may carry a "fake-" prefix and a
/// "vendor/" prefix ("openai/fake-fail-503").
[[nodiscard]] behaviour parse_behaviour(std::string_view spec);

/// The effective timing of a request.
struct timing {
  std::chrono::milliseconds latency;
  std::chrono::milliseconds ttft;
  int words;
  int chunks;
};
[[nodiscard]] timing resolve(const defaults& d, const behaviour& b);

/// 64-bit FNV-1a.
[[nodiscard]] std::uint64_t fnv1a64(std::string_view data,
                                    std::uint64_t seed = 0xcbf29ce484222325ULL);
/// 16 lower-case hex digits.
[[nodiscard]] std::string hex64(std::uint64_t value);
/// UTF-8 characters in `text` (bytes that are not continuation bytes).
[[nodiscard]] std::size_t utf8_length(std::string_view text);
/// Tokens estimated the usual way: characters / 4, rounded up.
[[nodiscard]] int estimate_tokens(std::size_t chars);

/// Deterministic placeholder prose: sentences of pseudo-random words from a fixed list.
class prose {
 public:
  explicit prose(std::uint64_t seed) : state_(seed) {}
  /// The next `count` words, with a leading space unless they start the text. `final` ends the
  /// text with a full stop.
  [[nodiscard]] std::string take(int count, bool final);

 private:
  std::uint64_t next();
  std::uint64_t state_;
  bool started_ = false;
  int left_in_sentence_ = 0;
};

/// `words` words of prose split into `chunks` groups of about the same size (at least one
/// group; fewer when there are fewer words than chunks).
[[nodiscard]] std::vector<std::string> answer_chunks(std::uint64_t seed, int words, int chunks);

}  // namespace fake_provider
