#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/runtime/prng.h"
#include "core/runtime/real_executor.h"
#include "core/runtime/sim_executor.h"

namespace protean {
namespace {

TEST(SimExecutorTest, PostedTasksRunFifoBeforeTimeMoves) {
  SimClock clock;
  SimExecutor loop(clock);
  std::vector<std::string> order;
  const TimePoint t0 = clock.Now();
  loop.PostAfter(Seconds(1), [&] { order.push_back("timer1s"); });
  loop.Post([&] { order.push_back("a"); });
  loop.Post([&] { order.push_back("b"); });
  loop.RunUntilIdle();
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "timer1s"}));
  EXPECT_EQ(clock.Now(), t0 + Seconds(1));
}

TEST(SimExecutorTest, TimersAtTheSameInstantRunInPostingOrder) {
  SimClock clock;
  SimExecutor loop(clock);
  std::string order;
  loop.PostAfter(Seconds(2), [&] { order += "x"; });
  loop.PostAfter(Seconds(1), [&] { order += "1"; });
  loop.PostAfter(Seconds(2), [&] { order += "y"; });
  loop.RunUntilIdle();
  EXPECT_EQ(order, "1xy");
}

// A reordering executor: what is due at one instant (timers, Offload
// completions, even zero-cost ones) runs in an order drawn from the seed;
// instants keep their order, posted tasks stay FIFO, and a seed replays.
std::string SameInstantOrder(uint64_t seed) {
  SimClock clock;
  SimExecutor loop(clock, seed);
  std::string order;
  loop.Post([&] { order += "<"; });
  for (char c = 'a'; c <= 'h'; ++c) loop.PostAfter(Seconds(2), [&, c] { order += c; });
  loop.PostAfter(Seconds(1), [&] { order += "1"; });
  loop.Offload([] { return Duration::zero(); }, [&] { order += "0"; });
  loop.Post([&] { order += ">"; });
  loop.RunUntilIdle();
  return order;
}

TEST(SimExecutorTest, ReorderingIsSeededAndKeepsInstantsInOrder) {
  const std::string first = SameInstantOrder(7);
  EXPECT_EQ(first, SameInstantOrder(7));  // same seed, same order
  ASSERT_EQ(first.size(), 12u);
  EXPECT_EQ(first.substr(0, 2), "<>");  // posted tasks first, FIFO
  EXPECT_EQ(first[2], '0');             // the zero-cost completion: at t0
  EXPECT_EQ(first[3], '1');             // then the 1 s timer
  std::string at_2s = first.substr(4);
  std::sort(at_2s.begin(), at_2s.end());
  EXPECT_EQ(at_2s, "abcdefgh");  // every one of them ran
  std::set<std::string> orders;
  for (uint64_t seed = 1; seed <= 20; ++seed) orders.insert(SameInstantOrder(seed).substr(4));
  EXPECT_GT(orders.size(), 10u);  // seeds do differ (8! orders possible)
}

TEST(SimExecutorTest, CancelledTimerNeverRuns) {
  SimClock clock;
  SimExecutor loop(clock);
  bool ran = false;
  TimerId id = loop.PostAfter(Seconds(1), [&] { ran = true; });
  EXPECT_TRUE(loop.Cancel(id));
  EXPECT_FALSE(loop.Cancel(id));
  loop.RunUntilIdle();
  EXPECT_FALSE(ran);
}

TEST(SimExecutorTest, RunUntilStopsAtDeadlineAndSetsTheClock) {
  SimClock clock;
  SimExecutor loop(clock);
  const TimePoint t0 = clock.Now();
  int ran = 0;
  loop.PostAfter(Seconds(1), [&] { ++ran; });
  loop.PostAfter(Seconds(5), [&] { ++ran; });
  loop.RunUntil(t0 + Seconds(3));
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(clock.Now(), t0 + Seconds(3));
  EXPECT_EQ(loop.pending_tasks(), 1u);
}

TEST(SimExecutorTest, OffloadRunsWorkInlineAndCompletesAfterItsCost) {
  SimClock clock;
  SimExecutor loop(clock);
  const TimePoint t0 = clock.Now();
  bool worked = false;
  TimePoint done_at{};
  loop.Offload(
      [&] {
        worked = true;
        return Millis(250);
      },
      [&] { done_at = clock.Now(); });
  EXPECT_TRUE(worked);  // inline
  loop.RunUntilIdle();
  EXPECT_EQ(done_at, t0 + Millis(250));
}

TEST(SimExecutorTest, AnHourOfTimersCostsNoWallTime) {
  SimClock clock;
  SimExecutor loop(clock);
  int fired = 0;
  std::function<void()> tick = [&] {
    if (++fired < 3600) loop.PostAfter(Seconds(1), tick);
  };
  loop.PostAfter(Seconds(1), tick);
  loop.RunUntilIdle();
  EXPECT_EQ(fired, 3600);
  EXPECT_EQ(clock.Now(), FromMillis(SimClock::kDefaultStartMillis) + Seconds(3600));
}

TEST(PrngTest, SameSeedSameSequence) {
  Prng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    (void)c.Next();
  }
  EXPECT_NE(Prng(42).Next(), Prng(43).Next());
}

TEST(PrngTest, UniformIntStaysInRangeAndHitsBothEnds) {
  Prng p(7);
  std::set<int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const int64_t v = p.UniformInt(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(p.UniformInt(5, 5), 5);
}

TEST(PrngTest, ChanceMatchesItsRatio) {
  Prng p(1);
  EXPECT_FALSE(p.Chance(0, 10));
  EXPECT_TRUE(p.Chance(10, 10));
  int hits = 0;
  for (int i = 0; i < 10000; ++i) hits += p.Chance(1, 4) ? 1 : 0;
  EXPECT_GT(hits, 2200);
  EXPECT_LT(hits, 2800);
}

TEST(PrngTest, UuidIsVersion4AndDeterministic) {
  Prng a(9), b(9);
  const std::string u = a.Uuid();
  EXPECT_EQ(u, b.Uuid());
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[8], '-');
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos);
}

TEST(RealExecutorTest, OffloadRunsOnAWorkerAndCompletesOnTheLoop) {
  RealClock clock;
  RealExecutor loop(clock, 2);
  std::thread::id loop_thread, work_thread, done_thread;
  loop.Post([&] {
    loop_thread = std::this_thread::get_id();
    loop.Offload(
        [&] {
          work_thread = std::this_thread::get_id();
          return Duration{0};
        },
        [&] {
          done_thread = std::this_thread::get_id();
          loop.Stop();
        });
  });
  loop.Run();
  EXPECT_EQ(done_thread, loop_thread);
  EXPECT_NE(work_thread, loop_thread);
}

TEST(RealExecutorTest, TimersFireInOrderAndCancelWorks) {
  RealClock clock;
  RealExecutor loop(clock, 1);
  std::string order;
  loop.PostAfter(Millis(30), [&] {
    order += "b";
    loop.Stop();
  });
  loop.PostAfter(Millis(10), [&] { order += "a"; });
  TimerId never = loop.PostAfter(Millis(20), [&] { order += "X"; });
  EXPECT_TRUE(loop.Cancel(never));
  loop.Run();
  EXPECT_EQ(order, "ab");
}

TEST(RealExecutorTest, PostFromManyThreadsRunsEverything) {
  RealClock clock;
  RealExecutor loop(clock, 1);
  std::atomic<int> count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) loop.Post([&] { ++count; });
    });
  }
  for (auto& t : threads) t.join();
  loop.Post([&] { loop.Stop(); });
  loop.Run();
  EXPECT_EQ(count.load(), 1000);
}

}  // namespace
}  // namespace protean
