// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Parsed by hand because
// strptime/std::get_time depend on the C locale's month and day names.

#include <array>
#include <cmath>

#include "lekhika/providers/wire.hpp"

namespace lekhika::providers {
namespace {

using std::chrono::milliseconds;

// Beyond this a value is garbage, not advice (and its milliseconds would overflow).
constexpr double max_delay_seconds = 1e9;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "30", "1.5", "0": digits with an optional fraction. No sign, no exponent.
std::optional<milliseconds> parse_seconds(std::string_view text) {
  double seconds = 0;
  std::size_t i = 0;
  for (; i < text.size() && is_digit(text[i]); ++i) {
    seconds = seconds * 10 + (text[i] - '0');
    if (seconds > max_delay_seconds) return std::nullopt;
  }
  if (i == 0) return std::nullopt;
  if (i < text.size()) {
    if (text[i] != '.' || i + 1 == text.size()) return std::nullopt;
    double scale = 0.1;
    for (++i; i < text.size(); ++i) {
      if (!is_digit(text[i])) return std::nullopt;
      seconds += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  return milliseconds{static_cast<std::int64_t>(std::llround(seconds * 1000.0))};
}

// A cursor over the date with the few token readers the three date forms need.
class date_reader {
 public:
  explicit date_reader(std::string_view text) : text_(text) {}

  bool literal(std::string_view expected) {
    if (!text_.substr(pos_).starts_with(expected)) return false;
    pos_ += expected.size();
    return true;
  }
  // Exactly `digits` digits (asctime's day may be padded with a space instead of a zero).
  std::optional<int> number(std::size_t digits, bool space_padded = false) {
    if (pos_ + digits > text_.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      const char c = text_[pos_ + i];
      if (space_padded && i == 0 && c == ' ') continue;
      if (!is_digit(c)) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos_ += digits;
    return value;
  }
  // One of `names` (case-sensitive, as the grammar says); its index.
  template <std::size_t N>
  std::optional<int> name(const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) return static_cast<int>(i);
    }
    return std::nullopt;
  }
  [[nodiscard]] bool at_end() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> short_days{"Mon", "Tue", "Wed", "Thu",
                                                     "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_days{"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};

struct civil_time {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

bool read_time(date_reader& in, civil_time& t) {
  auto hour = in.number(2);
  if (!hour || !in.literal(":")) return false;
  auto minute = in.number(2);
  if (!minute || !in.literal(":")) return false;
  auto second = in.number(2);
  if (!second) return false;
  t.hour = *hour;
  t.minute = *minute;
  t.second = *second;
  return true;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<civil_time> imf_fixdate(std::string_view text) {
  date_reader in{text};
  civil_time t;
  if (!in.name(short_days) || !in.literal(", ")) return std::nullopt;
  auto day = in.number(2);
  if (!day || !in.literal(" ")) return std::nullopt;
  auto month = in.name(months);
  if (!month || !in.literal(" ")) return std::nullopt;
  auto year = in.number(4);
  if (!year || !in.literal(" ") || !read_time(in, t) || !in.literal(" GMT") || !in.at_end())
    return std::nullopt;
  t.year = *year;
  t.month = *month + 1;
  t.day = *day;
  return t;
}

// Obsolete RFC 850 form: "Sunday, 06-Nov-94 08:49:37 GMT".
std::optional<civil_time> rfc850_date(std::string_view text) {
  date_reader in{text};
  civil_time t;
  if (!in.name(long_days) || !in.literal(", ")) return std::nullopt;
  auto day = in.number(2);
  if (!day || !in.literal("-")) return std::nullopt;
  auto month = in.name(months);
  if (!month || !in.literal("-")) return std::nullopt;
  auto year = in.number(2);
  if (!year || !in.literal(" ") || !read_time(in, t) || !in.literal(" GMT") || !in.at_end())
    return std::nullopt;
  // Two-digit years: a Retry-After is about now, so 70..99 is the 1900s and the rest ours.
  t.year = *year >= 70 ? 1900 + *year : 2000 + *year;
  t.month = *month + 1;
  t.day = *day;
  return t;
}

// Obsolete asctime form: "Sun Nov  6 08:49:37 1994".
std::optional<civil_time> asctime_date(std::string_view text) {
  date_reader in{text};
  civil_time t;
  if (!in.name(short_days) || !in.literal(" ")) return std::nullopt;
  auto month = in.name(months);
  if (!month || !in.literal(" ")) return std::nullopt;
  auto day = in.number(2, /*space_padded=*/true);
  if (!day || !in.literal(" ") || !read_time(in, t) || !in.literal(" ")) return std::nullopt;
  auto year = in.number(4);
  if (!year || !in.at_end()) return std::nullopt;
  t.year = *year;
  t.month = *month + 1;
  t.day = *day;
  return t;
}

std::optional<std::chrono::system_clock::time_point> to_time_point(const civil_time& t) {
  using namespace std::chrono;
  const year_month_day date{year{t.year}, month{static_cast<unsigned>(t.month)},
                            day{static_cast<unsigned>(t.day)}};
  // 60 allows a leap second; the calendar check rejects "31 Feb".
  if (!date.ok() || t.hour > 23 || t.minute > 59 || t.second > 60) return std::nullopt;
  return time_point_cast<system_clock::duration>(sys_days{date} + hours{t.hour} +
                                                 minutes{t.minute} + seconds{t.second});
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (is_digit(value.front())) return parse_seconds(value);
  std::optional<civil_time> date = imf_fixdate(value);
  if (!date) date = rfc850_date(value);
  if (!date) date = asctime_date(value);
  if (!date) return std::nullopt;
  const auto when = to_time_point(*date);
  if (!when) return std::nullopt;
  if (*when <= now) return milliseconds{0};
  // Round up: retrying a little late is harmless, a little early earns another 429.
  return std::chrono::ceil<milliseconds>(*when - now);
}

}  // namespace lekhika::providers
