#pragma once

// Everything the fake remembers across connections: counters (/_stats), the request log
// (/_log), the per-key attempt counters of `times-k` directives and the defaults (/_config).
// Thread-safe (one mutex); every call is short.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "behaviour.hpp"

namespace fake_provider {

enum class outcome { active, completed, aborted, error };

/// One provider request as /_log shows it.
struct log_entry {
  std::uint64_t seq = 0;
  std::int64_t time_ms = 0;      ///< unix epoch ms when the request was read
  std::int64_t start_us = 0;     ///< unix epoch µs when the request was read
  std::uint64_t connection = 0;  ///< which TCP connection carried it (1, 2, ... in accept order)
  std::int64_t end_us = 0;       ///< unix epoch µs when the outcome was known (0 while active)
  std::string route;             ///< the path, without the query (which may hold a key)
  std::string provider;          ///< openai | anthropic | gemini | "" (unknown route)
  std::string model;
  std::string behaviour;   ///< the behaviour key: X-Fake-Behaviour, else the model name
  std::string directives;  ///< the directives recognised in it, comma-separated
  bool stream = false;
  int status = 0;  ///< the status the fake chose (0: none, the socket was dropped)
  outcome result = outcome::active;
  std::size_t prompt_chars = 0;
  std::string prompt_fnv1a64;  ///< 16 hex digits of the FNV-1a 64 hash of the prompt
  std::string key_tail;        ///< the API key's last 4 characters (fewer for short keys)
  std::int64_t attempt = 0;    ///< n-th request with this behaviour key since the last reset
  int chunks_sent = 0;         ///< content chunks written
  int prompt_tokens = 0;
  int completion_tokens = 0;
};

class registry {
 public:
  static constexpr std::size_t kLogCapacity = 10000;
  static constexpr std::size_t kMaxModels = 10000;

  explicit registry(defaults d) : defaults_(d) {}

  [[nodiscard]] defaults get_defaults() const;
  void set_defaults(const defaults& d);

  /// The 1-based number of this request among those with `key` since the last reset.
  [[nodiscard]] std::int64_t next_attempt(const std::string& key);

  struct ticket {
    std::uint64_t seq = 0;
    std::uint64_t generation = 0;
  };
  /// Counts a request and logs it as active (fills entry.seq).
  [[nodiscard]] ticket begin(log_entry entry);
  /// Records its outcome (exactly once per ticket).
  void finish(const ticket& t, outcome result, int chunks_sent);
  /// A connection that sent something that is not HTTP.
  void protocol_error();

  [[nodiscard]] std::string stats_json() const;
  /// The last `limit` entries with seq > `since`, oldest first, as a JSON array.
  [[nodiscard]] std::string log_json(std::size_t limit, std::uint64_t since) const;
  void reset();

 private:
  struct counters {
    std::int64_t requests = 0;
    std::int64_t completed = 0;
    std::int64_t aborted = 0;
    std::int64_t errors = 0;
  };
  static void count(counters& c, outcome result);

  mutable std::mutex mutex_;
  defaults defaults_;
  std::uint64_t generation_ = 0;
  std::uint64_t next_seq_ = 1;
  counters totals_;
  std::int64_t active_ = 0;
  std::int64_t protocol_errors_ = 0;
  std::map<std::string, counters> by_model_;
  std::map<int, std::int64_t> by_status_;
  std::deque<log_entry> log_;
  std::unordered_map<std::string, std::int64_t> attempts_;
};

[[nodiscard]] std::string_view outcome_name(outcome o);

}  // namespace fake_provider
