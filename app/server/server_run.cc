// One `protean server` process: identity, engine, probes, the run loop and
// a bounded exit (server_options.h, server_command.h).

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>

#include <nlohmann/json.hpp>

#include "adapters/real/register.h"
#include "app/command_context.h"
#include "app/server/alert_callbacks.h"
#include "app/server/api_keys.h"
#include "app/server/health_http_server.h"
#include "app/server/history_writer.h"
#include "app/server/identity.h"
#include "app/server/inbox_feeder.h"
#include "app/server/log_writer.h"
#include "app/server/metrics_refresher.h"
#include "app/server/server_options.h"
#include "app/server/shutdown_signals.h"
#include "core/config/configuration_error.h"
#include "core/config/protean_keys.h"
#include "core/config/redaction.h"
#include "core/engine/alert_callback_registry.h"
#include "core/engine/event_store_subscription.h"
#include "core/engine/stream_subscription.h"

namespace protean::cli {
namespace {

// After the loop stopped: how long running work may take before the process
// exits without it (only handlers abandoned at the drain timeout still run).
constexpr Duration kWorkerGrace = Millis(200);
// Beyond drain_timeout + the close budgets: the stop's last-resort bound.
constexpr Duration kStopMargin = Seconds(3);
// How often the gauges that need Redis (lag, pending, DLQ depth) are read.
constexpr Duration kGaugeRefreshInterval = Seconds(5);
// How often --inbox looks for new lines.
constexpr Duration kInboxPollInterval = Millis(100);
// Connections of the refresher's own broker (one call at a time, one spare).
constexpr int64_t kRefresherConnections = 2;

// Writes `port` to `path` atomically (a temporary file renamed over it).
Status WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << port << "\n";
    f.flush();
    if (!f) return Status::InvalidArgument("--port-file " + path + ": cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::InvalidArgument("--port-file " + path + ": cannot rename " + tmp);
  }
  return Status::Ok();
}

// "databases.default=postgresql postgresql://u:***@h/db, brokers.default=redis ..."
std::string DescribeAdapters(const config::DomainConfig& c) {
  std::string out;
  auto add = [&out](const std::string& key, const std::string& provider, const std::string& uri) {
    out += (out.empty() ? "" : ", ") + key + "=" + provider;
    if (!uri.empty()) out += " " + config::RedactText(uri);
  };
  for (const auto& [name, db] : c.databases) add("databases." + name, db.provider, db.database_uri);
  for (const auto& [name, b] : c.brokers) add("brokers." + name, b.provider, b.uri);
  add("event_store", c.event_store.provider, c.event_store.database_uri);
  for (const auto& [name, cache] : c.caches) add("caches." + name, cache.provider, cache.uri);
  return out;
}

// The pieces of one server process, in the order they are made and stopped.
class ServerProcess {
 public:
  ServerProcess(const ServerOptions& o, std::ostream& out, LogWriter& log)
      : o_(o),
        out_(out),
        log_(log),
        err_(log.lines()),
        signals_(clock_, log.lines()),
        history_(log.lines()) {}

  // Each returns an exit code other than -1 to stop there.
  int Open();
  int LoadKeys();
  int BuildEngine();
  int StartProbes();
  void RemoveStaleConsumers();
  int Run();

 private:
  int Fail(const Status& st) {
    err_ << "protean: error: " << st.message() << "\n";
    if (d_) d_->domain->Close();
    return kExitUsageOrLoadError;
  }
  void Log(const LogRecord& record) { log_.Write(record); }
  void LogStart(int health_port);
  std::string RenderMetrics();
  HealthResponse Ready() const;
  void AddCircuitStates(nlohmann::json& subscriptions) const;
  HealthResponse Drain();
  HealthResponse DrainStatus() const;
  void MakeRefresher();
  void StartStop(const std::string& reason);

  const ServerOptions& o_;
  std::ostream& out_;
  LogWriter& log_;     // the engine's log sink; outlives the engine
  std::ostream& err_;  // log_.lines(): each line a log record
  RealClock clock_;
  ShutdownSignals signals_;  // first: blocks the signals before any thread starts
  ProcessIdentity self_;
  uint64_t seed_ = 0;
  std::optional<OpenedDomain> d_;
  std::vector<ResolvedHandler> resolved_;
  std::unique_ptr<RealExecutor> loop_;
  std::unique_ptr<Prng> prng_;
  MetricsRegistry metrics_;
  HistoryWriter history_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ApiKeyAuth> keys_;
  std::string keys_source_;
  std::unique_ptr<Broker> side_broker_;  // the refresher's, when the broker is pooled
  std::unique_ptr<MetricsRefresher> refresher_;
  std::unique_ptr<InboxFeeder> inbox_;  // --inbox
  std::unique_ptr<HealthHttpServer> http_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<bool> stopping_{false};
  // POST /drainz answered: readiness is 503 from the answer on, before the
  // loop has run the drain (the engine's own flag is set there).
  std::atomic<bool> drain_posted_{false};
  Duration stop_bound_{0};  // drain_timeout + every adapter's close budget + kStopMargin
  int exit_code_ = 0;       // the engine's: 0 clean, 1 forced or failed stop
  int health_port_ = 0;     // 0: no health server
};

int ServerProcess::Open() {
  self_ = o_.instance.empty() ? GeneratedIdentity() : NamedIdentity(o_.instance);
  OpenOptions open = o_.open;
  open.scripted_handlers = true;
  seed_ = std::random_device{}();  // real mode: no replay promised
  open.seed = seed_;
  d_ = OpenDomain(open, err_);
  if (!d_) return kExitUsageOrLoadError;
  Domain& domain = *d_->domain;
  log_.set_min_level(ChooseLogLevel(o_.log_level, domain.config()));
  log_.set_format(ChooseLogFormat(o_.log_format, domain.config().logging.format));
  // Keys Protean acts on and this engine does not (or Protean drops): said
  // once at start, so nobody expects an effect (core/config/protean_keys.h).
  for (const config::UnsupportedKey& key : config::UnsupportedKeys(domain.config())) {
    err_ << "protean: " << (key.warning ? "warning" : "info") << ": "
         << config::FormatUnsupportedKey(key) << "\n";
  }
  // A bad alert_callback fails the start even with nothing to run.
  if (Status st = ValidateAlertCallback(domain.config(), DefaultAlertCallbackRegistry());
      !st.ok()) {
    domain.Close();
    return Fail(st);
  }
  if (domain.handlers().empty()) {
    err_ << "protean: warning: no handlers in " << domain.config().source_file
         << " ([handlers.<Name>]): nothing to run\n";
    domain.Close();
    return kExitOk;
  }
  Result<std::vector<ResolvedHandler>> resolved = domain.ResolveSubscriptions();
  if (!resolved.ok()) return Fail(resolved.status());
  resolved_ = std::move(resolved).value();
  if (o_.worker_index) {
    // A worker of --workers N: it reads its own member of each partitioned
    // event-store subscription (the supervisor checked that size == N).
    for (ResolvedHandler& r : resolved_) {
      if (r.config.type != SubscriptionType::kEventStore || !r.config.consumer_group_size) continue;
      if (*o_.worker_index >= *r.config.consumer_group_size) {
        return Fail(Status::InvalidArgument("--worker-index " + std::to_string(*o_.worker_index) +
                                            " is not a member of " + r.handler->name +
                                            "'s consumer_group_size " +
                                            std::to_string(*r.config.consumer_group_size)));
      }
      r.config.consumer_group_member = *o_.worker_index;
    }
  }
  return -1;
}

// API keys from [server.security]; production refuses to start without any.
int ServerProcess::LoadKeys() {
  const config::DomainConfig& c = d_->domain->config();
  Result<LoadedApiKeys> loaded =
      LoadApiKeys(c.server.security, [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
      });
  if (!loaded.ok()) return Fail(loaded.status());
  if (loaded->keys.empty() && c.env == "production") {
    return Fail(Status::InvalidArgument(
        "environment production needs API keys: set " + c.server.security.api_keys_env +
        " (key:tenant:scope,scope;...) or [server.security] api_keys_file"));
  }
  keys_source_ = loaded->source;
  // With a Redis broker the admin limit is shared by every process on it.
  std::unique_ptr<RateLimiter> shared;
  const auto broker = c.brokers.find("default");
  if (!loaded->keys.empty() && broker != c.brokers.end() && broker->second.provider == "redis") {
    // Per key id: processes sharing a key share its limit, whatever domain.
    Result<std::unique_ptr<RateLimiter>> made =
        MakeRedisRateLimiter(broker->second, "protean:admin_rate:");
    if (!made.ok()) return Fail(made.status());
    shared = std::move(made).value();
  }
  keys_ = std::make_unique<ApiKeyAuth>(
      std::move(loaded->keys), c.server.security.admin_requests_per_minute, std::move(shared),
      [this](const std::string& event, const std::string& message) {
        log_.Log(LogLevel::kWarning, event, message);
      });
  return -1;
}

HealthResponse ServerProcess::Drain() {
  drain_posted_ = true;
  loop_->Post([this] { engine_->RequestDrain(); });
  HealthResponse r = DrainStatus();
  r.status = 202;
  return r;
}

HealthResponse ServerProcess::DrainStatus() const {
  const Engine::DrainProgress p = engine_->drain_progress();
  const char* status = !p.requested && !drain_posted_ ? "running"
                       : p.requested && p.done()      ? "drained"
                                                      : "draining";
  return {200, std::string(R"({"status":")") + status + R"(","subscriptions":)" +
                   std::to_string(p.subscriptions) + R"(,"idle":)" + std::to_string(p.idle) +
                   R"(,"in_flight":)" + std::to_string(p.subscriptions - p.idle) + "}"};
}

int ServerProcess::BuildEngine() {
  Domain& domain = *d_->domain;
  // [server] worker_threads: handler attempts and blocking adapter calls.
  loop_ = std::make_unique<RealExecutor>(clock_,
                                         static_cast<int>(domain.config().server.worker_threads));
  prng_ = std::make_unique<Prng>(seed_);
  if (!o_.history.empty()) {
    Status st = history_.Open(o_.history, domain, resolved_, self_, seed_);
    if (!st.ok()) return Fail(st);
    if (d_->scripted) {
      d_->scripted->ledger = [this](const ScriptedCall& call) { history_.OnHandlerCall(call); };
    }
  }
  EngineOptions options = domain.MakeEngineOptions(self_.instance);
  options.named_instance = self_.named;
  options.log = [this](const LogRecord& record) { Log(record); };
  const auto adapters = static_cast<int64_t>(domain.adapters().CloseOrder().size());
  stop_bound_ = options.drain_timeout + options.close_timeout * adapters + kStopMargin;
  engine_ = std::make_unique<Engine>(*loop_, *prng_, metrics_, domain.adapters(), options,
                                     o_.history.empty() ? nullptr : &history_);
  for (const ResolvedHandler& r : resolved_) {
    Status st = engine_->AddSubscription(*r.handler, r.config);
    if (!st.ok()) {
      return Fail(config::ConfigErrorStatus(
          config::kConfigInvalidValue,
          config::ErrorLocation{
              domain.config().source_file,
              r.handler->source.empty() ? "handler " + r.handler->name : r.handler->source, 0, 0},
          st.message()));
    }
  }
  // command:, webhook: or a C++ callback registered under its dotted name.
  Result<std::optional<DlqAlertCallback>> callback =
      ResolveAlertCallback(domain.config(), DefaultAlertCallbackRegistry(), MakeDlqAlertCallback);
  if (!callback.ok()) return Fail(callback.status());
  if (*callback) engine_->AddDlqAlertCallback(**callback);
  MakeRefresher();
  return -1;
}

int ServerProcess::StartProbes() {
  const config::HealthConfig& health = d_->domain->config().server.health;
  int port = 0;
  if (health.enabled) {
    http_ = std::make_unique<HealthHttpServer>(
        HealthProbes{[this] { return engine_->Live(); }, [this] { return Ready(); },
                     [this] { return RenderMetrics(); },
                     [this](LogRecord r) {
                       r.instance = self_.instance;
                       Log(r);
                     },
                     [this] { return Drain(); }, [this] { return DrainStatus(); }, keys_.get()});
    const int want = static_cast<int>(o_.health_port.value_or(health.port));
    Status st = http_->Start(health.host, want, health.port_auto_increment);
    if (!st.ok()) return Fail(st);  // a taken port is an error, never shared
    port = http_->port();
    out_ << "protean: health server on http://" << health.host << ":" << port << "\n";
  }
  health_port_ = port;
  if (!o_.port_file.empty()) {
    Status st = WritePortFile(o_.port_file, port);  // 0: no health server
    if (!st.ok()) return Fail(st);
  }
  return -1;
}

void ServerProcess::RemoveStaleConsumers() {
  Broker* broker = d_->domain->adapters().broker("default");
  // Consumers exist only where entries stay pending for them.
  if (broker == nullptr || !broker->capabilities().pending) return;
  for (const ResolvedHandler& r : resolved_) {
    if (r.config.type != SubscriptionType::kStream) continue;
    for (const std::string& line : cli::RemoveStaleConsumers(
             *broker, {r.handler->name, r.handler->stream, SubscriberName(*r.handler)}, self_)) {
      out_ << "protean: " << line << "\n";
    }
  }
}

void ServerProcess::StartStop(const std::string& reason) {
  if (stopping_.exchange(true)) {  // a signal during a --run-for stop: cut it short
    loop_->Post([this] { engine_->CutDrain(); });
    return;
  }
  signals_.Arm(stop_bound_);
  loop_->Post([this, reason] {
    engine_->Shutdown(reason, [this](int code) {
      exit_code_ = code;
      loop_->Stop();
    });
  });
}

std::string ServerProcess::RenderMetrics() {
  const std::chrono::duration<double> up = std::chrono::steady_clock::now() - started_;
  metrics_.GetGauge("protean_engine_uptime_seconds")->Set(up.count());
  return metrics_.RenderPrometheus();
}

HealthResponse ServerProcess::Ready() const {
  HealthResponse r = engine_->Ready();
  if (drain_posted_ && r.status == 200) {
    r = {503, R"({"status":"unavailable","checks":{"shutting_down":false,"draining":true}})"};
  }
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.contains("checks") ||
      body["checks"].value("shutting_down", true)) {
    return r;
  }
  // Informational, never gating (Protean's "subscriptions" block).
  body["checks"]["subscriptions"] = nlohmann::json::parse(refresher_->SubscriptionsJson());
  AddCircuitStates(body["checks"]["subscriptions"]);
  r.body = body.dump();
  return r;
}

// Each stream subscription's entry gets its breaker's state, read off the
// live subscription (an atomic), as Protean's health.py _circuit_states does.
void ServerProcess::AddCircuitStates(nlohmann::json& subscriptions) const {
  if (!subscriptions.contains("details")) return;
  for (nlohmann::json& detail : subscriptions["details"]) {
    for (const std::shared_ptr<Subscription>& sub : engine_->subscriptions()) {
      const auto* stream = dynamic_cast<const StreamSubscription*>(sub.get());
      if (stream == nullptr || detail.value("handler_name", "") != stream->name()) continue;
      const std::string category = detail.value("stream_category", "");
      // One breaker for both lanes: the backfill lane's entry shows it too.
      if (category != stream->stream() && category != stream->backfill_stream().value_or("")) {
        continue;
      }
      detail["circuit_state"] = std::string(CircuitStateName(stream->circuit_state()));
    }
  }
}

void ServerProcess::MakeRefresher() {
  std::vector<RefreshedSubscription> subs;
  for (const std::shared_ptr<Subscription>& sub : engine_->subscriptions()) {
    const auto* es = dynamic_cast<const EventStoreSubscription*>(sub.get());
    const auto* stream = dynamic_cast<const StreamSubscription*>(sub.get());
    RefreshedSubscription r{sub->name(), sub->stream(), es == nullptr,
                            es != nullptr ? es->position_stream() : std::string()};
    if (stream != nullptr) r.group = stream->group();
    if (es != nullptr) {
      r.older_position_streams.assign(es->position_streams().begin() + 1,
                                      es->position_streams().end());
    }
    subs.push_back(std::move(r));
    // [server.priority_lanes]: the backfill lane is measured as a stream of
    // its own (lag, pending and DLQ depth in /readyz and the gauges).
    if (stream != nullptr && stream->backfill_stream()) {
      RefreshedSubscription lane{sub->name(), *stream->backfill_stream(), true, std::string()};
      lane.group = stream->group();
      subs.push_back(std::move(lane));
    }
  }
  Domain& domain = *d_->domain;
  Broker* broker = domain.adapters().broker("default");
  if (broker != nullptr && broker->PoolConnections()) {
    // Its own connections: the engine's may all be in blocking reads.
    Result<std::unique_ptr<Broker>> side =
        domain.CreateSideBroker("default", kRefresherConnections);
    if (side.ok()) {
      side_broker_ = std::move(side).value();
      broker = side_broker_.get();
    } else {
      err_ << "protean: warning: metrics refresher shares the engine's broker: "
           << side.status().message() << "\n";
    }
  }
  refresher_ = std::make_unique<MetricsRefresher>(
      metrics_, broker, domain.adapters().event_store, domain.adapters().database("default"),
      std::move(subs), [this] { return !stopping_.load(); }, kGaugeRefreshInterval);
}

void ServerProcess::LogStart(int health_port) {
  const config::DomainConfig& c = d_->domain->config();
  std::string consumers;
  for (const ResolvedHandler& r : resolved_) {
    if (r.config.type != SubscriptionType::kStream) continue;
    consumers += (consumers.empty() ? "" : ",") + r.handler->name + "-" + self_.instance;
  }
  LogRecord f;
  f.instance = self_.instance;
  f.With("config_source", c.source_file)
      .With("env", c.env.empty() ? "(none)" : c.env)
      .With("adapters", DescribeAdapters(c))
      .With("health_port", std::to_string(health_port))
      .With("identity", self_.named ? "named" : "generated")
      .With("consumers", consumers)
      .With("pid", std::to_string(::getpid()))
      .With("log_level", std::string(LogLevelName(log_.min_level())))
      .With("api_keys", keys_->enforced()
                            ? std::to_string(keys_->size()) + " from " + keys_source_ +
                                  ": /metrics and /drainz need a key" +
                                  (keys_->shared_limit() ? "; admin rate limit shared through Redis"
                                                         : "; admin rate limit in this process")
                            : "none configured: /metrics and /drainz are open");
  log_.Log(LogLevel::kInfo, "server.started",
           "server running " + std::to_string(resolved_.size()) + " handler(s)", std::move(f));
  if (!keys_->enforced()) {
    log_.Log(LogLevel::kWarning, "server.api_keys_absent",
             "no API keys configured (" + c.server.security.api_keys_env +
                 ", [server.security] api_keys_file): /metrics and /drainz are open");
  }
}

int ServerProcess::Run() {
  // The engine's start is posted before the signal waiter starts: a signal
  // that came during the set-up (blocked, so pending) is taken at once by
  // the waiter, and its stop must queue behind the start (the loop runs
  // posts in order), never before it.
  loop_->Post([this] { engine_->Start(); });
  signals_.Start({[this](const std::string& sig) { StartStop(sig); },
                  [this](const std::string&) { loop_->Post([this] { engine_->CutDrain(); }); }});
  refresher_->Start();
  if (!o_.inbox.empty()) {
    inbox_ = std::make_unique<InboxFeeder>(
        o_.inbox, d_->domain->adapters(), d_->domain->config().server.priority_lanes, clock_,
        [this](LogLevel level, const std::string& event, const std::string& text) {
          LogRecord f;
          f.instance = self_.instance;
          log_.Log(level, event, text, std::move(f));
        },
        kInboxPollInterval);
    inbox_->Start();
  }
  const double run_for = o_.test_mode && o_.run_for <= 0 ? 3.0 : o_.run_for;
  if (run_for > 0) loop_->PostAfter(SecondsF(run_for), [this] { StartStop("run-for"); });
  const Domain& domain = *d_->domain;
  std::string consumers;
  for (const ResolvedHandler& r : resolved_) {
    if (r.config.type != SubscriptionType::kStream) continue;
    consumers += (consumers.empty() ? "" : ", ") + r.handler->name + "-" + self_.instance;
  }
  LogStart(health_port_);
  out_ << "protean: instance " << self_.instance << (self_.named ? " (named)" : " (generated)")
       << (consumers.empty() ? "" : "; consumers " + consumers) << "\n";
  out_ << "protean: server running " << domain.handlers().size() << " handler(s)"
       << (domain.config().env.empty() ? "" : " (env " + domain.config().env + ")") << "\n";
  out_.flush();
  loop_->Run();
  if (inbox_) inbox_->Stop();
  refresher_->Stop();
  if (side_broker_) side_broker_->Close();
  if (http_) http_->Stop();
  signals_.Stop();
  const int busy = loop_->StopWorkers(kWorkerGrace);
  history_.Close();
  if (busy > 0) {
    // A handler stuck past the drain: its message stays pending (never
    // acked) and its thread cannot be joined, so the process ends without it.
    err_ << "protean: " << busy
         << " handler thread(s) still running after the stop; exiting without them "
            "(their messages stay pending)\n";
    ExitProcess(exit_code_ == 0 ? 1 : exit_code_);
  }
  return exit_code_;
}

}  // namespace

int RunServer(const ServerOptions& options, std::ostream& out, std::ostream& err) {
  LogWriter log(err, ChooseLogFormat(options.log_format, ""), LogLevel::kInfo);
  ServerProcess process(options, out, log);
  for (int (ServerProcess::*step)() : {&ServerProcess::Open, &ServerProcess::LoadKeys,
                                       &ServerProcess::BuildEngine, &ServerProcess::StartProbes}) {
    const int code = (process.*step)();
    if (code >= 0) return code;
  }
  process.RemoveStaleConsumers();
  return process.Run();
}

}  // namespace protean::cli
