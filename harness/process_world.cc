#include "harness/process_world.h"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include "harness/child_domain.h"
#include "harness/readiness_probe.h"

namespace protean::harness {
namespace {

constexpr Duration kTickEvery = Millis(20);
constexpr Duration kReadyMax = Seconds(15);
// Until the child's history shows it took the signal.
constexpr Duration kSignalProbeEvery = Millis(2);
constexpr Duration kSignalSeenMax = Seconds(2);
constexpr std::chrono::milliseconds kProbeTimeout{250};
constexpr std::chrono::milliseconds kKillWait{2000};
constexpr Duration kTeardownExtra = Seconds(5);
constexpr int kStartAttemptsMax = 3;
constexpr size_t kStderrTailBytes = 600;
// The harness's own loop in test mode (publishing, probes); the engines
// run in the protean server children, with their worker_threads.
constexpr int kLoopWorkers = 2;

std::string SafeName(std::string s) {
  for (char& c : s) {
    if (c == '/' || c == ' ') c = '_';
  }
  return s;
}

void WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw ServiceUnavailable("cannot write " + path.string());
}

}  // namespace

ProcessWorld::ProcessWorld(WorldOptions options)
    : World(std::move(options)),
      loop_(std::make_unique<RealExecutor>(clock_, kLoopWorkers)),
      services_(options_.env_lookup) {
  // Unique per run (not per seed): runs against the same servers never
  // share streams or categories; Message DB keeps every id it ever saw.
  Prng unique(std::random_device{}() ^
              static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  const std::string tag = unique.Uuid().substr(0, 8);
  Begin(clock_.Now(), "h" + tag + "x", tag);
}

ProcessWorld::~ProcessWorld() { Teardown(); }

void ProcessWorld::Open(const Scenario& scenario) {
  if (options_.server_binary.empty()) throw ServiceUnavailable("no protean server binary given");
  scenario_file_ = scenario.file.string();
  named_instances_ = scenario.named_instances;
  partition_event_store_ = scenario.partition_event_store;
  partition_size_ = scenario.instances;
  dir_ = std::filesystem::temp_directory_path() / "protean-harness" /
         (SafeName(scenario.id()) + "-seed" + std::to_string(options_.seed) + "-" + ns_);
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw ServiceUnavailable("cannot create " + dir_.string() + ": " + ec.message());
  if (services_.private_redis()) UsePrivateRedis();
  OpenDomain(scenario, AdapterEnv{&clock_}, true);
  for (const ResolvedHandler& r : resolved_) {
    if (r.config.type == SubscriptionType::kEventStore)
      event_store_handlers_.insert(r.handler->name);
  }
  const TestServices services =
      TestServiceAddresses(document_, scenario_file_, options_.env_lookup);
  network_.SetUpstreams(services.broker, services.event_store);
  loop_->PostAfter(kTickEvery, [this] { Tick(); });
}

// A fault restarts Redis: the case gets a redis-server of its own, and
// REDIS_URL names it for the harness's adapters and the children alike.
void ProcessWorld::UsePrivateRedis() {
  Result<std::string> url = services_.StartPrivateRedis(dir_);
  if (!url.ok()) throw ServiceUnavailable("private Redis: " + url.status().message());
  config::EnvLookup outer = options_.env_lookup ? options_.env_lookup : config::ProcessEnvLookup();
  options_.env_lookup = [outer,
                         redis = *url](const std::string& name) -> std::optional<std::string> {
    if (name == "REDIS_URL") return redis;
    return outer(name);
  };
}

std::vector<std::string> ProcessWorld::problems() const {
  std::vector<std::string> out = problems_;
  out.insert(out.end(), fault_problems_.begin(), fault_problems_.end());
  return out;
}

ProcessWorld::Child* ProcessWorld::Find(int64_t index) {
  for (auto& c : children_) {
    if (c->index == index) return c.get();
  }
  return nullptr;
}

const ProcessWorld::Child* ProcessWorld::Find(int64_t index) const {
  for (const auto& c : children_) {
    if (c->index == index) return c.get();
  }
  return nullptr;
}

std::string ProcessWorld::ChildDomain(const Child& c) {
  ChildDomainOptions o;
  o.ns = ns_;
  o.event_store_handlers = event_store_handlers_;
  o.application_name = ApplicationPrefix() + c.name;
  if (partition_event_store_ && c.index < partition_size_) {
    o.partition = ConsumerGroup{c.index, partition_size_};
  }
  if (network_.used()) {
    Result<NetworkFaults::Addresses> proxies = network_.StartFor(c.index);
    if (!proxies.ok()) throw ServiceUnavailable(proxies.status().message());
    o.broker_address = proxies->broker;
    o.event_store_address = proxies->event_store;
  }
  return ChildDomainText(document_, scenario_file_, options_.env_lookup, o);
}

std::vector<std::string> ProcessWorld::ServerArgs(const Child& c) const {
  const std::string base = (dir_ / c.stem).string();
  std::vector<std::string> args = {options_.server_binary,
                                   "server",
                                   "--domain",
                                   base + ".domain.toml",
                                   "--env",
                                   "test",
                                   "--history",
                                   base + ".history.jsonl",
                                   "--health-port",
                                   std::to_string(c.port),
                                   "--port-file",
                                   base + ".port"};
  if (named_instances_) {
    args.push_back("--instance");
    args.push_back(c.name);
  }
  return args;
}

// Starts one process for `c` (a new run, or another attempt of a start that
// lost its health port).
void ProcessWorld::Spawn(Child& c) {
  c.stem = c.name + "-" + std::to_string(++spawns_);
  Result<int> port = PickFreePort();
  if (!port.ok()) throw ServiceUnavailable(port.status().message());
  c.port = *port;
  const std::string base = (dir_ / c.stem).string();
  WriteText(base + ".domain.toml", ChildDomain(c));
  auto spawned = ServerProcess::Spawn(ServerArgs(c), base + ".out", base + ".err");
  if (!spawned.ok()) throw ServiceUnavailable(spawned.status().message());
  c.process = spawned->get();
  runs_.push_back(RunRecord{c.name, std::move(spawned).value()});
  // A process with a generated identity is still "wN" in the merged history.
  tails_.push_back(
      std::make_unique<HistoryTail>(base + ".history.jsonl", named_instances_ ? "" : c.name));
  c.tail = tails_.back().get();
  c.signal_seen = false;
  c.ready = false;
  c.ready_deadline = clock_.Now() + kReadyMax;
}

void ProcessWorld::StartInstance(int64_t index) {
  Child* c = Find(index);
  if (c == nullptr) {
    children_.push_back(std::make_unique<Child>());
    c = children_.back().get();
    c->index = index;
    c->name = "w" + std::to_string(index);
  }
  recorder_->Record(clock_.Now(), "instance_added", {{"instance", c->name}});
  c->live = true;
  c->signalled = c->killed = c->paused = false;
  c->start_attempts = 1;
  Spawn(*c);
  recorder_->SetLive(c->name, true);
}

bool ProcessWorld::CrashInstance(int64_t index) {
  Child* c = Find(index);
  if (c == nullptr || !c->live) return false;
  c->killed = true;
  c->process->Signal(SIGKILL);
  c->process->WaitFor(kKillWait);
  // After the process is gone: every line it wrote comes before this.
  recorder_->Record(clock_.Now(), "crashed", {{"instance", c->name}});
  c->live = false;
  recorder_->SetLive(c->name, false);
  if (c->probe_timer != 0) loop_->Cancel(c->probe_timer);
  c->probe_timer = 0;
  return true;
}

bool ProcessWorld::StopInstance(int64_t index) {
  Child* c = Find(index);
  if (c == nullptr || !c->live) return false;
  recorder_->Record(clock_.Now(), "signal", {{"instance", c->name}, {"detail", "SIGTERM"}});
  c->process->Signal(SIGTERM);  // a second one cuts the drain
  if (!c->signalled) {
    c->signalled = true;
    c->signalled_at = clock_.Now();
    loop_->Post([this, c] { ProbeDrain(*c); });
  }
  return true;
}

void ProcessWorld::PauseInstance(int64_t index) {
  Child* c = Find(index);
  if (c == nullptr || !c->live || c->paused) return;
  c->paused = c->process->Signal(SIGSTOP);
}

void ProcessWorld::ResumeInstance(int64_t index) {
  Child* c = Find(index);
  if (c == nullptr || !c->paused) return;
  c->process->Signal(SIGCONT);
  c->paused = false;
}

int64_t ProcessWorld::NextInstanceIndex() const {
  int64_t next = 0;
  for (const auto& c : children_) next = std::max(next, c->index + 1);
  return next;
}

bool ProcessWorld::Draining() const {
  for (const auto& c : children_) {
    if (c->live && c->signalled) return true;
  }
  return false;
}

// Every kTickEvery: reaps children that exited and polls the readiness of
// those starting.
void ProcessWorld::Tick() {
  if (stopped_) return;
  for (auto& c : children_) {
    if (c->process == nullptr || !c->process->running()) continue;
    if (c->process->Poll()) {
      OnExit(*c);
    } else if (c->live && !c->ready && !c->paused) {
      PollReady(*c);
    }
  }
  loop_->PostAfter(kTickEvery, [this] { Tick(); });
}

// Until /readyz first answers 200; that answer is the instance's first probe.
void ProcessWorld::PollReady(Child& c) {
  const ReadinessAnswer a = ProbeReadiness(c.port, kProbeTimeout);
  if (a.answered && a.status == 200) {
    c.ready = true;
    recorder_->Record(clock_.Now(), "probe",
                      {{"instance", c.name}, {"value", a.status}, {"outcome", a.outcome}});
    return;
  }
  if (clock_.Now() < c.ready_deadline) return;
  c.ready = true;  // stop polling: the case fails
  problems_.push_back(c.name + " (pid " + std::to_string(c.process->pid()) + ") not ready within " +
                      std::to_string(ToSecondsF(kReadyMax)) + " s; last /readyz: " +
                      (a.answered ? std::to_string(a.status) + " " + a.outcome : "no answer"));
}

void ProcessWorld::OnExit(Child& c) {
  if (c.probe_timer != 0) loop_->Cancel(c.probe_timer);
  c.probe_timer = 0;
  if (c.killed) return;
  const bool start_error = !c.ready && !c.signalled && c.process->exit_code() == 2;
  const std::string err = StderrTail(c);
  if (start_error && c.start_attempts < kStartAttemptsMax &&
      err.find("port") != std::string::npos) {
    ++c.start_attempts;  // lost the race for its health port: another one
    Spawn(c);
    return;
  }
  if (c.live && !c.signalled) {
    problems_.push_back(c.name + " (pid " + std::to_string(c.process->pid()) + ") " +
                        c.process->Describe() + " by itself; stderr: " + err);
  }
  c.live = false;
  recorder_->SetLive(c.name, false);
}

// While a signalled child runs: a probe every kProbeEvery, the first as soon
// as its history shows it took the signal. Until then probes come every
// kSignalProbeEvery and only answers other than 200 are recorded: a 200 is
// from before its drain (the history says so), so the drain's probes are
// never missed even when it lasts a few milliseconds.
void ProcessWorld::ProbeDrain(Child& c) {
  c.probe_timer = 0;
  if (!c.process->running()) return;
  Poll();
  const bool seen = c.signal_seen || clock_.Now() - c.signalled_at >= kSignalSeenMax;
  const ReadinessAnswer a = ProbeReadiness(c.port, kProbeTimeout);
  if (a.answered && (seen || a.status != 200)) {
    recorder_->Record(clock_.Now(), "probe",
                      {{"instance", c.name}, {"value", a.status}, {"outcome", a.outcome}});
  }
  Child* p = &c;
  c.probe_timer =
      loop_->PostAfter(seen ? kProbeEvery : kSignalProbeEvery, [this, p] { ProbeDrain(*p); });
}

std::string ProcessWorld::StderrTail(const Child& c) const {
  std::ifstream in(dir_ / (c.stem + ".err"), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  if (s.size() > kStderrTailBytes) s = "..." + s.substr(s.size() - kStderrTailBytes);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "(empty)" : s;
}

void ProcessWorld::Poll() {
  if (merged_) return;
  for (auto& tail : tails_) {
    for (nlohmann::ordered_json& e : tail->ReadNew(&problems_)) {
      recorder_->Observe(e);
      if (e.value("event", "") == "shutdown_step" &&
          e.value("detail", "").rfind("signal:", 0) == 0) {
        for (auto& c : children_) c->signal_seen = c->signal_seen || c->tail == tail.get();
      }
      child_events_.push_back(std::move(e));
    }
  }
}

void ProcessWorld::MergeEvents() {
  Poll();
  merged_ = true;
  const int64_t until = ToMicros(clock_.Now());
  std::vector<nlohmann::ordered_json> events;
  for (nlohmann::ordered_json& e : child_events_) {
    if (e["t"].get<int64_t>() <= until) events.push_back(std::move(e));
  }
  child_events_.clear();
  recorder_->Merge(std::move(events));
}

std::vector<ServerProcessRecord> ProcessWorld::processes() const {
  std::vector<ServerProcessRecord> out;
  for (const RunRecord& r : runs_) {
    out.push_back(ServerProcessRecord{r.instance, r.process->pid(), r.process->Describe(),
                                      r.process->exit_code().value_or(-1)});
  }
  return out;
}

std::string ProcessWorld::KeepFiles(bool keep) {
  if (dir_.empty()) return "";
  if (keep) return dir_.string();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  return "";
}

bool ProcessWorld::Run() {
  loop_->Run();
  return true;
}

void ProcessWorld::Stop() {
  stopped_ = true;
  loop_->Stop();
}

// SIGTERM to every child still running, SIGKILL to those still running a
// drain bound plus kTeardownExtra later.
void ProcessWorld::StopChildren() {
  for (auto& c : children_) {
    if (c->paused && c->process != nullptr) c->process->Signal(SIGCONT);
  }
  for (RunRecord& r : runs_) r.process->Signal(SIGTERM);
  const Duration drain = domain_ ? domain_->config().server.drain_timeout : Seconds(10);
  const auto deadline = std::chrono::steady_clock::now() + drain + kTeardownExtra;
  for (RunRecord& r : runs_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (r.process->WaitFor(std::max(left, std::chrono::milliseconds(0)))) continue;
    r.process->Signal(SIGKILL);
    r.process->WaitFor(kKillWait);
  }
}

void ProcessWorld::Teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  stopped_ = true;
  StopChildren();
  network_.StopAll();
  services_.StopAll();
  loop_.reset();
  CloseDomain();
}

}  // namespace protean::harness
