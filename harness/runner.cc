#include "harness/runner.h"

#include <chrono>
#include <random>
#include <memory>
#include <sstream>

#include "adapters/memory/register.h"
#include "adapters/real/register.h"
#include "core/config/configuration_error.h"
#include "core/config/domain_config.h"
#include "core/config/merge.h"
#include "core/engine/domain.h"
#include "core/engine/message.h"
#include "core/runtime/real_executor.h"
#include "core/runtime/sim_executor.h"
#include "harness/checkers.h"
#include "harness/declared_policy.h"
#include "harness/faults.h"
#include "harness/handler_ledger.h"
#include "harness/recorder.h"

namespace protean::harness {
namespace {

// The domain every scenario starts from: memory adapters, and a [test]
// overlay that picks the real services from the environment.
constexpr const char* kBaseDomain = R"(
[databases.default]
provider = "memory"
[brokers.default]
provider = "inline"
[event_store]
provider = "memory"
[caches.default]
provider = "memory"
[server.health]
enabled = false

[test.databases.default]
provider = "postgresql"
database_uri = "${DATABASE_URL}"
[test.brokers.default]
provider = "redis"
URI = "${REDIS_URL}"
[test.event_store]
provider = "message_db"
database_uri = "${MESSAGE_DB_URL}"
[test.caches.default]
provider = "redis"
URI = "${REDIS_URL}"
)";

constexpr Duration kCheckEvery = Millis(100);
constexpr Duration kSettle = Millis(500);
constexpr Duration kProbeEvery = Millis(100);

const char* BackoffName(BackoffKind k) {
  switch (k) {
    case BackoffKind::kFixed: return "fixed";
    case BackoffKind::kLinear: return "linear";
    case BackoffKind::kExponential: return "exponential";
  }
  return "fixed";
}

template <typename T>
nlohmann::ordered_json Opt(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json SubscriptionJson(const HandlerRegistration& h, const SubscriptionConfig& c) {
  nlohmann::ordered_json j;
  j["type"] = c.type == SubscriptionType::kStream ? "stream" : "event_store";
  j["stream"] = h.stream;
  j["max_retries"] = c.max_retries;
  j["retry_delay_seconds"] = c.retry_delay_seconds;
  j["retry_backoff"] = BackoffName(c.retry_backoff);
  j["retry_backoff_max_seconds"] = c.retry_backoff_max_seconds;
  j["retry_jitter"] = c.retry_jitter;
  j["enable_dlq"] = c.enable_dlq;
  j["handler_timeout_seconds"] = Opt(c.handler_timeout_seconds);
  j["claim_idle_seconds"] = c.claim_idle_seconds;
  j["position_update_interval"] = c.position_update_interval;
  j["messages_per_tick"] = c.messages_per_tick;
  j["dlq_retention_hours"] = Opt(c.dlq_retention_hours);
  j["dlq_alert_threshold"] = Opt(c.dlq_alert_threshold);
  j["consumer_group_size"] = Opt(c.consumer_group_size);
  j["profile"] = c.profile;
  return j;
}

// The runner reports scenario errors as ConfigurationError (RunScenario's
// contract); a Status from the Domain carries the same code and location.
void ThrowIfConfigError(const Status& st) {
  if (st.ok()) return;
  const ErrorSource* src = st.source();
  if (src == nullptr) throw std::runtime_error(st.ToString());
  throw config::ConfigurationError(
      src->code, config::ErrorLocation{src->file, src->key_path, src->line, src->column},
      src->what);
}

struct Instance {
  std::string name;
  int64_t index = 0;
  std::optional<ConsumerGroup> partition;
  std::unique_ptr<FaultyBroker> broker;
  std::unique_ptr<FaultyEventStore> store;
  std::vector<std::unique_ptr<DatabaseWrapper>> databases;
  std::vector<std::unique_ptr<CacheWrapper>> caches;
  std::unique_ptr<Engine> engine;
  bool live = false;
  TimerId probe_timer = 0;
};

class Run {
 public:
  Run(const Scenario& s, const RunOptions& o) : s_(s), o_(o) {}
  RunOutput Execute();

 private:
  config::DomainConfig BuildConfig();
  void SetUpRuntime();
  void SetUpDomain(config::DomainConfig config);
  void PlanWorkload();
  void PlanFaults();
  AdapterFaultPlan PlanFor(int64_t index, bool broker) const;
  Instance& StartInstance(int64_t index);
  void Publish(const WorkloadItem& w, int64_t n);
  void Signal(Instance& inst);
  void Probe(Instance& inst);
  void CheckDone();
  void Finish();
  void RecordFinalState();
  TimePoint At(int64_t ms) const { return start_ + Millis(ms); }
  void Teardown();
  std::string Stream(const std::string& name) const { return ns_ + name; }

  const Scenario& s_;
  const RunOptions& o_;
  bool memory_ = true;
  std::string ns_;  // test mode: per-run prefix of stream and category names
  Prng plan_prng_{1};
  Prng engine_prng_{1};
  Prng ids_{1};
  std::unique_ptr<SimClock> sim_clock_;
  std::unique_ptr<SimExecutor> sim_loop_;
  std::unique_ptr<RealClock> real_clock_;
  std::unique_ptr<RealExecutor> real_loop_;
  Executor* loop_ = nullptr;
  const Clock* clock_ = nullptr;
  AdapterRegistry registry_;
  std::unique_ptr<Domain> domain_;
  std::vector<ResolvedHandler> resolved_;
  std::shared_ptr<ScriptedRuntime> scripted_;
  MetricsRegistry metrics_;
  std::unique_ptr<Recorder> recorder_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<std::unique_ptr<Engine>> retired_;  // crashed engines, kept until teardown
  std::vector<std::unique_ptr<FaultyBroker>> retired_brokers_;
  std::vector<std::unique_ptr<FaultyEventStore>> retired_stores_;
  struct PlannedFault {
    const FaultSpec* spec;
    int64_t at_ms, duration_ms, latency_ms, restart_ms, jump_ms, extra_ms;
  };
  std::vector<PlannedFault> faults_;
  TimePoint start_{};
  TimePoint deadline_{};
  TimePoint min_end_{};
  int64_t to_publish_ = 0;
  std::optional<TimePoint> converged_since_;
  bool done_ = false;
  std::vector<std::string> log_;
};

config::DomainConfig Run::BuildConfig() {
  toml::table doc = toml::parse(kBaseDomain, std::string_view("<harness base domain>"));
  config::DeepMerge(doc, toml::table(s_.domain));
  doc.insert_or_assign("handlers", toml::table(s_.handlers));
  std::ostringstream text;
  text << doc;
  config::LoadOptions lo;
  lo.env = memory_ ? "" : "test";
  lo.env_lookup = o_.env_lookup;
  try {
    return config::ParseDomainConfig(text.str(), s_.file.string(), lo);
  } catch (const config::ConfigurationError& e) {
    if (!memory_ && e.code == config::kConfigUnresolvedEnvVar) {
      throw ServiceUnavailable("test mode needs the real services: " + std::string(e.what()) +
                               " (run `bash ci/services.sh start` and source ci/.work/services.env)");
    }
    throw;
  }
}

void Run::SetUpRuntime() {
  if (memory_) {
    sim_clock_ = std::make_unique<SimClock>();
    sim_loop_ = std::make_unique<SimExecutor>(*sim_clock_);
    loop_ = sim_loop_.get();
    clock_ = sim_clock_.get();
  } else {
    real_clock_ = std::make_unique<RealClock>();
    real_loop_ = std::make_unique<RealExecutor>(*real_clock_, 8);
    loop_ = real_loop_.get();
    clock_ = real_clock_.get();
  }
}

void Run::SetUpDomain(config::DomainConfig config) {
  RegisterMemoryAdapters(registry_);
  RegisterRealAdapters(registry_);
  domain_ = std::make_unique<Domain>(std::move(config), registry_, AdapterEnv{clock_});
  // Scripted handlers, with stream names in this run's namespace.
  ThrowIfConfigError(domain_->RegisterScriptedHandlers(scripted_, ns_));
  Result<std::vector<ResolvedHandler>> resolved = domain_->ResolveSubscriptions();
  ThrowIfConfigError(resolved.status());
  resolved_ = std::move(resolved).value();
  Status st = domain_->Init(!memory_);
  if (!st.ok()) {
    if (memory_) throw std::runtime_error(st.ToString());
    throw ServiceUnavailable(st.message());
  }
  if (!memory_) {
    for (auto& [name, db] : domain_->adapters().databases) {
      Status setup = db->Setup();
      if (!setup.ok()) throw ServiceUnavailable("databases." + name + ": setup failed: " + setup.ToString());
    }
  }
}

void Run::PlanWorkload() {
  for (const WorkloadItem& w : s_.workload) {
    int64_t t = w.at_ms.Draw(plan_prng_);
    for (int64_t n = 0; n < w.count; ++n) {
      if (n > 0) t += w.interval_ms.Draw(plan_prng_);
      ++to_publish_;
      loop_->PostAt(At(t), [this, &w, n] { Publish(w, n); });
    }
  }
}

void Run::PlanFaults() {
  for (const FaultSpec& f : s_.faults) {
    PlannedFault p{&f, f.at_ms.Draw(plan_prng_), f.duration_ms.Draw(plan_prng_),
                   f.latency_ms.Draw(plan_prng_),
                   f.restart_after_ms ? f.restart_after_ms->Draw(plan_prng_) : -1,
                   f.jump_ms.Draw(plan_prng_), f.extra_ms.Draw(plan_prng_)};
    faults_.push_back(p);
  }
  for (const PlannedFault& p : faults_) {
    const FaultSpec& f = *p.spec;
    const std::string kind(FaultKindName(f.kind));
    nlohmann::ordered_json fields = {{"detail", kind}};
    if (f.instance) fields["instance"] = "w" + std::to_string(*f.instance);
    const bool windowed = p.duration_ms > 0;
    loop_->PostAt(At(p.at_ms), [this, fields, p] {
      nlohmann::ordered_json ff = fields;
      if (p.spec->kind == FaultKind::kClockJump) ff["value"] = p.jump_ms * 1000;
      recorder_->Record(clock_->Now(), "fault_started", ff);
      const FaultSpec& spec = *p.spec;
      auto find = [this](int64_t i) -> Instance* {
        for (auto& inst : instances_) {
          if (inst->index == i) return inst.get();
        }
        return nullptr;
      };
      switch (spec.kind) {
        case FaultKind::kConsumerCrash:
          if (Instance* inst = find(*spec.instance); inst && inst->live) {
            inst->engine->Crash();
            inst->live = false;
            recorder_->SetLive(inst->name, false);
            if (p.restart_ms >= 0) {
              const int64_t index = inst->index;
              loop_->PostAfter(Millis(p.restart_ms), [this, index] { StartInstance(index); });
            }
          }
          break;
        case FaultKind::kSigterm:
        case FaultKind::kRemoveWorker:
          if (Instance* inst = find(*spec.instance); inst && inst->live) Signal(*inst);
          break;
        case FaultKind::kClockJump:
          if (sim_clock_) sim_clock_->Set(sim_clock_->Now() + Millis(p.jump_ms));
          break;
        case FaultKind::kAddWorker: {
          int64_t next = 0;
          for (auto& inst : instances_) next = std::max(next, inst->index + 1);
          StartInstance(next);
          break;
        }
        default:
          break;  // adapter and handler faults act through their plans
      }
    });
    if (windowed) {
      loop_->PostAt(At(p.at_ms + p.duration_ms), [this, fields] {
        recorder_->Record(clock_->Now(), "fault_ended", fields);
      });
    }
    if (f.kind == FaultKind::kHandlerErrors || f.kind == FaultKind::kHandlerSlow) {
      ScriptedRuntime::FaultWindow w;
      w.handler = f.handler.value_or("");
      w.from = At(p.at_ms);
      w.until = At(p.at_ms + p.duration_ms);
      w.error = f.kind == FaultKind::kHandlerErrors;
      if (f.kind == FaultKind::kHandlerSlow) w.extra = Millis(p.extra_ms);
      scripted_->AddFault(w);
    }
  }
}

AdapterFaultPlan Run::PlanFor(int64_t index, bool broker) const {
  AdapterFaultPlan plan;
  for (const PlannedFault& p : faults_) {
    const FaultSpec& f = *p.spec;
    if (f.instance && *f.instance != index) continue;
    const FaultWindow window{At(p.at_ms), At(p.at_ms + p.duration_ms)};
    switch (f.kind) {
      case FaultKind::kBrokerUnavailable:
        if (broker) plan.unavailable.push_back(window);
        break;
      case FaultKind::kEventStoreUnavailable:
        if (!broker) plan.unavailable.push_back(window);
        break;
      case FaultKind::kLostAck:
        if (broker) plan.lost_acks.push_back({window, f.applied});
        break;
      case FaultKind::kSlowReplies:
        plan.slow.push_back({window, Millis(p.latency_ms)});
        break;
      case FaultKind::kConnectionReset:
        if (broker) plan.resets.push_back({At(p.at_ms), f.calls});
        break;
      default:
        break;
    }
  }
  return plan;
}

Instance& Run::StartInstance(int64_t index) {
  const std::string name = "w" + std::to_string(index);
  Instance* inst = nullptr;
  for (auto& existing : instances_) {
    if (existing->index == index) inst = existing.get();
  }
  if (inst == nullptr) {
    instances_.push_back(std::make_unique<Instance>());
    inst = instances_.back().get();
    inst->index = index;
    inst->name = name;
    if (s_.partition_event_store) inst->partition = ConsumerGroup{index, s_.instances};
  } else {
    // A restart: the crashed engine and its connections stay alive (late
    // callbacks may still reference them) until teardown.
    retired_.push_back(std::move(inst->engine));
    retired_brokers_.push_back(std::move(inst->broker));
    retired_stores_.push_back(std::move(inst->store));
  }
  EngineAdapters shared = domain_->adapters();
  EngineAdapters mine;
  auto broker_faults = std::make_shared<FaultState>(*clock_, PlanFor(index, true));
  auto store_faults = std::make_shared<FaultState>(*clock_, PlanFor(index, false));
  inst->broker = std::make_unique<FaultyBroker>(shared.broker("default"), broker_faults);
  inst->store = std::make_unique<FaultyEventStore>(shared.event_store, store_faults);
  inst->databases.clear();
  inst->caches.clear();
  for (auto& [n, db] : shared.databases) {
    inst->databases.push_back(std::make_unique<DatabaseWrapper>(db));
    mine.databases.emplace_back(n, inst->databases.back().get());
  }
  for (auto& [n, c] : shared.caches) {
    inst->caches.push_back(std::make_unique<CacheWrapper>(c));
    mine.caches.emplace_back(n, inst->caches.back().get());
  }
  mine.brokers = {{"default", inst->broker.get()}};
  mine.event_store = inst->store.get();
  EngineOptions options = domain_->MakeEngineOptions(name);
  options.log = [this](const LogRecord& r) {
    if (log_.size() < 200) log_.push_back(FormatLogLine(r));
  };
  inst->engine = std::make_unique<Engine>(*loop_, engine_prng_, metrics_, mine, options, recorder_.get());
  for (const ResolvedHandler& r : resolved_) {
    SubscriptionConfig c = r.config;
    if (c.type == SubscriptionType::kEventStore && inst->partition) {
      c.consumer_group_member = inst->partition->member;
      c.consumer_group_size = inst->partition->size;
    }
    Status st = inst->engine->AddSubscription(*r.handler, c);
    if (!st.ok()) {
      throw config::ConfigurationError(config::kConfigInvalidValue,
                                       config::ErrorLocation{s_.file.string(), r.handler->source, 0, 0},
                                       st.message());
    }
  }
  recorder_->Record(clock_->Now(), "instance_added", {{"instance", name}});
  inst->live = true;
  recorder_->SetLive(name, true);
  inst->engine->Start();
  Probe(*inst);
  return *inst;
}

void Run::Publish(const WorkloadItem& w, int64_t n) {
  const std::string id = ids_.Uuid();
  const TimePoint now = clock_->Now();
  if (w.event_store) {
    NewEventMessage m;
    m.id = id;
    m.stream_name = w.streams > 1 ? Stream(w.stream) + "-" + std::to_string(n % w.streams)
                                  : Stream(w.stream);
    m.type = w.type;
    Result<int64_t> r = domain_->adapters().event_store->Write(m, std::nullopt);
    if (!r.ok()) throw ServiceUnavailable("event store write failed: " + r.status().ToString());
    auto last = domain_->adapters().event_store->LastMessage(m.stream_name, std::nullopt);
    const std::string gp = last.ok() && last->has_value() ? std::to_string((*last)->global_position) : "";
    recorder_->Published(now, m.stream_name, true, id, gp, w.type);
  } else {
    Fields fields = w.undecodable ? Fields{{"id", id}, {"data", "{}"}}
                                  : EncodeMessageFields(id, w.type, "{}");
    Result<std::string> r = domain_->adapters().broker("default")->Publish(Stream(w.stream), fields);
    if (!r.ok()) throw ServiceUnavailable("broker publish failed: " + r.status().ToString());
    recorder_->Published(now, Stream(w.stream), false, id, *r, w.undecodable ? "" : w.type);
  }
  --to_publish_;
}

void Run::Signal(Instance& inst) {
  recorder_->Record(clock_->Now(), "signal", {{"instance", inst.name}, {"detail", "SIGTERM"}});
  Instance* p = &inst;
  inst.engine->Shutdown("SIGTERM", [this, p](int) {
    p->live = false;
    recorder_->SetLive(p->name, false);
    if (p->probe_timer != 0) loop_->Cancel(p->probe_timer);
    p->probe_timer = 0;
  });
  Probe(inst);
}

void Run::Probe(Instance& inst) {
  HealthResponse r = inst.engine->Ready();
  std::string status = "ok";
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_object() && body.contains("status")) status = body["status"].get<std::string>();
  recorder_->Record(clock_->Now(), "probe",
                    {{"instance", inst.name}, {"value", r.status}, {"outcome", status}});
  if (inst.engine->state() == Engine::State::kDraining) {
    Instance* p = &inst;
    inst.probe_timer = loop_->PostAfter(kProbeEvery, [this, p] {
      p->probe_timer = 0;
      if (p->engine && p->engine->state() == Engine::State::kDraining) Probe(*p);
    });
  }
}

void Run::CheckDone() {
  if (done_) return;
  const TimePoint now = clock_->Now();
  bool draining = false;
  for (auto& inst : instances_) {
    draining |= inst->engine && inst->engine->state() == Engine::State::kDraining;
  }
  const bool quiet = to_publish_ == 0 && now >= min_end_ && !draining &&
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
  loop_->PostAfter(kCheckEvery, [this] { CheckDone(); });
}

void Run::RecordFinalState() {
  Broker* broker = domain_->adapters().broker("default");
  std::set<std::string> dlqs;
  for (const ResolvedHandler& r : resolved_) {
    if (r.config.type != SubscriptionType::kStream) continue;
    auto pending = broker->Pending(r.handler->stream, r.handler->name, "", 1000000);
    if (pending.ok()) {
      for (const PendingEntry& p : *pending) {
        std::string message_id;
        auto entry = broker->Range(r.handler->stream, p.id, p.id, 1);
        if (entry.ok() && !entry->empty()) {
          message_id = MessageIdOf((*entry)[0].fields);
        }
        recorder_->Record(clock_->Now(), "final_pending",
                          {{"stream", r.handler->stream}, {"subscription", r.handler->name},
                           {"entry_id", p.id}, {"message_id", message_id}, {"value", p.delivery_count}});
      }
    }
    dlqs.insert(r.handler->stream);
  }
  for (const std::string& stream : dlqs) {
    auto list = broker->DlqList(DlqStreamName(stream), 1000000);
    if (!list.ok()) continue;
    std::vector<DlqEntry> entries = std::move(*list);
    std::sort(entries.begin(), entries.end(),
              [](const DlqEntry& a, const DlqEntry& b) { return a.dlq_id < b.dlq_id; });
    for (const DlqEntry& e : entries) {
      recorder_->Record(
          clock_->Now(), "final_dlq",
          {{"stream", stream}, {"message_id", MessageIdOf(e.fields)}, {"entry_id", e.dlq_id},
           {"attempt", e.metadata.attempts}, {"subscription", e.metadata.consumer_group},
           {"detail", e.metadata.reason}});
    }
  }
}

void Run::Finish() {
  done_ = true;
  RecordFinalState();
  recorder_->Record(clock_->Now(), "end",
                    {{"value", static_cast<int64_t>(recorder_->history().events.size()) + 1}});
  recorder_->Detach();
  if (real_loop_) real_loop_->Stop();
}

void Run::Teardown() {
  if (real_loop_) {
    // Stop live engines gracefully so connections close, bounded.
    int live = 0;
    real_loop_->Post([this, &live] {
      for (auto& inst : instances_) {
        if (inst->engine && inst->live) {
          ++live;
          inst->engine->Shutdown("teardown", [this, &live](int) {
            if (--live == 0) real_loop_->Stop();
          });
        }
      }
      if (live == 0) real_loop_->Stop();
    });
    real_loop_->PostAfter(Seconds(15), [this] { real_loop_->Stop(); });
    real_loop_->Run();
  }
  for (auto& inst : instances_) inst->engine.reset();
  retired_.clear();
  real_loop_.reset();  // joins workers: nothing references the adapters after this
  sim_loop_.reset();
  instances_.clear();
  retired_brokers_.clear();
  retired_stores_.clear();
  if (domain_) domain_->Close();
}

RunOutput Run::Execute() {
  memory_ = o_.mode == "memory";
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
  if (!memory_) {
    for (const FaultSpec& f : s_.faults) {
      if (f.kind == FaultKind::kClockJump) {
        r.skipped = true;
        r.skip_reason = "clock_jump cannot be produced against real services (the real clock does not jump)";
        return out;
      }
    }
  }
  const auto wall0 = std::chrono::steady_clock::now();
  plan_prng_ = Prng(o_.seed);
  engine_prng_ = Prng(o_.seed ^ 0x5DEECE66DULL);
  ids_ = Prng(o_.seed * 0x9E3779B97F4A7C15ULL + 1);
  scripted_ = std::make_shared<ScriptedRuntime>(o_.seed + 2);
  SetUpRuntime();
  if (!memory_) {
    // Unique per run (not per seed): runs against the same servers never
    // share streams or categories. Test mode promises no replay, so this
    // may use a non-seeded source.
    Prng unique(std::random_device{}() ^
                static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    ns_ = "h" + unique.Uuid().substr(0, 8) + "x";
    // Message ids too, and the engine's (position records): Message DB keeps
    // every id it ever saw.
    ids_ = unique.Fork();
    engine_prng_ = unique.Fork();
  }
  try {
    SetUpDomain(BuildConfig());
    std::vector<SubscriptionInfo> infos;
    nlohmann::ordered_json subs = nlohmann::ordered_json::object();
    for (const ResolvedHandler& h : resolved_) {
      infos.push_back({h.handler->name, h.handler->stream, h.config.type == SubscriptionType::kEventStore});
      subs[h.handler->name] = SubscriptionJson(*h.handler, h.config);
    }
    recorder_ = std::make_unique<Recorder>(infos);
    RecordHandlerCalls(*scripted_, *recorder_, *loop_);
    start_ = clock_->Now();
    const int64_t end_ms = std::max(s_.heal_at_ms + s_.converge_within_ms, s_.min_duration_ms);
    deadline_ = At(end_ms);
    min_end_ = At(std::max(s_.heal_at_ms, s_.min_duration_ms));
    PlanWorkload();
    PlanFaults();
    const config::DomainConfig& dc = domain_->config();
    nlohmann::ordered_json header;
    header["history"] = 1;
    header["scenario"] = s_.id();
    header["file"] = s_.file.string();
    header["seed"] = o_.seed;
    header["mode"] = o_.mode;
    header["drain_timeout_us"] = dc.server.drain_timeout.count();
    header["dlq"] = {{"enabled", dc.server.dlq.enabled},
                     {"retention_hours", dc.server.dlq.retention_hours},
                     {"alert_threshold", dc.server.dlq.alert_threshold},
                     {"check_interval_seconds", dc.server.dlq.check_interval_seconds}};
    header["subscriptions"] = subs;
    header["phases"] = {{"heal_at_us", s_.heal_at_ms * 1000},
                        {"converge_within_us", s_.converge_within_ms * 1000}};
    header["expect"] = s_.expect;
    header["declared"] = DeclaredPolicyJson(s_);
    nlohmann::ordered_json instances = nlohmann::ordered_json::object();
    int64_t total = s_.instances;
    for (const FaultSpec& f : s_.faults) total += f.kind == FaultKind::kAddWorker ? 1 : 0;
    for (int64_t i = 0; i < total; ++i) {
      nlohmann::ordered_json part = nullptr;
      if (s_.partition_event_store && i < s_.instances) part = {{"member", i}, {"size", s_.instances}};
      instances["w" + std::to_string(i)] = {{"partition", part}};
    }
    header["instances"] = instances;
    recorder_->SetHeader(header);
    loop_->Post([this] {
      for (int64_t i = 0; i < s_.instances; ++i) StartInstance(i);
      loop_->PostAfter(kCheckEvery, [this] { CheckDone(); });
    });
    if (memory_) {
      while (!done_ && sim_loop_->Step()) {
      }
      if (!done_) Finish();
    } else {
      real_loop_->Run();
    }
  } catch (...) {
    Teardown();
    throw;
  }
  r.sim_seconds = ToSecondsF(clock_->Now() - start_);
  out.history = recorder_->TakeHistory();
  Teardown();
  for (const CheckResult& c : RunCheckers(out.history)) {
    for (const std::string& v : c.violations) r.failures.push_back(c.checker + ": " + v);
  }
  r.events = static_cast<int64_t>(out.history.events.size());
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return out;
}

}  // namespace

std::string ReplayCommand(const std::string& program, const Scenario& scenario,
                          const std::string& mode, uint64_t seed) {
  return program + " run " + scenario.file.string() + " --protean-env " + mode + " --seed " +
         std::to_string(seed);
}

RunOutput RunScenario(const Scenario& scenario, const RunOptions& options) {
  Run run(scenario, options);
  return run.Execute();
}

}  // namespace protean::harness
