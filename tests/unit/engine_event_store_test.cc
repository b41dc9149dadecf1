// Event-store subscriptions: category reads, stored positions,
// at-least-once restarts, in-place retries (enable_recovery = false) and
// consumer-group partitions.
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/engine/event_store_subscription.h"
#include "tests/unit/sim_world.h"

namespace protean {
namespace {

using testing::MakeHandler;
using testing::SimWorld;

SubscriptionConfig Projection() {
  SubscriptionConfig c;
  c.type = SubscriptionType::kEventStore;
  c.enable_dlq = false;
  c.position_update_interval = 2;
  c.messages_per_tick = 100;
  return c;
}

class EventStoreEngineTest : public ::testing::Test {
 protected:
  Engine& Start(const std::string& instance, SubscriptionConfig c = Projection(),
                HandlerFn fn = nullptr, EngineOptions options = {}) {
    if (!fn) {
      fn = [this, instance](const Message& m, HandlerContext&) {
        seen_[instance].push_back(m.id);
        return Status::Ok();
      };
    }
    handlers_.push_back(std::make_unique<HandlerRegistration>(MakeHandler("P", "account", fn)));
    Engine& e = w_.AddEngine(instance, std::move(options));
    EXPECT_TRUE(e.AddSubscription(*handlers_.back(), c).ok());
    e.Start();
    return e;
  }
  std::optional<int64_t> StoredPosition(const std::string& stream = "position-P-account+a") {
    auto r = w_.store.LastMessage(stream, std::nullopt);
    if (!r.ok() || !r->has_value()) return std::nullopt;
    const std::string& data = (*r)->data;
    return std::stoll(data.substr(data.find(':') + 1));
  }
  SimWorld w_;
  std::vector<std::unique_ptr<HandlerRegistration>> handlers_;
  std::map<std::string, std::vector<std::string>> seen_;
};

TEST_F(EventStoreEngineTest, HandlesTheCategoryInGlobalOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(w_.PublishEvent("account-" + std::to_string(i % 2)));
  w_.PublishEvent("other-1");  // another category
  Start("a");
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(seen_["a"], ids);
}

TEST_F(EventStoreEngineTest, WritesThePositionEveryIntervalAndOnShutdown) {
  for (int i = 0; i < 5; ++i) w_.PublishEvent("account-1");
  Engine& e = Start("a");
  w_.loop.RunFor(Seconds(1));
  auto writes = w_.recorder.Of(EngineEventKind::kPositionWritten);
  ASSERT_EQ(writes.size(), 2u);  // after 2 and 4
  EXPECT_EQ(writes[0].value, 2);
  EXPECT_EQ(writes[1].value, 4);
  e.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(StoredPosition(), 5);
}

TEST_F(EventStoreEngineTest, ARestartResumesAfterTheStoredPosition) {
  for (int i = 0; i < 5; ++i) w_.PublishEvent("account-1");
  Engine& a = Start("a");
  w_.loop.RunFor(Seconds(1));
  a.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
  const std::string late = w_.PublishEvent("account-2");
  seen_["a"].clear();
  Start("a");  // the same instance, restarted
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(seen_["a"], std::vector<std::string>{late});
}

TEST_F(EventStoreEngineTest, ACrashReplaysSinceTheLastStoredPosition) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(w_.PublishEvent("account-1"));
  Engine& a = Start("a");
  w_.loop.RunFor(Seconds(1));
  a.Crash();  // position 4 stored, 5 handled but not stored
  seen_["a"].clear();
  Start("a");  // restarted under the same name
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(seen_["a"], std::vector<std::string>{ids[4]});  // at-least-once
}

// A store whose position writes take `latency` (virtual time), and counts
// how many run at once.
class SlowPositionStore : public EventStoreWrapper {
 public:
  SlowPositionStore(EventStore* target, Duration latency)
      : EventStoreWrapper(target), latency_(latency) {}
  Result<int64_t> Write(const NewEventMessage& m, std::optional<int64_t> expected) override {
    if (m.stream_name.rfind("position-", 0) == 0) {
      ChargeWorkCost(latency_);
      ++position_writes;
    }
    return EventStoreWrapper::Write(m, expected);
  }
  int position_writes = 0;

 private:
  Duration latency_;
};

// A position write slower than the handling: the handling goes on while one
// write runs, but stops where the next is due until that one is stored, so
// a crash replays at most two intervals' worth, however slow the store.
// (Protean's write blocks the handling at every interval: at most one.)
TEST_F(EventStoreEngineTest, ACrashReplaysAtMostTwoIntervalsHoweverSlowThePositionWrites) {
  for (int i = 0; i < 200; ++i) w_.PublishEvent("account-1");
  SlowPositionStore slow(&w_.store, Millis(100));
  EngineAdapters adapters = w_.AdaptersFor(&w_.broker);
  adapters.event_store = &slow;
  EngineOptions options;
  options.instance = "a";
  Engine engine(w_.loop, w_.prng, w_.metrics, adapters, options, &w_.recorder);
  int64_t handled_max = 0;
  int handled = 0;
  const HandlerRegistration h =
      MakeHandler("P", "account", [&](const Message& m, HandlerContext& ctx) {
        handled_max = std::max(handled_max, m.metadata.global_position.value_or(0));
        ++handled;
        ctx.cost = Millis(1);
        return Status::Ok();
      });
  SubscriptionConfig c = Projection();
  c.position_update_interval = 4;
  ASSERT_TRUE(engine.AddSubscription(h, c).ok());
  engine.Start();
  for (int step = 0; step < 80; ++step) {  // 200 messages, 4 per 100 ms write at worst
    w_.loop.RunFor(Millis(77));
    // Stored: the last write the store answered (a crash before the answer
    // may lose the write; the simulated store applies it at once).
    int64_t stored = 0;
    for (const EngineEvent& e : w_.recorder.Of(EngineEventKind::kPositionWritten)) {
      stored = std::max(stored, e.value);
    }
    EXPECT_LE(handled_max - stored, 2 * c.position_update_interval)
        << "at " << (step + 1) * 77 << " ms: handled up to " << handled_max << ", stored "
        << stored;
  }
  EXPECT_EQ(handled, 200);
  EXPECT_LE(slow.position_writes, 200 / c.position_update_interval + 1);
  engine.Crash();
}

// enable_recovery = false: retried in place, then recorded Exhausted (the
// recovery pass's own behaviour is in engine_event_store_recovery_test.cc).
TEST_F(EventStoreEngineTest, WithoutRecoveryFailuresRetryInPlaceThenAreRecordedExhausted) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(w_.PublishEvent("account-1", i == 1 ? "Bad" : "Good"));
  SubscriptionConfig c = Projection();
  c.enable_recovery = false;
  c.max_retries = 2;
  std::vector<std::string> handled;
  Start("a", c, [&handled](const Message& m, HandlerContext&) {
    if (m.type == "Bad") return Status::Internal("cannot project");
    handled.push_back(m.id);
    return Status::Ok();
  });
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(handled, (std::vector<std::string>{ids[0], ids[2]}));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kRetryScheduled), 1u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kRecoveryPass), 0u);
  auto failed = w_.store.ReadStream("failed-P-account+a", 0, 10);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].type, "Exhausted");
  EXPECT_NE((*failed)[0].data.find(ids[1]), std::string::npos);
  EXPECT_NE((*failed)[0].data.find("cannot project"), std::string::npos);
}

// A read's messages go to a worker in one hand-off, but still one at a
// time: a failure or a timeout halts the rest of the hand-off, and nothing
// after the message runs before its retry (order matters to projections).
TEST_F(EventStoreEngineTest, NothingAfterAFailedOrTimedOutMessageRunsBeforeItsRetry) {
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(w_.PublishEvent("account-1"));
  SubscriptionConfig c = Projection();
  c.enable_recovery = false;
  c.max_retries = 3;
  c.retry_delay_seconds = 0.5;
  c.handler_timeout_seconds = 1;
  std::vector<std::string> calls;
  std::map<std::string, int> attempts;
  Start("a", c, [&](const Message& m, HandlerContext& ctx) {
    calls.push_back(m.id);
    const int attempt = ++attempts[m.id];
    if (m.id == ids[1] && attempt == 1) return HandlerResult::Retryable("not yet");
    if (m.id == ids[3] && attempt == 1) ctx.cost = Seconds(2);  // past its 1 s budget
    return HandlerResult::Ok();
  });
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(calls, (std::vector<std::string>{ids[0], ids[1], ids[1], ids[2], ids[3], ids[3], ids[4],
                                             ids[5]}));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kRetryScheduled), 2u);
  auto finished = w_.recorder.Of(EngineEventKind::kAttemptFinished);
  ASSERT_EQ(finished.size(), 8u);
  EXPECT_EQ(finished[1].outcome, "failed");
  EXPECT_EQ(finished[4].outcome, "timeout");
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDelivered), 6u);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 8u);
}

TEST_F(EventStoreEngineTest, AnotherInstanceKeepsItsOwnPosition) {
  for (int i = 0; i < 4; ++i) w_.PublishEvent("account-1");
  Engine& a = Start("a");
  w_.loop.RunFor(Seconds(1));
  a.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
  Start("b");  // a new instance reads the whole category, not from a's position
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(seen_["b"], seen_["a"]);
  EXPECT_EQ(seen_["b"].size(), 4u);
}

TEST_F(EventStoreEngineTest, EveryInstanceReadsEverythingUnlessPartitioned) {
  for (int i = 0; i < 20; ++i) w_.PublishEvent("account-" + std::to_string(i));
  Start("a");
  Start("b");
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(seen_["a"].size(), 20u);
  EXPECT_EQ(seen_["b"], seen_["a"]);
}

TEST_F(EventStoreEngineTest, ConsumerGroupMembersSplitTheCategory) {
  for (int i = 0; i < 30; ++i) w_.PublishEvent("account-" + std::to_string(i));
  SubscriptionConfig m0 = Projection(), m1 = Projection();
  m0.consumer_group_member = 0;
  m0.consumer_group_size = 2;
  m1.consumer_group_member = 1;
  m1.consumer_group_size = 2;
  Engine& a = Start("a", m0);
  Start("b", m1);
  w_.loop.RunFor(Seconds(1));
  std::set<std::string> all(seen_["a"].begin(), seen_["a"].end());
  for (const auto& id : seen_["b"]) EXPECT_TRUE(all.insert(id).second) << "handled twice: " << id;
  EXPECT_EQ(all.size(), 30u);
  EXPECT_FALSE(seen_["a"].empty());
  EXPECT_FALSE(seen_["b"].empty());
  a.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
  // Each member keeps its own position stream.
  ASSERT_TRUE(StoredPosition("position-P-account+0of2").has_value());
  EXPECT_GT(*StoredPosition("position-P-account+0of2"), 0);
  EXPECT_FALSE(StoredPosition("position-P-account+a").has_value());
}

// Processes with generated identities (not --instance names) share the
// subscription's position, as Protean's do; a lagging one never writes its
// lower position over a higher one stored by another.
TEST_F(EventStoreEngineTest, AnUnnamedInstanceSharesThePositionThatNeverMovesBackwards) {
  for (int i = 0; i < 6; ++i) w_.PublishEvent("account-" + std::to_string(i % 2));
  EngineOptions unnamed;
  unnamed.named_instance = false;
  // Both start together and read everything; the slow one writes lower
  // positions after the fast one stored the last.
  Start("host-1-aaaaaa", Projection(), nullptr, unnamed);
  Start(
      "host-2-bbbbbb", Projection(),
      [this](const Message& m, HandlerContext& ctx) {
        seen_["host-2-bbbbbb"].push_back(m.id);
        ctx.cost = Seconds(1);
        return Status::Ok();
      },
      unnamed);
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(seen_["host-1-aaaaaa"].size(), 6u);
  EXPECT_EQ(seen_["host-2-bbbbbb"].size(), 6u) << "every process reads the whole category";
  auto written = w_.store.ReadStream("position-P-account", 0, 100);
  ASSERT_TRUE(written.ok());
  ASSERT_FALSE(written->empty()) << "one position per subscription: no instance suffix";
  int64_t last = 0;
  for (const EventMessage& m : *written) {
    const int64_t pos = std::stoll(m.data.substr(m.data.find(':') + 1));
    EXPECT_GE(pos, last) << "the stored position moved backwards";
    last = pos;
  }
  EXPECT_EQ(StoredPosition("position-P-account"), last);
  // A process that starts now resumes from the shared position.
  w_.PublishEvent("account-1");
  Start("host-3-cccccc", Projection(), nullptr, unnamed);
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(seen_["host-3-cccccc"].size(), 1u) << "resumed from the stored position";
}

TEST_F(EventStoreEngineTest, APositionThatCannotBeReadIsReadAgainNotReplayedFromTheStart) {
  class FlakyStore : public EventStoreWrapper {
   public:
    using EventStoreWrapper::EventStoreWrapper;
    Result<std::optional<EventMessage>> LastMessage(std::string_view stream,
                                                    std::optional<std::string> type) override {
      if (failures_left > 0) {
        --failures_left;
        return Status::Unavailable("store down");
      }
      return EventStoreWrapper::LastMessage(stream, std::move(type));
    }
    int failures_left = 3;
  };
  for (int i = 0; i < 4; ++i) w_.PublishEvent("account-1");
  Engine& first = Start("a");
  w_.loop.RunFor(Seconds(1));
  first.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
  ASSERT_EQ(seen_["a"].size(), 4u);
  w_.PublishEvent("account-1");
  FlakyStore flaky(&w_.store);
  EngineAdapters adapters = w_.AdaptersFor(&w_.broker);
  adapters.event_store = &flaky;
  EngineOptions options;
  options.instance = "a";
  Engine again(w_.loop, w_.prng, w_.metrics, adapters, options, &w_.recorder);
  HandlerRegistration h = MakeHandler("P", "account", [this](const Message& m, HandlerContext&) {
    seen_["again"].push_back(m.id);
    return Status::Ok();
  });
  ASSERT_TRUE(again.AddSubscription(h, Projection()).ok());
  again.Start();
  w_.loop.RunFor(Seconds(2));
  EXPECT_EQ(flaky.failures_left, 0);
  EXPECT_EQ(seen_["again"].size(), 1u) << "only the new event: the stored position was found";
  again.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
}

// Protean's record (event_store_subscription.py:368-405): type Read, data
// {"position": N} as json.dumps writes it, Protean's metadata, in
// position-<subscriber>-<category>, where the subscriber is the fqn.
TEST_F(EventStoreEngineTest, ThePositionIsProteansReadRecordUnderTheFqn) {
  for (int i = 0; i < 3; ++i) w_.PublishEvent("account-1");
  HandlerRegistration h =
      MakeHandler("P", "account", [](const Message&, HandlerContext&) { return Status::Ok(); });
  h.fqn = "bank.projections.P";
  handlers_.push_back(std::make_unique<HandlerRegistration>(std::move(h)));
  EngineOptions unnamed;
  unnamed.named_instance = false;
  Engine& e = w_.AddEngine("host-1-aaaaaa", unnamed);
  ASSERT_TRUE(e.AddSubscription(*handlers_.back(), Projection()).ok());
  e.Start();
  w_.loop.RunFor(Seconds(1));
  e.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
  auto last = w_.store.LastMessage("position-bank.projections.P-account", std::nullopt);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->type, "Read");
  EXPECT_EQ((*last)->data, "{\"position\": 3}");
  const nlohmann::json meta = nlohmann::json::parse((*last)->metadata);
  EXPECT_EQ(meta["headers"]["type"], "Read");
  EXPECT_EQ(meta["headers"]["stream"], "position-bank.projections.P-account");
  EXPECT_EQ(meta["headers"]["id"].get<std::string>().size(), 36u);
  EXPECT_TRUE(meta["headers"]["time"].is_string());
  EXPECT_EQ(meta["domain"],
            (nlohmann::json{{"kind", "READ_POSITION"}, {"origin_stream", "account"}}));
  EXPECT_FALSE(w_.store.LastMessage("position-P-account", std::nullopt)->has_value())
      << "the fqn, not the name";
}

TEST(EventStorePositionNamesTest, ProteansNameThenThisEnginesSuffixesAndOlderNames) {
  HandlerRegistration h = MakeHandler("P", "account", nullptr);
  SubscriptionConfig c = Projection();
  EXPECT_EQ(EventStorePositionStreams(h, c, ""),
            (std::vector<std::string>{"position-P-account", "account:position-P"}));
  EXPECT_EQ(EventStorePositionStreams(h, c, "w0"),
            (std::vector<std::string>{"position-P-account+w0", "account:position-P+w0",
                                      "position-P-account"}));
  h.fqn = "app.projections.P";
  c.consumer_group_member = 1;
  c.consumer_group_size = 3;
  EXPECT_EQ(
      EventStorePositionStreams(h, c, "w0"),
      (std::vector<std::string>{"position-app.projections.P-account+1of3",
                                "account:position-P+1of3", "position-app.projections.P-account"}))
      << "a member's position is the member's, whoever runs it";
  HandlerRegistration typed = MakeHandler("P", "account:command", nullptr);
  EXPECT_EQ(EventStorePositionStreams(typed, Projection(), ""),
            (std::vector<std::string>{"position-P-account:command", "account:command+position-P"}));
  EXPECT_EQ(EventStorePositionStream(typed, Projection(), ""), "position-P-account:command");
}

// Users of the earlier naming: the old stream is read once, while the new one
// is empty; the position is then written under the new name only.
TEST_F(EventStoreEngineTest, APositionUnderTheOldNameIsReadOnceThenWrittenUnderTheNewOne) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(w_.PublishEvent("account-1"));
  auto rows = w_.store.ReadStream("account-1", 0, 10);
  ASSERT_TRUE(rows.ok() && rows->size() == 5u);
  NewEventMessage old{w_.ids.Uuid(), "account:position-P+a", "Recorded",
                      "{\"position\":" + std::to_string((*rows)[2].global_position) + "}", ""};
  ASSERT_TRUE(w_.store.Write(old, std::nullopt).ok());
  Engine& a = Start("a");
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(seen_["a"], (std::vector<std::string>{ids[3], ids[4]})) << "no replay";
  bool logged = false;
  for (const std::string& l : w_.log) {
    logged |= l.find("read_from=account:position-P+a") != std::string::npos;
  }
  EXPECT_TRUE(logged);
  a.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(StoredPosition("position-P-account+a"), (*rows)[4].global_position);
  EXPECT_EQ(w_.store.ReadStream("account:position-P+a", 0, 10)->size(), 1u) << "left as it was";
  // Next start: the new stream wins (the old one would say 3).
  const std::string late = w_.PublishEvent("account-1");
  seen_["a"].clear();
  Start("a");
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(seen_["a"], std::vector<std::string>{late});
}

// A named instance (or a partition member) with no position of its own
// continues from the subscription's shared one, where Protean (or an
// unnamed process) left it.
TEST_F(EventStoreEngineTest, ANamedInstanceWithoutAPositionStartsFromTheSharedOne) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(w_.PublishEvent("account-1"));
  auto rows = w_.store.ReadStream("account-1", 0, 10);
  ASSERT_TRUE(rows.ok() && rows->size() == 4u);
  NewEventMessage protean{w_.ids.Uuid(), "position-P-account", "Read",
                          PositionData((*rows)[1].global_position), ""};
  ASSERT_TRUE(w_.store.Write(protean, std::nullopt).ok());
  Engine& w0 = Start("w0");
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(seen_["w0"], (std::vector<std::string>{ids[2], ids[3]}));
  w0.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(StoredPosition("position-P-account+w0"), (*rows)[3].global_position);
  EXPECT_EQ(StoredPosition("position-P-account"), (*rows)[1].global_position)
      << "the shared one is not written by a named instance";
}

}  // namespace
}  // namespace protean
