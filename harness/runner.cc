#include "harness/runner.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <set>

#include "core/config/priority_lanes.h"
#include "harness/checkers.h"
#include "harness/handler_ledger.h"
#include "harness/history_recorder.h"
#include "harness/run_header.h"
#include "harness/workload.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

constexpr Duration kCheckEvery = Millis(100);
constexpr Duration kSettle = Millis(500);
constexpr int64_t kFinalEntriesMax = 1000000;

// A stream subscription's streams: its own, and its backfill lane when
// [server.priority_lanes] is enabled.
std::vector<std::string> BrokerStreams(const World& world, const ResolvedHandler& h) {
  std::vector<std::string> streams = {h.handler->stream};
  const config::PriorityLanesConfig& lanes = world.domain().config().server.priority_lanes;
  if (auto lane = config::BackfillLane(lanes, h.handler->stream)) streams.push_back(*lane);
  return streams;
}

std::vector<SubscriptionInfo> SubscriptionInfos(const World& world) {
  std::vector<SubscriptionInfo> infos;
  for (const ResolvedHandler& h : world.handlers()) {
    const bool event_store = h.config.type == SubscriptionType::kEventStore;
    std::vector<std::string> streams = BrokerStreams(world, h);
    infos.push_back({h.handler->name, h.handler->stream, event_store,
                     event_store || streams.size() < 2 ? "" : streams[1]});
  }
  return infos;
}

class ScenarioRun {
 public:
  ScenarioRun(const Scenario& s, const RunOptions& o) : s_(s), o_(o) {}
  RunOutput Execute();

 private:
  std::optional<std::string> Plan();
  void Start();
  void ScheduleFaults();
  void CheckDone();
  void Finish();
  void RecordFinalPending(Broker& broker, const ResolvedHandler& r, const std::string& stream);
  void RecordFinalDlq(Broker& broker, const std::string& stream);
  void Check(RunOutput& out);

  const Scenario& s_;
  const RunOptions& o_;
  Prng plan_prng_{1};
  std::unique_ptr<World> world_;
  std::optional<Workload> workload_;
  std::vector<PlannedFault> faults_;
  std::unique_ptr<HistoryRecorder> recorder_;
  TimePoint deadline_{};
  TimePoint min_end_{};
  std::optional<TimePoint> converged_since_;
  bool done_ = false;
};

// Draws the workload and the faults (in that order, from the planning PRNG)
// and prepares the world for the faults. Returns why a fault cannot be
// produced in this world, if one cannot.
std::optional<std::string> ScenarioRun::Plan() {
  plan_prng_ = Prng(o_.seed);
  world_ = MakeWorld(WorldOptions{o_.mode, o_.seed, o_.env_lookup, o_.server_binary, o_.handlers});
  workload_.emplace(s_.workload, plan_prng_);
  for (const auto& f : s_.faults) faults_.push_back(f->Plan(plan_prng_));
  if (o_.timeline != nullptr) {
    // Drawn as above first, so the faults' own draws (latency_ms, ...) are
    // the recorded run's; then the recorded instants replace the draws.
    workload_.emplace(o_.timeline->publishes, plan_prng_);
    for (size_t i = 0; i < faults_.size() && i < o_.timeline->faults.size(); ++i) {
      if (!o_.timeline->faults[i]) continue;
      faults_[i].at_ms = o_.timeline->faults[i]->at_ms;
      if (faults_[i].duration_ms > 0) faults_[i].duration_ms = o_.timeline->faults[i]->duration_ms;
    }
  }
  for (const PlannedFault& p : faults_) {
    if (std::optional<std::string> why = p.fault->Prepare(*world_, p)) return why;
  }
  return std::nullopt;
}

// Phase "start": the recorder and header, the workload and fault timelines,
// then the initial instances at t = 0 and the convergence check.
void ScenarioRun::Start() {
  recorder_ = std::make_unique<HistoryRecorder>(SubscriptionInfos(*world_));
  world_->set_recorder(recorder_.get());
  RecordHandlerCalls(world_->scripted(), *recorder_, world_->loop());
  const int64_t end_ms = std::max(s_.heal_at_ms + s_.converge_within_ms, s_.min_duration_ms);
  deadline_ = world_->At(end_ms);
  min_end_ = world_->At(std::max(s_.heal_at_ms, s_.min_duration_ms));
  workload_->Schedule(*world_, *recorder_);
  ScheduleFaults();
  recorder_->SetHeader(RunHeader(s_, o_.mode, o_.seed, *world_));
  world_->loop().Post([this] {
    for (int64_t i = 0; i < s_.instances; ++i) world_->StartInstance(i);
    world_->loop().PostAfter(kCheckEvery, [this] { CheckDone(); });
  });
}

// Phases "faults" and "heal": each fault starts at at_ms and, when windowed,
// heals at_ms + duration_ms later.
void ScenarioRun::ScheduleFaults() {
  for (const PlannedFault& p : faults_) {
    nlohmann::ordered_json fields = {{"detail", std::string(p.fault->name())}};
    if (p.instance) fields["instance"] = "w" + std::to_string(*p.instance);
    world_->loop().PostAt(world_->At(p.at_ms), [this, fields, &p] {
      nlohmann::ordered_json started = fields;
      p.fault->Describe(p, started);
      recorder_->Record(world_->clock().Now(), "fault_started", started);
      p.fault->Apply(*world_, p);
    });
    if (p.duration_ms <= 0) continue;
    world_->loop().PostAt(world_->At(p.at_ms + p.duration_ms), [this, fields, &p] {
      recorder_->Record(world_->clock().Now(), "fault_ended", fields);
      p.fault->Heal(*world_, p);
    });
  }
}

// Phase "converge": done once everything is published and final, no
// instance drains, the faults are healed, and that lasted kSettle; or at the
// deadline.
void ScenarioRun::CheckDone() {
  if (done_) return;
  world_->Poll();
  const TimePoint now = world_->clock().Now();
  const bool quiet = workload_->unpublished() == 0 && now >= min_end_ && !world_->Draining() &&
                     recorder_->Converged(s_.partition_event_store);
  if (quiet) {
    if (!converged_since_) converged_since_ = now;
  } else {
    converged_since_.reset();
  }
  if ((converged_since_ && now - *converged_since_ >= kSettle) || now >= deadline_) {
    Finish();
    return;
  }
  world_->loop().PostAfter(kCheckEvery, [this] { CheckDone(); });
}

void ScenarioRun::RecordFinalPending(Broker& broker, const ResolvedHandler& r,
                                     const std::string& stream) {
  auto pending = broker.Pending(stream, SubscriberName(*r.handler), "", kFinalEntriesMax);
  if (!pending.ok()) return;
  for (const PendingEntry& p : *pending) {
    std::string message_id;
    auto entry = broker.Range(stream, p.id, p.id, 1);
    if (entry.ok() && !entry->empty()) {
      message_id = MessageIdOf((*entry)[0].fields);
    }
    recorder_->Record(world_->clock().Now(), "final_pending",
                      {{"stream", stream},
                       {"subscription", r.handler->name},
                       {"entry_id", p.id},
                       {"message_id", message_id},
                       {"value", p.delivery_count}});
  }
}

void ScenarioRun::RecordFinalDlq(Broker& broker, const std::string& stream) {
  auto list = broker.DlqList(DlqStreamName(stream), kFinalEntriesMax);
  if (!list.ok()) return;
  std::vector<DlqEntry> entries = std::move(*list);
  std::sort(entries.begin(), entries.end(),
            [](const DlqEntry& a, const DlqEntry& b) { return a.dlq_id < b.dlq_id; });
  for (const DlqEntry& e : entries) {
    // The entry names the consumer group (the handler's fqn when it has
    // one); the history names the handler.
    std::string subscription = e.metadata.consumer_group;
    for (const ResolvedHandler& r : world_->handlers()) {
      const bool lane = r.handler->stream == stream ||
                        config::BackfillLane(world_->domain().config().server.priority_lanes,
                                             r.handler->stream) == stream;
      if (lane && SubscriberName(*r.handler) == subscription) {
        subscription = r.handler->name;
      }
    }
    recorder_->Record(world_->clock().Now(), "final_dlq",
                      {{"stream", stream},
                       {"message_id", MessageIdOf(e.fields)},
                       {"entry_id", e.dlq_id},
                       {"attempt", e.metadata.attempts},
                       {"subscription", subscription},
                       {"detail", e.metadata.reason}});
  }
}

// Phase "finish": the final broker state, the other processes' events
// until now, the `end` event, and the loop stops.
void ScenarioRun::Finish() {
  done_ = true;
  world_->Poll();
  Broker& broker = *world_->domain().adapters().broker("default");
  std::set<std::string> streams;
  for (const ResolvedHandler& r : world_->handlers()) {
    if (r.config.type != SubscriptionType::kStream) continue;
    for (const std::string& stream : BrokerStreams(*world_, r)) {
      RecordFinalPending(broker, r, stream);
      streams.insert(stream);
    }
  }
  for (const std::string& stream : streams) RecordFinalDlq(broker, stream);
  world_->MergeEvents();
  recorder_->Record(world_->clock().Now(), "end",
                    {{"value", static_cast<int64_t>(recorder_->history().events.size()) + 1}});
  recorder_->Detach();
  world_->Stop();
}

// The checkers over the history, and what the world saw go wrong outside it
// (processes); then the world's files are kept for a failed case only.
void ScenarioRun::Check(RunOutput& out) {
  CaseResult& r = out.result;
  for (const CheckResult& c : RunCheckers(out.history)) {
    for (const std::string& v : c.violations) r.failures.push_back(c.checker + ": " + v);
  }
  for (const std::string& p : world_->problems()) r.failures.push_back("process: " + p);
  r.events = static_cast<int64_t>(out.history.events.size());
  r.processes = world_->processes();
  r.files_dir = world_->KeepFiles(!r.failures.empty());
}

RunOutput ScenarioRun::Execute() {
  RunOutput out;
  CaseResult& r = out.result;
  r.suite = s_.suite;
  r.scenario = s_.name;
  r.file = s_.file.string();
  r.mode = o_.mode;
  r.seed = o_.seed;
  r.replay_command = ReplayCommand(o_.program, s_, o_.mode, o_.seed);
  if (!s_.RunsIn(o_.mode)) {
    r.skipped = true;
    r.skip_reason = "the scenario declares modes " + nlohmann::json(s_.modes).dump();
    return out;
  }
  const auto wall0 = std::chrono::steady_clock::now();
  if (std::optional<std::string> why = Plan()) {
    r.skipped = true;
    r.skip_reason = *why;
    return out;
  }
  try {
    world_->Open(s_);
    Start();
    if (!world_->Run()) Finish();
  } catch (...) {
    world_->Teardown();
    throw;
  }
  r.sim_seconds = ToSecondsF(world_->clock().Now() - world_->start());
  out.history = recorder_->TakeHistory();
  world_->Teardown();
  Check(out);
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return out;
}

}  // namespace

std::string ReplayCommand(const std::string& program, const Scenario& scenario,
                          const std::string& mode, uint64_t seed) {
  return program + " run " + scenario.file.string() + " --protean-env " + mode + " --seed " +
         std::to_string(seed);
}

RunOutput RunScenario(const Scenario& scenario, const RunOptions& options) {
  ScenarioRun run(scenario, options);
  return run.Execute();
}

}  // namespace protean::harness
