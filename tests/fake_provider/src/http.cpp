#include "http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace fake_provider {
namespace {

std::string lower(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalnum(u)) return true;
  return std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

bool contains_token(std::string_view list, std::string_view token) {
  const std::string l = lower(list);
  std::size_t start = 0;
  while (start <= l.size()) {
    auto end = l.find(',', start);
    if (end == std::string::npos) end = l.size();
    if (trim(std::string_view{l}.substr(start, end - start)) == token) return true;
    start = end + 1;
  }
  return false;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

parse_result bad(std::string why) {
  parse_result r;
  r.status = parse_status::bad;
  r.error = std::move(why);
  return r;
}

parse_result too_large(std::string why) {
  parse_result r;
  r.status = parse_status::too_large;
  r.error = std::move(why);
  return r;
}

// Checks the request line as soon as it is in, so garbage is refused without waiting for a
// whole header block.
std::optional<parse_result> check_request_line_prefix(std::string_view buffer) {
  std::size_t i = 0;
  while (i < buffer.size() && i < 32 && is_token_char(buffer[i])) ++i;
  if (i == buffer.size()) return std::nullopt;
  if (i == 0 || i == 32 || buffer[i] != ' ') return bad("malformed request line");
  return std::nullopt;
}

// Decodes a chunked body that starts at `pos`; sets `consumed` to the end of the message.
parse_result parse_chunked(std::string_view buffer, std::size_t pos, std::string& body) {
  body.clear();
  for (;;) {
    const auto eol = buffer.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      if (buffer.size() - pos > 1024) return bad("chunk size line too long");
      return {};
    }
    std::string_view line = buffer.substr(pos, eol - pos);
    if (auto semi = line.find(';'); semi != std::string_view::npos) line = line.substr(0, semi);
    line = trim(line);
    if (line.empty() || line.size() > 8) return bad("bad chunk size");
    std::size_t size = 0;
    for (char c : line) {
      const int v = hex_value(c);
      if (v < 0) return bad("bad chunk size");
      size = size * 16 + static_cast<std::size_t>(v);
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailer fields (ignored) up to an empty line.
      for (;;) {
        const auto end = buffer.find("\r\n", pos);
        if (end == std::string_view::npos) {
          if (buffer.size() - pos > kMaxHeaderBytes) return too_large("trailers too large");
          return {};
        }
        const bool empty = end == pos;
        pos = end + 2;
        if (empty) break;
      }
      parse_result done;
      done.status = parse_status::complete;
      done.consumed = pos;
      return done;
    }
    if (body.size() + size > kMaxBodyBytes) return too_large("request body too large");
    if (buffer.size() < pos + size + 2) return {};
    if (buffer.substr(pos + size, 2) != "\r\n") return bad("chunk not followed by CRLF");
    body.append(buffer.substr(pos, size));
    pos += size + 2;
  }
}

}  // namespace

const std::string* http_request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::optional<std::string> http_request::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    auto eq = pair.find('=');
    if (url_decode(pair.substr(0, eq)) != name) continue;
    return eq == std::string_view::npos ? std::string{} : url_decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::string url_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

parse_result parse_request(std::string_view buffer, http_request& out) {
  if (auto refused = check_request_line_prefix(buffer)) return *refused;
  const auto head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (buffer.size() > kMaxHeaderBytes) return too_large("header block too large");
    return {};
  }
  if (head_end > kMaxHeaderBytes) return too_large("header block too large");

  out = http_request{};
  const std::string_view head = buffer.substr(0, head_end);
  const auto line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  const auto sp1 = request_line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
    return bad("malformed request line");
  }
  out.method = std::string{request_line.substr(0, sp1)};
  out.target = std::string{request_line.substr(sp1 + 1, sp2 - sp1 - 1)};
  const std::string_view version = request_line.substr(sp2 + 1);
  if (version == "HTTP/1.1") {
    out.version_minor = 1;
  } else if (version == "HTTP/1.0") {
    out.version_minor = 0;
  } else {
    return bad("unsupported HTTP version");
  }
  if (out.target.empty() || out.target.front() != '/') return bad("malformed request target");
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return bad("malformed request target");
  }
  const auto q = out.target.find('?');
  out.path = out.target.substr(0, q);
  out.query = q == std::string::npos ? std::string{} : out.target.substr(q + 1);

  std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return bad("malformed header line");
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_token_char)) return bad("malformed header name");
    out.headers.emplace_back(lower(name), std::string{trim(line.substr(colon + 1))});
  }

  const std::string* connection = out.header("connection");
  out.keep_alive = out.version_minor == 1
                       ? !(connection && contains_token(*connection, "close"))
                       : (connection && contains_token(*connection, "keep-alive"));

  const std::string* expect = out.header("expect");
  const bool expect_continue = expect != nullptr && lower(*expect) == "100-continue";
  const std::size_t body_start = head_end + 4;
  const std::string* te = out.header("transfer-encoding");
  const std::string* cl = out.header("content-length");
  parse_result result;
  if (te != nullptr) {
    if (cl != nullptr) return bad("both Content-Length and Transfer-Encoding");
    if (lower(trim(*te)) != "chunked") return bad("unsupported Transfer-Encoding");
    result = parse_chunked(buffer, body_start, out.body);
  } else {
    std::size_t length = 0;
    if (cl != nullptr) {
      const std::string_view v = trim(*cl);
      const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), length);
      if (v.empty() || ec == std::errc::result_out_of_range) return too_large("body too large");
      if (ec != std::errc{} || ptr != v.data() + v.size()) return bad("bad Content-Length");
      if (length > kMaxBodyBytes) return too_large("request body too large");
    }
    if (buffer.size() - body_start >= length) {
      out.body = std::string{buffer.substr(body_start, length)};
      result.status = parse_status::complete;
      result.consumed = body_start + length;
    }
  }
  if (result.status == parse_status::incomplete) {
    result.headers_complete = true;
    result.expect_continue = expect_continue;
  }
  return result;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 529:
      return "Site Overloaded";
    default:
      return "Status";
  }
}

std::string response_head(int status, std::string_view content_type,
                          std::optional<std::size_t> content_length, bool keep_alive, bool http10,
                          const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  std::string head;
  head.reserve(256);
  head += http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  head += reason_phrase(status);
  head += "\r\nContent-Type: ";
  head += content_type;
  head += "\r\n";
  if (content_length) {
    head += "Content-Length: " + std::to_string(*content_length) + "\r\n";
  } else if (!http10) {
    head += "Transfer-Encoding: chunked\r\n";
  }
  head += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [name, value] : extra_headers) {
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  head += "\r\n";
  return head;
}

std::string frame_chunk(std::string_view data, bool chunked) {
  if (!chunked) return std::string{data};
  if (data.empty()) return {};  // an empty chunk would end the body
  char size[16];
  const auto [end, ec] = std::to_chars(size, size + sizeof size, data.size(), 16);
  (void)ec;
  std::string out;
  out.reserve(data.size() + 12);
  out.append(size, end);
  out += "\r\n";
  out += data;
  out += "\r\n";
  return out;
}

}  // namespace fake_provider
