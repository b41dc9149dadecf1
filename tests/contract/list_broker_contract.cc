// The cases of ListBrokerContractTest (list_broker_contract.h).

#include "tests/contract/list_broker_contract.h"

#include <algorithm>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/list_broker.h"

namespace protean {

using contract::HasCode;

void ListBrokerContractTest::TearDown() {
  if (!opened()) return;
  for (const std::string& s : streams_) (void)broker().DeleteStream(s);
}

std::string ListBrokerContractTest::Stream(const std::string& name) {
  const std::string s =
      "lct-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
      contract::ProcessToken() + "-" + std::to_string(contract::NextSerial()) + ":" + name;
  (void)broker().DeleteStream(s);
  streams_.push_back(s);
  return s;
}

Fields ListBrokerContractTest::Message(int i) {
  return {{"data", R"({"data": {"n": )" + std::to_string(i) +
                       R"(}, "metadata": {"headers": {"id": "m-)" + std::to_string(i) +
                       R"(", "type": "T"}}})"}};
}

std::vector<std::string> ListBrokerContractTest::PublishN(const std::string& stream, int n,
                                                          int from) {
  std::vector<std::string> ids;
  for (int i = from; i < from + n; ++i) {
    Result<std::string> id = broker().Publish(stream, Message(i));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    if (id.ok()) ids.push_back(*id);
  }
  return ids;
}

std::vector<StreamEntry> ListBrokerContractTest::ReadOk(const std::string& stream,
                                                        const std::string& group,
                                                        const std::string& consumer, int count) {
  Result<std::vector<StreamEntry>> read =
      broker().ReadNew(stream, group, consumer, count, Duration{0});
  EXPECT_TRUE(read.ok()) << read.status().ToString();
  return read.ok() ? *read : std::vector<StreamEntry>{};
}

TEST_P(ListBrokerContractTest, CapabilitiesAreProteansSimpleQueuing) {
  EXPECT_EQ(broker().provider(), "redis_pubsub");
  const BrokerCapabilities caps = broker().capabilities();
  EXPECT_TRUE(caps.persistent);
  EXPECT_TRUE(caps.consumer_groups);
  EXPECT_FALSE(caps.pending);
  EXPECT_FALSE(caps.dlq);
  EXPECT_FALSE(caps.retention);
  EXPECT_FALSE(caps.blocking_reads);
  EXPECT_TRUE(broker().Ping().ok());
}

TEST_P(ListBrokerContractTest, PublishAppendsProteansPairAndReturnsItsIdentifier) {
  const std::string s = Stream();
  const std::vector<std::string> ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 3u);
  for (const std::string& id : ids) EXPECT_EQ(id.size(), 36u) << id;  // a UUID
  EXPECT_EQ(*broker().Length(s), 3);
  Result<std::vector<StreamEntry>> all = broker().Range(s, "-", "+", kMany);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*all)[i].id, ids[i]);
    EXPECT_EQ((*all)[i].fields, Message(static_cast<int>(i))) << "the message's bytes";
  }
  // The item itself is json.dumps((identifier, message)).
  EXPECT_EQ(*EncodeListItem(ids[0], Message(0)),
            "[\"" + ids[0] + "\", " + Message(0)[0].second + "]");
}

TEST_P(ListBrokerContractTest, PublishTakesOneDataFieldHoldingJson) {
  const std::string s = Stream();
  EXPECT_TRUE(HasCode(broker().Publish(s, {}).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(HasCode(broker().Publish(s, {{"id", "1"}, {"data", "{}"}}).status(),
                      StatusCode::kInvalidArgument));
  EXPECT_TRUE(
      HasCode(broker().Publish(s, {{"data", "{not json"}}).status(), StatusCode::kInvalidArgument));
  EXPECT_EQ(*broker().Length(s), 0);
}

TEST_P(ListBrokerContractTest, EachGroupReadsEveryItemFromItsOwnPosition) {
  const std::string s = Stream();
  const std::vector<std::string> ids = PublishN(s, 5);
  std::vector<StreamEntry> a = ReadOk(s, "app.handlers.A", "c", 2);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].id, ids[0]);
  EXPECT_EQ(a[1].id, ids[1]);
  EXPECT_EQ(a[0].delivery_count, 1);
  EXPECT_EQ(*broker().Lag(s, "app.handlers.A"), std::optional<int64_t>(3));
  EXPECT_EQ(*broker().Lag(s, "app.handlers.B"), std::optional<int64_t>(5));
  std::vector<StreamEntry> b = ReadOk(s, "app.handlers.B");
  ASSERT_EQ(b.size(), 5u) << "another group starts at 0";
  std::vector<StreamEntry> rest = ReadOk(s, "app.handlers.A");
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].id, ids[2]);
  EXPECT_TRUE(ReadOk(s, "app.handlers.A").empty());
  EXPECT_EQ(*broker().Lag(s, "app.handlers.A"), std::optional<int64_t>(0));
  PublishN(s, 1, 5);
  EXPECT_EQ(ReadOk(s, "app.handlers.A").size(), 1u);
  EXPECT_EQ(ReadOk(s, "app.handlers.B").size(), 1u);
  EXPECT_EQ(*broker().Length(s), 6) << "reading removes nothing";
}

TEST_P(ListBrokerContractTest, ConsumersOfOneGroupNeverShareAnItem) {
  const std::string s = Stream();
  constexpr int kItems = 200;
  PublishN(s, kItems);
  std::vector<std::vector<StreamEntry>> got(4);
  std::vector<std::thread> readers;
  for (size_t r = 0; r < got.size(); ++r) {
    readers.emplace_back([&, r] {
      for (int i = 0; i < 1000; ++i) {  // concurrent calls: a real backend's own connections
        auto read = broker().ReadNew(s, "g", "c" + std::to_string(r), 3, Duration{0});
        if (!read.ok() || read->empty()) break;
        got[r].insert(got[r].end(), read->begin(), read->end());
      }
    });
  }
  for (std::thread& t : readers) t.join();
  std::set<std::string> seen;
  size_t total = 0;
  for (const auto& items : got) {
    total += items.size();
    for (const StreamEntry& e : items) seen.insert(e.id);
  }
  EXPECT_EQ(total, static_cast<size_t>(kItems));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kItems)) << "no item twice, none skipped";
}

TEST_P(ListBrokerContractTest, NothingIsEverPending) {
  const std::string s = Stream();
  const std::vector<std::string> ids = PublishN(s, 2);
  ASSERT_EQ(ReadOk(s, "g").size(), 2u);
  EXPECT_TRUE(broker().ReadPending(s, "g", "c", kAllPending, kMany)->empty());
  EXPECT_TRUE(broker().Pending(s, "g", "", kMany)->empty());
  EXPECT_EQ(*broker().PendingCount(s, "g"), 0);
  EXPECT_EQ(*broker().Ack(s, "g", ids), 0) << "Protean's ack: not supported";
  Result<ClaimResult> claim =
      broker().AutoClaim(s, "g", "other", Duration{0}, std::string(kClaimScanStart), 10);
  ASSERT_TRUE(claim.ok());
  EXPECT_TRUE(claim->done());
  EXPECT_TRUE(claim->claimed.empty());
  EXPECT_EQ(*broker().Redeliver(s, "g", "c", ids[0]), std::nullopt);
  EXPECT_EQ(*broker().Release(s, "g", "c", {{ids[0], 0}}), 0);
  EXPECT_EQ(*broker().Touch(s, "g", "c", ids), 0);
  EXPECT_TRUE(ReadOk(s, "g").empty()) << "a read item is the reader's: never read again";
}

TEST_P(ListBrokerContractTest, CreateGroupAtTheEndSkipsWhatIsThereAndKeepsAPosition) {
  const std::string s = Stream();
  PublishN(s, 3);
  ASSERT_TRUE(broker().CreateGroup(s, "late", GroupStart::kEnd).ok());
  EXPECT_EQ(*broker().Lag(s, "late"), std::optional<int64_t>(0));
  ASSERT_TRUE(broker().CreateGroup(s, "early", GroupStart::kBeginning).ok());
  EXPECT_EQ(*broker().Lag(s, "early"), std::optional<int64_t>(3));
  ASSERT_EQ(ReadOk(s, "early", "c", 1).size(), 1u);
  // Neither start moves an existing group.
  ASSERT_TRUE(broker().CreateGroup(s, "early", GroupStart::kEnd).ok());
  ASSERT_TRUE(broker().CreateGroup(s, "early", GroupStart::kBeginning).ok());
  EXPECT_EQ(*broker().Lag(s, "early"), std::optional<int64_t>(2));
  PublishN(s, 1, 3);
  EXPECT_EQ(ReadOk(s, "late").size(), 1u);
}

TEST_P(ListBrokerContractTest, AnItemThatIsNoPairTakesItsIndexAndReadsAsUndecodable) {
  EXPECT_EQ(DecodeListItem("[\"u-1\", {\"a\": 1}]", 0).id, "u-1");
  EXPECT_EQ(DecodeListItem("[\"u-1\", {\"a\": 1}]", 0).fields, (Fields{{"data", "{\"a\": 1}"}}));
  for (const char* bad : {"{not json", "[1, {}]", "[\"x\"]", "{\"a\": 1}", "[\"\", {}]"}) {
    const StreamEntry e = DecodeListItem(bad, 7);
    EXPECT_EQ(e.id, "@7") << bad;
    EXPECT_EQ(e.fields, (Fields{{"data", bad}}));
  }
}

TEST_P(ListBrokerContractTest, NoDlqNoTrimNoDelete) {
  const std::string s = Stream();
  const std::vector<std::string> ids = PublishN(s, 2);
  DlqMetadata meta;
  meta.original_stream = s;
  meta.original_id = ids[0];
  EXPECT_TRUE(
      HasCode(broker().MoveToDlq(s, "g", ids[0], meta).status(), StatusCode::kInvalidArgument));
  const std::string dlq = DlqStreamName(s);
  EXPECT_TRUE(HasCode(broker().DlqList(dlq, 10).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(HasCode(broker().DlqDepth(dlq).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(HasCode(broker().DlqReplayAll(dlq).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(HasCode(broker().DlqPurge(dlq).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(
      HasCode(broker().Trim(s, TrimSpec::MaxLen(1)).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(HasCode(broker().TrimRetained(s, 1).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(HasCode(broker().Delete(s, {ids[0]}).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(HasCode(broker().Range(s, ids[0], "+", 10).status(), StatusCode::kInvalidArgument));
  EXPECT_EQ(*broker().Length(s), 2) << "nothing was removed";
}

TEST_P(ListBrokerContractTest, CountsMustBePositive) {
  const std::string s = Stream();
  EXPECT_TRUE(HasCode(broker().ReadNew(s, "g", "c", 0, Duration{0}).status(),
                      StatusCode::kInvalidArgument));
  EXPECT_TRUE(HasCode(broker().Range(s, "-", "+", 0).status(), StatusCode::kInvalidArgument));
}

TEST_P(ListBrokerContractTest, DeleteStreamForgetsTheListAndItsPositions) {
  const std::string s = Stream();
  PublishN(s, 4);
  ASSERT_EQ(ReadOk(s, "g", "c", 3).size(), 3u);
  EXPECT_EQ(*broker().DeleteStream(s), 4);
  EXPECT_EQ(*broker().Length(s), 0);
  EXPECT_EQ(*broker().DeleteStream(s), 0);
  PublishN(s, 2);
  EXPECT_EQ(ReadOk(s, "g").size(), 2u) << "the group starts over at 0";
}

TEST_P(ListBrokerContractTest, CloseMakesLaterCallsUnavailable) {
  std::unique_ptr<Broker> other = Make();
  const std::string s = Stream();
  other->Close();
  EXPECT_TRUE(HasCode(other->Publish(s, Message(0)).status(), StatusCode::kUnavailable));
  EXPECT_TRUE(
      HasCode(other->ReadNew(s, "g", "c", 1, Duration{0}).status(), StatusCode::kUnavailable));
  EXPECT_TRUE(HasCode(other->Ack(s, "g", {"x"}).status(), StatusCode::kUnavailable));
  EXPECT_FALSE(other->Ping().ok());
}

}  // namespace protean
