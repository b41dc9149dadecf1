// Retention (Broker::GroupsProgress, Broker::TrimRetained; core/broker.h):
// part of the Broker contract, run on every backend with consumer groups.
// With several groups the trim is MINID at the slowest group's floor (its
// last-delivered-id, or its oldest pending id when that is lower); with one
// or none it is MAXLEN.
#include <gtest/gtest.h>

#include "tests/contract/broker_contract.h"

namespace protean {
namespace {

using Strings = std::vector<std::string>;

Strings EntryIds(const std::vector<StreamEntry>& entries) {
  Strings out;
  for (const StreamEntry& e : entries) out.push_back(e.id);
  return out;
}

}  // namespace

TEST_P(BrokerContractTest, GroupsProgressReportsPositionsAndOldestPending) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 4);
  ASSERT_EQ(ids.size(), 4u);
  CreateGroupOk(s, "b");
  CreateGroupOk(s, "a");
  ReadNewOk(s, "a", "c1", 3);
  ASSERT_EQ(CountOk(broker().Ack(s, "a", {ids[0]}), "Ack"), 1);
  Result<std::vector<GroupProgress>> p = broker().GroupsProgress(s);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].group, "a");  // name order
  EXPECT_EQ((*p)[0].last_delivered, ids[2]);
  EXPECT_EQ((*p)[0].oldest_pending, ids[1]);
  EXPECT_EQ((*p)[1].group, "b");
  EXPECT_EQ((*p)[1].last_delivered, "0-0");
  EXPECT_FALSE((*p)[1].oldest_pending.has_value());
  Result<std::vector<GroupProgress>> none = broker().GroupsProgress(Stream("missing"));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

TEST_P(BrokerContractTest, TrimRetainedWithOneGroupCapsTheLength) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 6);
  ASSERT_EQ(ids.size(), 6u);
  CreateGroupOk(s, "g");
  // MAXLEN is a ceiling, not progress-safe: the one group read nothing and
  // still loses the oldest entries (Protean's behaviour).
  Result<RetentionTrim> t = broker().TrimRetained(s, 4);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->spec.kind, TrimSpec::Kind::kMaxLen);
  EXPECT_EQ(t->spec.max_len, 4);
  EXPECT_EQ(t->groups, 1);
  EXPECT_EQ(t->removed, 2);
  EXPECT_EQ(EntryIds(RangeOk(s)), (Strings{ids[2], ids[3], ids[4], ids[5]}));
  // No group at all: MAXLEN too.
  const std::string bare = Stream("bare");
  ASSERT_EQ(PublishN(bare, 3).size(), 3u);
  t = broker().TrimRetained(bare, 1);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->removed, 2);
  EXPECT_EQ(LengthOk(bare), 1);
}

TEST_P(BrokerContractTest, TrimRetainedWithSeveralGroupsKeepsWhatTheSlowestNeeds) {
  const std::string s = Stream();
  const Strings ids = PublishN(s, 8);
  ASSERT_EQ(ids.size(), 8u);
  CreateGroupOk(s, "fast");
  CreateGroupOk(s, "slow");
  ReadNewOk(s, "fast", "c");
  ASSERT_EQ(CountOk(broker().Ack(s, "fast", Strings(ids.begin(), ids.end())), "Ack fast"), 8);
  ReadNewOk(s, "slow", "c", 5);  // delivered 0..4
  ASSERT_EQ(CountOk(broker().Ack(s, "slow", {ids[0], ids[1], ids[3]}), "Ack slow"), 3);
  // slow: last delivered ids[4], ids[2] still pending. max_len is ignored.
  Result<RetentionTrim> t = broker().TrimRetained(s, 1);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->spec.kind, TrimSpec::Kind::kMinId);
  EXPECT_EQ(t->spec.min_id, ids[2]);
  EXPECT_EQ(t->groups, 2);
  EXPECT_EQ(t->removed, 2);
  EXPECT_EQ(EntryIds(RangeOk(s)), (Strings(ids.begin() + 2, ids.end())));
  // The pending one and every unread one are still readable by the slow group.
  ASSERT_EQ(CountOk(broker().Ack(s, "slow", {ids[2], ids[4]}), "Ack rest"), 2);
  t = broker().TrimRetained(s, 1);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->spec.min_id, ids[4]);  // its last-delivered-id: kept
  EXPECT_EQ(EntryIds(ReadNewOk(s, "slow", "c")), (Strings{ids[5], ids[6], ids[7]}));
}

TEST_P(BrokerContractTest, TrimRetainedWithAGroupThatReadNothingKeepsEverything) {
  const std::string s = Stream();
  ASSERT_EQ(PublishN(s, 5).size(), 5u);
  CreateGroupOk(s, "reader");
  CreateGroupOk(s, "new");
  ReadNewOk(s, "reader", "c");
  Result<RetentionTrim> t = broker().TrimRetained(s, 1);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->spec.kind, TrimSpec::Kind::kMinId);
  EXPECT_EQ(t->spec.min_id, "0-0");
  EXPECT_EQ(t->removed, 0);
  EXPECT_EQ(LengthOk(s), 5);
}

TEST_P(BrokerContractTest, TrimRetainedBelowOneTrimsNothing) {
  const std::string s = Stream();
  ASSERT_EQ(PublishN(s, 3).size(), 3u);
  Result<RetentionTrim> t = broker().TrimRetained(s, 0);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->removed, 0);
  EXPECT_EQ(LengthOk(s), 3);
}

}  // namespace protean
