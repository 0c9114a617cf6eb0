#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "lekhika/providers/wire.hpp"
#include "wire_test_support.hpp"

namespace lekhika::providers {
namespace {

using event = sse_parser::event;

std::vector<event> parse(std::string_view stream) {
  sse_parser parser;
  return parser.feed(stream);
}

std::vector<event> parse_in(const std::vector<std::string_view>& pieces) {
  sse_parser parser;
  std::vector<event> events;
  for (auto piece : pieces) {
    for (auto& e : parser.feed(piece)) events.push_back(std::move(e));
  }
  return events;
}

std::vector<std::string> data_of(const std::vector<event>& events) {
  std::vector<std::string> out;
  out.reserve(events.size());
  for (const auto& e : events) out.push_back(e.data);
  return out;
}

TEST(SseParser, DispatchesAnEventOnABlankLine) {
  sse_parser parser;
  EXPECT_TRUE(parser.feed("data: one\n").empty());  // not yet: no blank line
  const auto events = parser.feed("\ndata: two\n\n");
  EXPECT_EQ(data_of(events), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(events[0].type, "");
}

TEST(SseParser, AcceptsCrlfLfAndCrLineEnds) {
  const std::vector<std::string> expected{"a\nb", "c"};
  EXPECT_EQ(data_of(parse("data: a\ndata: b\n\ndata: c\n\n")), expected);
  EXPECT_EQ(data_of(parse("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n")), expected);
  EXPECT_EQ(data_of(parse("data: a\rdata: b\r\rdata: c\r\r")), expected);
  EXPECT_EQ(data_of(parse("data: a\r\ndata: b\n\rdata: c\r\n\n")), expected);  // mixed
}

TEST(SseParser, CrlfSplitAcrossFeedsIsOneLineEnd) {
  // If the LF after a CR that ended one feed were taken for a blank line, "a" would be
  // dispatched on its own.
  const auto events = parse_in({"data: a\r", "\n", "data: b\r", "\n\r", "\n"});
  EXPECT_EQ(data_of(events), std::vector<std::string>{"a\nb"});
}

TEST(SseParser, IgnoresComments) {
  const auto events = parse(": keep-alive\n\n: OPENROUTER PROCESSING\ndata: x\n:\n\n");
  EXPECT_EQ(data_of(events), std::vector<std::string>{"x"});
}

TEST(SseParser, StripsOnlyOneLeadingSpace) {
  EXPECT_EQ(data_of(parse("data:no space\n\n")), std::vector<std::string>{"no space"});
  EXPECT_EQ(data_of(parse("data:  two spaces\n\n")), std::vector<std::string>{" two spaces"});
  EXPECT_EQ(data_of(parse("data: trailing \n\n")), std::vector<std::string>{"trailing "});
  EXPECT_EQ(data_of(parse("data: a: b\n\n")), std::vector<std::string>{"a: b"});
}

TEST(SseParser, ReadsEventAndIdFields) {
  const auto events = parse("event: message_start\nid: 7\ndata: {}\n\ndata: next\n\n");
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].type, "message_start");
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[1].type, "");  // the type is per event
  EXPECT_EQ(events[1].id, "7");   // the last event id persists, as the standard says
}

TEST(SseParser, EmptyDataLinesStillMakeAnEvent) {
  const auto events = parse("data\n\ndata:\ndata:\n\n");
  EXPECT_EQ(data_of(events), (std::vector<std::string>{"", "\n"}));
}

TEST(SseParser, EventsWithoutDataAreNotDispatched) {
  EXPECT_TRUE(parse("event: ping\n\nid: 3\n\nretry: 1000\n\n\n\n").empty());
}

TEST(SseParser, IgnoresUnknownFieldsAndRetry) {
  const auto events = parse("retry: 5000\nfoo: bar\nDATA: upper\ndata: kept\n\n");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].data, "kept");
  EXPECT_EQ(events[0].type, "");
}

TEST(SseParser, StripsALeadingByteOrderMark) {
  const auto events = parse_in({"\xEF", "\xBB", "\xBF", "data: x\n\n"});
  EXPECT_EQ(data_of(events), std::vector<std::string>{"x"});
  // Only at the start of the stream.
  EXPECT_EQ(parse("data: x\n\n\xEF\xBB\xBF"
                  "data: y\n\n")
                .size(),
            1U);
}

TEST(SseParser, ByteByByteGivesTheSameEvents) {
  const std::string stream =
      "event: a\r\ndata: caf\xC3\xA9\r\n\r\n: c\rdata: 1\rdata: 2\r\r"
      "id: 9\nevent: b\ndata: {\"x\": \"\xF0\x9F\x93\x9A\"}\n\n";
  const auto reference = parse(stream);
  ASSERT_EQ(reference.size(), 3U);
  const auto bytewise = parse_in(lekhika::providers::testing::byte_by_byte(stream));
  ASSERT_EQ(bytewise.size(), reference.size());
  for (std::size_t i = 0; i < reference.size(); ++i) {
    EXPECT_EQ(bytewise[i].type, reference[i].type);
    EXPECT_EQ(bytewise[i].data, reference[i].data);
    EXPECT_EQ(bytewise[i].id, reference[i].id);
  }
  EXPECT_EQ(reference[0].data, "caf\xC3\xA9");
  EXPECT_EQ(reference[1].data, "1\n2");
  EXPECT_EQ(reference[2].type, "b");
  EXPECT_EQ(reference[2].id, "9");
}

TEST(SseParser, FinishDispatchesAnEventMissingItsBlankLine) {
  sse_parser parser;
  EXPECT_TRUE(parser.feed("data: [DONE]\n").empty());
  EXPECT_EQ(data_of(parser.finish()), std::vector<std::string>{"[DONE]"});
  EXPECT_TRUE(parser.finish().empty());  // nothing twice
}

TEST(SseParser, FinishDropsAnEventCutInsideALine) {
  sse_parser parser;
  EXPECT_EQ(data_of(parser.feed("data: complete\n\ndata: first\ndata: {\"cut")),
            std::vector<std::string>{"complete"});
  EXPECT_TRUE(parser.finish().empty());
}

}  // namespace
}  // namespace lekhika::providers
