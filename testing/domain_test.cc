#include "testing/domain_test.h"

#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/memory/register.h"
#include "adapters/real/register.h"
#include "core/config/configuration_error.h"
#include "core/engine/domain.h"
#include "core/engine/engine.h"
#include "core/runtime/real_executor.h"
#include "core/runtime/sim_executor.h"
#include "testing/internal/outcome_recorder.h"

namespace protean::testing {
namespace internal {

// One InjectHandler* call: a window [at, at + duration) after Open. Named (not
// in the anonymous namespace): DomainTest::Impl holds them.
struct HandlerFaultWindow {
  std::string handler;
  bool fail = false;
  Duration at{0};
  Duration duration{0};
  Duration extra{0};
};

}  // namespace internal

namespace {

using internal::Counts;
using internal::HandlerFaultWindow;
using internal::OutcomeRecorder;

constexpr int64_t kSimStartMs = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr Duration kIdleBound = Seconds(60);
constexpr Duration kRealPoll = Millis(10);

// `fn` under `windows` (all of one handler), timed from *origin.
HandlerFn WithFaults(HandlerFn fn, std::vector<HandlerFaultWindow> windows,
                     std::shared_ptr<const TimePoint> origin) {
  return [fn = std::move(fn), windows = std::move(windows), origin](
             const Message& m, HandlerContext& ctx) -> HandlerResult {
    const Duration since = ctx.now - *origin;
    bool fail = false;
    for (const HandlerFaultWindow& w : windows) {
      if (since < w.at || since >= w.at + w.duration) continue;
      if (w.fail) fail = true;
      ctx.cost += w.extra;
    }
    if (fail) return HandlerResult::Retryable("injected fault: handler_errors");
    return fn(m, ctx);
  };
}

std::string TestNamespace() {
  std::random_device random;
  char text[16];
  std::snprintf(text, sizeof text, "t%08x_", random());
  return text;
}

}  // namespace

// The engine of one test and what it needs: the clock and loop of the
// environment, the domain, the recorder, and (test mode) the loop's thread.
class DomainTest::Impl {
 public:
  explicit Impl(TestEnv env) : env_(env) {
    if (env_ == TestEnv::kTest) {
      ns_ = TestNamespace();
      ids_ = Prng(std::random_device{}());
    }
  }
  ~Impl() { Stop(); }

  // The registrar's handlers, each replaced by its mock when it has one (a
  // mock of another name is added) and wrapped by its injected faults.
  Result<HandlerCatalog> Compose(const HandlerCatalog& registered) const;
  Status Open(const std::string& path, HandlerCatalog catalog);
  Status Publish(const std::string& stream, const std::string& id, const std::string& type,
                 const std::string& payload);
  Status Write(const std::string& stream_name, const std::string& id, const std::string& type,
               const std::string& payload);
  // Runs (memory) or waits (test) until every pair of this test is final or
  // waiting for a retry due after `horizon`; false past kIdleBound.
  bool RunUntilIdle(TimePoint horizon);
  void Advance(Duration d);
  TimePoint Now() const { return clock_->Now(); }
  void Stop();

  const std::string& ns() const { return ns_; }
  Counts Of(const std::string& handler) const {
    return recorder_ ? recorder_->Of(handler) : Counts{};
  }

  std::map<std::string, MockHandler*> mocks;  // UseMock, before Open
  std::vector<HandlerFaultWindow> faults;     // InjectHandler*, before Open
  // When Open started the clock; the fault windows count from it.
  std::shared_ptr<TimePoint> origin = std::make_shared<TimePoint>();
  bool opened = false;  // Open was called
  bool ready = false;   // and succeeded
  Database* database() { return domain_ ? domain_->adapters().database("default") : nullptr; }
  // Sends one message with a fresh id through `send`; returns the id. A
  // failure (or no successful Open) is a test failure naming `what`.
  std::string Emit(const std::string& what,
                   const std::function<Status(const std::string& id)>& send) {
    if (!ready) {
      ADD_FAILURE() << what << ": before a successful Open()";
      return "";
    }
    const std::string id = ids_.Uuid();  // Message DB's ids are UUIDs
    Status st = send(id);
    EXPECT_TRUE(st.ok()) << what << ": " << st.ToString();
    return id;
  }

 private:
  Status Build();
  // Runs `call` on the loop (test mode) or here (memory mode).
  Status OnLoop(const std::function<Status()>& call);
  bool AllSettled(TimePoint horizon) const;

  const TestEnv env_;
  std::string ns_;
  Prng ids_{3};  // reseeded per test in test mode
  HandlerCatalog catalog_;
  std::unique_ptr<SimClock> sim_clock_;
  std::unique_ptr<RealClock> real_clock_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<SimExecutor> sim_loop_;
  std::unique_ptr<RealExecutor> real_loop_;
  std::thread loop_thread_;
  AdapterRegistry registry_;
  std::unique_ptr<Domain> domain_;
  Prng prng_{1};
  MetricsRegistry metrics_;
  std::unique_ptr<OutcomeRecorder> recorder_;
  std::unique_ptr<Engine> engine_;
  std::vector<std::pair<std::string, std::string>> published_;  // (stream, id)
  std::map<std::string, std::vector<std::string>> handlers_by_stream_;
  bool stopped_ = false;
};

Result<HandlerCatalog> DomainTest::Impl::Compose(const HandlerCatalog& registered) const {
  PROTEAN_RETURN_IF_ERROR(registered.status());
  std::map<std::string, MockHandler*> unused = mocks;
  std::vector<HandlerCatalog::Handler> handlers;
  for (const HandlerCatalog::Handler& h : registered.handlers()) {
    auto mock = unused.find(h.name);
    handlers.push_back(
        {h.name, mock == unused.end() ? h.fn : mock->second->AsHandler(), h.options});
    if (mock != unused.end()) unused.erase(mock);
  }
  for (auto& [name, mock] : unused) handlers.push_back({name, mock->AsHandler(), {}});
  HandlerCatalog out;
  for (HandlerCatalog::Handler& h : handlers) {
    std::vector<HandlerFaultWindow> windows;
    for (const HandlerFaultWindow& w : faults) {
      if (w.handler == h.name) windows.push_back(w);
    }
    if (!windows.empty()) h.fn = WithFaults(h.fn, std::move(windows), origin);
    out.AddHandler(h.name, h.fn, h.options);
  }
  for (const HandlerFaultWindow& w : faults) {
    if (out.FindHandler(w.handler) == nullptr) {
      return Status::InvalidArgument("InjectHandler*: no C++ handler " + w.handler +
                                     " is registered");
    }
  }
  return out;
}

Status DomainTest::Impl::Open(const std::string& path, HandlerCatalog catalog) {
  catalog_ = std::move(catalog);
  RegisterMemoryAdapters(registry_);
  RegisterRealAdapters(registry_);
  if (env_ == TestEnv::kMemory) RegisterMemoryTwins(registry_);  // redis_pubsub: its twin
  if (env_ == TestEnv::kMemory) {
    sim_clock_ = std::make_unique<SimClock>(FromMillis(kSimStartMs));
    clock_ = sim_clock_.get();
  } else {
    real_clock_ = std::make_unique<RealClock>();
    clock_ = real_clock_.get();
  }
  *origin = clock_->Now();
  config::LoadOptions load;
  load.path = path;
  load.env = std::string(TestEnvName(env_));
  PROTEAN_RETURN_IF_ERROR(config::CatchConfigurationError([&] {
    domain_ =
        std::make_unique<Domain>(config::LoadDomainConfig(load), registry_, AdapterEnv{clock_});
  }));
  PROTEAN_RETURN_IF_ERROR(
      domain_->RegisterHandlers(catalog_, std::make_shared<ScriptedRuntime>(2), ns_));
  PROTEAN_RETURN_IF_ERROR(domain_->Init(env_ == TestEnv::kTest));
  if (env_ == TestEnv::kTest) {
    for (auto& [name, db] : domain_->adapters().databases) {
      Status setup = db->Setup();
      if (!setup.ok())
        return Status(setup.code(), "databases." + name + ": setup: " + setup.message());
    }
  }
  return Build();
}

Status DomainTest::Impl::Build() {
  Result<std::vector<ResolvedHandler>> resolved = domain_->ResolveSubscriptions();
  PROTEAN_RETURN_IF_ERROR(resolved.status());
  std::set<std::string> event_store;
  for (const ResolvedHandler& r : *resolved) {
    handlers_by_stream_[r.handler->stream].push_back(r.handler->name);
    if (r.config.type == SubscriptionType::kEventStore) event_store.insert(r.handler->name);
  }
  recorder_ = std::make_unique<OutcomeRecorder>(std::move(event_store));
  Executor* loop = nullptr;
  if (env_ == TestEnv::kMemory) {
    sim_loop_ = std::make_unique<SimExecutor>(*sim_clock_);
    loop = sim_loop_.get();
  } else {
    real_loop_ = std::make_unique<RealExecutor>(
        *real_clock_, static_cast<int>(domain_->config().server.worker_threads));
    loop = real_loop_.get();
  }
  Result<std::unique_ptr<Engine>> built =
      domain_->BuildEngine(*loop, prng_, metrics_, recorder_.get(), "test");
  PROTEAN_RETURN_IF_ERROR(built.status());
  engine_ = std::move(built).value();
  if (env_ == TestEnv::kMemory) {
    engine_->Start();
  } else {
    real_loop_->Post([this] { engine_->Start(); });
    loop_thread_ = std::thread([this] { real_loop_->Run(); });
  }
  return Status::Ok();
}

Status DomainTest::Impl::OnLoop(const std::function<Status()>& call) {
  if (env_ == TestEnv::kMemory) return call();
  std::promise<Status> done;
  real_loop_->Post([&] { done.set_value(call()); });
  return done.get_future().get();
}

Status DomainTest::Impl::Publish(const std::string& stream, const std::string& id,
                                 const std::string& type, const std::string& payload) {
  Broker* broker = domain_->adapters().broker("default");
  if (broker == nullptr) return Status::InvalidArgument("the domain has no default broker");
  const std::string name = ns_ + stream;
  Status st = OnLoop(
      [&] { return broker->Publish(name, EncodeMessageFields(id, type, payload)).status(); });
  if (st.ok()) published_.emplace_back(name, id);
  return st;
}

Status DomainTest::Impl::Write(const std::string& stream_name, const std::string& id,
                               const std::string& type, const std::string& payload) {
  EventStore* store = domain_->adapters().event_store;
  if (store == nullptr) return Status::InvalidArgument("the domain has no event store");
  NewEventMessage m;
  m.id = id;
  m.stream_name = ns_ + stream_name;
  m.type = type;
  m.data = payload;
  Status st = OnLoop([&] { return store->Write(m, std::nullopt).status(); });
  // Event-store handlers consume the category: the stream name up to its first '-'.
  if (st.ok()) published_.emplace_back(m.stream_name.substr(0, m.stream_name.find('-')), id);
  return st;
}

bool DomainTest::Impl::AllSettled(TimePoint horizon) const {
  for (const auto& [stream, id] : published_) {
    auto it = handlers_by_stream_.find(stream);
    if (it == handlers_by_stream_.end()) continue;
    for (const std::string& handler : it->second) {
      if (!recorder_->Settled(handler, id, horizon)) return false;
    }
  }
  return true;
}

bool DomainTest::Impl::RunUntilIdle(TimePoint horizon) {
  const TimePoint deadline = Now() + kIdleBound;
  while (!AllSettled(horizon)) {
    if (Now() >= deadline) return false;
    if (env_ == TestEnv::kMemory) {
      if (!sim_loop_->Step()) return false;  // nothing left to run: never settles
    } else {
      std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(kRealPoll));
    }
  }
  return true;
}

void DomainTest::Impl::Advance(Duration d) {
  if (env_ == TestEnv::kMemory) {
    sim_loop_->RunFor(d);
  } else {
    std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
  }
}

void DomainTest::Impl::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (real_loop_ && loop_thread_.joinable()) {
    real_loop_->Post(
        [this] { engine_->Shutdown("test finished", [this](int) { real_loop_->Stop(); }); });
    real_loop_->PostAfter(Seconds(30), [this] { real_loop_->Stop(); });  // never hang
    loop_thread_.join();
    real_loop_->StopWorkers(Seconds(1));
  }
  if (sim_loop_ && engine_) {
    engine_->Shutdown("test finished");
    sim_loop_->RunFor(Seconds(60), 1000000);
  }
  if (domain_ && env_ == TestEnv::kTest) {
    if (Broker* broker = domain_->adapters().broker("default")) {
      for (const auto& [stream, handlers] : handlers_by_stream_) {
        (void)broker->DeleteStream(stream);
        (void)broker->DeleteStream(stream + ":dlq");
      }
    }
  }
  engine_.reset();
  if (domain_) domain_->Close();
}

// ---- DomainTest ----

DomainTest::DomainTest() : impl_(std::make_unique<Impl>(CurrentTestEnv())) {}
DomainTest::~DomainTest() = default;

void DomainTest::UseMock(const std::string& name, MockHandler& mock) { impl_->mocks[name] = &mock; }

void DomainTest::InjectHandlerErrors(const std::string& handler, Duration at, Duration duration) {
  impl_->faults.push_back(HandlerFaultWindow{handler, true, at, duration, Duration{0}});
}

void DomainTest::InjectHandlerSlow(const std::string& handler, Duration at, Duration duration,
                                   Duration extra) {
  impl_->faults.push_back(HandlerFaultWindow{handler, false, at, duration, extra});
}

void DomainTest::Open(const std::string& domain_path, const Registrar& register_handlers) {
  ASSERT_FALSE(impl_->opened) << "DomainTest::Open called twice";
  impl_->opened = true;
  HandlerCatalog registered;
  if (register_handlers) register_handlers(registered);
  Result<HandlerCatalog> catalog = impl_->Compose(registered);
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  Status st = impl_->Open(domain_path, std::move(catalog).value());
  ASSERT_TRUE(st.ok()) << "protean-env " << TestEnvName(env()) << ": " << st.message();
  impl_->ready = true;
}

const std::string& DomainTest::Namespace() const { return impl_->ns(); }

std::string DomainTest::Publish(const std::string& stream, const std::string& type,
                                const std::string& payload) {
  return impl_->Emit("Publish to " + stream, [&](const std::string& id) {
    return impl_->Publish(stream, id, type, payload);
  });
}

std::string DomainTest::WriteEvent(const std::string& stream_name, const std::string& type,
                                   const std::string& payload) {
  return impl_->Emit("WriteEvent to " + stream_name, [&](const std::string& id) {
    return impl_->Write(stream_name, id, type, payload);
  });
}

void DomainTest::RunUntilIdle() {
  if (!impl_->ready) return;
  EXPECT_TRUE(impl_->RunUntilIdle(impl_->Now()))
      << "RunUntilIdle: the messages of this test did not settle within 60 s ("
      << TestEnvName(env()) << " time)";
}

void DomainTest::AdvanceTime(Duration d) {
  if (!impl_->ready) return;
  const TimePoint horizon = impl_->Now() + d;
  impl_->Advance(d);
  // Every retry due by the horizon has run, however late the real loop is.
  EXPECT_TRUE(impl_->RunUntilIdle(horizon))
      << "AdvanceTime: the messages of this test did not settle within 60 s (" << TestEnvName(env())
      << " time)";
}

int64_t DomainTest::Handled(const std::string& h) const { return impl_->Of(h).handled; }
int64_t DomainTest::Attempts(const std::string& h) const { return impl_->Of(h).attempts; }
int64_t DomainTest::Retried(const std::string& h) const { return impl_->Of(h).retried; }
int64_t DomainTest::DeadLettered(const std::string& h) const { return impl_->Of(h).dead_lettered; }
int64_t DomainTest::Dropped(const std::string& h) const { return impl_->Of(h).dropped; }

Database* DomainTest::database() { return impl_->database(); }

void DomainTest::TearDown() { impl_->Stop(); }

}  // namespace protean::testing
