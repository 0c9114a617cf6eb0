#include "lekhika/providers/offline.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lekhika::providers {
namespace {

// splitmix64: a tiny, well-distributed generator; determinism matters here, not quality.
class prose_rng {
 public:
  explicit prose_rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
  }
  template <class Array>
  std::string_view pick(const Array& words) {
    return words[static_cast<std::size_t>(next() % words.size())];
  }

 private:
  std::uint64_t state_;
};

std::uint64_t fnv1a(std::string_view text, std::uint64_t hash = 0xcbf29ce484222325ULL) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

constexpr std::array<std::string_view, 16> adjectives{
    "quiet",  "distant", "hidden", "bright", "restless", "patient", "silver", "forgotten",
    "steady", "open",    "narrow", "early",  "last",     "small",   "wide",   "careful"};
constexpr std::array<std::string_view, 16> nouns{
    "harbour", "lantern", "road",    "garden",  "letter",  "bridge", "river",  "window",
    "promise", "map",     "morning", "archive", "orchard", "signal", "valley", "workshop"};
constexpr std::array<std::string_view, 12> verbs{"carries",  "reveals",   "shapes",  "remembers",
                                                 "follows",  "answers",   "changes", "gathers",
                                                 "protects", "questions", "crosses", "opens"};
constexpr std::array<std::string_view, 10> openers{"In the morning",
                                                   "By the time the light turned",
                                                   "Later that week",
                                                   "Without a word",
                                                   "For the first time",
                                                   "Across the square",
                                                   "Before anyone noticed",
                                                   "In the end",
                                                   "Somewhere between the two",
                                                   "Even then"};

std::string title_case(std::string_view word) {
  std::string out{word};
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string make_title(prose_rng& rng) {
  return "The " + title_case(rng.pick(adjectives)) + " " + title_case(rng.pick(nouns));
}

std::string make_sentence(prose_rng& rng) {
  std::string s{rng.pick(openers)};
  s += ", the ";
  s += rng.pick(adjectives);
  s += ' ';
  s += rng.pick(nouns);
  s += ' ';
  s += rng.pick(verbs);
  s += " the ";
  s += rng.pick(nouns);
  s += " of the ";
  s += rng.pick(adjectives);
  s += ' ';
  s += rng.pick(nouns);
  s += '.';
  return s;
}

// Paragraphs of four to six sentences until about `words` words are written.
std::string make_paragraphs(prose_rng& rng, int words) {
  std::string out;
  int written = 0;
  while (written < words) {
    const int sentences = 4 + static_cast<int>(rng.next() % 3);
    if (!out.empty()) out += "\n\n";
    for (int i = 0; i < sentences; ++i) {
      if (i > 0) out += ' ';
      out += make_sentence(rng);
      written += 14;  // every sentence above has fourteen words or so
    }
  }
  return out;
}

}  // namespace

completion offline_complete(const completion_request& request) {
  std::uint64_t seed = fnv1a(request.system);
  seed = fnv1a(request.user, seed);
  seed = fnv1a(request.model, seed);
  seed ^= static_cast<std::uint64_t>(request.chapter_number) * 0x9e3779b97f4a7c15ULL;
  prose_rng rng{seed};

  const int target = request.target_words > 0 ? std::min(request.target_words, 1500) : 220;
  std::string text;
  switch (request.purpose) {
    case call_purpose::outline: {
      const int chapters = request.chapter_total > 0 ? request.chapter_total : 3;
      text = "Outline\n\n";
      for (int i = 1; i <= chapters; ++i) {
        text += "Chapter " + std::to_string(i) + ": " + make_title(rng) + "\n";
        text += "- " + make_sentence(rng) + "\n";
      }
      break;
    }
    case call_purpose::chapter:
    case call_purpose::revision: {
      const std::string title =
          request.chapter_title.empty() ? make_title(rng) : request.chapter_title;
      text =
          "Chapter " + std::to_string(std::max(request.chapter_number, 1)) + ": " + title + "\n\n";
      text += make_paragraphs(rng, target);
      break;
    }
    case call_purpose::preview:
      text = "Preview: " + make_title(rng) + "\n\n" + make_paragraphs(rng, std::min(target, 160));
      break;
    case call_purpose::general:
      text = make_paragraphs(rng, std::min(target, 180));
      break;
  }

  completion answer;
  answer.text = std::move(text);
  answer.model = request.model.empty() ? "draft" : request.model;
  answer.provider = "offline";
  answer.finish_reason = "stop";
  answer.usage.input_tokens = estimate_tokens(request.system.size() + request.user.size());
  answer.usage.output_tokens = estimate_tokens(answer.text.size());
  answer.usage.estimated = true;
  answer.cost_usd = 0.0;
  return answer;
}

}  // namespace lekhika::providers
