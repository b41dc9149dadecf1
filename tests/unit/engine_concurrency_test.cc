// Stream subscriptions with `concurrency` (several sequences of attempts at
// once) and `ordered_by` (one message per key in flight, in order), and the
// sequence mechanics under them: a timed-out attempt does not hold up the
// rest of its sequence; a graceful stop gives back what was handed to a
// worker but never started; the drain waits for every lane.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/sim_world.h"

namespace protean {
namespace {

using testing::MakeHandler;
using testing::SimWorld;
using testing::StreamConfig;

struct Span {
  std::string message_id;
  TimePoint start;
  TimePoint end;
};

class ConcurrencyTest : public ::testing::Test {
 protected:
  Engine& Start(HandlerFn fn, SubscriptionConfig c) {
    handler_ = MakeHandler("H", "orders", std::move(fn));
    Engine& e = w_.AddEngine("a");
    EXPECT_TRUE(e.AddSubscription(handler_, c).ok());
    e.Start();
    return e;
  }
  // Each attempt's [start, end) from the history, in start order.
  std::vector<Span> Spans() const {
    std::vector<Span> out;
    std::map<std::string, TimePoint> started;
    for (const EngineEvent& e : w_.recorder.events) {
      if (e.kind == EngineEventKind::kAttemptStarted) started[e.entry_id] = e.at;
      if (e.kind == EngineEventKind::kAttemptFinished) {
        out.push_back(Span{e.message_id, started[e.entry_id], e.at});
      }
    }
    std::sort(out.begin(), out.end(), [](const Span& a, const Span& b) {
      return a.start != b.start ? a.start < b.start : a.message_id < b.message_id;
    });
    return out;
  }
  static int MaxOverlap(const std::vector<Span>& spans) {
    int best = 0;
    for (const Span& s : spans) {
      int n = 0;
      for (const Span& o : spans) n += (o.start <= s.start && s.start < o.end) ? 1 : 0;
      best = std::max(best, n);
    }
    return best;
  }
  SimWorld w_;
  HandlerRegistration handler_;
};

HandlerFn Sleeping(Duration d) {
  return [d](const Message&, HandlerContext& ctx) {
    ctx.cost = d;
    return HandlerResult::Ok();
  };
}

TEST_F(ConcurrencyTest, DefaultIsOneAttemptAtATime) {
  for (int i = 0; i < 6; ++i) w_.Publish("orders");
  Start(Sleeping(Seconds(1)), StreamConfig());
  w_.loop.RunFor(Seconds(20));
  const std::vector<Span> spans = Spans();
  ASSERT_EQ(spans.size(), 6u);
  EXPECT_EQ(MaxOverlap(spans), 1);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
}

TEST_F(ConcurrencyTest, ConcurrencyRunsUpToNAttemptsAtOnce) {
  for (int i = 0; i < 12; ++i) w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.concurrency = 4;
  const TimePoint t0 = w_.clock.Now();
  Start(Sleeping(Seconds(1)), c);
  w_.loop.RunFor(Seconds(20));
  const std::vector<Span> spans = Spans();
  ASSERT_EQ(spans.size(), 12u);
  EXPECT_EQ(MaxOverlap(spans), 4);
  TimePoint last{};
  for (const Span& s : spans) last = std::max(last, s.end);
  EXPECT_LE(last - t0, Seconds(4)) << "12 one-second attempts on 4 lanes";
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 12u);
}

TEST_F(ConcurrencyTest, OrderedByKeepsOneMessagePerKeyInFlightInOrder) {
  // Keys: a a b a b c, in publish order.
  std::vector<std::pair<std::string, std::string>> published;
  for (const char* key : {"a", "a", "b", "a", "b", "c"}) {
    published.emplace_back(w_.Publish("orders", "T", std::string(R"({"account":")") + key + "\"}"),
                           key);
  }
  SubscriptionConfig c = StreamConfig();
  c.concurrency = 3;
  c.ordered_by = "account";
  Start(Sleeping(Seconds(1)), c);
  w_.loop.RunFor(Seconds(20));
  const std::vector<Span> spans = Spans();
  ASSERT_EQ(spans.size(), 6u);
  std::map<std::string, std::string> key_of;
  for (const auto& [id, key] : published) key_of[id] = key;
  std::map<std::string, std::vector<const Span*>> by_key;
  for (const Span& s : spans) by_key[key_of[s.message_id]].push_back(&s);
  for (const auto& [key, list] : by_key) {
    for (size_t i = 1; i < list.size(); ++i) {
      EXPECT_LE(list[i - 1]->end, list[i]->start) << "key " << key << " overlapped";
    }
  }
  // Within a key, publish order.
  std::map<std::string, std::vector<std::string>> expected, got;
  for (const auto& [id, key] : published) expected[key].push_back(id);
  for (const auto& [key, list] : by_key) {
    for (const Span* s : list) got[key].push_back(s->message_id);
  }
  EXPECT_EQ(got, expected);
  EXPECT_GE(MaxOverlap(spans), 2) << "different keys run in parallel";
}

TEST_F(ConcurrencyTest, OrderedByTreatsEqualValuesSpelledDifferentlyAsOneKey) {
  // One object key written three ways (member order, spacing), the last in a
  // payload with a NaN, which Python's json.dumps writes and json.loads reads.
  for (const char* data :
       {R"({"account":{"id":7,"region":"eu"}})", R"({"account": {"region": "eu", "id": 7}})",
        R"({"amount":NaN,"account":{"region":"eu","id":7}})"}) {
    w_.Publish("orders", "T", data);
  }
  SubscriptionConfig c = StreamConfig();
  c.concurrency = 3;
  c.ordered_by = "account";
  Start(Sleeping(Seconds(1)), c);
  w_.loop.RunFor(Seconds(10));
  const std::vector<Span> spans = Spans();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(MaxOverlap(spans), 1) << "one key: one in flight at a time";
}

TEST_F(ConcurrencyTest, OrderedByHoldsLaterMessagesOfAKeyWhileItsRetryWaits) {
  const std::string first = w_.Publish("orders", "T", R"({"account":"a"})");
  const std::string second = w_.Publish("orders", "T", R"({"account":"a"})");
  const std::string other = w_.Publish("orders", "T", R"({"account":"b"})");
  SubscriptionConfig c = StreamConfig();
  c.concurrency = 2;
  c.ordered_by = "account";
  c.retry_delay_seconds = 2;
  std::vector<std::string> order;
  Start(
      [&, fails = 0](const Message& m, HandlerContext&) mutable -> HandlerResult {
        if (m.id == first && fails++ == 0) return Status::Internal("once");
        order.push_back(m.id);
        return HandlerResult::Ok();
      },
      c);
  w_.loop.RunFor(Seconds(10));
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], other) << "another key ran while `a` waited for its retry";
  EXPECT_EQ(order[1], first);
  EXPECT_EQ(order[2], second) << "the second `a` waited for the first's retry";
}

TEST_F(ConcurrencyTest, ATimedOutAttemptDoesNotHoldUpTheRestOfItsSequence) {
  const std::string stuck = w_.Publish("orders");
  for (int i = 0; i < 4; ++i) w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.handler_timeout_seconds = 2;
  c.max_retries = 1;
  Start(
      [&](const Message& m, HandlerContext& ctx) {
        ctx.cost = m.id == stuck ? Seconds(60) : Millis(100);
        return HandlerResult::Ok();
      },
      c);
  w_.loop.RunFor(Seconds(5));
  auto finished = w_.recorder.Of(EngineEventKind::kAttemptFinished);
  ASSERT_EQ(finished.size(), 5u);
  EXPECT_EQ(finished[0].message_id, stuck);
  EXPECT_EQ(finished[0].outcome, "timeout");
  for (size_t i = 1; i < finished.size(); ++i) EXPECT_EQ(finished[i].outcome, "ok");
  EXPECT_LE(finished.back().at - finished[0].at, Millis(500))
      << "the rest ran right after the timeout, not after the stuck handler";
  EXPECT_EQ(w_.DlqDepth("orders"), 1);
}

TEST_F(ConcurrencyTest, TheDrainWaitsForEveryLane) {
  for (int i = 0; i < 3; ++i) w_.Publish("orders");
  SubscriptionConfig c = StreamConfig();
  c.concurrency = 3;
  Engine& e = Start(Sleeping(Seconds(3)), c);
  w_.loop.RunFor(Seconds(1));
  int exit_code = -1;
  e.Shutdown("SIGTERM", [&](int code) { exit_code = code; });
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAcked), 3u);
  EXPECT_EQ(w_.PendingCount("orders", "H"), 0);
  EXPECT_EQ(w_.recorder.Steps()[2], "drain_done");
}

TEST_F(ConcurrencyTest, AStopGivesBackWhatWasHandedToAWorkerButNeverStarted) {
  for (int i = 0; i < 5; ++i) w_.Publish("orders");
  Engine& e = Start(Sleeping(Seconds(3)), StreamConfig());
  w_.loop.RunFor(Seconds(1));  // the first runs; four wait in its sequence
  e.Shutdown("SIGTERM");
  w_.loop.RunFor(Seconds(10));
  EXPECT_EQ(w_.recorder.Count(EngineEventKind::kAttemptStarted), 1u);
  auto pending = w_.broker.Pending("orders", "H", "", 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 4u);
  for (const PendingEntry& p : *pending) {
    EXPECT_EQ(p.delivery_count, 0) << "released: the fetch did not count as an attempt";
  }
}

}  // namespace
}  // namespace protean
