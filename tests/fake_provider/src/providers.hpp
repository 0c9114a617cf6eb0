#pragma once

// The three providers' wire formats as the fake speaks them: routes, keys, request bodies,
// whole answers, server-sent events and error bodies (OpenAI chat completions, Anthropic
// Messages, Gemini generateContent / streamGenerateContent).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"

namespace fake_provider {

enum class provider { openai, anthropic, gemini };

[[nodiscard]] std::string_view provider_name(provider p);

struct route {
  provider kind = provider::openai;
  bool gemini_stream = false;  ///< :streamGenerateContent
  bool gemini_sse = false;     ///< ... with alt=sse
  std::string model;           ///< from the path (Gemini only)
};

/// The provider route of a path (matched by suffix, so any base-URL prefix works:
/// `/v1/chat/completions`, `/chat/completions`, `/api/v1/chat/completions`, `/v1/messages`,
/// `/v1beta/models/{model}:generateContent`, `...:streamGenerateContent`).
[[nodiscard]] std::optional<route> match_route(const http_request& request);

/// The API key in the provider's place (Bearer token, x-api-key, x-goog-api-key or ?key=);
/// nullopt when missing or empty.
[[nodiscard]] std::optional<std::string> api_key(provider p, const http_request& request);

/// What the fake needs from a request body.
struct call {
  std::string model;
  bool stream = false;
  bool include_usage = false;    ///< OpenAI stream_options.include_usage
  std::string prompt;            ///< every message text joined with '\n'
  std::size_t prompt_chars = 0;  ///< UTF-8 characters of those texts (separators not counted)
};

/// Parses the request body; returns an error message (answered with 400) when it is not a
/// valid request for this provider.
[[nodiscard]] std::optional<std::string> parse_call(const route& r, const http_request& request,
                                                    call& out);

/// The provider's error body for `status`.
[[nodiscard]] std::string error_body(provider p, int status, std::string_view message);

/// What every answer carries.
struct answer_info {
  provider kind = provider::openai;
  std::string id;
  std::string model;
  std::int64_t created = 0;  ///< unix seconds
  int prompt_tokens = 0;
  int completion_tokens = 0;
  bool usage = true;           ///< false: no-usage
  bool include_usage = false;  ///< OpenAI stream usage chunk asked for
};

/// A whole (non-streamed) answer body.
[[nodiscard]] std::string whole_body(const answer_info& a, std::string_view text);
/// Gemini streamGenerateContent without alt=sse: a JSON array of chunks.
[[nodiscard]] std::string gemini_array_body(const answer_info& a,
                                            const std::vector<std::string>& chunks);

/// Server-sent events sent with the response headers, before the first content.
[[nodiscard]] std::string stream_begin(const answer_info& a);
/// The events of one content chunk; `last` adds the provider's closing events (finish reason,
/// usage, [DONE] / message_stop).
[[nodiscard]] std::string stream_delta(const answer_info& a, std::string_view text, bool last);

/// `text` as a JSON string literal (quotes included).
[[nodiscard]] std::string json_quote(std::string_view text);

}  // namespace fake_provider
