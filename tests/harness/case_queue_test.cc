// The schedule of a run's cases (harness/case_queue.h) without processes:
// cases of the serial group never overlap any other case, the others run
// in parallel up to --jobs, every case runs exactly once, a fatal error
// stops the run, and results keep the order of the case list.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness/case_queue.h"
#include "harness/service_unavailable.h"

namespace protean::harness {
namespace {

using std::chrono::milliseconds;

// What ran, as seen from inside the cases.
class Tracker {
 public:
  Tracker(std::vector<bool> serial, int jobs) : serial_(std::move(serial)), jobs_(jobs) {}

  // The body of case i: checks who else runs, holds its slot for `hold`.
  bool Run(size_t i, milliseconds hold) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++runs_[i];
      order_.push_back(i);
      if (serial_[i]) {
        // Alone: nothing else runs, and no parallel case is left to run.
        EXPECT_TRUE(active_.empty()) << "serial case " << i << " overlaps another";
        EXPECT_EQ(parallel_done_, parallel_count()) << "serial case " << i << " before the others";
      } else {
        for (size_t a : active_) EXPECT_FALSE(serial_[a]) << i << " overlaps serial " << a;
      }
      active_.insert(i);
      max_active_ = std::max(max_active_, active_.size());
      EXPECT_LE(active_.size(), static_cast<size_t>(jobs_));
      // The first `jobs` parallel cases meet: proof that they run at once.
      if (!serial_[i] && ++arrived_ <= static_cast<size_t>(jobs_)) {
        met_.notify_all();
        met_.wait_for(lock, milliseconds(5000), [&] {
          return arrived_ >= std::min(static_cast<size_t>(jobs_), parallel_count());
        });
      }
    }
    std::this_thread::sleep_for(hold);
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(i);
    if (!serial_[i]) ++parallel_done_;
    return true;
  }

  size_t parallel_count() const {
    return static_cast<size_t>(std::count(serial_.begin(), serial_.end(), false));
  }
  const std::vector<int>& runs() const { return runs_; }
  const std::vector<size_t>& order() const { return order_; }
  size_t max_active() const { return max_active_; }

 private:
  const std::vector<bool> serial_;
  const int jobs_;
  std::mutex mu_;
  std::condition_variable met_;
  std::set<size_t> active_;
  std::vector<int> runs_ = std::vector<int>(serial_.size(), 0);
  std::vector<size_t> order_;
  size_t max_active_ = 0;
  size_t arrived_ = 0;
  size_t parallel_done_ = 0;
};

TEST(RunScheduleTest, SerialCasesRunAloneAndTheOthersInParallel) {
  // Serial cases first, between and last in the list.
  const std::vector<bool> serial = {true,  false, false, true,  false, false, false,
                                    false, true,  false, false, false, true};
  for (int jobs : {1, 2, 4}) {
    Tracker t(serial, jobs);
    RunSchedule(serial, jobs, [&](size_t i) { return t.Run(i, milliseconds(10)); });
    for (size_t i = 0; i < serial.size(); ++i) EXPECT_EQ(t.runs()[i], 1) << "case " << i;
    EXPECT_EQ(t.max_active(), static_cast<size_t>(jobs));
    // The serial group runs last, in the order of the list.
    const std::vector<size_t> tail(t.order().end() - 4, t.order().end());
    EXPECT_EQ(tail, (std::vector<size_t>{0, 3, 8, 12})) << "jobs " << jobs;
  }
}

TEST(RunScheduleTest, NoMoreWorkersThanCases) {
  const std::vector<bool> serial = {false, false, true};
  Tracker t(serial, 8);
  RunSchedule(serial, 8, [&](size_t i) { return t.Run(i, milliseconds(1)); });
  EXPECT_EQ(t.runs(), (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(t.max_active(), 2u);
}

TEST(RunScheduleTest, OnlySerialOrOnlyParallelOrNothing) {
  int runs = 0;
  RunSchedule({}, 4, [&](size_t) { return ++runs > 0; });
  EXPECT_EQ(runs, 0);
  const std::vector<bool> all_serial(5, true);
  Tracker s(all_serial, 3);
  RunSchedule(all_serial, 3, [&](size_t i) { return s.Run(i, milliseconds(1)); });
  EXPECT_EQ(s.order(), (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(s.max_active(), 1u);
}

TEST(RunScheduleTest, AFalseResultStopsTheRun) {
  // One worker: case 2 stops the run; nothing starts after it, serial or not.
  const std::vector<bool> serial = {false, false, false, false, true};
  std::vector<size_t> ran;
  RunSchedule(serial, 1, [&](size_t i) {
    ran.push_back(i);
    return i != 2;
  });
  EXPECT_EQ(ran, (std::vector<size_t>{0, 1, 2}));
  // A serial case that fails stops the serial cases after it.
  ran.clear();
  RunSchedule({true, true, true}, 2, [&](size_t i) {
    ran.push_back(i);
    return i != 1;
  });
  EXPECT_EQ(ran, (std::vector<size_t>{0, 1}));
}

Scenario NamedScenario(const std::string& name) {
  Scenario s;
  s.suite = "suite";
  s.name = name;
  s.file = "scenarios/suite/" + name + ".toml";
  return s;
}

CaseResult ResultOf(const Case& c) {
  CaseResult r;
  r.suite = c.scenario->suite;
  r.scenario = c.scenario->name;
  r.mode = "test";
  r.seed = c.seed;
  return r;
}

TEST(CaseQueueTest, ResultsKeepTheOrderOfTheCaseList) {
  const Scenario a = NamedScenario("a"), b = NamedScenario("b");
  std::vector<Case> cases;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    cases.push_back(Case{seed % 2 ? &a : &b, seed, /*serial=*/seed == 3 || seed == 6});
  }
  RunCommandOptions o;
  o.jobs = 3;
  std::mutex mu;
  std::vector<uint64_t> finished;
  // Later cases finish first.
  CaseQueue queue(o, cases, [&](const Case& c) {
    std::this_thread::sleep_for(milliseconds(5 * (9 - static_cast<int64_t>(c.seed))));
    std::lock_guard<std::mutex> lock(mu);
    finished.push_back(c.seed);
    return ResultOf(c);
  });
  queue.RunAll();
  EXPECT_EQ(queue.fatal(), "");
  ASSERT_EQ(queue.results().size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(queue.results()[i].seed, cases[i].seed);
    EXPECT_EQ(queue.results()[i].scenario, cases[i].scenario->name);
  }
  ASSERT_EQ(finished.size(), cases.size());
  EXPECT_EQ(finished[6], 3u);  // the serial group, last and in order
  EXPECT_EQ(finished[7], 6u);
  EXPECT_NE(finished[0], 1u);  // the parallel ones did finish out of order
}

TEST(CaseQueueTest, AnUnreachableServiceStopsTheRun) {
  const Scenario a = NamedScenario("a");
  std::vector<Case> cases;
  for (uint64_t seed = 1; seed <= 5; ++seed) cases.push_back(Case{&a, seed, seed == 5});
  RunCommandOptions o;
  o.jobs = 1;
  std::vector<uint64_t> ran;
  CaseQueue queue(o, cases, [&](const Case& c) -> CaseResult {
    ran.push_back(c.seed);
    if (c.seed == 2) throw ServiceUnavailable("redis: connection refused");
    return ResultOf(c);
  });
  queue.RunAll();
  EXPECT_EQ(queue.fatal(), "redis: connection refused");
  EXPECT_EQ(ran, (std::vector<uint64_t>{1, 2}));
}

}  // namespace
}  // namespace protean::harness
