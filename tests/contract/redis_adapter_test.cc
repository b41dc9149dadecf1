// What the contract suites cannot cover for the Redis adapters, against the
// server in REDIS_URL (skipped without it): the redis_pubsub list as Redis
// holds it, connection loss and reconnects (with the socket timeout
// re-applied), blocking reads,
// MoveToDlq atomicity, the pool bound, SELECT of the URL's db.
//
// Connections are killed by client name (CLIENT LIST + CLIENT KILL ID), never
// by type, so other users of the shared server are left alone.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/real/redis_broker.h"
#include "adapters/real/redis_cache.h"
#include "adapters/real/redis_connection.h"
#include "adapters/real/redis_pool.h"
#include "adapters/real/redis_pubsub_broker.h"
#include "adapters/real/redis_script.h"
#include "core/runtime/real_executor.h"
#include "core/runtime/sim_executor.h"
#include "tests/contract/redis_test_env.h"

namespace protean {
namespace {

using redis_test::TestOptions;
using SteadyClock = std::chrono::steady_clock;

Duration Since(SteadyClock::time_point start) {
  return std::chrono::duration_cast<Duration>(SteadyClock::now() - start);
}

std::string TextOf(const RedisReply& reply) {
  if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)) {
    return "<not text>";
  }
  return std::string(reply->str, reply->len);
}

class RedisAdapterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = redis_test::RedisSkipReason()) GTEST_SKIP() << *reason;
    auto admin = RedisConnection::Open(TestOptions("admin"));
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(admin).value();
  }

  void TearDown() override {
    if (admin_ == nullptr) return;
    for (const std::string& key : keys_) {
      (void)admin_->Command(RedisArgs{"DEL", key, key + ":dlq"});
    }
    for (const std::string& key : keys_for_test_) (void)admin_->Command(RedisArgs{"DEL", key});
  }

  // A key unique to this process and case; deleted (with its :dlq) after.
  std::string Key(const std::string& name) {
    const std::string key = "protean-it:" + redis_test::Token() + ":" +
                            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":" +
                            name;
    keys_.push_back(key);
    (void)admin_->Command(RedisArgs{"DEL", key, key + ":dlq"});
    return key;
  }

  // A client name unique to this process and case.
  std::string ClientName(const std::string& name) {
    return "protean-test:" + redis_test::Token() + ":" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":" + name;
  }

  Result<RedisReply> Admin(const RedisArgs& args) { return admin_->Command(args); }

  // Ids of the connections named `name` (CLIENT LIST).
  std::vector<std::string> ClientIds(const std::string& name) {
    std::vector<std::string> ids;
    auto list = Admin(RedisArgs{"CLIENT", "LIST"});
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (!list.ok()) return ids;
    std::istringstream lines(TextOf(*list));
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::string id;
      bool named = false;
      for (std::string field; fields >> field;) {
        if (field.rfind("id=", 0) == 0) id = field.substr(3);
        if (field == "name=" + name) named = true;
      }
      if (named) ids.push_back(id);
    }
    return ids;
  }

  // Kills the connections named `name`; returns how many.
  size_t KillClients(const std::string& name) {
    const std::vector<std::string> ids = ClientIds(name);
    for (const std::string& id : ids) {
      auto killed = Admin(RedisArgs{"CLIENT", "KILL", "ID", id});
      EXPECT_TRUE(killed.ok()) << killed.status().ToString();
    }
    return ids.size();
  }

  RealClock clock_;
  std::unique_ptr<RedisConnection> admin_;
  std::vector<std::string> keys_for_test_;  // other keys to delete after the case

 private:
  std::vector<std::string> keys_;
};

// --- redis_pubsub: Protean's list, as Redis holds it ----------------------------
// (the contract is list_broker_contract.h; here the bytes and keys in Redis)

TEST_F(RedisAdapterTest, PubSubIsAListOfProteanPairsWithAnIntegerPositionPerGroup) {
  RedisPubSubBroker broker(TestOptions("pubsub"));
  const std::string s = Key("orders");
  const std::string group = "app.handlers.Billing";
  const std::string key = ListPositionKey(s, group);
  keys_for_test_.push_back(key);
  const Fields message = {{"data", R"({"data": {"n": 1}, "metadata": {"headers": {"id": "m"}}})"}};
  auto id = broker.Publish(s, message);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(broker.Publish(s, message).ok());
  auto type = Admin(RedisArgs{"TYPE", s});
  ASSERT_TRUE(type.ok());
  EXPECT_EQ(TextOf(*type), "list");
  auto first = Admin(RedisArgs{"LINDEX", s, "0"});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(TextOf(*first), "[\"" + *id + "\", " + message[0].second + "]");
  EXPECT_EQ(key, "position:" + s + ":" + group);
  ASSERT_EQ(broker.ReadNew(s, group, "c", 1, Duration(0))->size(), 1u);
  auto stored = Admin(RedisArgs{"GET", key});
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(TextOf(*stored), "1") << "Protean's INCR'd integer";
  // Protean's own reader moved it on: ours continues from there.
  ASSERT_TRUE(Admin(RedisArgs{"INCR", key}).ok());
  EXPECT_TRUE(broker.ReadNew(s, group, "c", 10, Duration(0))->empty());
  EXPECT_EQ(*broker.Lag(s, group), std::optional<int64_t>(0));
}

TEST_F(RedisAdapterTest, PubSubRefusesAPositionThatIsNoIntegerAndAStreamOfTheSameName) {
  RedisPubSubBroker broker(TestOptions("pubsub"));
  const std::string s = Key("s");
  const std::string key = ListPositionKey(s, "g");
  keys_for_test_.push_back(key);
  ASSERT_TRUE(broker.Publish(s, {{"data", "{}"}}).ok());
  ASSERT_TRUE(Admin(RedisArgs{"SET", key, "not a number"}).ok());
  auto read = broker.ReadNew(s, "g", "c", 1, Duration(0));
  EXPECT_FALSE(read.ok());
  EXPECT_FALSE(broker.Lag(s, "g").ok());
  EXPECT_EQ(*broker.Length(s), 1) << "nothing was claimed";
  const std::string stream = Key("a-stream");
  ASSERT_TRUE(Admin(RedisArgs{"XADD", stream, "*", "data", "{}"}).ok());
  EXPECT_EQ(broker.Publish(stream, {{"data", "{}"}}).status().code(), StatusCode::kInvalidArgument)
      << "WRONGTYPE: provider redis wrote a stream there";
  broker.Close();
  EXPECT_EQ(broker.Ping().code(), StatusCode::kUnavailable);
}

// --- Connection loss and timeouts -------------------------------------------------

TEST_F(RedisAdapterTest, AKilledConnectionIsReplacedAndTheTimeoutReapplied) {
  RedisOptions options = TestOptions("killed");
  options.client_name = ClientName("conn");
  options.socket_timeout = Millis(200);
  auto connection = RedisConnection::Open(options);
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  RedisConnection& c = **connection;
  EXPECT_EQ(c.connects(), 1);
  EXPECT_FALSE(c.HasStrayInput());
  ASSERT_EQ(KillClients(options.client_name), 1u);
  // The next command finds the connection closed; the context is dead.
  auto lost = c.Command(RedisArgs{"PING"});
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), StatusCode::kUnavailable) << lost.status().ToString();
  EXPECT_TRUE(c.broken());
  EXPECT_EQ(c.Command(RedisArgs{"PING"}).status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(c.Reconnect().ok());
  EXPECT_EQ(c.connects(), 2);
  EXPECT_FALSE(c.broken());
  EXPECT_EQ(ClientIds(options.client_name).size(), 1u) << "named again after the reconnect";
  // hiredis 0.14 forgets redisSetTimeout on reconnect: a 2 s server-side
  // block must still end with our 200 ms timeout.
  const auto start = SteadyClock::now();
  auto blocked = c.Command(RedisArgs{"BLPOP", Key("never"), "2"});
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), StatusCode::kTimeout) << blocked.status().ToString();
  EXPECT_GE(Since(start), Millis(150));
  EXPECT_LT(Since(start), Millis(1500)) << "the socket timeout was not re-applied";
  EXPECT_TRUE(c.broken());
}

TEST_F(RedisAdapterTest, BrokerCallsSurviveKilledConnections) {
  RedisOptions options = TestOptions("killed-broker");
  options.client_name = ClientName("broker");
  options.socket_timeout = Millis(300);
  RedisBroker broker(clock_, options);
  const std::string s = Key("s");
  ASSERT_TRUE(broker.CreateGroup(s, "g", GroupStart::kBeginning).ok());
  ASSERT_TRUE(broker.Publish(s, {{"data", "before"}}).ok());
  const std::vector<std::string> before = ClientIds(options.client_name);
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(KillClients(options.client_name), 1u);
  // The idle pooled connection is found dead at checkout and reconnected:
  // no call fails, nothing is read out of step.
  auto id = broker.Publish(s, {{"data", "after"}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto read = broker.ReadNew(s, "g", "c1", 10, Duration(0));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ(read->back().id, *id);
  const std::vector<std::string> after = ClientIds(options.client_name);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after, before) << "a new connection";
  // The re-applied timeout still lets a BLOCK longer than it finish.
  const auto start = SteadyClock::now();
  auto empty = broker.ReadNew(s, "g", "c1", 10, Millis(600));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
  EXPECT_GE(Since(start), Millis(550));
  EXPECT_TRUE(broker.Ping().ok());
  EXPECT_EQ(broker.open_connections(), 1);
}

TEST_F(RedisAdapterTest, ATimedOutBlockedReadNeverAnswersTheNextCommand) {
  RedisOptions options = TestOptions("late-reply");
  options.client_name = ClientName("pool");
  options.socket_timeout = Millis(200);
  RedisPool pool(options);
  const std::string s = Key("s");
  ASSERT_TRUE(Admin(RedisArgs{"XGROUP", "CREATE", s, "g", "$", "MKSTREAM"}).ok());
  auto timed_out =
      pool.Run<bool>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) -> Result<bool> {
        auto reply = c.Command(RedisArgs{"XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "BLOCK",
                                         "1000", "STREAMS", s, ">"});
        if (!reply.ok()) return reply.status();
        return true;
      });
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.status().code(), StatusCode::kTimeout) << timed_out.status().ToString();
  // The server may still answer the dead read: give it something to send.
  ASSERT_TRUE(Admin(RedisArgs{"XADD", s, "*", "data", "x"}).ok());
  std::this_thread::sleep_for(Millis(50));
  auto lease = pool.Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_EQ((*lease)->connects(), 2) << "reconnected at checkout";
  auto pong = (*lease)->Command(RedisArgs{"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status().ToString();
  EXPECT_EQ(TextOf(*pong), "PONG");
  // And the timeout is back after the pool's reconnect too.
  const auto start = SteadyClock::now();
  EXPECT_EQ((*lease)->Command(RedisArgs{"BLPOP", Key("never"), "2"}).status().code(),
            StatusCode::kTimeout);
  EXPECT_LT(Since(start), Millis(1500));
}

TEST_F(RedisAdapterTest, RetryOnTimeoutRetriesOnceOnAFreshConnection) {
  const std::string key = Key("never");
  for (const bool retry : {false, true}) {
    RedisOptions options = TestOptions("retry");
    options.socket_timeout = Millis(150);
    options.retry_on_timeout = retry;
    RedisPool pool(options);
    int attempts = 0;
    auto result =
        pool.Run<bool>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) -> Result<bool> {
          ++attempts;
          auto reply = c.Command(RedisArgs{"BLPOP", key, "2"});
          if (!reply.ok()) return reply.status();
          return true;
        });
    EXPECT_EQ(result.status().code(), StatusCode::kTimeout);
    EXPECT_EQ(attempts, retry ? 2 : 1) << "retry_on_timeout=" << retry;
  }
}

TEST_F(RedisAdapterTest, ThePoolIsBoundedAndWaitsForAFreeConnection) {
  RedisOptions options = TestOptions("bounded");
  options.max_connections = 1;
  options.pool_timeout = Millis(100);
  RedisPool pool(options);
  {
    auto held = pool.Acquire();
    ASSERT_TRUE(held.ok()) << held.status().ToString();
    auto waited = pool.Acquire();  // none is released within pool_timeout
    ASSERT_FALSE(waited.ok());
    EXPECT_EQ(waited.status().code(), StatusCode::kTimeout) << waited.status().ToString();
    EXPECT_NE(waited.status().message().find("max_connections=1"), std::string::npos)
        << waited.status().ToString();
    EXPECT_EQ(pool.open_connections(), 1);
    EXPECT_EQ(pool.waiting(), 0);
  }
  auto again = pool.Acquire();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->connects(), 1) << "the same connection, reused";
}

// A caller that waits gets the connection another releases, not a second one.
TEST_F(RedisAdapterTest, AWaitingAcquireGetsTheReleasedConnection) {
  RedisOptions options = TestOptions("handed-on");
  options.max_connections = 1;
  options.pool_timeout = Seconds(30);  // the handover ends the wait long before
  RedisPool pool(options);
  std::optional<RedisPool::Lease> held;
  {
    auto first = pool.Acquire();
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    held.emplace(std::move(first).value());
  }
  std::atomic<bool> returned{false};
  std::optional<Result<RedisPool::Lease>> waited;
  std::thread waiter([&] {
    waited.emplace(pool.Acquire());
    returned = true;
  });
  // It waits: no connection is free. (Returning instead is the failure below.)
  while (pool.waiting() == 0 && !returned) std::this_thread::yield();
  EXPECT_FALSE(returned.load()) << "Acquire returned while the only connection was leased";
  RedisConnection* const connection = &**held;
  held.reset();  // released: the waiter's now
  waiter.join();
  ASSERT_TRUE(waited.has_value() && waited->ok()) << waited->status().ToString();
  EXPECT_EQ(&***waited, connection);
  EXPECT_EQ((**waited)->connects(), 1);
  EXPECT_EQ(pool.open_connections(), 1);
  EXPECT_EQ(pool.waiting(), 0);
}

// --- Blocking reads ---------------------------------------------------------------

// The engine acks a handled batch with its next read: XACK goes before the
// XREADGROUP in one write, so the ack is applied while the read blocks.
TEST_F(RedisAdapterTest, AnAckSentWithABlockingReadIsAppliedAtOnce) {
  RedisOptions options = TestOptions("ack-with-read");
  RedisBroker broker(clock_, options);
  EXPECT_TRUE(broker.capabilities().ack_with_read);
  EXPECT_EQ(broker.capabilities().connections, options.max_connections);
  const std::string s = Key("s");
  ASSERT_TRUE(broker.CreateGroup(s, "g", GroupStart::kBeginning).ok());
  ASSERT_TRUE(broker.Publish(s, {{"data", "one"}}).ok());
  auto first = broker.ReadNew(s, "g", "c1", 10, Duration(0));
  ASSERT_TRUE(first.ok() && first->size() == 1u);
  const std::string id = first->front().id;
  std::atomic<bool> returned{false};
  std::atomic<int64_t> acked{-1};
  Result<std::vector<StreamEntry>> read = std::vector<StreamEntry>{};
  std::thread reader([&] {
    read = broker.AckThenReadNew(
        s, "g", "c1", {id}, [&acked](Result<int64_t> r) { acked = r.ok() ? *r : -2; }, 10,
        Seconds(5));
    returned = true;
  });
  // The ack's answer comes while the read blocks, and the entry is no
  // longer pending.
  for (int i = 0; i < 300 && acked.load() == -1; ++i) std::this_thread::sleep_for(Millis(10));
  EXPECT_EQ(acked.load(), 1);
  auto pending = broker.PendingCount(s, "g");
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_EQ(*pending, 0);
  EXPECT_FALSE(returned.load()) << "the read still blocks";
  broker.WakeReads(s, "g", "c1");
  reader.join();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_TRUE(read->empty());
}

TEST_F(RedisAdapterTest, ABlockedReadWakesOnPublish) {
  RedisBroker broker(clock_, TestOptions("blocking"));
  const std::string s = Key("s");
  ASSERT_TRUE(broker.CreateGroup(s, "g", GroupStart::kEnd).ok());
  Result<std::vector<StreamEntry>> read = std::vector<StreamEntry>{};
  Duration waited{0};
  std::thread reader([&] {
    const auto start = SteadyClock::now();
    read = broker.ReadNew(s, "g", "c1", 10, Seconds(3));
    waited = Since(start);
  });
  std::this_thread::sleep_for(Millis(150));
  auto id = broker.Publish(s, {{"data", "wake"}});
  reader.join();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ(read->front().id, *id);
  EXPECT_EQ(read->front().delivery_count, 1);
  EXPECT_LT(waited, Seconds(2));
}

TEST_F(RedisAdapterTest, AStreamDeletedUnderABlockedReadIsRecreated) {
  RedisBroker broker(clock_, TestOptions("unblocked"));
  const std::string s = Key("s");
  ASSERT_TRUE(broker.CreateGroup(s, "g", GroupStart::kEnd).ok());
  Result<std::vector<StreamEntry>> read = std::vector<StreamEntry>{};
  std::thread reader([&] { read = broker.ReadNew(s, "g", "c1", 10, Millis(800)); });
  std::this_thread::sleep_for(Millis(150));
  ASSERT_TRUE(Admin(RedisArgs{"DEL", s}).ok());  // UNBLOCKED for the reader
  reader.join();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_TRUE(read->empty());
  auto id = broker.Publish(s, {{"data", "x"}});
  ASSERT_TRUE(id.ok());
  auto next = broker.ReadNew(s, "g", "c1", 10, Duration(0));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_EQ(next->size(), 1u) << "the group was recreated";
  EXPECT_EQ(next->front().id, *id);
}

TEST_F(RedisAdapterTest, CloseWakesABlockedRead) {
  RedisBroker broker(clock_, TestOptions("close"));
  const std::string s = Key("s");
  ASSERT_TRUE(broker.CreateGroup(s, "g", GroupStart::kEnd).ok());
  Result<std::vector<StreamEntry>> read = std::vector<StreamEntry>{};
  Duration waited{0};
  std::thread reader([&] {
    const auto start = SteadyClock::now();
    read = broker.ReadNew(s, "g", "c1", 10, Seconds(5));
    waited = Since(start);
  });
  std::this_thread::sleep_for(Millis(200));
  broker.Close();
  reader.join();
  EXPECT_LT(waited, Seconds(2));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kUnavailable) << read.status().ToString();
  EXPECT_EQ(broker.open_connections(), 0);
}

// --- PendingCount (XPENDING's summary) -------------------------------------------

// More pending entries than one XPENDING page of the gauge's old way (10 000
// listed): the summary form counts them all. Published and delivered in
// pipelines (a ghost consumer reads everything and never acks).
TEST_F(RedisAdapterTest, PendingCountCountsBeyondOneXPendingPage) {
  constexpr int kEntries = 10'500;
  RedisBroker broker(clock_, TestOptions("pending-count"));
  const std::string s = Key("s");
  ASSERT_TRUE(broker.CreateGroup(s, "g", GroupStart::kBeginning).ok());
  std::vector<RedisArgs> adds;
  for (int i = 0; i < kEntries; ++i) {
    adds.push_back(RedisArgs{"XADD", s, "*", "data"}.Add(int64_t{i}));
  }
  auto added = admin_->Pipeline(adds);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  auto read = Admin(RedisArgs{"XREADGROUP", "GROUP", "g", "ghost", "COUNT"}
                        .Add(int64_t{kEntries})
                        .Add("STREAMS")
                        .Add(s)
                        .Add(">"));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  auto count = broker.PendingCount(s, "g");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, kEntries);
  auto page = broker.Pending(s, "g", "", 10'000);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->size(), 10'000u) << "a listing stops at its count";
  ASSERT_TRUE(broker.Ack(s, "g", {page->front().id}).ok());
  auto after = broker.PendingCount(s, "g");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, kEntries - 1);
}

// --- Touch (the owner's heartbeat) ---------------------------------------------

TEST_F(RedisAdapterTest, TouchResetsIdleOfTheOwnersLiveEntriesOnly) {
  RedisBroker broker(clock_, TestOptions("touch"));
  const std::string s = Key("s");
  ASSERT_TRUE(broker.CreateGroup(s, "g", GroupStart::kBeginning).ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i)
    ids.push_back(broker.Publish(s, {{"data", std::to_string(i)}}).value());
  ASSERT_EQ(broker.ReadNew(s, "g", "c1", 2, Duration(0))->size(), 2u);  // ids 0, 1
  ASSERT_EQ(broker.ReadNew(s, "g", "c2", 2, Duration(0))->size(), 2u);  // ids 2, 3
  ASSERT_EQ(broker.Delete(s, {ids[1]}).value(), 1);
  std::this_thread::sleep_for(Millis(150));
  // ids[2] is c2's (left alone); ids[1]'s entry is gone (XCLAIM would purge
  // it, so it is skipped); "1-1" is not pending.
  auto touched = broker.Touch(s, "g", "c1", {ids[0], ids[1], ids[2], "1-1"});
  ASSERT_TRUE(touched.ok()) << touched.status().ToString();
  EXPECT_EQ(*touched, 1);
  auto pending = broker.Pending(s, "g", "", 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 4u) << "nothing purged";
  EXPECT_LT((*pending)[0].idle, Millis(100));
  EXPECT_EQ((*pending)[0].delivery_count, 1) << "a touch is not a delivery";
  EXPECT_EQ((*pending)[0].consumer, "c1");
  EXPECT_GE((*pending)[1].idle, Millis(100));
  EXPECT_GE((*pending)[2].idle, Millis(100));
  EXPECT_EQ((*pending)[2].consumer, "c2");
  // So a claimer finds only what nobody touched.
  auto claim = broker.AutoClaim(s, "g", "c3", Millis(100), "0-0", 10);
  ASSERT_TRUE(claim.ok()) << claim.status().ToString();
  EXPECT_EQ(claim->deleted_ids, (std::vector<std::string>{ids[1]}));
  ASSERT_EQ(claim->claimed.size(), 2u);
  EXPECT_EQ(claim->claimed[0].id, ids[2]);
  EXPECT_EQ(claim->claimed[1].id, ids[3]);
  EXPECT_EQ(broker.Touch(s, "missing-group", "c1", {ids[0]}).value(), 0);
  EXPECT_EQ(broker.Touch(Key("none"), "g", "c1", {ids[0]}).value(), 0);
  EXPECT_EQ(broker.Touch(s, "g", "c1", {}).value(), 0);
  EXPECT_EQ(broker.Touch(s, "g", "c1", {"bad"}).status().code(), StatusCode::kInvalidArgument);
  broker.Close();
  EXPECT_EQ(broker.Touch(s, "g", "c1", {ids[0]}).status().code(), StatusCode::kUnavailable);
}

// --- Ids and the DLQ script ------------------------------------------------------

TEST_F(RedisAdapterTest, PublishFollowsAStreamTopAheadOfTheClock) {
  RedisBroker broker(clock_, TestOptions("ids"));
  const std::string s = Key("s");
  const int64_t ahead_ms = ToMillis(clock_.Now()) + 60000;
  const std::string top = std::to_string(ahead_ms) + "-5";
  ASSERT_TRUE(Admin(RedisArgs{"XADD", s, top, "data", "future"}).ok());
  auto id = broker.Publish(s, {{"data", "now"}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, std::to_string(ahead_ms) + "-6");
}

TEST_F(RedisAdapterTest, IdsKeepGrowingWhenTheClockGoesBack) {
  // The contract case needs a movable clock; ids come from the Clock, so a
  // SimClock drives RedisBroker's ids just as well.
  SimClock clock(clock_.Now());
  RedisBroker broker(clock, TestOptions("sim-ids"));
  const std::string s = Key("s");
  auto first = broker.Publish(s, {{"data", "a"}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const StreamId top = *StreamId::Parse(*first);
  EXPECT_EQ(top.ms, static_cast<uint64_t>(ToMillis(clock.Now())));
  EXPECT_EQ(top.seq, 0u);
  clock.Advance(-Seconds(10));
  const std::string ms = std::to_string(top.ms);
  EXPECT_EQ(broker.Publish(s, {{"data", "b"}}).value(), ms + "-1");
  EXPECT_EQ(broker.Publish(s, {{"data", "c"}}).value(), ms + "-2");
  clock.Advance(Seconds(11));
  EXPECT_EQ(broker.Publish(s, {{"data", "d"}}).value(), std::to_string(top.ms + 1000) + "-0");
}

TEST_F(RedisAdapterTest, MoveToDlqThatFailsLeavesTheMessagePending) {
  RedisBroker broker(clock_, TestOptions("dlq"));
  const std::string s = Key("s");
  const std::string dlq = DlqStreamName(s);
  ASSERT_TRUE(broker.CreateGroup(s, "g", GroupStart::kBeginning).ok());
  auto id = broker.Publish(s, {{"data", "precious"}});
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(broker.ReadNew(s, "g", "c1", 10, Duration(0))->size(), 1u);
  // The DLQ key holds a string: the script's XADD fails.
  ASSERT_TRUE(Admin(RedisArgs{"SET", dlq, "not a stream"}).ok());
  DlqMetadata meta;
  meta.original_stream = s;
  meta.original_id = *id;
  meta.consumer_group = "g";
  meta.consumer = "c1";
  meta.attempts = 3;
  meta.reason = "boom";
  auto failed = broker.MoveToDlq(s, "g", *id, meta);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidArgument) << failed.status().ToString();
  EXPECT_NE(failed.status().message().find("WRONGTYPE"), std::string::npos);
  auto pending = broker.Pending(s, "g", "", 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u) << "nothing lost: still pending";
  EXPECT_EQ(pending->front().id, *id);
  EXPECT_EQ(pending->front().delivery_count, 1);
  auto type = Admin(RedisArgs{"TYPE", dlq});
  ASSERT_TRUE(type.ok());
  EXPECT_EQ(TextOf(*type), "string");
  // Once the DLQ is writable the same move goes through.
  ASSERT_TRUE(Admin(RedisArgs{"DEL", dlq}).ok());
  auto moved = broker.MoveToDlq(s, "g", *id, meta);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_TRUE(*moved);
  EXPECT_TRUE(broker.Pending(s, "g", "", 10)->empty());
  auto entries = broker.DlqList(dlq, 10);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().fields, (Fields{{"data", "precious"}}));
  EXPECT_EQ(entries->front().metadata.reason, "boom");
}

TEST_F(RedisAdapterTest, ScriptsReloadAfterNoscript) {
  RedisScript script("echo script", "return ARGV[1] .. '" + redis_test::Token() + "'");
  script.SetShaForTesting(std::string(40, '0'));  // as after a server restart
  auto reply = script.Eval(*admin_, {}, {"hello-"});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(TextOf(*reply), "hello-" + redis_test::Token());
  auto again = script.Eval(*admin_, {}, {"again-"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(TextOf(*again), "again-" + redis_test::Token());
}

// --- The URL's db ------------------------------------------------------------------

TEST_F(RedisAdapterTest, TheUrlsDbIsSelected) {
  RedisOptions options = TestOptions("db");
  options.url.db = 1;
  RedisCache cache(clock_, options, "protean-it:");
  const std::string key = "db1:" + redis_test::Token();
  ASSERT_TRUE(cache.Set(key, "in db 1", Seconds(60)).ok());
  EXPECT_EQ(cache.Get(key).value(), "in db 1");
  auto in_db0 = Admin(RedisArgs{"EXISTS", "protean-it:" + key});
  ASSERT_TRUE(in_db0.ok());
  EXPECT_EQ((*in_db0)->integer, 0);
  auto db1 = RedisConnection::Open(options);
  ASSERT_TRUE(db1.ok());
  auto value = (*db1)->Command(RedisArgs{"GET", "protean-it:" + key});
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(TextOf(*value), "in db 1");
  EXPECT_TRUE(cache.Remove(key).value());
}

}  // namespace
}  // namespace protean
