#pragma once

#include <cstdint>
#include <string>

namespace lekhika::providers {

/// Why a node calls a model; real providers ignore it, the offline provider shapes its text by it.
enum class call_purpose { general, outline, chapter, revision, preview };

/// One model call, independent of any wire format.
struct completion_request {
  std::string system;  ///< system message (may be empty)
  std::string user;    ///< user message
  std::string model;   ///< model id; empty = the provider's default
  double temperature = 0.7;
  int max_tokens = 4096;
  call_purpose purpose = call_purpose::general;
  int chapter_number = 0;  ///< for chapter and revision calls
  int chapter_total = 0;
  std::string chapter_title;  ///< planned title, may be empty
  int target_words = 0;       ///< length hint, 0 = none
};

/// Token counts of one call.
struct token_usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  bool estimated = false;  ///< true when the provider reported none and we estimated
};

/// A model's answer.
struct completion {
  std::string text;
  std::string model;          ///< the model that answered
  std::string provider;       ///< provider type name, e.g. "offline", "openai"
  std::string finish_reason;  ///< "stop", "length", ...
  token_usage usage;
  double cost_usd = 0.0;
};

/// Rough token estimate for text (about 4 characters a token), used when a provider reports none.
[[nodiscard]] std::int64_t estimate_tokens(std::size_t characters) noexcept;

}  // namespace lekhika::providers
