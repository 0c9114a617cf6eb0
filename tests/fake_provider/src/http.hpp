#pragma once

// A small incremental HTTP/1.1 request parser and response framing for the fake provider.
// Requests are parsed from the start of a connection's input buffer each time more bytes
// arrive; it never throws on anything a client sends.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fake_provider {

struct http_request {
  std::string method;
  std::string target;  ///< as sent: path and query
  std::string path;    ///< target before '?'
  std::string query;   ///< target after '?' (may be empty)
  int version_minor = 1;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
  std::string body;
  bool keep_alive = true;

  /// The first header with this (lower-case) name, or nullptr.
  [[nodiscard]] const std::string* header(std::string_view name) const;
  /// A query parameter, URL-decoded; nullopt when absent.
  [[nodiscard]] std::optional<std::string> query_param(std::string_view name) const;
};

enum class parse_status { incomplete, complete, bad, too_large };

struct parse_result {
  parse_status status = parse_status::incomplete;
  std::size_t consumed = 0;       ///< bytes of the buffer used by the request (when complete)
  bool headers_complete = false;  ///< the header block is in (when incomplete)
  bool expect_continue = false;   ///< the client sent "Expect: 100-continue"
  std::string error;              ///< why, when bad or too_large
};

inline constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
inline constexpr std::size_t kMaxBodyBytes = 32 * 1024 * 1024;

/// Parses one request from the start of `buffer` into `out` (Content-Length or chunked body).
[[nodiscard]] parse_result parse_request(std::string_view buffer, http_request& out);

/// Decodes %XX escapes; `plus_is_space` for query strings (form encoding), not for paths.
[[nodiscard]] std::string url_decode(std::string_view text, bool plus_is_space = true);
[[nodiscard]] std::string_view reason_phrase(int status);

/// The status line and headers of a response, ending with the blank line. `content_length`
/// nullopt means `Transfer-Encoding: chunked` (or, for HTTP/1.0, a body ended by closing).
[[nodiscard]] std::string response_head(
    int status, std::string_view content_type, std::optional<std::size_t> content_length,
    bool keep_alive, bool http10,
    const std::vector<std::pair<std::string, std::string>>& extra_headers = {});

/// One chunk of a chunked body (`chunked` false: the bytes as they are).
[[nodiscard]] std::string frame_chunk(std::string_view data, bool chunked);
/// The end of a chunked body.
[[nodiscard]] inline std::string_view last_chunk() { return "0\r\n\r\n"; }

}  // namespace fake_provider
