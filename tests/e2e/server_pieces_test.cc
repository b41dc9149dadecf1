// The pieces of `protean server` in-process (label unit): the identity and
// the stale-consumer rule (app/server/identity.h) over a MemoryBroker, the
// supervisor's per-worker paths, RealExecutor's bounded stop, and the
// command-line checks of `protean server` and `protean check`.

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "adapters/memory/memory_broker.h"
#include "app/cli.h"
#include "app/server/identity.h"
#include "app/server/supervisor.h"
#include "core/runtime/real_executor.h"
#include "core/runtime/sim_executor.h"

namespace protean::cli {
namespace {

bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(Millis(10));
  }
  return false;
}

TEST(IdentityTest, GeneratedIsHostPidAndSixHex) {
  const ProcessIdentity id = GeneratedIdentity();
  EXPECT_FALSE(id.named);
  EXPECT_EQ(id.pid, static_cast<int64_t>(::getpid()));
  const std::string prefix = id.host + "-" + std::to_string(id.pid) + "-";
  ASSERT_EQ(id.instance.substr(0, prefix.size()), prefix);
  EXPECT_EQ(id.instance.size(), prefix.size() + 6);
  EXPECT_EQ(GeneratedConsumerPid("Worker-" + id.instance, "Worker", id.host), id.pid);
  EXPECT_NE(GeneratedIdentity().instance, id.instance);  // 6 fresh hex digits
}

TEST(IdentityTest, OnlyGeneratedNamesOfThisHostAndHandlerCarryAPid) {
  EXPECT_EQ(GeneratedConsumerPid("W-my-host-42-00beef", "W", "my-host"), 42);
  EXPECT_EQ(GeneratedConsumerPid("W-other-42-00beef", "W", "my-host"), std::nullopt);
  EXPECT_EQ(GeneratedConsumerPid("W2-my-host-42-00beef", "W", "my-host"), std::nullopt);
  EXPECT_EQ(GeneratedConsumerPid("W-w0", "W", "my-host"), std::nullopt);
  EXPECT_EQ(GeneratedConsumerPid("W-my-host-42-00BEEF", "W", "my-host"), std::nullopt);
  EXPECT_EQ(GeneratedConsumerPid("W-my-host-42-beef", "W", "my-host"), std::nullopt);
  EXPECT_EQ(GeneratedConsumerPid("W-my-host-x-00beef", "W", "my-host"), std::nullopt);
  EXPECT_EQ(InstanceNameError("w0"), "");
  EXPECT_NE(InstanceNameError(""), "");
  EXPECT_NE(InstanceNameError("a b"), "");
  EXPECT_NE(InstanceNameError(std::string(65, 'a')), "");
}

TEST(IdentityTest, AZombieDoesNotRun) {
  EXPECT_TRUE(ProcessRuns(::getpid()));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_TRUE(WaitFor([&] { return !ProcessRuns(child); }));  // exited, not yet reaped
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_FALSE(ProcessRuns(child));
}

class StaleConsumersTest : public ::testing::Test {
 protected:
  void Hold(const std::string& consumer, int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(broker_.Publish("s", {{"data", "x"}}).ok());
    ASSERT_TRUE(broker_.ReadNew("s", "W", consumer, n, Duration(0)).ok());
  }
  void Join(const std::string& consumer) {  // a consumer with nothing pending
    ASSERT_TRUE(broker_.ReadPending("s", "W", consumer, "0", 10).ok());
  }
  std::vector<std::string> Names() {
    std::vector<std::string> names;
    const Result<std::vector<ConsumerInfo>> consumers = broker_.Consumers("s", "W");
    EXPECT_TRUE(consumers.ok()) << consumers.status().ToString();
    if (!consumers.ok()) return names;
    for (const ConsumerInfo& c : *consumers) names.push_back(c.name);
    return names;
  }

  SimClock clock_;
  MemoryBroker broker_{clock_};
  ProcessIdentity self_{"h", 100, "h-100-aaaaaa", false};
};

// Protean's rule (same host and pid, another hex, nothing pending) widened to
// every pid of this host that no longer runs; never a live peer, never a
// consumer with pending entries, never a named instance or another host.
TEST_F(StaleConsumersTest, RemovesOnlyIdleConsumersOfDeadProcessesOfThisHost) {
  ASSERT_TRUE(broker_.CreateGroup("s", "W", GroupStart::kBeginning).ok());
  Join("W-h-100-aaaaaa");      // ourselves
  Join("W-h-100-bbbbbb");      // an earlier engine of this process
  Join("W-h-200-cccccc");      // dead
  Hold("W-h-201-dddddd", 2);   // dead, holds entries: left for the claim
  Join("W-h-300-eeeeee");      // a live peer
  Join("W-other-200-cccccc");  // another host
  Join("W-w0");                // a named instance
  auto runs = [](int64_t pid) { return pid == 300; };
  const std::vector<std::string> lines = RemoveStaleConsumers(broker_, {"W", "s"}, self_, runs);
  EXPECT_EQ(Names(), (std::vector<std::string>{"W-h-100-aaaaaa", "W-h-201-dddddd", "W-h-300-eeeeee",
                                               "W-other-200-cccccc", "W-w0"}));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("removed stale consumer W-h-100-bbbbbb"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("removed stale consumer W-h-200-cccccc"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("kept stale consumer W-h-201-dddddd"), std::string::npos) << lines[2];
  EXPECT_EQ(broker_.Pending("s", "W", "W-h-201-dddddd", 10).value().size(), 2u);
}

TEST_F(StaleConsumersTest, ANewStreamHasNothingToRemove) {
  EXPECT_TRUE(RemoveStaleConsumers(broker_, {"W", "missing"}, self_).empty());
}

TEST(WorkerPathTest, SuffixGoesBeforeTheExtension) {
  EXPECT_EQ(WorkerPath("run.jsonl", 0), "run.w0.jsonl");
  EXPECT_EQ(WorkerPath("/tmp/a.b/run.jsonl", 3, 2), "/tmp/a.b/run.w3-r2.jsonl");
  EXPECT_EQ(WorkerPath("/tmp/a.b/port", 1), "/tmp/a.b/port.w1");
  EXPECT_EQ(WorkerPath(".hidden", 1), ".hidden.w1");
}

TEST(RealExecutorStopTest, StopWorkersWaitsBoundedAndDropsQueuedWork) {
  RealClock clock;
  RealExecutor loop(clock, 1);
  std::atomic<bool> release{false};
  std::atomic<int> completions{0};
  loop.Offload(
      [&] {
        while (!release) std::this_thread::sleep_for(Millis(5));
        return Duration(0);
      },
      [&] { ++completions; });
  loop.Offload([] { return Duration(0); }, [&] { ++completions; });  // queued behind it
  std::this_thread::sleep_for(Millis(50));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(loop.StopWorkers(Millis(100)), 1);  // the first is stuck
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  loop.Offload([] { return Duration(0); }, [&] { ++completions; });  // dropped
  release = true;
  EXPECT_EQ(loop.StopWorkers(Millis(2000)), 0);
  EXPECT_EQ(completions, 0);  // the loop never ran; the queued work never started
}

TEST(RealExecutorStopTest, IdleWorkersStopAtOnce) {
  RealClock clock;
  RealExecutor loop(clock, 4);
  EXPECT_EQ(loop.StopWorkers(Millis(1000)), 0);
}

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Cli(std::vector<const char*> args) {
  args.insert(args.begin(), "protean");
  std::ostringstream out;
  std::ostringstream err;
  const int code = RunProteanCli(static_cast<int>(args.size()), args.data(), out, err);
  return {code, out.str(), err.str()};
}

TEST(ServerFlagsTest, OutOfRangeValuesSayWhatIsExpected) {
  CliRun r = Cli({"check", "--workers", "0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--workers: expected an integer in 1..256, got '0'"), std::string::npos)
      << r.err;
  EXPECT_LT(r.err.size(), 200u);
  r = Cli({"server", "--workers", "0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--workers: expected an integer in 1..256, got '0'"), std::string::npos);
  r = Cli({"server", "--run-for", "-1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--run-for: expected a number of seconds in 0..1e+09, got '-1'"),
            std::string::npos)
      << r.err;
  r = Cli({"server", "--run-for", "abc"});
  EXPECT_NE(r.err.find("got 'abc'"), std::string::npos) << r.err;
  r = Cli({"server", "--instance", "a b"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--instance:"), std::string::npos);
}

// An unpartitioned event-store subscription in several workers: check warns,
// the server refuses --workers.
TEST(ServerFlagsTest, WorkersNeedPartitionedEventStoreSubscriptions) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("protean-pieces-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "domain.toml");
    f << "[handlers.Proj]\nstream = \"invoice\"\n"
         "[handlers.Proj.subscription_config]\nsubscription_type = \"event_store\"\n";
  }
  const std::string domain = dir.string();
  CliRun r = Cli({"check", "--domain", domain.c_str(), "--workers", "2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("EVENT_STORE_MULTI_WORKER handlers.Proj"), std::string::npos) << r.out;
  r = Cli({"check", "--domain", domain.c_str()});
  EXPECT_EQ(r.code, 0) << r.out;
  r = Cli({"server", "--domain", domain.c_str(), "--workers", "2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("is not partitioned"), std::string::npos) << r.err;
  {
    std::ofstream f(dir / "domain.toml", std::ios::app);
    f << "consumer_group_member = 0\nconsumer_group_size = 3\n";
  }
  r = Cli({"server", "--domain", domain.c_str(), "--workers", "2"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("consumer_group_size 3 but runs in 2 workers"), std::string::npos) << r.err;
  r = Cli({"server", "--domain", domain.c_str(), "--workers", "2", "--instance", "w0"});
  EXPECT_EQ(r.code, 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace protean::cli
