#include "behaviour.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace fake_provider {
namespace {

constexpr int kMaxMillis = 24 * 60 * 60 * 1000;
constexpr int kMaxWords = 1000000;

// A number that is the whole of `text`, within [lo, hi].
std::optional<int> number(std::string_view text, int lo, int hi) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  if (value < lo || value > hi) return std::nullopt;
  return value;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// "<n>" or "<n>-times-<k>".
bool number_with_times(std::string_view text, int lo, int hi, std::optional<int>& value,
                       std::optional<int>& times) {
  const auto cut = text.find("-times-");
  const auto v = number(text.substr(0, cut), lo, hi);
  if (!v) return false;
  std::optional<int> k;
  if (cut != std::string_view::npos) {
    k = number(text.substr(cut + 7), 0, 1000000000);
    if (!k) return false;
  }
  value = v;
  times = k;
  return true;
}

bool apply(std::string_view d, behaviour& b) {
  if (starts_with(d, "slow-")) {
    b.latency_ms = number(d.substr(5), 0, kMaxMillis);
    return b.latency_ms.has_value();
  }
  if (starts_with(d, "ttft-")) {
    b.ttft_ms = number(d.substr(5), 0, kMaxMillis);
    return b.ttft_ms.has_value();
  }
  if (starts_with(d, "words-")) {
    b.words = number(d.substr(6), 0, kMaxWords);
    return b.words.has_value();
  }
  if (starts_with(d, "chunks-")) {
    b.chunks = number(d.substr(7), 1, 100000);
    return b.chunks.has_value();
  }
  if (starts_with(d, "fail-"))
    return number_with_times(d.substr(5), 400, 599, b.fail_status, b.fail_times);
  if (starts_with(d, "ratelimit-")) {
    return number_with_times(d.substr(10), 0, 86400, b.ratelimit_seconds, b.ratelimit_times);
  }
  if (d == "stall-after-first") return b.stall_after_first = true;
  if (d == "drop") return b.drop = true;
  if (d == "drop-mid-stream") return b.drop_mid_stream = true;
  if (d == "endless") return b.endless = true;
  if (d == "nostream") return b.nostream = true;
  if (d == "no-usage") return b.no_usage = true;
  return false;
}

constexpr std::array<std::string_view, 64> kWords{
    "the",     "river",  "light",   "morning", "quiet",   "letter",  "city",     "garden",
    "old",     "window", "story",   "began",   "with",    "a",       "promise",  "under",
    "north",   "bridge", "she",     "he",      "they",    "carried", "memory",   "of",
    "winter",  "road",   "and",     "slowly",  "found",   "answer",  "in",       "small",
    "house",   "near",   "sea",     "every",   "chapter", "turned",  "toward",   "bright",
    "silence", "held",   "map",     "stone",   "careful", "voices",  "returned", "through",
    "evening", "market", "distant", "hills",   "wrote",   "names",   "on",       "paper",
    "lantern", "waited", "patient", "harbour", "music",   "crossed", "field",    "again"};

}  // namespace

std::optional<behaviour::failure> behaviour::failure_on(std::int64_t attempt) const {
  if (fail_status && (!fail_times || attempt <= *fail_times)) return failure{*fail_status, {}};
  if (ratelimit_seconds && (!ratelimit_times || attempt <= *ratelimit_times)) {
    return failure{429, *ratelimit_seconds};
  }
  return std::nullopt;
}

behaviour parse_behaviour(std::string_view spec) {
  behaviour b;
  std::size_t start = 0;
  while (start <= spec.size()) {
    auto end = spec.find_first_of(",+", start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view d = spec.substr(start, end - start);
    start = end + 1;
    while (!d.empty() && d.front() == ' ') d.remove_prefix(1);
    while (!d.empty() && d.back() == ' ') d.remove_suffix(1);
    if (auto slash = d.rfind('/'); slash != std::string_view::npos) d.remove_prefix(slash + 1);
    if (starts_with(d, "fake-")) d.remove_prefix(5);
    if (!d.empty() && apply(d, b)) b.recognised.emplace_back(d);
  }
  return b;
}

timing resolve(const defaults& d, const behaviour& b) {
  timing t{};
  t.ttft = std::chrono::milliseconds{b.ttft_ms.value_or(d.ttft_ms)};
  t.latency = std::chrono::milliseconds{b.latency_ms.value_or(d.latency_ms)};
  // slow-<ms> below the default time to first token brings the first token forward.
  if (b.latency_ms && !b.ttft_ms) t.ttft = std::min(t.ttft, t.latency);
  t.latency = std::max(t.latency, t.ttft);
  t.words = b.words.value_or(d.words);
  t.chunks = std::max(1, b.chunks.value_or(d.chunks));
  return t;
}

std::uint64_t fnv1a64(std::string_view data, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string hex64(std::uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[value & 0xf];
    value >>= 4;
  }
  return out;
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

int estimate_tokens(std::size_t chars) { return static_cast<int>((chars + 3) / 4); }

std::uint64_t prose::next() {
  // splitmix64
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string prose::take(int count, bool final) {
  std::string out;
  out.reserve(static_cast<std::size_t>(std::max(count, 0)) * 8);
  for (int i = 0; i < count; ++i) {
    const bool sentence_start = left_in_sentence_ == 0;
    if (sentence_start) left_in_sentence_ = 6 + static_cast<int>(next() % 10);
    std::string word{kWords[next() % kWords.size()]};
    if (sentence_start) word[0] = static_cast<char>(word[0] - 'a' + 'A');
    --left_in_sentence_;
    if (left_in_sentence_ == 0 || (final && i + 1 == count)) {
      word += '.';
      left_in_sentence_ = 0;
    }
    if (started_) out += ' ';
    started_ = true;
    out += word;
  }
  return out;
}

std::vector<std::string> answer_chunks(std::uint64_t seed, int words, int chunks) {
  prose text{seed};
  const int groups = std::max(1, std::min(chunks, words));
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(groups));
  for (int g = 0; g < groups; ++g) {
    // Group g holds words [words*g/groups, words*(g+1)/groups).
    const int from = static_cast<int>(static_cast<long long>(words) * g / groups);
    const int to = static_cast<int>(static_cast<long long>(words) * (g + 1) / groups);
    out.push_back(text.take(to - from, g + 1 == groups));
  }
  return out;
}

}  // namespace fake_provider
