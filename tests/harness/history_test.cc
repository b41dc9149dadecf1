#include "harness/history.h"

#include <gtest/gtest.h>

#include "tests/harness/history_builder.h"

namespace protean::harness {
namespace {

using testing::HistoryBuilder;

History Sample() {
  return HistoryBuilder()
      .StreamSub("Billing", "orders")
      .Start("w0")
      .Publish("m1")
      .At(5)
      .Handled("w0", "Billing", "m1")
      .Build();
}

TEST(HistoryTest, SerializeWritesTheHeaderThenOneLinePerEvent) {
  const History h = Sample();
  const std::string text = h.Serialize();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  size_t lines = 0;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lines, h.events.size() + 1);
  EXPECT_EQ(text.substr(0, text.find('\n')), h.header.dump());
  EXPECT_EQ(text.rfind("{\"t\":", 0), std::string::npos);  // the header comes first
  EXPECT_NE(text.find("\n" + h.events[0].dump() + "\n"), std::string::npos);
}

TEST(HistoryTest, ParseRoundTripsByteForByte) {
  const History h = Sample();
  const std::string text = h.Serialize();
  Result<History> parsed = History::Parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->header, h.header);
  EXPECT_EQ(parsed->events, h.events);
  EXPECT_EQ(parsed->Serialize(), text);
  // Key order is kept (ordered_json), not sorted.
  EXPECT_EQ(parsed->header.begin().key(), "history");
}

TEST(HistoryTest, ParseAcceptsAMissingFinalNewlineAndCrLf) {
  Result<History> parsed = History::Parse("{\"history\":1}\r\n{\"t\":1,\"event\":\"end\"}");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->events.size(), 1u);
}

TEST(HistoryTest, SerializeReplacesInvalidUtf8InsteadOfThrowing) {
  History h;
  h.header = {{"history", 1}};
  h.events.push_back({{"t", 1}, {"event", "error"}, {"detail", std::string("bad \xff byte")}});
  const std::string text = h.Serialize();
  EXPECT_NE(text.find("bad \xEF\xBF\xBD byte"), std::string::npos);
  EXPECT_TRUE(History::Parse(text).ok());
}

void ExpectParseError(const std::string& text, const std::string& fragment) {
  Result<History> parsed = History::Parse(text);
  ASSERT_FALSE(parsed.ok()) << text;
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find(fragment), std::string::npos)
      << parsed.status().message();
}

TEST(HistoryTest, ParseErrorsNameTheLine) {
  ExpectParseError("", "line 1");
  ExpectParseError("[1,2]\n", "line 1: not a JSON object");
  ExpectParseError("{\"scenario\":\"x\"}\n", "line 1: the header");
  ExpectParseError("{\"history\":2}\n", "line 1: unsupported history version 2");
  ExpectParseError("{\"history\":1}\n{\"t\":1,\"event\":\"a\"}\n{\"t\":2,\n",
                   "line 3: not valid JSON");
  ExpectParseError("{\"history\":1}\n42\n", "line 2: not a JSON object");
  ExpectParseError("{\"history\":1}\n{\"event\":\"a\"}\n",
                   "line 2: event without an integer \"t\"");
  ExpectParseError("{\"history\":1}\n{\"t\":5}\n", "line 2: event without a string \"event\"");
  ExpectParseError("{\"history\":1}\n\n{\"t\":1,\"event\":\"a\"}\n", "line 2: empty line");
}

}  // namespace
}  // namespace protean::harness
