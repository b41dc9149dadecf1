#include "tests/bench/real_support.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "adapters/real/register.h"
#include "core/engine/message.h"
#include "tests/bench/bench_main.h"

extern char** environ;

namespace protean::bench {

const char* Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

double SecondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

std::string Numbered(std::string prefix, int64_t n) {
  prefix += std::to_string(n);
  return prefix;
}

// ---------------------------------------------------------------- Redis

RedisConn ConnectRedis(std::string* why) {
  const char* url = Env("REDIS_URL");
  if (url == nullptr) {
    *why = "REDIS_URL not set (ci/services.sh start)";
    return nullptr;
  }
  // redis://[user@]host:port[/db], the form ci/services.sh writes.
  std::string rest = url;
  rest = rest.substr(rest.find("//") == std::string::npos ? 0 : rest.find("//") + 2);
  if (const size_t at = rest.find('@'); at != std::string::npos) rest = rest.substr(at + 1);
  const size_t slash = rest.find('/');
  const std::string hostport = rest.substr(0, slash);
  const int db = slash != std::string::npos && slash + 1 < rest.size()
                     ? std::atoi(rest.c_str() + slash + 1)
                     : 0;
  const size_t colon = hostport.rfind(':');
  const std::string host = hostport.substr(0, colon);
  const int port = colon == std::string::npos ? 6379 : std::atoi(hostport.c_str() + colon + 1);
  const timeval timeout{30, 0};  // no Redis call of a benchmark waits longer
  RedisConn c(redisConnectWithTimeout(host.c_str(), port, timeout));
  if (c == nullptr || c->err) {
    *why = std::string("cannot connect to REDIS_URL ") + url + ": " + (c ? c->errstr : "no memory");
    return nullptr;
  }
  redisSetTimeout(c.get(), timeout);
  if (db != 0) Command(c.get(), {"SELECT", std::to_string(db)});
  return c;
}

RedisReplyPtr Command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return RedisReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

bool FillStream(redisContext* c, const std::string& stream, int n, int first) {
  constexpr int kPipeline = 500;
  for (int i = 0; i < n; i += kPipeline) {
    const int m = std::min(kPipeline, n - i);
    for (int k = 0; k < m; ++k) {
      const int order = first + i + k;
      const std::string payload =
          R"({"order_id":)" + std::to_string(order) + R"(,"amount":"19.99"})";
      const Fields fields = EncodeMessageFields("bench-" + stream + "-" + std::to_string(order),
                                                "Bench.OrderPlaced.v1", payload);
      std::vector<const char*> argv = {"XADD", stream.c_str(), "*"};
      std::vector<size_t> lens = {4, stream.size(), 1};
      for (const auto& [name, value] : fields) {
        argv.push_back(name.data());
        lens.push_back(name.size());
        argv.push_back(value.data());
        lens.push_back(value.size());
      }
      redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data());
    }
    for (int k = 0; k < m; ++k) {
      void* r = nullptr;
      if (redisGetReply(c, &r) != REDIS_OK) return false;
      RedisReplyPtr reply(static_cast<redisReply*>(r));
      if (reply->type == REDIS_REPLY_ERROR) return false;
    }
  }
  return true;
}

bool CreateGroup(redisContext* c, const std::string& stream, const std::string& group) {
  RedisReplyPtr r = Command(c, {"XGROUP", "CREATE", stream, group, "0", "MKSTREAM"});
  return r != nullptr && r->type != REDIS_REPLY_ERROR;
}

int64_t GroupPending(redisContext* c, const std::string& stream, const std::string& group) {
  RedisReplyPtr r = Command(c, {"XPENDING", stream, group});
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < 1) return -1;
  return r->element[0]->type == REDIS_REPLY_INTEGER ? r->element[0]->integer : -1;
}

int64_t GroupEntriesRead(redisContext* c, const std::string& stream, const std::string& group) {
  RedisReplyPtr r = Command(c, {"XINFO", "GROUPS", stream});
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return -1;
  for (size_t g = 0; g < r->elements; ++g) {
    const redisReply* info = r->element[g];
    int64_t read = -1;
    bool ours = false;
    for (size_t k = 0; k + 1 < info->elements; k += 2) {
      const std::string key(info->element[k]->str, info->element[k]->len);
      const redisReply* v = info->element[k + 1];
      if (key == "name") ours = std::string(v->str, v->len) == group;
      if (key == "entries-read" && v->type == REDIS_REPLY_INTEGER) read = v->integer;
    }
    if (ours) return read < 0 ? 0 : read;  // nil before the first read
  }
  return -1;
}

Result<std::unique_ptr<Broker>> MakeRedisBroker(const Clock& clock, int64_t max_connections) {
  const char* url = Env("REDIS_URL");
  if (url == nullptr) return Status::InvalidArgument("REDIS_URL not set (ci/services.sh start)");
  AdapterRegistry registry;
  RegisterRealAdapters(registry);
  config::BrokerConfig bc;
  bc.name = "default";
  bc.provider = "redis";
  bc.uri = url;
  bc.max_connections = max_connections;
  return registry.CreateBroker(bc, AdapterEnv{&clock});
}

// ---------------------------------------------------------------- engine runs

std::optional<double> RunEngine(benchmark::State& state, RealExecutor& loop, Engine& engine,
                                const Progress& progress, const EngineRunOptions& options) {
  SteadyClock::time_point t0;
  const SteadyClock::time_point deadline = SteadyClock::now() + options.timeout;
  bool timed_out = false;
  bool shutdown_overran = false;
  TimerId overrun_timer = 0;
  SetStep("engine run: waiting for " + options.what);
  loop.Post([&] {
    t0 = SteadyClock::now();
    engine.Start();
  });
  std::function<void()> check = [&] {
    const bool done = progress.done();
    if (!done && SteadyClock::now() < deadline) {
      loop.PostAfter(Millis(1), check);
      return;
    }
    if (!done) {
      timed_out = true;
      engine.Crash();
      loop.Stop();
      return;
    }
    SetStep("engine run: shutting down after " + options.what);
    overrun_timer = loop.PostAfter(Seconds(options.shutdown_timeout.count()), [&] {
      shutdown_overran = true;
      engine.Crash();
      loop.Stop();
    });
    engine.Shutdown("bench", [&](int) {
      loop.Cancel(overrun_timer);
      loop.Stop();
    });
  };
  loop.PostAfter(Millis(1), check);
  PerfControl(true);
  loop.Run();
  PerfControl(false);
  if (timed_out) {
    const std::string e = "waited " + std::to_string(options.timeout.count()) + " s for " +
                          options.what + ": got " + std::to_string(progress.got()) + " of " +
                          std::to_string(progress.want());
    state.SkipWithError(e.c_str());
    return std::nullopt;
  }
  if (shutdown_overran) {
    const std::string e = "waited " + std::to_string(options.shutdown_timeout.count()) +
                          " s for the engine's shutdown after " + options.what;
    state.SkipWithError(e.c_str());
    return std::nullopt;
  }
  return std::chrono::duration<double>(progress.reached_at() - t0).count();
}

SubscriptionConfig StreamConfig(int64_t messages_per_tick) {
  SubscriptionConfig c;
  c.messages_per_tick = messages_per_tick;
  c.blocking_timeout_ms = 100;
  return c;
}

// ---------------------------------------------------------------- processes

std::optional<Child> Child::Spawn(const std::vector<std::string>& argv,
                                  const std::string& stdout_path, const std::string& stderr_path,
                                  std::string* why) {
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  if (!stdout_path.empty()) {
    posix_spawn_file_actions_addopen(&files, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
  }
  if (!stderr_path.empty()) {
    posix_spawn_file_actions_addopen(&files, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: the watchdog kills it whole
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &files, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *why = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return std::nullopt;
  }
  RegisterChild(pid);
  return Child(pid);
}

Child::~Child() {
  if (pid_ <= 0) return;
  if (!Wait(std::chrono::milliseconds(0))) {
    kill(-pid_, SIGKILL);
    Wait(std::chrono::milliseconds(5000));
  }
  UnregisterChild(pid_);
}

void Child::Signal(int sig) const {
  if (pid_ > 0) kill(pid_, sig);
}

std::optional<int> Child::Wait(std::chrono::milliseconds timeout) {
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || r < 0) {
      UnregisterChild(pid_);
      pid_ = -1;
      return r < 0 ? -1 : status;
    }
    if (SteadyClock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ScratchDir::ScratchDir(const std::string& stem) {
  const char* tmp = Env("TMPDIR");
  const std::filesystem::path dir = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
                                    ("protean-bench-" + std::to_string(getpid()) + "-" + stem);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  std::filesystem::create_directories(dir, ignored);
  path_ = dir.string();
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  if (keep_) {
    std::fprintf(stderr, "[bench] kept %s\n", path_.c_str());
  } else {
    std::filesystem::remove_all(path_, ignored);
  }
}

void PerfControl(bool enable) {
  const char* ctl = Env("BENCH_PERF_CTL");
  if (ctl == nullptr) return;
  std::ofstream(ctl) << (enable ? "enable\n" : "disable\n") << std::flush;
  if (const char* ack = Env("BENCH_PERF_ACK")) {
    std::ifstream in(ack);
    std::string reply;
    std::getline(in, reply);  // perf answers "ack" once it switched
  }
}

bool RoundWanted(const std::string& round) {
  const char* rounds = Env("BENCH_ROUNDS");
  if (rounds == nullptr) return true;
  std::string list(",");
  list.append(rounds).append(",");
  std::string item(",");
  item.append(round).append(",");
  return list.find(item) != std::string::npos;
}

int64_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;  // kB
  }
  return 0;
}

}  // namespace protean::bench
