#pragma once

// Shared pieces of the three wire families (OpenAI-compatible, Anthropic, Gemini). Private to
// providers/src: the public surface is lekhika/providers/wire.hpp.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/providers/wire.hpp"

namespace lekhika::providers::wire_detail {

using json = nlohmann::json;

/// Longest part of a provider body quoted in a message (bodies may echo prompts).
inline constexpr std::size_t body_quote_limit = 200;
/// Longest message of a provider_error.
inline constexpr std::size_t error_message_limit = 300;

/// Parses without throwing; a discarded value on malformed or truncated input.
[[nodiscard]] json parse_json(std::string_view text);
/// Serialises without throwing (invalid UTF-8 in prompts is replaced, not fatal).
[[nodiscard]] std::string dump_json(const json& value);

/// The member `key` of `object`, or nullptr when `object` is not an object or lacks it.
[[nodiscard]] const json* member(const json& object, std::string_view key);
/// The member `key` when it is a string.
[[nodiscard]] std::optional<std::string> string_member(const json& object, std::string_view key);
/// The member `key` when it is a non-negative number (token counts).
[[nodiscard]] std::optional<std::int64_t> count_member(const json& object, std::string_view key);
/// The first element of the array member `key`, or nullptr.
[[nodiscard]] const json* first_element(const json& object, std::string_view key);

/// At most `limit` bytes of `text` on one line (control characters become spaces), cut at a
/// UTF-8 character boundary, with "..." when cut.
[[nodiscard]] std::string quote(std::string_view text, std::size_t limit = body_quote_limit);

/// `base_url` without trailing slashes.
[[nodiscard]] std::string trim_base_url(std::string_view base_url);
/// The request's model, or the provider's default when the request names none.
[[nodiscard]] std::string model_for(const provider_config& provider,
                                    const completion_request& request);

/// A provider_error with the given fields.
[[nodiscard]] provider_error make_error(std::string code, std::string message, bool retryable,
                                        int http_status = 0);
/// The failure for a body that is not the JSON we expect.
[[nodiscard]] failure invalid_response(provider_type type, std::string_view what,
                                       std::string_view body);

/// What a provider's error object says (any of the three shapes, plus the common
/// `{"error": "text"}`, `{"message": ...}` and `{"detail": ...}` of compatible servers).
struct error_info {
  std::string message;
  std::string type;      ///< OpenAI error.type, Anthropic error.type
  std::string code;      ///< OpenAI error.code when a string
  std::string status;    ///< Gemini error.status ("RESOURCE_EXHAUSTED")
  std::string reason;    ///< Gemini error.details[].reason ("API_KEY_INVALID")
  int numeric_code = 0;  ///< Gemini error.code / OpenRouter error.code when an HTTP status
  bool found = false;    ///< the body carried an error object at all
};
/// Reads the error object of a parsed body (an empty info when there is none).
[[nodiscard]] error_info extract_error(const json& root);
/// Our code and retry decision for an HTTP status refined by what the body says; status 0
/// (an error event inside a 2xx stream) is classified by the error's type alone.
[[nodiscard]] provider_error classify_error(provider_type type, int http_status,
                                            const error_info& info);
/// The error for an error event inside a stream (`root` is the event's JSON).
[[nodiscard]] provider_error stream_error(provider_type type, const json& root);

/// Base of the SSE decoders: splits the body into events and hands each to on_event until
/// an error is recorded; finish() turns a missing final event into "stream ended early".
class sse_decoder : public stream_decoder {
 public:
  void feed(std::string_view bytes) final;
  void finish() final;

 protected:
  /// Handles one event; sets complete_, error_, text_ etc.
  virtual void on_event(const sse_parser::event& event) = 0;
  /// The body ended without an error; may still declare the answer complete.
  virtual void on_end() {}
  /// Appends a piece of answer text (empty pieces are not deltas).
  void add_text(std::string_view piece);
  /// Records the first error; later events are ignored.
  void fail(provider_error error);

 private:
  void dispatch(const std::vector<sse_parser::event>& events);

  sse_parser parser_;
  bool finished_ = false;
};

/// A decoder for a type without a wire format (offline): every use reports an error.
[[nodiscard]] std::unique_ptr<stream_decoder> make_unsupported_decoder(provider_type type);

// The three families (openai_wire.cpp, anthropic_wire.cpp, gemini_wire.cpp).
[[nodiscard]] http_call build_openai_call(const provider_config& provider,
                                          const completion_request& request, bool stream);
[[nodiscard]] result<completion> parse_openai_response(provider_type type, std::string_view body);
[[nodiscard]] std::unique_ptr<stream_decoder> make_openai_decoder(provider_type type);

[[nodiscard]] http_call build_anthropic_call(const provider_config& provider,
                                             const completion_request& request, bool stream);
[[nodiscard]] result<completion> parse_anthropic_response(std::string_view body);
[[nodiscard]] std::unique_ptr<stream_decoder> make_anthropic_decoder();
/// end_turn/stop_sequence -> stop, max_tokens -> length, refusal -> content_filter, ...
[[nodiscard]] std::string anthropic_finish_reason(std::string_view stop_reason);

[[nodiscard]] http_call build_gemini_call(const provider_config& provider,
                                          const completion_request& request, bool stream);
[[nodiscard]] result<completion> parse_gemini_response(std::string_view body);
[[nodiscard]] std::unique_ptr<stream_decoder> make_gemini_decoder();
/// STOP -> stop, MAX_TOKENS -> length, SAFETY/RECITATION/... -> content_filter, else lower case.
[[nodiscard]] std::string gemini_finish_reason(std::string_view reason);

}  // namespace lekhika::providers::wire_detail
