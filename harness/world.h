#pragma once
// A World is where one scenario run happens. It owns the clock, the loop,
// the adapter registry, the domain (with the harness's own connections,
// used to publish and to read the final state), the run's namespace, the
// engine instances and their teardown. The mode switch is made once, by
// MakeWorld:
//
//   memory  SimulatedWorld: SimClock + SimExecutor, memory backends, engines
//           in-process, one seeded PRNG: byte-identical histories.
//   test    ProcessWorld: every instance a `protean server` child process
//           against the real services of the domain's [test] overlay,
//           stream and category names prefixed per run.
//
// Life: MakeWorld; each planned fault's Prepare (handler_faults(),
// adapter_faults()); Open(scenario); set_recorder; the runner posts its tasks
// and calls Run(), which returns once a loop task called Stop() or nothing
// is left to run; Teardown(). Everything between Open and Teardown happens
// on the loop thread.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config/substitution.h"
#include "core/engine/adapter_registry.h"
#include "core/engine/domain.h"
#include "core/executor.h"
#include "core/runtime/prng.h"
#include "harness/history_recorder.h"
#include "harness/report.h"
#include "harness/scenario.h"
#include "harness/scenario_domain.h"
#include "harness/service_unavailable.h"

namespace protean::harness {

class AdapterFaultPlans;
class NetworkFaults;
class ServiceControl;

// How often a world probes a draining instance's readiness: the same in both
// modes, so the probes the two record compare.
constexpr Duration kProbeEvery = Millis(100);

struct WorldOptions {
  std::string mode = "memory";  // memory | test
  uint64_t seed = 1;
  config::EnvLookup env_lookup;  // null: the process environment
  std::string server_binary;     // test mode: the `protean` binary to run
  // C++ handlers matched with the scenario's [handlers] tables by name
  // (core/engine/handler_catalog.h); null: scripted handlers only. Test mode
  // runs them in server_binary, which must register the same catalog.
  const HandlerCatalog* handlers = nullptr;
};

class World {
 public:
  virtual ~World() = default;
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  const std::string& mode() const { return options_.mode; }
  virtual const Clock& clock() const = 0;
  virtual Executor& loop() = 0;
  // The run's t = 0, and `ms` after it.
  TimePoint start() const { return start_; }
  TimePoint At(int64_t ms) const { return start_ + Millis(ms); }
  int64_t AtMillis(int64_t ms) const { return ToMillis(start_) + ms; }
  // Stream and category names of this run ("" prefix in the simulation).
  std::string Stream(const std::string& name) const { return ns_ + name; }
  // The next published message id: a UUID drawn from the seed, the same
  // sequence in both modes; in test mode its last 8 hex digits are the run's
  // tag, since Message DB keeps every id it ever saw. Scripted handlers leave
  // them out of their decisions and the differential run out of its
  // comparison (DecisionKey), so a seed's n-th message is the same message in
  // both modes (and short ids, its first 8 digits, stay distinct).
  std::string NextMessageId();

  // --- Before Open: what faults prepare.
  HandlerFaultData& handler_faults() { return handler_faults_; }
  // nullptr: this world has no adapter decorators.
  virtual AdapterFaultPlans* adapter_faults() { return nullptr; }
  // nullptr: this world has no fault proxies.
  virtual NetworkFaults* network_faults() { return nullptr; }
  // nullptr: this world has no real services to restart or command.
  virtual ServiceControl* service_control() { return nullptr; }
  // Test mode: the application_name prefix of the children's PostgreSQL
  // connections, and the case's folder (tools write their output there).
  virtual std::string ApplicationPrefix() const { return ""; }
  virtual const std::filesystem::path& files_dir() const {
    static const std::filesystem::path kNone;
    return kNone;
  }
  virtual bool can_jump_clock() const { return false; }
  virtual bool can_pause() const { return false; }

  // Builds the domain and its adapters and resolves the handlers. Throws
  // config::ConfigurationError and ServiceUnavailable.
  virtual void Open(const Scenario& scenario) = 0;
  const Domain& domain() const { return *domain_; }
  const std::vector<ResolvedHandler>& handlers() const { return resolved_; }
  void set_recorder(HistoryRecorder* recorder) { recorder_ = recorder; }
  // The scripted handlers' shared state (their ledger is set by the runner).
  ScriptedRuntime& scripted() { return *scripted_; }

  // --- Instances, named "w<index>". StartInstance adds or restarts one;
  // Crash/Stop act on a live one only and return whether it was live.
  virtual void StartInstance(int64_t index) = 0;
  virtual bool CrashInstance(int64_t index) = 0;
  // Graceful: the SIGTERM path (readiness 503, drain, close).
  virtual bool StopInstance(int64_t index) = 0;
  virtual int64_t NextInstanceIndex() const = 0;
  // Some instance is draining.
  virtual bool Draining() const = 0;
  // Moves the clock (only where can_jump_clock()).
  virtual void JumpClock(Duration by) { (void)by; }
  // Freezes / continues a live instance (only where can_pause()).
  virtual void PauseInstance(int64_t index) { (void)index; }
  virtual void ResumeInstance(int64_t index) { (void)index; }

  // --- Events recorded by other processes: Poll reads what they wrote so
  // far (for convergence), MergeEvents adds what happened until now to the
  // recorder's history (before `end`).
  virtual void Poll() {}
  virtual void MergeEvents() {}
  // What went wrong outside the history (a process that would not start or
  // exited by itself, a service fault that could not be done): failures of
  // the case.
  virtual std::vector<std::string> problems() const { return fault_problems_; }
  void ReportProblem(std::string problem) { fault_problems_.push_back(std::move(problem)); }
  // The broker streams the scenario's workload publishes to (run names).
  const std::vector<std::string>& broker_streams() const { return broker_streams_; }
  // After Teardown: the processes that ran, for the report.
  virtual std::vector<ServerProcessRecord> processes() const { return {}; }
  // After Teardown: keeps the run's files (returns where) or removes them.
  virtual std::string KeepFiles(bool keep) {
    (void)keep;
    return "";
  }

  // Runs the loop until Stop() or until nothing is left to run; true when
  // stopped.
  virtual bool Run() = 0;
  virtual void Stop() = 0;
  // Stops what still runs (bounded), then releases instances, loop and
  // adapters, in that order. Idempotent.
  virtual void Teardown() = 0;

 protected:
  explicit World(WorldOptions options);
  // Sets the clock's now as t = 0 (called by the constructor of a subclass
  // once its clock exists), and the namespace and id sources.
  void Begin(TimePoint start, std::string ns, std::string id_tag = "");
  // The shared part of Open: config (env "" or "test"), domain, scripted
  // handlers in the namespace, resolved subscriptions, adapters.
  void OpenDomain(const Scenario& scenario, const AdapterEnv& env, bool real_services);
  void CloseDomain();

  WorldOptions options_;
  std::string ns_;
  TimePoint start_{};
  Prng ids_{1};
  std::string id_tag_;  // 8 hex digits, or "" (the simulation)
  HandlerFaultData handler_faults_;
  toml::table document_;  // the scenario's domain document (OpenDomain)
  AdapterRegistry registry_;
  std::shared_ptr<ScriptedRuntime> scripted_;
  std::unique_ptr<Domain> domain_;
  std::vector<ResolvedHandler> resolved_;
  HistoryRecorder* recorder_ = nullptr;
  std::vector<std::string> fault_problems_;
  std::vector<std::string> broker_streams_;
};

// SimulatedWorld for "memory", ProcessWorld for "test".
std::unique_ptr<World> MakeWorld(const WorldOptions& options);

}  // namespace protean::harness
