#pragma once
// What the real-backend benchmarks share (tests/bench/*_benchmark.cc linked
// into real_benchmark): plain hiredis connections, streams filled with
// Protean-envelope messages, a bounded run of an Engine on a RealExecutor,
// child processes with a deadline, and the process's RSS.
//
// Every wait here is bounded: past its deadline the benchmark is failed with
// state.SkipWithError("waited N s for X: got a of b") and the caller stops.
//
// Lifetimes in a benchmark round: whatever a worker thread touches (handler
// registrations, counters, adapters and their wrappers) is declared before
// the RealExecutor, so it is destroyed after the executor's destructor has
// joined the workers; the Engine is declared after the executor.

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/broker.h"
#include "core/engine/engine.h"
#include "core/runtime/real_executor.h"

namespace protean::bench {

// The real-mode benchmarks' batch (messages_per_tick, PRODUCTION's) and
// worker threads (the machine has 2 cores).
constexpr int kBatch = 100;
constexpr int kWorkers = 2;

using SteadyClock = std::chrono::steady_clock;

// $name, or nullptr when unset or empty.
const char* Env(const char* name);
double SecondsSince(SteadyClock::time_point t0);
// prefix + n (appended: GCC 12's -Wrestrict misfires on "x" + std::to_string(n)).
std::string Numbered(std::string prefix, int64_t n);

// ---------------------------------------------------------------- Redis

struct RedisFree {
  void operator()(redisContext* c) const { redisFree(c); }
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisConn = std::unique_ptr<redisContext, RedisFree>;
using RedisReplyPtr = std::unique_ptr<redisReply, RedisFree>;

// A connection to $REDIS_URL (redis://host:port/db), or null with `why` set.
RedisConn ConnectRedis(std::string* why);
// One command from its arguments; null when the connection failed.
RedisReplyPtr Command(redisContext* c, const std::vector<std::string>& args);
// Appends `n` Protean envelopes (EncodeMessageFields: one field "data") to
// `stream`, pipelined; payload {"order_id": i, "amount": "19.99"}, the order
// id counting from `first`. False when Redis failed.
bool FillStream(redisContext* c, const std::string& stream, int n, int first = 0);
// XGROUP CREATE stream group 0 (from the first entry).
bool CreateGroup(redisContext* c, const std::string& stream, const std::string& group);
// Entries pending in `group` (XPENDING summary); -1 when Redis failed.
int64_t GroupPending(redisContext* c, const std::string& stream, const std::string& group);
// XINFO GROUPS: entries delivered to `group` so far ("entries-read"); -1 on failure.
int64_t GroupEntriesRead(redisContext* c, const std::string& stream, const std::string& group);
// A RedisBroker on $REDIS_URL through the adapter registry.
Result<std::unique_ptr<Broker>> MakeRedisBroker(const Clock& clock, int64_t max_connections = 16);

// ---------------------------------------------------------------- engine runs

// Counts events from any thread and remembers when the count reached `want`.
class Progress {
 public:
  explicit Progress(int64_t want) : want_(want) {}
  void Add(int64_t n = 1) {
    const int64_t now = got_.fetch_add(n, std::memory_order_relaxed) + n;
    if (now >= want_ && now - n < want_) reached_at_.store(SteadyClock::now().time_since_epoch());
  }
  int64_t got() const { return got_.load(std::memory_order_relaxed); }
  int64_t want() const { return want_; }
  bool done() const { return got() >= want_; }
  SteadyClock::time_point reached_at() const { return SteadyClock::time_point(reached_at_.load()); }

 private:
  const int64_t want_;
  std::atomic<int64_t> got_{0};
  std::atomic<SteadyClock::duration> reached_at_{SteadyClock::duration::zero()};
};

struct EngineRunOptions {
  std::string what;  // "20000 messages handled": the failure message names it
  std::chrono::seconds timeout{60};
  // After `progress` is done: a graceful Shutdown (acks and positions flushed)
  // bounded by this, then the loop stops either way.
  std::chrono::seconds shutdown_timeout{10};
};

// Starts `engine` on `loop` (the loop runs on this thread) and runs until
// `progress` is done or the timeout passes, then shuts the engine down.
// Returns the seconds from Start to the moment `progress` was done, or
// nullopt after failing the benchmark (timeout, or a shutdown that overran).
// Under PerfControl, perf records exactly this run.
std::optional<double> RunEngine(benchmark::State& state, RealExecutor& loop, Engine& engine,
                                const Progress& progress, const EngineRunOptions& options);

// The stream subscription the benchmarks use: `messages_per_tick` (100, as
// PRODUCTION), blocking reads of 100 ms, everything else the default.
SubscriptionConfig StreamConfig(int64_t messages_per_tick = 100);

// ---------------------------------------------------------------- processes

// A child process in its own process group, registered with the watchdog.
class Child {
 public:
  // argv[0] is the program's path; stdout goes to `stdout_path`, stderr to
  // `stderr_path` ("" = inherited).
  static std::optional<Child> Spawn(const std::vector<std::string>& argv,
                                    const std::string& stdout_path, const std::string& stderr_path,
                                    std::string* why);
  Child(Child&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  Child& operator=(Child&&) = delete;
  ~Child();  // SIGKILL and reap when still running

  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // The exit status (as waitpid gives it) once the child ended within
  // `timeout`; nullopt when it is still running.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

std::string ReadFile(const std::string& path);

// A fresh empty folder under $TMPDIR (or /tmp) named after `stem`, removed on
// destruction unless kept (Keep(): a failure's logs stay behind).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& stem);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  void Keep(bool keep = true) { keep_ = keep; }

 private:
  std::string path_;
  bool keep_ = false;
};

// Profiling aid: with $BENCH_PERF_CTL (and $BENCH_PERF_ACK) naming the FIFOs of
// `perf record -D -1 --control=fifo:CTL,ACK`, RunEngine enables perf for the
// engine's run only (not the filling or the baselines).
void PerfControl(bool enable);

// Profiling aid: $BENCH_ROUNDS, a comma-separated list of round names
// ("engine,raw"), limits the rounds a benchmark runs; unset = all. Figures
// of rounds not run are missing.
bool RoundWanted(const std::string& round);

// VmRSS of this process in bytes (/proc/self/status), 0 when unreadable.
int64_t RssBytes();

}  // namespace protean::bench
