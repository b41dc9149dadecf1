// The Broker contract's cases (broker_contract.h), compiled once for every
// backend: each backend's test file instantiates BrokerContractTest.

#include "tests/contract/broker_contract.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/broker.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {
namespace {

using contract::HasCode;

using Strings = std::vector<std::string>;

Fields Data(const std::string& value) { return {{"data", value}}; }

std::vector<std::string> Ids(const std::vector<StreamEntry>& entries) {
  std::vector<std::string> out;
  for (const StreamEntry& e : entries) out.push_back(e.id);
  return out;
}

std::vector<std::string> Ids(const std::vector<PendingEntry>& entries) {
  std::vector<std::string> out;
  for (const PendingEntry& e : entries) out.push_back(e.id);
  return out;
}

std::vector<std::string> Ids(const std::vector<DlqEntry>& entries) {
  std::vector<std::string> out;
  for (const DlqEntry& e : entries) out.push_back(e.dlq_id);
  return out;
}

// The "data" field of each entry ("<none>" when absent).
std::vector<std::string> Values(const std::vector<StreamEntry>& entries) {
  std::vector<std::string> out;
  for (const StreamEntry& e : entries) {
    const std::string* value = FindField(e.fields, "data");
    out.push_back(value != nullptr ? *value : "<none>");
  }
  return out;
}

std::vector<int64_t> Counts(const std::vector<StreamEntry>& entries) {
  std::vector<int64_t> out;
  for (const StreamEntry& e : entries) out.push_back(e.delivery_count);
  return out;
}

StreamId ParsedId(const std::string& id) {
  const auto parsed = StreamId::Parse(id);
  EXPECT_TRUE(parsed.has_value()) << "not a stream id: '" << id << "'";
  return parsed.value_or(StreamId{});
}

}  // namespace

void BrokerContractTest::TearDown() {
  if (!opened()) return;
  // A fresh broker cleans up, so cases that Close() theirs are covered too.
  std::unique_ptr<Broker> cleaner = Make();
  for (const std::string& name : streams_) {
    (void)cleaner->DeleteStream(name);
    (void)cleaner->DeleteStream(DlqStreamName(name));
  }
  cleaner->Close();
  broker().Close();
}

std::string BrokerContractTest::Stream(const std::string& name) {
  std::string full =
      "ct-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
      contract::ProcessToken() + "-" + std::to_string(contract::NextSerial()) + ":" + name;
  (void)broker().DeleteStream(full);
  (void)broker().DeleteStream(DlqStreamName(full));
  streams_.push_back(full);
  return full;
}

std::vector<std::string> BrokerContractTest::PublishN(const std::string& stream, int n,
                                                      const std::string& prefix) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    auto id = broker().Publish(stream, Data(prefix + std::to_string(i)));
    EXPECT_TRUE(id.ok()) << "Publish " << stream << ": " << id.status().ToString();
    if (!id.ok()) break;
    ids.push_back(*id);
  }
  return ids;
}

void BrokerContractTest::CreateGroupOk(const std::string& stream, const std::string& group,
                                       GroupStart start) {
  const Status status = broker().CreateGroup(stream, group, start);
  EXPECT_TRUE(status.ok()) << "CreateGroup " << stream << " " << group << ": " << status.ToString();
}

std::vector<StreamEntry> BrokerContractTest::ReadNewOk(const std::string& stream,
                                                       const std::string& group,
                                                       const std::string& consumer, int count) {
  auto read = broker().ReadNew(stream, group, consumer, count, Duration(0));
  EXPECT_TRUE(read.ok()) << "ReadNew " << stream << ": " << read.status().ToString();
  return read.ok() ? *read : std::vector<StreamEntry>{};
}

std::vector<StreamEntry> BrokerContractTest::ReadPendingOk(const std::string& stream,
                                                           const std::string& group,
                                                           const std::string& consumer,
                                                           const std::string& after_id, int count) {
  auto read = broker().ReadPending(stream, group, consumer, after_id, count);
  EXPECT_TRUE(read.ok()) << "ReadPending " << stream << ": " << read.status().ToString();
  return read.ok() ? *read : std::vector<StreamEntry>{};
}

std::vector<PendingEntry> BrokerContractTest::PendingOk(const std::string& stream,
                                                        const std::string& group,
                                                        const std::string& consumer, int count) {
  auto pending = broker().Pending(stream, group, consumer, count);
  EXPECT_TRUE(pending.ok()) << "Pending " << stream << ": " << pending.status().ToString();
  return pending.ok() ? *pending : std::vector<PendingEntry>{};
}

ClaimResult BrokerContractTest::AutoClaimOk(const std::string& stream, const std::string& group,
                                            const std::string& consumer, Duration min_idle,
                                            const std::string& cursor, int count) {
  auto claim = broker().AutoClaim(stream, group, consumer, min_idle, cursor, count);
  EXPECT_TRUE(claim.ok()) << "AutoClaim " << stream << ": " << claim.status().ToString();
  return claim.ok() ? *claim : ClaimResult{};
}

std::vector<StreamEntry> BrokerContractTest::RangeOk(const std::string& stream,
                                                     const std::string& start,
                                                     const std::string& end, int count) {
  auto range = broker().Range(stream, start, end, count);
  EXPECT_TRUE(range.ok()) << "Range " << stream << " " << start << " " << end << ": "
                          << range.status().ToString();
  return range.ok() ? *range : std::vector<StreamEntry>{};
}

int64_t BrokerContractTest::LengthOk(const std::string& stream) {
  auto length = broker().Length(stream);
  EXPECT_TRUE(length.ok()) << "Length " << stream << ": " << length.status().ToString();
  return length.ok() ? *length : -1;
}

std::optional<int64_t> BrokerContractTest::LagOk(const std::string& stream,
                                                 const std::string& group) {
  auto lag = broker().Lag(stream, group);
  EXPECT_TRUE(lag.ok()) << "Lag " << stream << " " << group << ": " << lag.status().ToString();
  return lag.ok() ? *lag : std::optional<int64_t>(-100);
}

int64_t BrokerContractTest::CountOk(Result<int64_t> result, const char* what) {
  EXPECT_TRUE(result.ok()) << what << ": " << result.status().ToString();
  return result.ok() ? *result : -100;
}

DlqMetadata BrokerContractTest::Meta(const std::string& stream, const std::string& id,
                                     const std::string& reason, int64_t attempts) {
  DlqMetadata meta;
  meta.original_stream = stream;
  meta.original_id = id;
  meta.consumer_group = "g";
  meta.consumer = "c1";
  meta.first_failure = FromMillis(ToMillis(clock().Now()) - 2000);
  meta.last_failure = FromMillis(ToMillis(clock().Now()));
  meta.attempts = attempts;
  meta.reason = reason;
  return meta;
}

std::vector<std::string> BrokerContractTest::DeadLetterN(const std::string& stream, int n) {
  CreateGroupOk(stream, "g");
  std::vector<std::string> ids = PublishN(stream, n);
  EXPECT_EQ(ReadNewOk(stream, "g", "c1").size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto moved =
        broker().MoveToDlq(stream, "g", ids[i], Meta(stream, ids[i], "r" + std::to_string(i)));
    EXPECT_TRUE(moved.ok() && *moved) << "MoveToDlq " << ids[i];
  }
  return ids;
}

// Shorthands for the cases below.
#define BROKER_CT_OK(expr)                                                                \
  do {                                                                                    \
    const ::protean::Status broker_ct_status_ = (expr);                                   \
    ASSERT_TRUE(broker_ct_status_.ok()) << #expr << ": " << broker_ct_status_.ToString(); \
  } while (0)
#define BROKER_CT_CODE(expr, code) \
  EXPECT_TRUE(::protean::contract::HasCode((expr).status(), ::protean::StatusCode::code)) << #expr

// --- Ids, publishing, ranges -----------------------------------------------

TEST_P(BrokerContractTest, PublishIdsCarryClockMillisAndGrow) {
  const std::string s = Stream();
  const auto before_ms = static_cast<uint64_t>(ToMillis(clock().Now()));
  const Strings ids = PublishN(s, 3);
  const auto after_ms = static_cast<uint64_t>(ToMillis(clock().Now()));
  ASSERT_EQ(ids.size(), 3u);
  for (size_t i = 0; i < ids.size(); ++i) {
    const StreamId id = ParsedId(ids[i]);
    EXPECT_EQ(id.ToString(), ids[i]) << "ids are canonical <ms>-<seq>";
    EXPECT_GE(id.ms, before_ms);
    EXPECT_LE(id.ms, after_ms);
    if (i > 0) {
      EXPECT_LT(ParsedId(ids[i - 1]), id);
    }
  }
  if (simulated()) {
    const std::string ms = std::to_string(before_ms);
    EXPECT_EQ(ids, (Strings{ms + "-0", ms + "-1", ms + "-2"}));
    AdvanceTime(Millis(5));
    EXPECT_EQ(PublishN(s, 1), (Strings{std::to_string(before_ms + 5) + "-0"}));
  }
}

TEST_P(BrokerContractTest, IdsKeepGrowingWhenTheClockGoesBack) {
  if (!simulated()) GTEST_SKIP() << "needs a clock the test can move back";
  const std::string s = Stream();
  const Strings first = PublishN(s, 1);
  ASSERT_EQ(first.size(), 1u);
  const StreamId top = ParsedId(first[0]);
  sim_clock().Advance(-Seconds(10));
  const std::string ms = std::to_string(top.ms);
  EXPECT_EQ(PublishN(s, 2), (Strings{ms + "-1", ms + "-2"}));
  sim_clock().Advance(Seconds(11));
  EXPECT_EQ(PublishN(s, 1), (Strings{std::to_string(top.ms + 1000) + "-0"}));
}

TEST_P(BrokerContractTest, PublishNeedsAtLeastOneField) {
  const std::string s = Stream();
  BROKER_CT_CODE(broker().Publish(s, Fields{}), kInvalidArgument);
  EXPECT_EQ(LengthOk(s), 0);
}

TEST_P(BrokerContractTest, RangeReturnsEntriesInIdOrderWithTheirFields) {
  const std::string s = Stream();
  // Field order and repeated names are kept as given (XADD stores pairs).
  const Fields fields = {{"b", "2"}, {"a", "1"}, {"data", "x"}, {"a", "dup"}};
  auto first = broker().Publish(s, fields);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const Strings ids = PublishN(s, 3);
  const std::vector<StreamEntry> all = RangeOk(s);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].id, *first);
  EXPECT_EQ(all[0].fields, fields);
  EXPECT_FALSE(all[0].deleted);
  const std::vector<StreamEntry> rest(all.begin() + 1, all.end());
  EXPECT_EQ(Ids(rest), ids);
  EXPECT_EQ(Values(rest), (Strings{"m0", "m1", "m2"}));
}

TEST_P(BrokerContractTest, RangeBoundsAreInclusiveOrExclusiveAndCountLimits) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 5);
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(Ids(RangeOk(s, ids[1], ids[3])), (Strings{ids[1], ids[2], ids[3]}));
  EXPECT_EQ(Ids(RangeOk(s, "(" + ids[1], "(" + ids[3])), (Strings{ids[2]}));
  EXPECT_EQ(Ids(RangeOk(s, ids[3], "+")), (Strings{ids[3], ids[4]}));
  EXPECT_EQ(Ids(RangeOk(s, "-", "+", 2)), (Strings{ids[0], ids[1]}));
  EXPECT_EQ(Ids(RangeOk(s, ids[2], ids[2])), (Strings{ids[2]}));
  EXPECT_TRUE(RangeOk(s, ids[3], ids[1]).empty());
  // A bare <ms> is <ms>-0 as a start and <ms>-<max seq> as an end.
  const StreamId first = ParsedId(ids[0]);
  const StreamId last = ParsedId(ids[4]);
  EXPECT_EQ(RangeOk(s, std::to_string(first.ms), std::to_string(last.ms)).size(), 5u);
  EXPECT_TRUE(RangeOk(s, std::to_string(last.ms + 1), "+").empty());
}

TEST_P(BrokerContractTest, RangeOfAMissingStreamIsEmptyAndBadBoundsAreRejected) {
  const std::string s = Stream();
  EXPECT_TRUE(RangeOk(s).empty());
  BROKER_CT_CODE(broker().Range(s, "abc", "+", 10), kInvalidArgument);
  BROKER_CT_CODE(broker().Range(s, "-", "1-x", 10), kInvalidArgument);
}

TEST_P(BrokerContractTest, CountsBelowOneAreRejected) {
  const std::string s = Stream();
  CreateGroupOk(s, "g");
  PublishN(s, 1);
  Broker& b = broker();
  BROKER_CT_CODE(b.Range(s, "-", "+", 0), kInvalidArgument);
  BROKER_CT_CODE(b.ReadNew(s, "g", "c1", 0, Duration(0)), kInvalidArgument);
  BROKER_CT_CODE(b.ReadPending(s, "g", "c1", "0", 0), kInvalidArgument);
  BROKER_CT_CODE(b.Pending(s, "g", "", 0), kInvalidArgument);
  BROKER_CT_CODE(b.AutoClaim(s, "g", "c1", Duration(0), "0-0", 0), kInvalidArgument);
  EXPECT_TRUE(PendingOk(s, "g").empty()) << "a rejected read delivered nothing";
}

TEST_P(BrokerContractTest, LengthCountsStoredEntries) {
  const std::string s = Stream();
  EXPECT_EQ(LengthOk(s), 0);
  const Strings ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(LengthOk(s), 3);
  EXPECT_EQ(CountOk(broker().Delete(s, {ids[0]}), "Delete"), 1);
  EXPECT_EQ(LengthOk(s), 2);
}

TEST_P(BrokerContractTest, DeleteRemovesOnlyExistingEntries) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  Broker& b = broker();
  EXPECT_EQ(CountOk(b.Delete(s, {ids[1], ids[1], "1-1"}), "Delete"), 1);
  EXPECT_EQ(Ids(RangeOk(s)), (Strings{ids[0], ids[2]}));
  EXPECT_EQ(CountOk(b.Delete(s, {ids[2]}), "Delete top"), 1);
  // The top id is remembered: a new id stays above the deleted one.
  const Strings next = PublishN(s, 1, "n");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_LT(ParsedId(ids[2]), ParsedId(next[0]));
  EXPECT_EQ(CountOk(b.Delete(Stream("missing"), {ids[0]}), "Delete missing"), 0);
  BROKER_CT_CODE(b.Delete(s, {"nope"}), kInvalidArgument);
}

TEST_P(BrokerContractTest, DeleteStreamReturnsItsEntriesAndDropsGroups) {
  const std::string s = Stream();
  CreateGroupOk(s, "g");
  PublishN(s, 3);
  ReadNewOk(s, "g", "c1", 1);
  EXPECT_EQ(CountOk(broker().DeleteStream(s), "DeleteStream"), 3);
  EXPECT_EQ(LengthOk(s), 0);
  EXPECT_TRUE(RangeOk(s).empty());
  BROKER_CT_CODE(broker().Pending(s, "g", "", 10), kNotFound);
  EXPECT_EQ(CountOk(broker().DeleteStream(s), "DeleteStream again"), 0);
}

// --- Groups and ReadNew ----------------------------------------------------

TEST_P(BrokerContractTest, GroupFromTheBeginningDeliversExistingEntries) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 3);
  CreateGroupOk(s, "g", GroupStart::kBeginning);
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1")), ids);
}

TEST_P(BrokerContractTest, GroupFromTheEndDeliversOnlyNewEntries) {
  const std::string s = Stream();
  PublishN(s, 3);
  CreateGroupOk(s, "g", GroupStart::kEnd);
  EXPECT_TRUE(ReadNewOk(s, "g", "c1").empty());
  const Strings later = PublishN(s, 2, "n");
  const std::vector<StreamEntry> read = ReadNewOk(s, "g", "c1");
  EXPECT_EQ(Ids(read), later);
  EXPECT_EQ(Values(read), (Strings{"n0", "n1"}));
}

TEST_P(BrokerContractTest, CreatingAnExistingGroupLeavesItUntouched) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 2);
  // BUSYGROUP is not an error, and neither start moves the existing group.
  CreateGroupOk(s, "g", GroupStart::kBeginning);
  CreateGroupOk(s, "g", GroupStart::kEnd);
  EXPECT_EQ(Ids(PendingOk(s, "g")), (Strings{ids[0], ids[1]}));
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1")), (Strings{ids[2]}));
}

TEST_P(BrokerContractTest, CreateGroupCreatesAMissingStream) {
  const std::string s = Stream();
  CreateGroupOk(s, "g", GroupStart::kEnd);  // MKSTREAM
  EXPECT_EQ(LengthOk(s), 0);
  EXPECT_TRUE(ReadNewOk(s, "g", "c1").empty());
  EXPECT_TRUE(PendingOk(s, "g").empty());
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(0));
  const Strings ids = PublishN(s, 1);
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1")), ids);
}

TEST_P(BrokerContractTest, ReadNewRecreatesAMissingGroupFromTheBeginning) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  // NOGROUP: the group is created at "0" and the read retried once; the
  // broker counts it, so the engine can say so.
  EXPECT_EQ(broker().GroupRecreations(s, "g"), 0);
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1")), ids);
  EXPECT_EQ(broker().GroupRecreations(s, "g"), 1);
  EXPECT_EQ(Ids(PendingOk(s, "g")), ids);
  EXPECT_TRUE(ReadNewOk(s, "g", "c1").empty());
  EXPECT_EQ(broker().GroupRecreations(s, "g"), 1) << "an existing group is not recreated";
  // A deleted stream (a server restart without persistence) recovers too.
  EXPECT_EQ(CountOk(broker().DeleteStream(s), "DeleteStream"), 2);
  const Strings again = PublishN(s, 1, "n");
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1")), again);
  EXPECT_EQ(broker().GroupRecreations(s, "g"), 2);
  EXPECT_EQ(broker().GroupRecreations(s, "other-group"), 0);
  // So does a stream that never existed: it is created empty.
  const std::string other = Stream("other");
  EXPECT_TRUE(ReadNewOk(other, "g", "c1").empty());
  const Strings first = PublishN(other, 1);
  EXPECT_EQ(Ids(ReadNewOk(other, "g", "c1")), first);
}

TEST_P(BrokerContractTest, ReadNewHonoursCountAndAdvances) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 5);
  ASSERT_EQ(ids.size(), 5u);
  CreateGroupOk(s, "g");
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1", 2)), (Strings{ids[0], ids[1]}));
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1", 2)), (Strings{ids[2], ids[3]}));
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1", 2)), (Strings{ids[4]}));
  EXPECT_TRUE(ReadNewOk(s, "g", "c1", 2).empty());
}

TEST_P(BrokerContractTest, ReadNewGivesEachEntryToExactlyOneConsumer) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 6);
  ASSERT_EQ(ids.size(), 6u);
  CreateGroupOk(s, "g");
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1", 2)), (Strings{ids[0], ids[1]}));
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c2", 2)), (Strings{ids[2], ids[3]}));
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1")), (Strings{ids[4], ids[5]}));
  EXPECT_TRUE(ReadNewOk(s, "g", "c2").empty());
  Strings owners;
  for (const PendingEntry& p : PendingOk(s, "g")) owners.push_back(p.consumer);
  EXPECT_EQ(owners, (Strings{"c1", "c1", "c2", "c2", "c1", "c1"}));
  // Another group gets its own copy of everything.
  CreateGroupOk(s, "other");
  EXPECT_EQ(Ids(ReadNewOk(s, "other", "c1")), ids);
}

TEST_P(BrokerContractTest, ReadNewStartsTheDeliveryCountAtOne) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  CreateGroupOk(s, "g");
  const std::vector<StreamEntry> read = ReadNewOk(s, "g", "c1");
  EXPECT_EQ(Counts(read), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(Values(read), (Strings{"m0", "m1"}));
  for (const StreamEntry& e : read) EXPECT_FALSE(e.deleted);
  const std::vector<PendingEntry> pending = PendingOk(s, "g");
  ASSERT_EQ(pending.size(), 2u);
  for (const PendingEntry& p : pending) {
    EXPECT_EQ(p.consumer, "c1");
    EXPECT_EQ(p.delivery_count, 1);
  }
}

TEST_P(BrokerContractTest, ReadNewSkipsDeletedEntries) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  CreateGroupOk(s, "g");
  EXPECT_EQ(CountOk(broker().Delete(s, {ids[1]}), "Delete"), 1);
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1")), (Strings{ids[0], ids[2]}));
}

TEST_P(BrokerContractTest, ConcurrentCallersGetDistinctIdsAndDeliveries) {
  const std::string s = Stream();
  CreateGroupOk(s, "g");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<Strings> published(kThreads);
  std::vector<Strings> delivered(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string consumer = "c" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        auto id = broker().Publish(s, Data("x"));
        if (id.ok()) published[t].push_back(*id);
        auto read = broker().ReadNew(s, "g", consumer, 2, Duration(0));
        if (read.ok()) {
          for (const StreamEntry& e : *read) delivered[t].push_back(e.id);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> all_published;
  std::set<std::string> all_delivered;
  size_t delivered_count = 0;
  for (int t = 0; t < kThreads; ++t) {
    all_published.insert(published[t].begin(), published[t].end());
    all_delivered.insert(delivered[t].begin(), delivered[t].end());
    delivered_count += delivered[t].size();
  }
  EXPECT_EQ(all_published.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(all_delivered.size(), delivered_count) << "an entry went to two consumers";
  const std::vector<StreamEntry> rest = ReadNewOk(s, "g", "late");
  for (const StreamEntry& e : rest) EXPECT_TRUE(all_delivered.insert(e.id).second);
  EXPECT_EQ(all_delivered, all_published);
}

// --- Pending entries: ReadPending, Ack, Pending ----------------------------

TEST_P(BrokerContractTest, ReadPendingCountsEveryDelivery) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  CreateGroupOk(s, "g");
  EXPECT_EQ(Counts(ReadNewOk(s, "g", "c1")), (std::vector<int64_t>{1, 1}));
  const std::vector<StreamEntry> again = ReadPendingOk(s, "g", "c1");
  EXPECT_EQ(Ids(again), ids);
  EXPECT_EQ(Values(again), (Strings{"m0", "m1"}));
  EXPECT_EQ(Counts(again), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Counts(ReadPendingOk(s, "g", "c1")), (std::vector<int64_t>{3, 3}));
  for (const PendingEntry& p : PendingOk(s, "g")) EXPECT_EQ(p.delivery_count, 3);
  EXPECT_TRUE(ReadNewOk(s, "g", "c1").empty()) << "pending entries are not new";
}

TEST_P(BrokerContractTest, ReadPendingReturnsOnlyTheConsumersOwnEntries) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 1);
  ReadNewOk(s, "g", "c2", 1);
  ReadNewOk(s, "g", "c1", 1);
  EXPECT_EQ(Ids(ReadPendingOk(s, "g", "c1")), (Strings{ids[0], ids[2]}));
  EXPECT_EQ(Ids(ReadPendingOk(s, "g", "c2")), (Strings{ids[1]}));
  EXPECT_TRUE(ReadPendingOk(s, "g", "c3").empty());
}

TEST_P(BrokerContractTest, ReadPendingStartsAfterTheGivenIdAndHonoursCount) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 4);
  ASSERT_EQ(ids.size(), 4u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  EXPECT_EQ(Ids(ReadPendingOk(s, "g", "c1", ids[1])), (Strings{ids[2], ids[3]}));
  EXPECT_EQ(Ids(ReadPendingOk(s, "g", "c1", "0-0", 2)), (Strings{ids[0], ids[1]}));
  EXPECT_TRUE(ReadPendingOk(s, "g", "c1", ids[3]).empty());
  // A bare <ms> is <ms>-0; the first id of a new stream is <ms>-0 itself.
  const std::string first_ms = std::to_string(ParsedId(ids[0]).ms);
  EXPECT_EQ(Ids(ReadPendingOk(s, "g", "c1", first_ms)), (Strings{ids[1], ids[2], ids[3]}));
  BROKER_CT_CODE(broker().ReadPending(s, "g", "c1", "x", 10), kInvalidArgument);
}

TEST_P(BrokerContractTest, ReadPendingResetsIdleTime) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  ASSERT_EQ(ids.size(), 2u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  AdvanceTime(kWait);
  EXPECT_EQ(Ids(ReadPendingOk(s, "g", "c1", "0", 1)), (Strings{ids[0]}));
  const std::vector<PendingEntry> pending = PendingOk(s, "g");
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_LT(pending[0].idle, kIdle);
  EXPECT_GE(pending[1].idle, kIdle);
}

TEST_P(BrokerContractTest, ReadPendingReturnsDeletedEntriesWithoutFields) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  ASSERT_EQ(ids.size(), 2u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  EXPECT_EQ(CountOk(broker().Delete(s, {ids[0]}), "Delete"), 1);
  const std::vector<StreamEntry> read = ReadPendingOk(s, "g", "c1");
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].id, ids[0]);
  EXPECT_TRUE(read[0].deleted);
  EXPECT_TRUE(read[0].fields.empty());
  EXPECT_EQ(read[0].delivery_count, 1) << "[id, nil] replies do not count a delivery";
  EXPECT_FALSE(read[1].deleted);
  EXPECT_EQ(read[1].delivery_count, 2);
  EXPECT_EQ(Values({read[1]}), (Strings{"m1"}));
  EXPECT_EQ(Ids(PendingOk(s, "g")), ids) << "the deleted id stays pending";
  EXPECT_EQ(CountOk(broker().Ack(s, "g", {ids[0]}), "Ack"), 1);
}

TEST_P(BrokerContractTest, CallsOnAMissingGroup) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 1);
  ASSERT_EQ(ids.size(), 1u);
  const std::string missing_stream = Stream("missing");
  Broker& b = broker();
  for (const std::string& stream : {s, missing_stream}) {
    BROKER_CT_CODE(b.ReadPending(stream, "g", "c1", "0", 10), kNotFound);
    BROKER_CT_CODE(b.Pending(stream, "g", "", 10), kNotFound);
    BROKER_CT_CODE(b.PendingCount(stream, "g"), kNotFound);
    BROKER_CT_CODE(b.AutoClaim(stream, "g", "c1", Duration(0), "0-0", 10), kNotFound);
    BROKER_CT_CODE(b.Lag(stream, "g"), kNotFound);
    EXPECT_EQ(CountOk(b.Ack(stream, "g", {ids[0]}), "Ack"), 0);
    auto moved = b.MoveToDlq(stream, "g", ids[0], Meta(stream, ids[0], "x"));
    ASSERT_TRUE(moved.ok()) << moved.status().ToString();
    EXPECT_FALSE(*moved);
  }
  EXPECT_EQ(LengthOk(DlqStreamName(s)), 0);
}

TEST_P(BrokerContractTest, AckReturnsHowManyIdsWerePending) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 2);
  Broker& b = broker();
  EXPECT_EQ(CountOk(b.Ack(s, "g", {ids[0], ids[2]}), "Ack"), 1) << "ids[2] not delivered";
  EXPECT_EQ(CountOk(b.Ack(s, "g", {ids[0]}), "Ack again"), 0);
  EXPECT_EQ(CountOk(b.Ack(s, "g", {ids[1], ids[1]}), "Ack twice"), 1);
  EXPECT_TRUE(PendingOk(s, "g").empty());
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1")), (Strings{ids[2]}));
  BROKER_CT_CODE(b.Ack(s, "g", {"bad"}), kInvalidArgument);
}

// The ack and the next read as one call (Redis: one round trip): the ack's
// result goes to the callback before the read returns, and no ids is a
// read alone.
TEST_P(BrokerContractTest, AckThenReadNewAcksTheHandledAndReadsTheNext) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 5);
  ASSERT_EQ(ids.size(), 5u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 2);
  Broker& b = broker();
  std::vector<Result<int64_t>> acked;
  const Broker::AckDone record = [&acked](Result<int64_t> r) { acked.push_back(std::move(r)); };
  auto read = b.AckThenReadNew(s, "g", "c1", {ids[0], ids[1]}, record, 2, Duration{0});
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(CountOk(acked[0], "acked"), 2);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(Ids(*read), (Strings{ids[2], ids[3]}));
  EXPECT_EQ(Ids(ReadPendingOk(s, "g", "c1")), (Strings{ids[2], ids[3]}));
  read = b.AckThenReadNew(s, "g", "c1", {}, record, 10, Duration{0});
  ASSERT_EQ(acked.size(), 2u);
  EXPECT_EQ(CountOk(acked[1], "no ids"), 0);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(Ids(*read), (Strings{ids[4]}));
  // Acked already, and the stream read to its end: 0 acked, nothing read.
  read = b.AckThenReadNew(s, "g", "c1", {ids[0]}, record, 10, Duration{0});
  ASSERT_EQ(acked.size(), 3u);
  EXPECT_EQ(CountOk(acked[2], "acked again"), 0);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
  // A bad id fails the ack, not the read.
  read = b.AckThenReadNew(s, "g", "c1", {"bad"}, record, 10, Duration{0});
  ASSERT_EQ(acked.size(), 4u);
  EXPECT_EQ(acked[3].status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(read.ok());
}

TEST_P(BrokerContractTest, AckDoesNotCheckOwnership) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  ASSERT_EQ(ids.size(), 2u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 1);
  ReadNewOk(s, "g", "c2", 1);
  // An ack names no consumer: a late ack by a former owner still counts.
  EXPECT_EQ(CountOk(broker().Ack(s, "g", {ids[1], ids[0]}), "Ack"), 2);
  EXPECT_TRUE(ReadPendingOk(s, "g", "c1").empty());
  EXPECT_TRUE(ReadPendingOk(s, "g", "c2").empty());
}

TEST_P(BrokerContractTest, AckKeepsTheStreamEntry) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  EXPECT_EQ(CountOk(broker().Ack(s, "g", ids), "Ack"), 2);
  EXPECT_EQ(LengthOk(s), 2);
  EXPECT_EQ(Ids(RangeOk(s)), ids);
  EXPECT_TRUE(ReadNewOk(s, "g", "c1").empty());
  EXPECT_TRUE(PendingOk(s, "g").empty());
}

TEST_P(BrokerContractTest, PendingReportsOwnerIdleAndDeliveries) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  ASSERT_EQ(ids.size(), 2u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 1);
  AdvanceTime(kWait);
  ReadNewOk(s, "g", "c2", 1);
  ReadPendingOk(s, "g", "c2");
  const std::vector<PendingEntry> pending = PendingOk(s, "g");
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, ids[0]);
  EXPECT_EQ(pending[0].consumer, "c1");
  EXPECT_EQ(pending[0].delivery_count, 1);
  EXPECT_GE(pending[0].idle, kIdle);
  EXPECT_LT(pending[0].idle, Seconds(10));
  EXPECT_EQ(pending[1].id, ids[1]);
  EXPECT_EQ(pending[1].consumer, "c2");
  EXPECT_EQ(pending[1].delivery_count, 2);
  EXPECT_LT(pending[1].idle, kIdle);
  if (simulated()) {
    EXPECT_EQ(pending[0].idle, kWait);
    EXPECT_EQ(pending[1].idle, Duration(0));
  }
}

TEST_P(BrokerContractTest, PendingFiltersByConsumerAndHonoursCount) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 4);
  ASSERT_EQ(ids.size(), 4u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 1);
  ReadNewOk(s, "g", "c2", 1);
  ReadNewOk(s, "g", "c1", 2);
  EXPECT_EQ(Ids(PendingOk(s, "g", "c1")), (Strings{ids[0], ids[2], ids[3]}));
  EXPECT_EQ(Ids(PendingOk(s, "g", "c2")), (Strings{ids[1]}));
  EXPECT_TRUE(PendingOk(s, "g", "nobody").empty());
  EXPECT_EQ(Ids(PendingOk(s, "g", "", 2)), (Strings{ids[0], ids[1]}));
  EXPECT_EQ(Ids(PendingOk(s, "g", "c1", 2)), (Strings{ids[0], ids[2]}));
}

TEST_P(BrokerContractTest, PendingCountCountsEveryConsumersEntries) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 5);
  ASSERT_EQ(ids.size(), 5u);
  CreateGroupOk(s, "g");
  EXPECT_EQ(CountOk(broker().PendingCount(s, "g"), "PendingCount"), 0);
  ReadNewOk(s, "g", "c1", 1);
  ReadNewOk(s, "g", "c2", 1);
  ReadNewOk(s, "g", "c1", 2);
  EXPECT_EQ(CountOk(broker().PendingCount(s, "g"), "PendingCount"), 4) << "one entry unread";
  ReadPendingOk(s, "g", "c1");  // a redelivery is still one pending entry
  EXPECT_EQ(CountOk(broker().PendingCount(s, "g"), "PendingCount"), 4);
  EXPECT_EQ(CountOk(broker().Ack(s, "g", {ids[1]}), "Ack"), 1);
  EXPECT_EQ(CountOk(broker().PendingCount(s, "g"), "PendingCount"), 3);
  EXPECT_EQ(CountOk(broker().Ack(s, "g", ids), "Ack"), 3);
  EXPECT_EQ(CountOk(broker().PendingCount(s, "g"), "PendingCount"), 0);
}

// --- AutoClaim ---------------------------------------------------------------

TEST_P(BrokerContractTest, AutoClaimTakesOnlyIdleEntries) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  ASSERT_EQ(ids.size(), 2u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 1);
  AdvanceTime(kWait);
  ReadNewOk(s, "g", "c1", 1);  // ids[1] is fresh
  const ClaimResult claim = AutoClaimOk(s, "g", "c2", kIdle);
  EXPECT_EQ(Ids(claim.claimed), (Strings{ids[0]}));
  EXPECT_EQ(Values(claim.claimed), (Strings{"m0"}));
  EXPECT_EQ(Counts(claim.claimed), (std::vector<int64_t>{2}));
  EXPECT_TRUE(claim.deleted_ids.empty());
  EXPECT_EQ(claim.next_cursor, "0-0");
  // Ownership moved: the claimer re-reads it, the old owner no longer does.
  EXPECT_EQ(Ids(ReadPendingOk(s, "g", "c1")), (Strings{ids[1]}));
  const std::vector<StreamEntry> mine = ReadPendingOk(s, "g", "c2");
  EXPECT_EQ(Ids(mine), (Strings{ids[0]}));
  EXPECT_EQ(Counts(mine), (std::vector<int64_t>{3}));
  // A claim resets idle time: a racing second claimer gets nothing.
  EXPECT_TRUE(AutoClaimOk(s, "g", "c3", kIdle).claimed.empty());
}

TEST_P(BrokerContractTest, AutoClaimCursorWalksThePendingList) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 5);
  ASSERT_EQ(ids.size(), 5u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  const ClaimResult first = AutoClaimOk(s, "g", "c2", Duration(0), "0-0", 2);
  EXPECT_EQ(Ids(first.claimed), (Strings{ids[0], ids[1]}));
  EXPECT_EQ(first.next_cursor, ids[2]);
  const ClaimResult second = AutoClaimOk(s, "g", "c2", Duration(0), first.next_cursor, 2);
  EXPECT_EQ(Ids(second.claimed), (Strings{ids[2], ids[3]}));
  EXPECT_EQ(second.next_cursor, ids[4]);
  const ClaimResult third = AutoClaimOk(s, "g", "c2", Duration(0), second.next_cursor, 2);
  EXPECT_EQ(Ids(third.claimed), (Strings{ids[4]}));
  EXPECT_EQ(third.next_cursor, "0-0");
  EXPECT_EQ(Ids(PendingOk(s, "g", "c2")), ids);
  // "0" is the start too.
  const ClaimResult back = AutoClaimOk(s, "g", "c1", Duration(0), "0", 10);
  EXPECT_EQ(Ids(back.claimed), ids);
  EXPECT_EQ(back.next_cursor, "0-0");
}

TEST_P(BrokerContractTest, AutoClaimPurgesPendingIdsWhoseEntryIsGone) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 4);
  ASSERT_EQ(ids.size(), 4u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  EXPECT_EQ(CountOk(broker().Trim(s, TrimSpec::MaxLen(2)), "Trim"), 2);
  EXPECT_EQ(Ids(PendingOk(s, "g")), ids) << "trimming leaves the PEL alone";
  const ClaimResult claim = AutoClaimOk(s, "g", "c2", Duration(0));
  EXPECT_EQ(claim.deleted_ids, (Strings{ids[0], ids[1]}));
  EXPECT_EQ(Ids(claim.claimed), (Strings{ids[2], ids[3]}));
  EXPECT_EQ(claim.next_cursor, "0-0");
  EXPECT_EQ(Ids(PendingOk(s, "g")), (Strings{ids[2], ids[3]}));
  EXPECT_TRUE(ReadPendingOk(s, "g", "c1").empty());
}

TEST_P(BrokerContractTest, AutoClaimPurgedIdsUseUpTheCount) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  EXPECT_EQ(CountOk(broker().Delete(s, {ids[0], ids[1]}), "Delete"), 2);
  const ClaimResult first = AutoClaimOk(s, "g", "c2", Duration(0), "0-0", 2);
  EXPECT_EQ(first.deleted_ids, (Strings{ids[0], ids[1]}));
  EXPECT_TRUE(first.claimed.empty());
  EXPECT_EQ(first.next_cursor, ids[2]);
  const ClaimResult second = AutoClaimOk(s, "g", "c2", Duration(0), first.next_cursor, 2);
  EXPECT_TRUE(second.deleted_ids.empty());
  EXPECT_EQ(Ids(second.claimed), (Strings{ids[2]}));
  EXPECT_EQ(second.next_cursor, "0-0");
}

TEST_P(BrokerContractTest, AutoClaimExaminesAtMostTenTimesCount) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 12);
  ASSERT_EQ(ids.size(), 12u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  AdvanceTime(kWait);
  ReadPendingOk(s, "g", "c1", "0", 10);  // ids[0..9] fresh again
  const ClaimResult first = AutoClaimOk(s, "g", "c2", kIdle, "0-0", 1);
  EXPECT_TRUE(first.claimed.empty()) << "10 entries examined, none idle";
  EXPECT_EQ(first.next_cursor, ids[10]);
  const ClaimResult second = AutoClaimOk(s, "g", "c2", kIdle, first.next_cursor, 1);
  EXPECT_EQ(Ids(second.claimed), (Strings{ids[10]}));
  EXPECT_EQ(second.next_cursor, ids[11]);
  const ClaimResult third = AutoClaimOk(s, "g", "c2", kIdle, second.next_cursor, 1);
  EXPECT_EQ(Ids(third.claimed), (Strings{ids[11]}));
  EXPECT_EQ(third.next_cursor, "0-0");
}

// --- Trimming and lag --------------------------------------------------------

TEST_P(BrokerContractTest, TrimMaxLenKeepsTheNewestEntries) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 5);
  ASSERT_EQ(ids.size(), 5u);
  Broker& b = broker();
  EXPECT_EQ(CountOk(b.Trim(s, TrimSpec::MaxLen(2)), "Trim 2"), 3);
  EXPECT_EQ(Ids(RangeOk(s)), (Strings{ids[3], ids[4]}));
  EXPECT_EQ(CountOk(b.Trim(s, TrimSpec::MaxLen(2)), "Trim 2 again"), 0);
  EXPECT_EQ(CountOk(b.Trim(s, TrimSpec::MaxLen(0)), "Trim 0"), 2);
  EXPECT_EQ(LengthOk(s), 0);
  EXPECT_EQ(CountOk(b.Trim(Stream("missing"), TrimSpec::MaxLen(0)), "missing"), 0);
  // An emptied stream still remembers its top id.
  const Strings next = PublishN(s, 1, "n");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_LT(ParsedId(ids[4]), ParsedId(next[0]));
}

TEST_P(BrokerContractTest, TrimMinIdDropsOlderIds) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 4);
  ASSERT_EQ(ids.size(), 4u);
  Broker& b = broker();
  EXPECT_EQ(CountOk(b.Trim(s, TrimSpec::MinId(ids[2])), "MinId"), 2);
  EXPECT_EQ(Ids(RangeOk(s)), (Strings{ids[2], ids[3]}));
  EXPECT_EQ(CountOk(b.Trim(s, TrimSpec::MinId(ids[2])), "MinId again"), 0);
  const std::string after_last_ms = std::to_string(ParsedId(ids[3]).ms + 1);
  EXPECT_EQ(CountOk(b.Trim(s, TrimSpec::MinId(after_last_ms)), "MinId <ms>"), 2);
  EXPECT_EQ(LengthOk(s), 0);
  BROKER_CT_CODE(b.Trim(s, TrimSpec::MinId("x")), kInvalidArgument);
}

TEST_P(BrokerContractTest, TrimmingLeavesPendingIdsInThePel) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  EXPECT_EQ(CountOk(broker().Trim(s, TrimSpec::MaxLen(1)), "Trim"), 2);
  EXPECT_EQ(Ids(PendingOk(s, "g")), ids);
  const std::vector<StreamEntry> read = ReadPendingOk(s, "g", "c1");
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(Ids(read), ids);
  EXPECT_TRUE(read[0].deleted);
  EXPECT_TRUE(read[1].deleted);
  EXPECT_FALSE(read[2].deleted);
  EXPECT_EQ(CountOk(broker().Ack(s, "g", {ids[0], ids[1]}), "Ack"), 2);
}

TEST_P(BrokerContractTest, LagCountsEntriesNotYetDelivered) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 5);
  ASSERT_EQ(ids.size(), 5u);
  CreateGroupOk(s, "g");
  CreateGroupOk(s, "late", GroupStart::kEnd);
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(5));
  EXPECT_EQ(LagOk(s, "late"), std::optional<int64_t>(0));
  ReadNewOk(s, "g", "c1", 2);
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(3));
  CountOk(broker().Ack(s, "g", {ids[0]}), "Ack");
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(3)) << "acks do not change lag";
  ReadNewOk(s, "g", "c1");
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(0));
  PublishN(s, 2, "n");
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(2));
  // A group created at "$" has no read counter: Redis 7.0 reports nil once
  // entries arrive, until the group reads up to the end of the stream.
  EXPECT_EQ(LagOk(s, "late"), std::nullopt);
  EXPECT_EQ(ReadNewOk(s, "late", "c1").size(), 2u);
  EXPECT_EQ(LagOk(s, "late"), std::optional<int64_t>(0));
}

TEST_P(BrokerContractTest, LagIsUnknownAfterAnUndeliveredEntryIsDeleted) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 5);
  ASSERT_EQ(ids.size(), 5u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 2);
  EXPECT_EQ(CountOk(broker().Delete(s, {ids[3]}), "Delete"), 1);
  EXPECT_EQ(LagOk(s, "g"), std::nullopt);
  ReadNewOk(s, "g", "c1", 1);
  EXPECT_EQ(LagOk(s, "g"), std::nullopt) << "unknown until the group reaches the end";
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1")), (Strings{ids[4]}));
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(0));
  PublishN(s, 1, "n");
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(1));
  // Deleting an entry the group has already passed changes nothing.
  EXPECT_EQ(CountOk(broker().Delete(s, {ids[0]}), "Delete old"), 1);
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(1));
}

TEST_P(BrokerContractTest, LagAfterTrimKeepsCountingTrimmedEntries) {
  // Redis 7.0.15, checked on a real server: trimming (unlike XDEL) does not
  // invalidate the group's entries-read counter, so trimmed entries the
  // group never saw still count as lag, even once it reaches the end.
  const std::string s = Stream();
  const Strings ids = PublishN(s, 10);
  ASSERT_EQ(ids.size(), 10u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 2);
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(8));
  EXPECT_EQ(CountOk(broker().Trim(s, TrimSpec::MaxLen(5)), "Trim"), 5);
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(8));
  EXPECT_EQ(Ids(ReadNewOk(s, "g", "c1", 1)), (Strings{ids[5]}));
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(7));
  EXPECT_EQ(ReadNewOk(s, "g", "c1").size(), 4u);
  EXPECT_EQ(LagOk(s, "g"), std::optional<int64_t>(3));
  // A group created after the trim counts what is stored.
  CreateGroupOk(s, "fresh");
  EXPECT_EQ(LagOk(s, "fresh"), std::optional<int64_t>(5));
}

// --- Dead-letter queue -------------------------------------------------------

TEST_P(BrokerContractTest, MoveToDlqCopiesTheEntryAndAcksIt) {
  const std::string s = Stream();
  CreateGroupOk(s, "g");
  const Fields fields = {{"data", R"({"x":1})"}, {"type", "Thing"}};
  auto id = broker().Publish(s, fields);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ReadNewOk(s, "g", "c1");
  const DlqMetadata meta = Meta(s, *id, "boom", 3);
  auto moved = broker().MoveToDlq(s, "g", *id, meta);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_TRUE(*moved);
  EXPECT_TRUE(PendingOk(s, "g").empty()) << "acked";
  EXPECT_EQ(LengthOk(s), 1) << "the original entry is not deleted";
  const std::string dlq = DlqStreamName(s);
  const std::vector<StreamEntry> raw = RangeOk(dlq);
  ASSERT_EQ(raw.size(), 1u);
  auto decoded = DecodeDlqEntry(dlq, raw[0]);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->dlq_id, raw[0].id);
  EXPECT_EQ(decoded->dlq_stream, dlq);
  EXPECT_EQ(decoded->fields, fields);
  EXPECT_EQ(decoded->metadata.original_stream, s);
  EXPECT_EQ(decoded->metadata.original_id, *id);
  EXPECT_EQ(decoded->metadata.consumer_group, "g");
  EXPECT_EQ(decoded->metadata.consumer, "c1");
  EXPECT_EQ(decoded->metadata.first_failure, meta.first_failure);
  EXPECT_EQ(decoded->metadata.last_failure, meta.last_failure);
  EXPECT_EQ(decoded->metadata.attempts, 3);
  EXPECT_EQ(decoded->metadata.reason, "boom");
  EXPECT_EQ(CountOk(broker().DlqDepth(dlq), "DlqDepth"), 1);
}

TEST_P(BrokerContractTest, MoveToDlqReturnsFalseWhenNotPending) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  ASSERT_EQ(ids.size(), 2u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 1);
  Broker& b = broker();
  const auto move = [&](const std::string& id) {
    auto moved = b.MoveToDlq(s, "g", id, Meta(s, id, "x"));
    EXPECT_TRUE(moved.ok()) << moved.status().ToString();
    return moved.ok() && *moved;
  };
  EXPECT_FALSE(move(ids[1])) << "never delivered";
  CountOk(b.Ack(s, "g", {ids[0]}), "Ack");
  EXPECT_FALSE(move(ids[0])) << "already acked";
  EXPECT_EQ(CountOk(b.DlqDepth(DlqStreamName(s)), "DlqDepth"), 0);
  ReadNewOk(s, "g", "c1");
  EXPECT_TRUE(move(ids[1]));
  EXPECT_FALSE(move(ids[1])) << "a second mover finds it gone";
  EXPECT_EQ(CountOk(b.DlqDepth(DlqStreamName(s)), "DlqDepth"), 1);
  BROKER_CT_CODE(b.MoveToDlq(s, "g", "bad", Meta(s, "1-0", "x")), kInvalidArgument);
}

TEST_P(BrokerContractTest, MoveToDlqOfADeletedEntryKeepsOnlyMetadata) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 1);
  ASSERT_EQ(ids.size(), 1u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  CountOk(broker().Delete(s, ids), "Delete");
  auto moved = broker().MoveToDlq(s, "g", ids[0], Meta(s, ids[0], "gone"));
  ASSERT_TRUE(moved.ok() && *moved);
  EXPECT_TRUE(PendingOk(s, "g").empty());
  const std::string dlq = DlqStreamName(s);
  auto list = broker().DlqList(dlq, 10);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(list->front().fields.empty());
  EXPECT_EQ(list->front().metadata.original_id, ids[0]);
  // Nothing to replay: the entry stays where it is.
  BROKER_CT_CODE(broker().DlqReplay(dlq, list->front().dlq_id), kInvalidArgument);
  EXPECT_EQ(CountOk(broker().DlqDepth(dlq), "DlqDepth"), 1);
}

TEST_P(BrokerContractTest, DlqListIsNewestFirstByLastFailure) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 5);
  ASSERT_EQ(ids.size(), 5u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  // Moved in id order, but failing last at different times (the last two tie).
  const int64_t base_ms = ToMillis(clock().Now());
  const int64_t offsets_ms[] = {30, 10, 20, 40, 40};
  for (size_t i = 0; i < ids.size(); ++i) {
    DlqMetadata meta = Meta(s, ids[i], "r" + std::to_string(i));
    meta.last_failure = FromMillis(base_ms + offsets_ms[i]);
    auto moved = broker().MoveToDlq(s, "g", ids[i], meta);
    ASSERT_TRUE(moved.ok() && *moved) << ids[i];
  }
  const std::string dlq = DlqStreamName(s);
  auto list = broker().DlqList(dlq, 10);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  Strings originals;
  for (const DlqEntry& e : *list) originals.push_back(e.metadata.original_id);
  // Ties on last failure: the newer DLQ entry first.
  EXPECT_EQ(originals, (Strings{ids[4], ids[3], ids[0], ids[2], ids[1]}));
  auto limited = broker().DlqList(dlq, 2);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(Ids(*limited), (Strings{(*list)[0].dlq_id, (*list)[1].dlq_id}));
  auto none = broker().DlqList(dlq, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto missing = broker().DlqList(DlqStreamName(Stream("missing")), 10);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
}

TEST_P(BrokerContractTest, DlqInspectReturnsOneEntryOrNotFound) {
  const std::string s = Stream();
  const Strings ids = DeadLetterN(s, 2);
  ASSERT_EQ(ids.size(), 2u);
  const std::string dlq = DlqStreamName(s);
  const std::vector<StreamEntry> raw = RangeOk(dlq);
  ASSERT_EQ(raw.size(), 2u);
  auto entry = broker().DlqInspect(dlq, raw[1].id);
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_EQ(entry->dlq_id, raw[1].id);
  EXPECT_EQ(entry->dlq_stream, dlq);
  EXPECT_EQ(entry->fields, Data("m1"));
  EXPECT_EQ(entry->metadata.original_id, ids[1]);
  EXPECT_EQ(entry->metadata.reason, "r1");
  BROKER_CT_CODE(broker().DlqInspect(dlq, "1-1"), kNotFound);
  BROKER_CT_CODE(broker().DlqInspect(DlqStreamName(Stream("none")), raw[0].id), kNotFound);
}

TEST_P(BrokerContractTest, DlqReplayRepublishesToTheOriginalStream) {
  const std::string s = Stream();
  const Strings ids = DeadLetterN(s, 1);
  ASSERT_EQ(ids.size(), 1u);
  const std::string dlq = DlqStreamName(s);
  const std::vector<StreamEntry> raw = RangeOk(dlq);
  ASSERT_EQ(raw.size(), 1u);
  auto replayed = broker().DlqReplay(dlq, raw[0].id);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_LT(ParsedId(ids[0]), ParsedId(*replayed));
  EXPECT_EQ(CountOk(broker().DlqDepth(dlq), "DlqDepth"), 0);
  const std::vector<StreamEntry> stream = RangeOk(s, *replayed, *replayed);
  ASSERT_EQ(stream.size(), 1u);
  EXPECT_EQ(stream[0].fields, Data("m0")) << "metadata is stripped";
  // The group sees a new message, with a fresh delivery count.
  const std::vector<StreamEntry> read = ReadNewOk(s, "g", "c1");
  EXPECT_EQ(Ids(read), (Strings{*replayed}));
  EXPECT_EQ(Counts(read), (std::vector<int64_t>{1}));
  BROKER_CT_CODE(broker().DlqReplay(dlq, raw[0].id), kNotFound);
}

TEST_P(BrokerContractTest, DlqReplayAllReplaysEveryEntryInOrder) {
  const std::string s = Stream();
  ASSERT_EQ(DeadLetterN(s, 3).size(), 3u);
  const std::string dlq = DlqStreamName(s);
  EXPECT_EQ(CountOk(broker().DlqReplayAll(dlq), "DlqReplayAll"), 3);
  EXPECT_EQ(CountOk(broker().DlqDepth(dlq), "DlqDepth"), 0);
  EXPECT_EQ(Values(ReadNewOk(s, "g", "c1")), (Strings{"m0", "m1", "m2"}));
  EXPECT_EQ(CountOk(broker().DlqReplayAll(dlq), "DlqReplayAll empty"), 0);
}

TEST_P(BrokerContractTest, DlqPurgeAndDepth) {
  const std::string s = Stream();
  ASSERT_EQ(DeadLetterN(s, 3).size(), 3u);
  const std::string dlq = DlqStreamName(s);
  Broker& b = broker();
  EXPECT_EQ(CountOk(b.DlqDepth(dlq), "DlqDepth"), 3);
  EXPECT_EQ(CountOk(b.DlqPurge(dlq), "DlqPurge"), 3);
  EXPECT_EQ(CountOk(b.DlqDepth(dlq), "DlqDepth after"), 0);
  auto list = b.DlqList(dlq, 10);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  EXPECT_EQ(CountOk(b.DlqPurge(dlq), "DlqPurge again"), 0);
  EXPECT_EQ(LengthOk(s), 3) << "the source stream is untouched";
}

TEST_P(BrokerContractTest, DlqTrimOlderThanUsesTheIdTime) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  Broker& b = broker();
  const auto move = [&](const std::string& id) {
    auto moved = b.MoveToDlq(s, "g", id, Meta(s, id, "x"));
    EXPECT_TRUE(moved.ok() && *moved) << id;
  };
  move(ids[0]);
  move(ids[1]);
  AdvanceTime(kWait);
  move(ids[2]);
  const std::string dlq = DlqStreamName(s);
  const TimePoint cutoff = clock().Now() - kIdle;
  EXPECT_EQ(CountOk(b.DlqTrimOlderThan(dlq, cutoff), "DlqTrimOlderThan"), 2);
  auto list = b.DlqList(dlq, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().metadata.original_id, ids[2]);
  EXPECT_EQ(CountOk(b.DlqTrimOlderThan(dlq, cutoff), "again"), 0);
}

// --- Lifecycle ---------------------------------------------------------------

TEST_P(BrokerContractTest, PingAndCapabilities) {
  BROKER_CT_OK(broker().Ping());
  EXPECT_FALSE(broker().provider().empty());
  const BrokerCapabilities caps = broker().capabilities();
  EXPECT_TRUE(caps.persistent);
  EXPECT_TRUE(caps.consumer_groups);
  EXPECT_TRUE(caps.dlq);
}

TEST_P(BrokerContractTest, CallsAfterCloseAreUnavailable) {
  const std::string s = Stream();
  CreateGroupOk(s, "g");
  const Strings ids = PublishN(s, 1);
  ASSERT_EQ(ids.size(), 1u);
  ReadNewOk(s, "g", "c1");
  Broker& b = broker();
  b.Close();
  const std::string dlq = DlqStreamName(s);
  EXPECT_TRUE(HasCode(b.Ping(), StatusCode::kUnavailable));
  EXPECT_TRUE(HasCode(b.CreateGroup(s, "g2", GroupStart::kBeginning), StatusCode::kUnavailable));
  BROKER_CT_CODE(b.Publish(s, Data("x")), kUnavailable);
  BROKER_CT_CODE(b.ReadNew(s, "g", "c1", 10, Duration(0)), kUnavailable);
  BROKER_CT_CODE(b.ReadPending(s, "g", "c1", "0", 10), kUnavailable);
  BROKER_CT_CODE(b.Ack(s, "g", ids), kUnavailable);
  BROKER_CT_CODE(b.Pending(s, "g", "", 10), kUnavailable);
  BROKER_CT_CODE(b.AutoClaim(s, "g", "c2", Duration(0), "0-0", 10), kUnavailable);
  BROKER_CT_CODE(b.Range(s, "-", "+", 10), kUnavailable);
  BROKER_CT_CODE(b.Delete(s, ids), kUnavailable);
  BROKER_CT_CODE(b.Trim(s, TrimSpec::MaxLen(0)), kUnavailable);
  BROKER_CT_CODE(b.Length(s), kUnavailable);
  BROKER_CT_CODE(b.Lag(s, "g"), kUnavailable);
  BROKER_CT_CODE(b.MoveToDlq(s, "g", ids[0], Meta(s, ids[0], "x")), kUnavailable);
  BROKER_CT_CODE(b.DlqList(dlq, 10), kUnavailable);
  BROKER_CT_CODE(b.DlqDepth(dlq), kUnavailable);
  BROKER_CT_CODE(b.DlqReplayAll(dlq), kUnavailable);
  BROKER_CT_CODE(b.DeleteStream(s), kUnavailable);
}

// --- Redeliver, Release, Touch (the engine's retry, hand-off and heartbeat) ---

TEST_P(BrokerContractTest, RedeliverReReadsExactlyThatEntryForItsOwner) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 2);  // ids[0], ids[1] pending for c1
  ReadNewOk(s, "g", "c2", 1);  // ids[2] pending for c2
  auto again = broker().Redeliver(s, "g", "c1", ids[1]);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->id, ids[1]);
  EXPECT_EQ((*again)->delivery_count, 2);
  EXPECT_FALSE((*again)->deleted);
  // Only that entry's count moved.
  const std::vector<PendingEntry> pending = PendingOk(s, "g", "c1");
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].delivery_count, 1);
  EXPECT_EQ(pending[1].delivery_count, 2);
  // Not the owner, not pending, or acked: nothing, and nothing changes.
  auto other = broker().Redeliver(s, "g", "c1", ids[2]);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  EXPECT_EQ(PendingOk(s, "g", "c2")[0].delivery_count, 1);
  ASSERT_TRUE(broker().Ack(s, "g", {ids[0]}).ok());
  auto acked = broker().Redeliver(s, "g", "c1", ids[0]);
  ASSERT_TRUE(acked.ok());
  EXPECT_FALSE(acked->has_value());
  auto no_group = broker().Redeliver(s, "nope", "c1", ids[1]);
  ASSERT_TRUE(no_group.ok());
  EXPECT_FALSE(no_group->has_value());
}

TEST_P(BrokerContractTest, RedeliverOfADeletedEntryReportsItDeleted) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 1);
  ASSERT_EQ(ids.size(), 1u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  EXPECT_EQ(CountOk(broker().Delete(s, {ids[0]}), "Delete"), 1);
  auto gone = broker().Redeliver(s, "g", "c1", ids[0]);
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  ASSERT_TRUE(gone->has_value());
  EXPECT_TRUE((*gone)->deleted);
  EXPECT_TRUE((*gone)->fields.empty());
}

TEST_P(BrokerContractTest, ReleaseRestoresTheCountAndMakesEntriesClaimableAtOnce) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  ASSERT_EQ(ids.size(), 2u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");  // both delivered once, never attempted
  auto released = broker().Release(s, "g", "c1", {{ids[0], 0}, {ids[1], 0}});
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  EXPECT_EQ(*released, 2);
  // Claimable without waiting, and the claim counts as the first delivery.
  const ClaimResult claim = AutoClaimOk(s, "g", "c2", Seconds(3600));
  EXPECT_EQ(Ids(claim.claimed), ids);
  EXPECT_EQ(Counts(claim.claimed), (std::vector<int64_t>{1, 1}));
  // Only the owner's entries are released.
  auto not_mine = broker().Release(s, "g", "c1", {{ids[0], 0}});
  ASSERT_TRUE(not_mine.ok());
  EXPECT_EQ(*not_mine, 0);
  EXPECT_EQ(PendingOk(s, "g", "c2")[0].delivery_count, 1);
}

TEST_P(BrokerContractTest, TouchResetsIdleOfTheOwnersEntriesWithoutCounting) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  ASSERT_EQ(ids.size(), 2u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 1);
  ReadNewOk(s, "g", "c2", 1);
  AdvanceTime(kWait);
  auto touched = broker().Touch(s, "g", "c1", {ids[0], ids[1]});
  ASSERT_TRUE(touched.ok()) << touched.status().ToString();
  EXPECT_EQ(*touched, 1);  // ids[1] belongs to c2
  const std::vector<PendingEntry> pending = PendingOk(s, "g");
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_LT(pending[0].idle, kIdle);        // touched
  EXPECT_GE(pending[1].idle, kIdle);        // left alone
  EXPECT_EQ(pending[0].delivery_count, 1);  // no delivery counted
  // A touched entry is not idle enough to claim; the other one is.
  const ClaimResult claim = AutoClaimOk(s, "g", "c3", kIdle);
  EXPECT_EQ(Ids(claim.claimed), (Strings{ids[1]}));
}

// --- Consumers, DeleteConsumer (stale-consumer cleanup at server start) ------
// A separate block (issue #9): these cases are the only lines of this file
// that change adds.

namespace {

std::vector<std::string> ConsumerNames(const std::vector<ConsumerInfo>& consumers) {
  std::vector<std::string> out;
  for (const ConsumerInfo& c : consumers) out.push_back(c.name);
  return out;
}

}  // namespace

TEST_P(BrokerContractTest, ConsumersListsEachWithItsPendingCountInNameOrder) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 3);
  ASSERT_EQ(ids.size(), 3u);
  CreateGroupOk(s, "g");
  EXPECT_EQ(ReadNewOk(s, "g", "c2", 2).size(), 2u);
  EXPECT_EQ(ReadNewOk(s, "g", "c1", 1).size(), 1u);
  // Redis 7.0: a ">" read that finds nothing new does not create its
  // consumer; a read of the consumer's own pending entries always does.
  EXPECT_TRUE(ReadNewOk(s, "g", "c3", 1).empty());
  auto consumers = broker().Consumers(s, "g");
  ASSERT_TRUE(consumers.ok()) << consumers.status().ToString();
  EXPECT_EQ(ConsumerNames(*consumers), (Strings{"c1", "c2"}));
  EXPECT_TRUE(ReadPendingOk(s, "g", "c3").empty());
  consumers = broker().Consumers(s, "g");
  ASSERT_TRUE(consumers.ok()) << consumers.status().ToString();
  EXPECT_EQ(ConsumerNames(*consumers), (Strings{"c1", "c2", "c3"}));
  ASSERT_EQ(consumers->size(), 3u);
  EXPECT_EQ((*consumers)[0].pending, 1);
  EXPECT_EQ((*consumers)[1].pending, 2);
  EXPECT_EQ((*consumers)[2].pending, 0);
  EXPECT_EQ(CountOk(broker().Ack(s, "g", {ids[0]}), "Ack"), 1);
  consumers = broker().Consumers(s, "g");
  ASSERT_TRUE(consumers.ok()) << consumers.status().ToString();
  ASSERT_EQ(consumers->size(), 3u);
  EXPECT_EQ((*consumers)[1].pending, 1);
}

TEST_P(BrokerContractTest, ConsumerIdleIsResetByReadsAndClaimsNotByAcks) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  ASSERT_EQ(ids.size(), 2u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  AdvanceTime(kWait);
  auto idle_of = [&](const std::string& name) -> std::optional<Duration> {
    auto consumers = broker().Consumers(s, "g");
    EXPECT_TRUE(consumers.ok()) << consumers.status().ToString();
    if (!consumers.ok()) return std::nullopt;
    for (const ConsumerInfo& c : *consumers) {
      if (c.name == name) return c.idle;
    }
    return std::nullopt;
  };
  EXPECT_EQ(CountOk(broker().Ack(s, "g", {ids[0]}), "Ack"), 1);
  ASSERT_TRUE(idle_of("c1").has_value());
  EXPECT_GE(*idle_of("c1"), kIdle);  // an ack is no interaction
  // A claim that claims nothing does not create its claimer.
  EXPECT_TRUE(AutoClaimOk(s, "g", "c2", Seconds(3600)).claimed.empty());
  EXPECT_FALSE(idle_of("c2").has_value());
  ReadPendingOk(s, "g", "c1");
  ASSERT_TRUE(idle_of("c1").has_value());
  EXPECT_LT(*idle_of("c1"), kIdle);
  AdvanceTime(kWait);
  EXPECT_EQ(AutoClaimOk(s, "g", "c2", Duration(0)).claimed.size(), 1u);
  ASSERT_TRUE(idle_of("c2").has_value());
  EXPECT_LT(*idle_of("c2"), kIdle);
  EXPECT_GE(*idle_of("c1"), kIdle);  // losing an entry is no interaction
}

TEST_P(BrokerContractTest, DeleteConsumerRemovesOnlyAConsumerWithoutPendingEntries) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 2);
  ASSERT_EQ(ids.size(), 2u);
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1", 1);
  ReadNewOk(s, "g", "c2", 1);
  EXPECT_EQ(CountOk(broker().Ack(s, "g", {ids[1]}), "Ack"), 1);
  auto busy = broker().DeleteConsumer(s, "g", "c1");
  ASSERT_TRUE(busy.ok()) << busy.status().ToString();
  EXPECT_EQ(*busy, ConsumerDeletion::kHasPending);
  const std::vector<PendingEntry> pending = PendingOk(s, "g");
  ASSERT_EQ(pending.size(), 1u);  // the entry stays pending for its owner, claimable
  EXPECT_EQ(pending[0].consumer, "c1");
  auto idle = broker().DeleteConsumer(s, "g", "c2");
  ASSERT_TRUE(idle.ok()) << idle.status().ToString();
  EXPECT_EQ(*idle, ConsumerDeletion::kDeleted);
  auto consumers = broker().Consumers(s, "g");
  ASSERT_TRUE(consumers.ok()) << consumers.status().ToString();
  EXPECT_EQ(ConsumerNames(*consumers), (Strings{"c1"}));
  auto again = broker().DeleteConsumer(s, "g", "c2");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, ConsumerDeletion::kNoSuchConsumer);
  EXPECT_EQ(CountOk(broker().Ack(s, "g", {ids[0]}), "Ack"), 1);
  auto freed = broker().DeleteConsumer(s, "g", "c1");
  ASSERT_TRUE(freed.ok()) << freed.status().ToString();
  EXPECT_EQ(*freed, ConsumerDeletion::kDeleted);
  consumers = broker().Consumers(s, "g");
  ASSERT_TRUE(consumers.ok()) << consumers.status().ToString();
  EXPECT_TRUE(consumers->empty());
}

TEST_P(BrokerContractTest, ConsumerCallsOnAMissingGroupOrStreamAreNotFound) {
  const std::string s = Stream();
  CreateGroupOk(s, "g");
  const std::string missing = Stream("missing");
  BROKER_CT_CODE(broker().Consumers(s, "nogroup"), kNotFound);
  BROKER_CT_CODE(broker().Consumers(missing, "g"), kNotFound);
  BROKER_CT_CODE(broker().DeleteConsumer(s, "nogroup", "c1"), kNotFound);
  BROKER_CT_CODE(broker().DeleteConsumer(missing, "g", "c1"), kNotFound);
  auto none = broker().Consumers(s, "g");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

TEST_P(BrokerContractTest, ConsumerCallsAfterCloseAreUnavailable) {
  const std::string s = Stream();
  CreateGroupOk(s, "g");
  ReadNewOk(s, "g", "c1");
  broker().Close();
  BROKER_CT_CODE(broker().Consumers(s, "g"), kUnavailable);
  BROKER_CT_CODE(broker().DeleteConsumer(s, "g", "c1"), kUnavailable);
}
// --- end of the Consumers/DeleteConsumer block -------------------------------

}  // namespace protean
