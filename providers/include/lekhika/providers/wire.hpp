#pragma once

// Wire formats of the model providers: pure code that turns a completion_request into an HTTP
// call and an HTTP answer (whole or streamed) back into text, usage and a finish reason. No
// sockets, threads or clocks here; the transport (curl multi) and the provider actors use it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lekhika/providers/catalog.hpp"
#include "lekhika/providers/completion.hpp"
#include "lekhika/workflow/result.hpp"

namespace lekhika::providers {

/// One request header; `secret` marks values (API keys) that must never be logged.
struct http_header {
  std::string name;
  std::string value;
  bool secret = false;
};

/// An HTTP request to make, independent of the transport.
struct http_call {
  std::string method = "POST";
  std::string url;  ///< full URL (ours never carry a key: Gemini's goes in x-goog-api-key)
  std::vector<http_header> headers;
  std::string body;
  bool url_has_secret = false;  ///< the URL contains a key: never log it whole
};

/// Builds the provider's request for `request` (model already chosen) with streaming on or off.
/// The offline provider has no wire format: its call is empty (empty url).
[[nodiscard]] http_call build_call(const provider_config& provider,
                                   const completion_request& request, bool stream);

/// A provider's error, parsed from its status and body.
struct provider_error {
  int http_status = 0;     ///< 0 for transport errors and status-less errors inside a stream
  std::string code;        ///< our code: rate_limited, overloaded, server_error, bad_request,
                           ///< unauthorized, not_found, timeout, conflict, transport_error,
                           ///< content_filter, invalid_response, tls_verification_failed
  std::string message;     ///< the provider's message (never contains our key)
  bool retryable = false;  ///< 408, 409, 429 (not out-of-quota), 5xx and transport errors
};

/// The error for a non-2xx answer (`body` may be any of the three providers' error shapes,
/// or not JSON at all).
[[nodiscard]] provider_error parse_error(provider_type type, int http_status,
                                         std::string_view body);

/// Parses a whole (non-streamed) 2xx answer. Usage the provider does not report is estimated
/// from the text (input 0, marked estimated). Fails with invalid_response, content_filter, or
/// the code of an error object inside the answer.
[[nodiscard]] result<completion> parse_response(provider_type type, std::string_view body);

/// Incremental decoder of a streamed answer (server-sent events for all three providers).
/// Feed the body as it arrives, in chunks of any size (split anywhere, even inside a UTF-8
/// character or a line); read the text as it grows.
class stream_decoder {
 public:
  virtual ~stream_decoder() = default;
  /// Consumes more bytes of the body.
  virtual void feed(std::string_view bytes) = 0;
  /// The body ended (connection finished normally).
  virtual void finish() = 0;

  /// Text received so far.
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  /// Usage reported by the provider (often only in the last event); nullopt when none came.
  [[nodiscard]] const std::optional<token_usage>& usage() const noexcept { return usage_; }
  /// Finish reason when reported ("stop", "length", ...).
  [[nodiscard]] const std::string& finish_reason() const noexcept { return finish_reason_; }
  /// The model the provider says answered (may be empty).
  [[nodiscard]] const std::string& model() const noexcept { return model_; }
  /// An error event inside the stream, or a stream that ended without its final event.
  [[nodiscard]] const std::optional<provider_error>& error() const noexcept { return error_; }
  /// True once the provider's final event arrived ([DONE], message_stop, the Gemini chunk with a
  /// finishReason), or an OpenAI-compatible body ended cleanly after a finish reason.
  [[nodiscard]] bool complete() const noexcept { return complete_; }
  /// Number of content deltas received (first token = the first delta).
  [[nodiscard]] std::int64_t deltas() const noexcept { return deltas_; }

 protected:
  std::string text_;
  std::optional<token_usage> usage_;
  std::string finish_reason_;
  std::string model_;
  std::optional<provider_error> error_;
  bool complete_ = false;
  std::int64_t deltas_ = 0;
};

/// A decoder for the provider's streaming format (never null: offline's reports an error).
[[nodiscard]] std::unique_ptr<stream_decoder> make_stream_decoder(provider_type type);

/// Splits a server-sent-events byte stream into events. Handles CRLF, LF and CR line ends,
/// comments, multi-line data and events split across feeds.
class sse_parser {
 public:
  struct event {
    std::string type;  ///< "event:" field ("" when absent, i.e. "message")
    std::string data;  ///< "data:" lines joined with '\n'
    std::string id;
  };
  /// Consumes bytes and returns the events completed by them.
  [[nodiscard]] std::vector<event> feed(std::string_view bytes);
  /// The stream ended: returns the pending event when its lines were complete but its blank
  /// line never came (the spec drops it; some servers omit the last blank line), drops an
  /// event cut inside a line, and resets the parser.
  [[nodiscard]] std::vector<event> finish();

 private:
  void process_line(std::string_view line, std::vector<event>& events);
  void dispatch(std::vector<event>& events);

  std::string buffer_;  ///< the current, unterminated line
  event current_;
  bool has_data_ = false;
  bool skip_lf_ = false;    ///< the last line ended in CR: a LF right after it belongs to it
  bool seen_line_ = false;  ///< a line was read (a BOM is only stripped from the first)
};

/// `Retry-After`: seconds ("30") or an HTTP date; nullopt when absent or unparsable. `now` is
/// the current time for dates.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace lekhika::providers
