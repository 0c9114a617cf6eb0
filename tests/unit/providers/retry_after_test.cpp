#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "lekhika/providers/wire.hpp"

namespace lekhika::providers {
namespace {

using namespace std::chrono;
using std::chrono::milliseconds;

// 2015-10-21 07:28:00 UTC, the date of RFC 9110's example.
system_clock::time_point at(int hour, int minute, int second) {
  return sys_days{year{2015} / October / 21} + hours{hour} + minutes{minute} + seconds{second};
}

TEST(RetryAfter, ParsesDelaySeconds) {
  const auto now = at(7, 0, 0);
  EXPECT_EQ(parse_retry_after("30", now), milliseconds{30000});
  EXPECT_EQ(parse_retry_after("0", now), milliseconds{0});
  EXPECT_EQ(parse_retry_after("1.5", now), milliseconds{1500});
  EXPECT_EQ(parse_retry_after("0.25", now), milliseconds{250});
  EXPECT_EQ(parse_retry_after(" 2 ", now), milliseconds{2000});
  EXPECT_EQ(parse_retry_after("86400", now), milliseconds{86400000});
}

TEST(RetryAfter, RejectsGarbage) {
  const auto now = at(7, 0, 0);
  for (const char* value : {"",
                            "   ",
                            "-1",
                            "+5",
                            "abc",
                            "1.",
                            ".5",
                            "1e3",
                            "5s",
                            "1,5",
                            "1.2.3",
                            "99999999999999999999",
                            "Wed, 21 Oct 2015 07:28:00",
                            "Wed, 21 Oct 2015 07:28:00 UTC",
                            "Wed, 32 Oct 2015 07:28:00 GMT",
                            "Wed, 31 Feb 2015 07:28:00 GMT",
                            "Wed, 21 Oct 2015 24:28:00 GMT",
                            "Wed, 21 Foo 2015 07:28:00 GMT",
                            "wed, 21 Oct 2015 07:28:00 GMT",
                            "Wed, 21 Oct 15 07:28:00 GMT",
                            "Wed,21 Oct 2015 07:28:00 GMT"}) {
    EXPECT_EQ(parse_retry_after(value, now), std::nullopt) << '"' << value << '"';
  }
}

TEST(RetryAfter, ParsesAnImfFixdate) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", at(7, 27, 30)), milliseconds{30000});
  EXPECT_EQ(parse_retry_after("Thu, 22 Oct 2015 00:00:00 GMT", at(23, 59, 59)),
            milliseconds{1000});  // across midnight
}

TEST(RetryAfter, DateInThePastIsNoDelay) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", at(8, 0, 0)), milliseconds{0});
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", at(7, 28, 0)), milliseconds{0});
}

TEST(RetryAfter, RoundsDatesUpToWholeMilliseconds) {
  const auto now = at(7, 27, 59) + microseconds{999500};
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), milliseconds{1});
}

TEST(RetryAfter, ParsesTheObsoleteDateForms) {
  const auto now = at(7, 27, 50);
  EXPECT_EQ(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", now), milliseconds{10000});
  EXPECT_EQ(parse_retry_after("Wed Oct 21 07:28:00 2015", now), milliseconds{10000});
  const auto early_month =
      sys_days{year{2015} / October / 6} + hours{7} + minutes{27} + seconds{50};
  EXPECT_EQ(parse_retry_after("Tue Oct  6 07:28:00 2015", early_month), milliseconds{10000});
}

}  // namespace
}  // namespace lekhika::providers
