#include "pg_text.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>

#include "store_common.hpp"

namespace lekhika::persistence::detail {

namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence at text[i], or 0 when it is not one (overlong forms,
// surrogates and code points past U+10FFFF are invalid, as PostgreSQL says).
[[nodiscard]] std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  std::uint32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07u;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u) return 0;
    code = (code << 6) | (byte(i + k) & 0x3Fu);
  }
  if (length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) return 0;
  if (length == 4 && (code < 0x10000 || code > 0x10FFFF)) return 0;
  return length;
}

[[nodiscard]] int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

[[nodiscard]] std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

void add_secret(std::vector<std::string>& secrets, std::string_view raw) {
  if (raw.empty()) return;
  secrets.emplace_back(raw);
  std::string decoded = percent_decode(raw);
  if (decoded != raw && !decoded.empty()) secrets.push_back(std::move(decoded));
}

// The password part of "user:password" user info.
void add_userinfo_secret(std::vector<std::string>& secrets, std::string_view userinfo) {
  const auto colon = userinfo.find(':');
  if (colon != std::string_view::npos) add_secret(secrets, userinfo.substr(colon + 1));
}

}  // namespace

std::string pg_clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c != 0) out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    const std::size_t length = utf8_sequence(text, i);
    if (length == 0) {
      out += replacement_character;
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::string pg_json_text(const nlohmann::json& value) {
  std::string text = dump_json(value);
  if (text.find("\\u0000") == std::string::npos) return text;
  // Walk escape by escape, so that an escaped backslash followed by "u0000" is left alone.
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 >= text.size()) {
      out.push_back(text[i]);
      continue;
    }
    if (text[i + 1] == 'u' && text.compare(i + 2, 4, "0000") == 0) {
      out += "\\ufffd";
      i += 5;
    } else {
      out.push_back(text[i]);
      out.push_back(text[i + 1]);
      i += 1;
    }
  }
  return out;
}

pg_url prepare_pg_url(const std::string& url) {
  pg_url out;
  const auto scheme_end = url.find("://");
  const std::size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto query_start = url.find('?', start);
  const std::string_view before_query = std::string_view(url).substr(
      start, query_start == std::string::npos ? std::string::npos : query_start - start);

  // libpq ends the user info at the first '@' before any '/'; a careless URL may have an
  // unencoded '@' or '/' in its password, so the last '@' is looked at too.
  const auto slash = before_query.find('/');
  const auto first_at = before_query.find('@');
  if (first_at != std::string_view::npos && (slash == std::string_view::npos || first_at < slash)) {
    add_userinfo_secret(out.secrets, before_query.substr(0, first_at));
  }
  const auto last_at = before_query.rfind('@');
  if (last_at != std::string_view::npos && last_at != first_at) {
    add_userinfo_secret(out.secrets, before_query.substr(0, last_at));
  }

  bool has_timeout = false;
  bool has_app_name = false;
  if (query_start != std::string::npos) {
    std::string_view query = std::string_view(url).substr(query_start + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      const auto eq = pair.find('=');
      const std::string key = percent_decode(pair.substr(0, eq));
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
      if (key == "password") add_secret(out.secrets, value);
      if (key == "connect_timeout") has_timeout = true;
      if (key == "application_name" || key == "fallback_application_name") has_app_name = true;
    }
  }

  // libpq knows the scheme in lower case only; DATABASE_URL's scheme is case-insensitive.
  out.connect = url;
  if (scheme_end != std::string::npos) {
    std::transform(
        out.connect.begin(), out.connect.begin() + static_cast<std::ptrdiff_t>(scheme_end),
        out.connect.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  char joiner = query_start == std::string::npos ? '?' : '&';
  // Without a timeout, connecting to a host that does not answer blocks a store actor for
  // minutes; 10 s is far longer than any healthy connect.
  if (!has_timeout) {
    out.connect += joiner;
    out.connect += "connect_timeout=10";
    joiner = '&';
  }
  if (!has_app_name) {
    out.connect += joiner;
    out.connect += "fallback_application_name=lekhika-worker";
  }
  // Longest first: a decoded form may contain the raw one or the other way round.
  std::sort(out.secrets.begin(), out.secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

std::string scrub_message(std::string_view message, const std::vector<std::string>& secrets) {
  std::string text(message);
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  // libpq messages span lines ("...\n\tIs the server running...?"); logs want one line.
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (const char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace lekhika::persistence::detail
