#pragma once
// Test mode: every instance is a `protean server` child process (the binary
// users deploy, or WorldOptions::server_binary), run against the real Redis,
// PostgreSQL and Message DB of the domain's [test] overlay:
//
//   protean server --domain wN-K.domain.toml --env test --instance wN
//                  --history wN-K.history.jsonl --health-port P --port-file ...
//
// in a folder of the case's own (kept when the case fails). The harness
// publishes through its own adapters, produces process faults with real
// signals (sigterm: SIGTERM, a second one cuts the drain; consumer_crash:
// SIGKILL; pause: SIGSTOP/SIGCONT; add/remove worker: start/SIGTERM),
// adapter faults with a TCP fault proxy per child and service
// (network_faults.h), probes readiness on the child's real /readyz, reads the
// children's histories as they grow (convergence) and merges them into its
// own by time at the end.
//
// t = 0 is when the world is made: the initial children start then, as
// in-process engines do in the simulation (ready some 100 ms later). Loop
// thread only, but for construction, Run and Teardown.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/runtime/real_executor.h"
#include "harness/history_tail.h"
#include "harness/network_faults.h"
#include "harness/server_process.h"
#include "harness/service_control.h"
#include "harness/world.h"

namespace protean::harness {

class ProcessWorld final : public World {
 public:
  explicit ProcessWorld(WorldOptions options);
  ~ProcessWorld() override;

  const Clock& clock() const override { return clock_; }
  Executor& loop() override { return *loop_; }
  NetworkFaults* network_faults() override { return &network_; }
  ServiceControl* service_control() override { return &services_; }
  // The application_name prefix of this run's children's PostgreSQL
  // connections ("protean-<ns>-"; a child's is the prefix + its name).
  std::string ApplicationPrefix() const override { return "protean-" + ns_ + "-"; }
  const std::filesystem::path& files_dir() const override { return dir_; }
  bool can_pause() const override { return true; }

  void Open(const Scenario& scenario) override;
  void StartInstance(int64_t index) override;
  bool CrashInstance(int64_t index) override;
  bool StopInstance(int64_t index) override;
  void PauseInstance(int64_t index) override;
  void ResumeInstance(int64_t index) override;
  int64_t NextInstanceIndex() const override;
  bool Draining() const override;

  void Poll() override;
  void MergeEvents() override;
  std::vector<std::string> problems() const override;
  std::vector<ServerProcessRecord> processes() const override;
  std::string KeepFiles(bool keep) override;

  bool Run() override;
  void Stop() override;
  void Teardown() override;

 private:
  struct Child {
    int64_t index = 0;
    std::string name;
    ServerProcess* process = nullptr;  // the current run's (owned by runs_)
    std::string stem;                  // files of the current run: <dir>/<stem>.*
    int port = 0;
    int start_attempts = 0;  // of the current run (a lost port race is retried)
    bool live = false;       // started, not killed, not exited
    bool ready = false;      // /readyz answered 200 once
    bool signalled = false;  // SIGTERM sent
    bool killed = false;     // SIGKILL sent
    bool paused = false;
    HistoryTail* tail = nullptr;  // the current run's history (owned by tails_)
    bool signal_seen = false;     // its history shows it took a signal
    TimePoint signalled_at{};
    TimePoint ready_deadline{};
    TimerId probe_timer = 0;
  };
  struct RunRecord {
    std::string instance;
    std::unique_ptr<ServerProcess> process;
  };

  void UsePrivateRedis();
  Child* Find(int64_t index);
  const Child* Find(int64_t index) const;
  void Spawn(Child& c);
  std::vector<std::string> ServerArgs(const Child& c) const;
  std::string ChildDomain(const Child& c);
  void Tick();
  void PollReady(Child& c);
  void OnExit(Child& c);
  void ProbeDrain(Child& c);
  void StopChildren();
  std::string StderrTail(const Child& c) const;

  RealClock clock_;
  std::unique_ptr<RealExecutor> loop_;
  std::filesystem::path dir_;
  std::string scenario_file_;
  bool partition_event_store_ = false;
  bool named_instances_ = true;  // [instances] named
  int64_t partition_size_ = 1;
  std::set<std::string> event_store_handlers_;
  NetworkFaults network_;
  ServiceControl services_;
  std::vector<std::unique_ptr<Child>> children_;
  std::vector<RunRecord> runs_;  // every process started, in order
  std::vector<std::unique_ptr<HistoryTail>> tails_;
  std::vector<nlohmann::ordered_json> child_events_;
  std::vector<std::string> problems_;
  int spawns_ = 0;
  bool stopped_ = false;
  bool merged_ = false;
  bool torn_down_ = false;
};

}  // namespace protean::harness
