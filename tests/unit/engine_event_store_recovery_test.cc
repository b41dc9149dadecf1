// The event-store recovery pass (Protean's event_store_subscription.py:
// 581-1145): failed positions recorded before the position moves on, retried
// by a pass every recovery_interval_seconds, Resolved / Exhausted, the
// checkpoint, and what a crash between record and position leaves.
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/engine/event_store_recovery.h"
#include "core/engine/event_store_subscription.h"
#include "tests/unit/sim_world.h"

namespace protean {
namespace {

using nlohmann::json;
using testing::MakeHandler;
using testing::SimWorld;

// The streams of handler P, instance "a", category "account": Protean's
// failed-{subscriber}-{category} and recovery-checkpoint-{subscriber}-{category},
// {subscriber} being what the position stream names the handler by.
const std::string kFailed = "failed-P-account+a";
const std::string kCheckpoint = "recovery-checkpoint-P-account+a";

SubscriptionConfig RecoveringProjection() {
  SubscriptionConfig c;
  c.type = SubscriptionType::kEventStore;
  c.enable_dlq = false;
  c.position_update_interval = 1;
  c.messages_per_tick = 100;
  c.recovery_interval_seconds = 30;  // Protean's defaults
  c.recovery_max_retries = 3;
  c.recovery_retry_delay_seconds = 1;
  return c;
}

struct Record {
  std::string type;
  json data;
  json metadata;
};

class RecoveryTest : public ::testing::Test {
 protected:
  // `events` events handled at 5 ms each, read at 20 ms a batch: how many
  // were handled when each read began (defined below, after TimedReads).
  std::vector<size_t> HandledAtEachRead(int events);
  Engine& Start(HandlerFn fn, SubscriptionConfig c = RecoveringProjection(),
                EventStore* store = nullptr) {
    handlers_.push_back(std::make_unique<HandlerRegistration>(MakeHandler("P", "account", fn)));
    EngineOptions options;
    options.instance = "a";
    if (store == nullptr) {
      Engine& e = w_.AddEngine("a", options);
      EXPECT_TRUE(e.AddSubscription(*handlers_.back(), c).ok());
      e.Start();
      return e;
    }
    EngineAdapters adapters = w_.AdaptersFor(&w_.broker);
    adapters.event_store = store;
    own_.push_back(
        std::make_unique<Engine>(w_.loop, w_.prng, w_.metrics, adapters, options, &w_.recorder));
    EXPECT_TRUE(own_.back()->AddSubscription(*handlers_.back(), c).ok());
    own_.back()->Start();
    return *own_.back();
  }
  std::vector<Record> Records(const std::string& stream = kFailed) {
    std::vector<Record> out;
    auto r = w_.store.ReadStream(stream, 0, 1000);
    EXPECT_TRUE(r.ok());
    for (const EventMessage& m : *r)
      out.push_back({m.type, json::parse(m.data), json::parse(m.metadata)});
    return out;
  }
  std::vector<std::string> Types(const std::string& stream = kFailed) {
    std::vector<std::string> out;
    for (const Record& r : Records(stream)) out.push_back(r.type);
    return out;
  }
  int64_t Exhausted() {
    return w_.metrics
        .GetCounter("protean_subscription_exhausted",
                    {{"subscription", "P-account"}, {"handler", "P"}, {"stream", "account"}})
        ->value();
  }
  SimWorld w_;
  std::vector<std::unique_ptr<HandlerRegistration>> handlers_;
  std::vector<std::unique_ptr<Engine>> own_;
};

TEST_F(RecoveryTest, TheStreamsAreProteansNamesForTheSubscriber) {
  Engine& e = Start([](const Message&, HandlerContext&) { return Status::Ok(); });
  ASSERT_EQ(e.subscriptions().size(), 1u);
  auto* sub = dynamic_cast<EventStoreSubscription*>(e.subscriptions()[0].get());
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->failed_positions_stream(), kFailed);
}

// A handler that always fails on type "Bad" and records what it handled.
HandlerFn FailsOnBad(std::vector<std::string>* handled, int* bad_calls) {
  return [handled, bad_calls](const Message& m, HandlerContext&) {
    if (m.type == "Bad") {
      ++*bad_calls;
      return Status::Internal("cannot project");
    }
    handled->push_back(m.id);
    return Status::Ok();
  };
}

TEST_F(RecoveryTest, APoisonPillIsRecordedAndTheCategoryMovesOn) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(w_.PublishEvent("account-1", i == 1 ? "Bad" : "Good"));
  std::vector<std::string> handled;
  int bad_calls = 0;
  Start(FailsOnBad(&handled, &bad_calls));
  w_.loop.RunFor(Seconds(1));
  EXPECT_EQ(handled, (std::vector<std::string>{ids[0], ids[2], ids[3]}));
  EXPECT_EQ(bad_calls, 1) << "no retry in place";
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kRetryScheduled), 0u);
  std::vector<Record> records = Records();
  ASSERT_EQ(records.size(), 1u);
  // Protean's Failed record (event_store_subscription.py:771-795).
  EXPECT_EQ(records[0].type, "Failed");
  EXPECT_EQ(records[0].data["position"], 2);
  EXPECT_EQ(records[0].data["message_id"], ids[1]);
  EXPECT_EQ(records[0].data["message_type"], "Bad");
  EXPECT_EQ(records[0].data["retry_count"], 0);
  EXPECT_EQ(records[0].data["stream_name"], "account-1");
  EXPECT_EQ(records[0].data["stream_position"], 1);
  EXPECT_EQ(records[0].metadata["headers"]["type"], "Failed");
  EXPECT_EQ(records[0].metadata["headers"]["stream"], kFailed);
  EXPECT_EQ(records[0].metadata["domain"]["kind"], "READ_POSITION");
  EXPECT_EQ(records[0].metadata["domain"]["origin_stream"], "account");
  // The record came before the position moved past the message.
  const auto& ev = w_.recorder.events;
  size_t recorded = ev.size(), passed = ev.size();
  for (size_t i = 0; i < ev.size(); ++i) {
    if (ev[i].kind == EngineEventKind::kFailureRecorded && recorded == ev.size()) recorded = i;
    if (ev[i].kind == EngineEventKind::kPositionWritten && ev[i].value >= 2 && passed == ev.size())
      passed = i;
  }
  ASSERT_LT(recorded, ev.size());
  EXPECT_LT(recorded, passed);
}

TEST_F(RecoveryTest, APermanentFailureIsExhaustedAfterMaxRetries) {
  w_.PublishEvent("account-1", "Bad");
  std::vector<std::string> handled;
  int bad_calls = 0;
  const TimePoint t0 = w_.loop.Now();
  Start(FailsOnBad(&handled, &bad_calls));
  w_.loop.RunFor(Seconds(200));
  // The first attempt, then max_retries = 3 retries; the pass after the
  // third writes Exhausted with retry_count 4 (py:1009-1041).
  EXPECT_EQ(bad_calls, 4);
  EXPECT_EQ(Types(),
            (std::vector<std::string>{"Failed", "Failed", "Failed", "Failed", "Exhausted"}));
  std::vector<Record> records = Records();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(records[i].data["retry_count"], i);
  EXPECT_EQ(records[4].data["retry_count"], 4);
  EXPECT_EQ(Exhausted(), 1);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kDropped), 1u);
  // Passes with work: every recovery_interval_seconds (the one at start found
  // nothing yet); each retry waits retry_delay_seconds after its pass began.
  auto passes = w_.recorder.Of(EngineEventKind::kRecoveryPass);
  ASSERT_EQ(passes.size(), 4u);
  for (size_t i = 1; i < passes.size(); ++i) {
    EXPECT_GE(passes[i].at - passes[i - 1].at, Seconds(30));
  }
  EXPECT_LT(passes[0].at - t0, Seconds(31));
  auto starts = w_.recorder.Of(EngineEventKind::kAttemptStarted);
  ASSERT_EQ(starts.size(), 4u);
  for (size_t i = 1; i < starts.size(); ++i) {
    EXPECT_EQ(starts[i].attempt, static_cast<int64_t>(i) + 1);
    EXPECT_GE(starts[i].at - passes[i - 1].at, Seconds(1));
    EXPECT_LT(starts[i].at - passes[i - 1].at, Seconds(2));
  }
}

TEST_F(RecoveryTest, ATransientFailureIsResolvedByThePass) {
  const std::string id = w_.PublishEvent("account-1", "Flaky");
  int calls = 0;
  std::vector<std::string> handled;
  Start([&](const Message& m, HandlerContext&) {
    if (++calls <= 2) return Status::Unavailable("downstream down");
    handled.push_back(m.id);
    return Status::Ok();
  });
  w_.loop.RunFor(Seconds(120));
  EXPECT_EQ(handled, std::vector<std::string>{id});
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(Types(), (std::vector<std::string>{"Failed", "Failed", "Resolved"}));
  EXPECT_EQ(Records()[2].data["retry_count"], 2);
  EXPECT_EQ(Records()[2].data["message_id"], id);
  EXPECT_EQ(Exhausted(), 0);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kRecoveryResolved), 1u);
}

// The store's category reads of "account", each taking `read_cost` of
// virtual time, and how many messages had been handled when each began.
class TimedReads : public EventStoreWrapper {
 public:
  TimedReads(EventStore* store, const std::vector<std::string>* handled, Duration read_cost)
      : EventStoreWrapper(store), handled_(handled), read_cost_(read_cost) {}
  Result<std::vector<EventMessage>> ReadCategory(std::string_view category,
                                                 const CategoryRead& read) override {
    if (category == "account") {
      handled_at_read.push_back(handled_->size());
      ChargeWorkCost(read_cost_);
    }
    return EventStoreWrapper::ReadCategory(category, read);
  }
  std::vector<size_t> handled_at_read;

 private:
  const std::vector<std::string>* handled_;
  Duration read_cost_;
};

// `Base` (an EventStoreWrapper) whose next `failures_left` writes of a
// failed-position record fail.
template <class Base>
class FailedRecordWritesDown : public Base {
 public:
  using Base::Base;
  Result<int64_t> Write(const NewEventMessage& m, std::optional<int64_t> expected) override {
    if (m.stream_name.rfind("failed-", 0) == 0 && failures_left > 0) {
      --failures_left;
      return Status::Unavailable("store down");
    }
    return Base::Write(m, expected);
  }
  int failures_left = 0;
};

// A failed record write: the position does not move; the message is read and
// handled again, and recorded once the store takes writes.
TEST_F(RecoveryTest, AFailedRecordWriteKeepsThePositionAndTheMessage) {
  FailedRecordWritesDown<EventStoreWrapper> store(&w_.store);
  store.failures_left = 2;
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) ids.push_back(w_.PublishEvent("account-1", i == 0 ? "Bad" : "Good"));
  std::vector<std::string> handled;
  int bad_calls = 0;
  Engine& e = Start(FailsOnBad(&handled, &bad_calls), RecoveringProjection(), &store);
  w_.loop.RunFor(Seconds(5));
  EXPECT_EQ(store.failures_left, 0);
  EXPECT_EQ(bad_calls, 3) << "handled again after each failed record write";
  EXPECT_EQ(handled, std::vector<std::string>{ids[1]});
  EXPECT_EQ(Types(), std::vector<std::string>{"Failed"});
  size_t errors = 0;
  for (const EngineEvent& ev : w_.recorder.Of(EngineEventKind::kError)) {
    if (ev.detail.find("record failed position") != std::string::npos) ++errors;
  }
  EXPECT_EQ(errors, 2u);
  e.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
}

std::vector<size_t> RecoveryTest::HandledAtEachRead(int events) {
  std::vector<std::string> ids;
  for (int i = 0; i < events; ++i)
    ids.push_back(w_.PublishEvent("account-" + std::to_string(i % 7)));
  std::vector<std::string> handled;
  TimedReads store(&w_.store, &handled, Millis(20));
  Engine& e = Start(
      [&handled](const Message& m, HandlerContext& ctx) {
        ctx.cost = Millis(5);
        handled.push_back(m.id);
        return Status::Ok();
      },
      RecoveringProjection(), &store);
  w_.loop.RunFor(Seconds(events / 25));
  EXPECT_EQ(handled, ids) << "each once, in global order";
  e.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
  return store.handled_at_read;
}

// Read-ahead: the next batch is read while the last is handled, not after it.
TEST_F(RecoveryTest, TheNextBatchIsReadWhileTheLastIsHandled) {
  const std::vector<size_t> at = HandledAtEachRead(250);
  ASSERT_GE(at.size(), 3u);
  EXPECT_EQ(at[0], 0u);
  EXPECT_LT(at[1], 100u) << "the second read waited for the first batch";
  EXPECT_LT(at[2], 200u) << "the third read waited for the second batch";
}

// A full batch's read goes on to the batch after it (one hand-off, two round
// trips): two batches are read ahead of the one being handled, never more.
TEST_F(RecoveryTest, AFullBatchIsFollowedByTheNextReadInTheSameHandOff) {
  const std::vector<size_t> at = HandledAtEachRead(650);
  ASSERT_GE(at.size(), 7u);
  EXPECT_LT(at[1], 100u) << "the second read waited for the first batch";
  EXPECT_LT(at[3], 200u) << "the fourth batch waited for the second to be handled";
  for (size_t k = 2; k < 7; ++k) {
    EXPECT_GE(at[k] + 200, 100 * k) << "read " << k << " is more than two batches ahead";
  }
}

// A read ahead that returns after the batch was dropped (a failed record
// write: the batch is read again from the position) is dropped too: its
// messages would otherwise follow the position with a gap before them.
TEST_F(RecoveryTest, AReadAheadIsDroppedWhenTheBatchIsReadAgain) {
  std::vector<std::string> ids;
  for (int i = 0; i < 150; ++i)
    ids.push_back(w_.PublishEvent("account-1", i == 2 ? "Bad" : "Good"));
  std::vector<std::string> handled;
  int bad_calls = 0;
  FailedRecordWritesDown<TimedReads> store(&w_.store, &handled, Millis(50));
  store.failures_left = 1;
  Engine& e = Start(FailsOnBad(&handled, &bad_calls), RecoveringProjection(), &store);
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(store.failures_left, 0);
  EXPECT_EQ(bad_calls, 2) << "handled again after the failed record write";
  std::vector<std::string> good = ids;
  good.erase(good.begin() + 2);
  EXPECT_EQ(handled, good) << "each good message once, in order, none skipped";
  EXPECT_EQ(Types(), std::vector<std::string>{"Failed"});
  e.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(1));
}

// Crash after the record, before the position is stored: after the restart
// the message is read again (position behind) and the failed position is
// rebuilt from the record; either way nothing is lost.
TEST_F(RecoveryTest, ACrashBetweenRecordAndPositionLosesNothing) {
  const std::string id = w_.PublishEvent("account-1", "Bad");
  SubscriptionConfig c = RecoveringProjection();
  c.position_update_interval = 100;  // the position stays unstored
  std::vector<std::string> handled;
  int bad_calls = 0;
  Engine& first = Start(FailsOnBad(&handled, &bad_calls), c);
  w_.loop.RunFor(Millis(500));
  ASSERT_EQ(Types(), std::vector<std::string>{"Failed"});
  ASSERT_EQ(w_.recorder.Count(EngineEventKind::kPositionWritten), 0u);
  first.Crash();
  // Restarted with a handler that now succeeds.
  std::vector<std::string> after;
  Start(
      [&after](const Message& m, HandlerContext&) {
        after.push_back(m.id);
        return Status::Ok();
      },
      c);
  w_.loop.RunFor(Seconds(60));
  ASSERT_FALSE(after.empty());
  for (const std::string& h : after) EXPECT_EQ(h, id);
  // Re-read and handled, and the rebuilt failed position resolved by the
  // pass (at-least-once: Protean runs it twice as well).
  EXPECT_EQ(after.size(), 2u);
  EXPECT_EQ(Types(), (std::vector<std::string>{"Failed", "Resolved"}));
  // The rebuild wrote a checkpoint with the unresolved snapshot (py:936-971).
  std::vector<Record> cp = Records(kCheckpoint);
  ASSERT_EQ(cp.size(), 1u);
  EXPECT_EQ(cp[0].type, "Checkpoint");
  EXPECT_EQ(cp[0].data["watermark"], 1);
  EXPECT_EQ(cp[0].data["unresolved"]["1"]["retry_count"], 0);
  EXPECT_EQ(cp[0].data["unresolved"]["1"]["stream_name"], "account-1");
  EXPECT_EQ(cp[0].data["unresolved"]["1"]["stream_position"], 0);
}

// The finest-grained crash: the Failed record is in the store but its
// completion has not reached the subscription (the position has not moved
// even in memory). After the restart the message is read again, and the
// rebuilt failed position is retried too.
TEST_F(RecoveryTest, ACrashBeforeTheRecordWriteCompletesLosesNothing) {
  const std::string id = w_.PublishEvent("account-1", "Bad");
  std::vector<std::string> handled;
  int bad_calls = 0;
  Engine& first = Start(FailsOnBad(&handled, &bad_calls));
  bool landed = false;
  for (int i = 0; i < 100000 && !landed; ++i) {
    ASSERT_TRUE(w_.loop.Step());
    landed = Types().size() == 1 && w_.recorder.Count(EngineEventKind::kFailureRecorded) == 0;
  }
  ASSERT_TRUE(landed) << "never between the store's write and its completion";
  ASSERT_EQ(bad_calls, 1);
  first.Crash();
  std::vector<std::string> after;
  Start([&after](const Message& m, HandlerContext&) {
    after.push_back(m.id);
    return Status::Ok();
  });
  w_.loop.RunFor(Seconds(60));
  EXPECT_EQ(after, (std::vector<std::string>{id, id})) << "read again, and resolved";
  EXPECT_EQ(Types(), (std::vector<std::string>{"Failed", "Resolved"}));
}

TEST_F(RecoveryTest, TheRecordsOfAProteanProcessAreRebuilt) {
  // Records as Protean writes them: the type in metadata.headers.type.
  auto put = [this](const std::string& type, const json& data) {
    NewEventMessage m;
    m.id = w_.ids.Uuid();
    m.stream_name = kFailed;
    m.type = type;
    m.data = data.dump();
    m.metadata = json{{"headers", {{"id", m.id}, {"type", type}, {"stream", kFailed}}},
                      {"domain", {{"kind", "READ_POSITION"}, {"origin_stream", "account"}}}}
                     .dump();
    ASSERT_TRUE(w_.store.Write(m, std::nullopt).ok());
  };
  const std::string a = w_.PublishEvent("account-1", "Bad");
  const std::string b = w_.PublishEvent("account-2", "Good");
  put("Failed", {{"position", 1},
                 {"message_type", "Bad"},
                 {"message_id", a},
                 {"retry_count", 3},
                 {"stream_name", "account-1"},
                 {"stream_position", 0}});
  put("Failed", {{"position", 2},
                 {"message_type", "Good"},
                 {"message_id", b},
                 {"retry_count", 0},
                 {"stream_name", "account-2"},
                 {"stream_position", 0}});
  put("Resolved",
      {{"position", 2}, {"message_type", "Good"}, {"message_id", b}, {"retry_count", 1}});
  // Stored position 2: nothing new to read; only the rebuilt one is retried.
  NewEventMessage pos;
  pos.id = w_.ids.Uuid();
  pos.stream_name = "account:position-P+a";
  pos.type = "Recorded";
  pos.data = R"({"position":2})";
  ASSERT_TRUE(w_.store.Write(pos, std::nullopt).ok());
  std::vector<std::string> handled;
  int bad_calls = 0;
  Start(FailsOnBad(&handled, &bad_calls));
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(bad_calls, 0) << "retry_count 3 + 1 > max_retries 3: Exhausted without a retry";
  EXPECT_TRUE(handled.empty());
  EXPECT_EQ(Types(), (std::vector<std::string>{"Failed", "Failed", "Resolved", "Exhausted"}));
  EXPECT_EQ(Records()[3].data["position"], 1);
  EXPECT_EQ(Records()[3].data["retry_count"], 4);
}

// The codec alone.
TEST(RecoveryRecords, FoldAsProteansRebuildDoes) {
  auto row = [](const std::string& type, const std::string& data, int64_t position,
                const std::string& header_type = "") {
    EventMessage m;
    m.type = type;
    m.data = data;
    m.position = position;
    if (!header_type.empty()) m.metadata = R"({"headers":{"type":")" + header_type + R"("}})";
    return m;
  };
  FailedPositions p;
  ApplyRecoveryRecords(
      {row("Failed", R"({"position":5,"retry_count":1,"stream_name":"a-1","stream_position":2})",
           0),
       row("x", R"({"position":6,"retry_count":0})", 1, "Failed"),
       row("Failed", R"({"retry_count":0})", 2),  // no position: skipped
       row("Exhausted", R"({"position":6})", 3), row("Failed", "not json", 4)},
      &p);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p.at(5).retry_count, 1);
  EXPECT_EQ(p.at(5).stream_name, "a-1");
  EXPECT_EQ(p.at(5).stream_position, 2);
  EXPECT_EQ(FailedPositionsStream("app.P", "user"), "failed-app.P-user");
  EXPECT_EQ(RecoveryCheckpointStream("app.P", "user"), "recovery-checkpoint-app.P-user");
  EventMessage cp;
  cp.data = EncodeCheckpoint(7, p, "s", "user", "id", TimePoint{}).data;
  Checkpoint back = DecodeCheckpoint(cp);
  EXPECT_EQ(back.watermark, 7);
  ASSERT_EQ(back.unresolved.count(5), 1u);
  EXPECT_EQ(back.unresolved.at(5).stream_position, 2);
}

}  // namespace
}  // namespace protean
