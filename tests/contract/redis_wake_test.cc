// A stop never waits out a blocking read (Broker::WakeReads), against the
// server in REDIS_URL (skipped without it). Every read here blocks for an
// hour unless something wakes it, so a wake that does not work fails the
// case on its ctest TIMEOUT (60 s, tests/contract/real_redis.cmake) instead
// of passing slowly; nothing here measures time.
//
// "Blocked" is read from the server: CLIENT LIST shows the reader's
// connection (by its client name) with flag b in XREADGROUP.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/real/redis_broker.h"
#include "adapters/real/redis_connection.h"
#include "core/engine/engine.h"
#include "core/engine/message.h"
#include "core/runtime/real_executor.h"
#include "tests/contract/redis_test_env.h"

namespace protean {
namespace {

using redis_test::TestOptions;

constexpr Duration kHour = Seconds(3600);
// How long a case waits for the server to show a read blocked (polling).
constexpr int kBlockedPollsMax = 20000;  // x 1 ms

class RedisWakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = redis_test::RedisSkipReason()) GTEST_SKIP() << *reason;
    auto admin = RedisConnection::Open(TestOptions("wake-admin"));
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(admin).value();
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    name_ = "wake:" + redis_test::Token() + ":" + test;
    stream_ = "protean-it:" + redis_test::Token() + ":" + test;
    (void)admin_->Command(RedisArgs{"DEL", stream_});
  }

  void TearDown() override {
    if (admin_ != nullptr) (void)admin_->Command(RedisArgs{"DEL", stream_});
  }

  // The broker's connections are named "protean-test:<name_>".
  RedisOptions Options() const { return TestOptions(name_); }

  // Connections of this case's broker blocked in XREADGROUP now.
  int Blocked() {
    auto list = admin_->Command(RedisArgs{"CLIENT", "LIST"});
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (!list.ok()) return 0;
    std::istringstream lines(std::string((*list)->str, (*list)->len));
    int blocked = 0;
    for (std::string line; std::getline(lines, line);) {
      const bool ours = line.find(" name=protean-test:" + name_ + " ") != std::string::npos;
      const bool waiting = line.find(" flags=b ") != std::string::npos &&
                           line.find(" cmd=xreadgroup") != std::string::npos;
      if (ours && waiting) ++blocked;
    }
    return blocked;
  }

  // Polls until `n` reads of this case's broker are blocked on the server.
  ::testing::AssertionResult WaitBlocked(int n) {
    for (int i = 0; i < kBlockedPollsMax; ++i) {
      if (Blocked() == n) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return ::testing::AssertionFailure() << "never saw " << n << " blocked read(s)";
  }

  RealClock clock_;
  std::unique_ptr<RedisConnection> admin_;
  std::string name_;
  std::string stream_;
};

TEST_F(RedisWakeTest, WakeReadsEndsABlockedReadWithNoEntries) {
  RedisBroker broker(clock_, Options());
  ASSERT_TRUE(broker.CreateGroup(stream_, "g", GroupStart::kEnd).ok());
  Result<std::vector<StreamEntry>> read = Status::Internal("not read");
  std::thread reader([&] { read = broker.ReadNew(stream_, "g", "c1", 10, kHour); });
  ASSERT_TRUE(WaitBlocked(1));
  broker.WakeReads(stream_, "g", "c1");
  reader.join();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_TRUE(read->empty());
  EXPECT_EQ(Blocked(), 0);
  // The connection is fine afterwards: the next read gets what is published.
  auto id = broker.Publish(stream_, {{"data", "after"}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto next = broker.ReadNew(stream_, "g", "c1", 10, kHour);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ(next->front().id, *id);
}

TEST_F(RedisWakeTest, AWakeBeforeTheReadIsSentEndsThatReadOnly) {
  RedisBroker broker(clock_, Options());
  ASSERT_TRUE(broker.CreateGroup(stream_, "g", GroupStart::kEnd).ok());
  broker.WakeReads(stream_, "g", "c1");  // the read was offloaded, not sent yet
  auto woken = broker.ReadNew(stream_, "g", "c1", 10, kHour);
  ASSERT_TRUE(woken.ok()) << woken.status().ToString();
  EXPECT_TRUE(woken->empty());
  // Consumed: the next read blocks again, and a publish ends it.
  Result<std::vector<StreamEntry>> read = Status::Internal("not read");
  std::thread reader([&] { read = broker.ReadNew(stream_, "g", "c1", 10, kHour); });
  ASSERT_TRUE(WaitBlocked(1));
  auto id = broker.Publish(stream_, {{"data", "wake"}});
  reader.join();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ(read->front().id, *id);
}

TEST_F(RedisWakeTest, WakeReadsLeavesOtherConsumersBlocked) {
  RedisBroker broker(clock_, Options());
  ASSERT_TRUE(broker.CreateGroup(stream_, "g", GroupStart::kEnd).ok());
  Result<std::vector<StreamEntry>> first = Status::Internal("not read");
  Result<std::vector<StreamEntry>> second = Status::Internal("not read");
  std::thread a([&] { first = broker.ReadNew(stream_, "g", "c1", 10, kHour); });
  std::thread b([&] { second = broker.ReadNew(stream_, "g", "c2", 10, kHour); });
  ASSERT_TRUE(WaitBlocked(2));
  broker.WakeReads(stream_, "g", "c1");
  a.join();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->empty());
  EXPECT_EQ(Blocked(), 1) << "c2 still blocks";
  auto id = broker.Publish(stream_, {{"data", "for c2"}});
  b.join();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->front().id, *id);
}

// The engine with a read that blocks for an hour (blocking_timeout_ms and
// blocking_read_max raised): a stop and a requested drain end it.
class EngineWakeTest : public RedisWakeTest {
 protected:
  // Runs an idle engine until its read blocks, then `stop(engine)` on the
  // loop; returns the shutdown's exit code.
  int RunAndStop(const std::function<void(Engine&, RealExecutor&)>& stop) {
    RealExecutor loop(clock_, 2);
    RedisBroker broker(clock_, Options());
    Prng prng(1);
    MetricsRegistry metrics;
    EngineAdapters adapters;
    adapters.brokers = {{"default", &broker}};
    EngineOptions options;
    options.blocking_read_max = kHour;
    options.log = [](const LogRecord&) {};
    Engine engine(loop, prng, metrics, adapters, options, nullptr);
    HandlerRegistration h;
    h.name = "Idle";
    h.stream = stream_;
    h.fn = [](const Message&, HandlerContext&) { return Status::Ok(); };
    SubscriptionConfig c;
    c.blocking_timeout_ms = 3'600'000;
    EXPECT_TRUE(engine.AddSubscription(h, c).ok());
    std::atomic<bool> blocked{false};
    loop.Post([&] { engine.Start(); });
    std::thread watcher([&] {
      blocked = static_cast<bool>(WaitBlocked(1));
      loop.Post([&] { stop(engine, loop); });
    });
    loop.Run();
    watcher.join();
    EXPECT_TRUE(blocked.load()) << "the subscription's read never blocked";
    EXPECT_EQ(engine.state(), Engine::State::kStopped);
    return exit_code_;
  }
  void Shutdown(Engine& engine, RealExecutor& loop) {
    engine.Shutdown("SIGTERM", [this, &loop](int code) {
      exit_code_ = code;
      loop.Stop();
    });
  }
  int exit_code_ = -1;
  std::function<void()> poll_;
};

TEST_F(EngineWakeTest, AStopWakesTheBlockingReadOfAnIdleSubscription) {
  EXPECT_EQ(RunAndStop([this](Engine& engine, RealExecutor& loop) { Shutdown(engine, loop); }), 0);
}

TEST_F(EngineWakeTest, ARequestedDrainWakesTheBlockingRead) {
  EXPECT_EQ(RunAndStop([this](Engine& engine, RealExecutor& loop) {
              engine.RequestDrain();
              // Polled on the loop: drained means the read returned.
              poll_ = [this, &engine, &loop] {
                if (engine.drain_progress().done()) {
                  Shutdown(engine, loop);
                } else {
                  loop.PostAfter(Millis(1), poll_);
                }
              };
              poll_();
            }),
            0);
}

}  // namespace
}  // namespace protean
