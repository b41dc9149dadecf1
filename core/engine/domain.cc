#include "core/engine/domain.h"

#include <exception>
#include <set>

#include "core/config/alert_callback_spec.h"
#include "core/config/configuration_error.h"
#include "core/config/redaction.h"
#include "core/config/subscription_resolver.h"
#include "core/engine/internal/call_isolated.h"

namespace protean {

Domain::Domain(config::DomainConfig config, const AdapterRegistry& registry, AdapterEnv env)
    : config_(std::move(config)), registry_(registry), env_(env) {}

Domain::~Domain() {
  if (initialized_) Close();
}

Status Domain::RegisterHandler(HandlerRegistration handler) {
  const config::ErrorLocation where{
      config_.source_file, handler.source.empty() ? "handler " + handler.name : handler.source, 0,
      0};
  if (handler.name.empty()) {
    return config::ConfigErrorStatus(config::kConfigInvalidValue, where, "handler has no name");
  }
  if (handler.stream.empty()) {
    return config::ConfigErrorStatus(config::kConfigInvalidValue, where,
                                     "handler " + handler.name + " has no stream");
  }
  if (!handler.fqn.empty() && !config::IsDottedName(handler.fqn)) {
    return config::ConfigErrorStatus(
        config::kConfigInvalidValue, where,
        "handler " + handler.name + ": fqn " + config::QuoteForMessage(handler.fqn) +
            " is not a dotted identifier (like app.handlers.OrderHandler)");
  }
  for (const auto& h : handlers_) {
    if (h->name == handler.name) {
      return config::ConfigErrorStatus(config::kConfigInvalidValue, where,
                                       "handler " + handler.name + " is registered twice");
    }
    if (h->stream == handler.stream && SubscriberName(*h) == SubscriberName(handler)) {
      // One consumer group (or one position) for two handlers: each would
      // see only part of the stream.
      return config::ConfigErrorStatus(
          config::kConfigInvalidValue, where,
          "handlers " + h->name + " and " + handler.name + " both read " + handler.stream + " as " +
              SubscriberName(handler) +
              " (their consumer group and position); give them distinct fqn values");
    }
  }
  handlers_.push_back(std::make_unique<HandlerRegistration>(std::move(handler)));
  return Status::Ok();
}

Status Domain::RegisterScriptedHandlers(std::shared_ptr<ScriptedRuntime> random,
                                        const std::string& stream_prefix) {
  return RegisterHandlers(HandlerCatalog{}, std::move(random), stream_prefix);
}

Status Domain::RegisterHandlers(const HandlerCatalog& catalog,
                                std::shared_ptr<ScriptedRuntime> random,
                                const std::string& stream_prefix) {
  PROTEAN_RETURN_IF_ERROR(catalog.status());
  std::vector<ScriptedHandlerSpec> specs;
  PROTEAN_RETURN_IF_ERROR(
      config::CatchConfigurationError([&] { specs = ReadScriptedHandlers(config_); }));
  std::set<std::string> declared;
  for (ScriptedHandlerSpec& spec : specs) {
    declared.insert(spec.name);
    spec.stream = stream_prefix + spec.stream;
    const HandlerCatalog::Handler* cpp = catalog.FindHandler(spec.name);
    HandlerRegistration h = MakeScriptedHandler(spec, random, cpp ? cpp->fn : HandlerFn{});
    h.source = "handlers." + spec.name;
    if (!spec.fqn && cpp != nullptr) h.fqn = cpp->options.fqn;  // the table's own wins
    if (cpp != nullptr) h.inline_on_loop = cpp->options.inline_on_loop;
    PROTEAN_RETURN_IF_ERROR(RegisterHandler(std::move(h)));
  }
  for (const HandlerCatalog::Handler& cpp : catalog.handlers()) {
    if (declared.count(cpp.name) > 0) continue;
    HandlerRegistration h;
    h.name = cpp.name;
    h.source = "C++ handler " + cpp.name;
    if (cpp.options.stream.empty()) {
      return config::ConfigErrorStatus(
          config::kConfigInvalidValue, config::ErrorLocation{config_.source_file, h.source, 0, 0},
          "handler " + cpp.name +
              " is registered in C++ without a stream and the file has no "
              "[handlers." +
              cpp.name + "] table giving one");
    }
    h.stream = stream_prefix + cpp.options.stream;
    h.fqn = cpp.options.fqn;
    h.fn = cpp.fn;
    h.inline_on_loop = cpp.options.inline_on_loop;
    h.subscription_profile = cpp.options.subscription_profile;
    h.subscription_config = cpp.options.subscription_config;
    PROTEAN_RETURN_IF_ERROR(RegisterHandler(std::move(h)));
  }
  return Status::Ok();
}

namespace {

template <typename T>
Status Checked(Result<std::unique_ptr<T>> r, const std::string& what, const std::string& uri,
               bool require_reachable, std::unique_ptr<T>* out) {
  if (!r.ok()) return Status(r.status().code(), what + ": " + r.status().message());
  if (require_reachable) {
    Status ping = (*r)->Ping();
    if (!ping.ok()) {
      const std::string where = uri.empty() ? "" : " at " + config::RedactText(uri);
      return Status::Unavailable(what + " (provider " + std::string((*r)->provider()) + where +
                                 ") cannot be reached: " + ping.ToString());
    }
  }
  *out = std::move(*r);
  return Status::Ok();
}

}  // namespace

Status Domain::Init(bool require_reachable) {
  PROTEAN_CHECK(!initialized_);
  initialized_ = true;
  auto fail = [this](Status st) {
    Close();
    return st;
  };
  for (const auto& [name, c] : config_.databases) {
    std::unique_ptr<Database> db;
    Status st = Checked(registry_.CreateDatabase(c, env_), "databases." + name, c.database_uri,
                        require_reachable, &db);
    if (!st.ok()) return fail(st);
    databases_.emplace_back(name, std::move(db));
  }
  for (const auto& [name, c] : config_.caches) {
    std::unique_ptr<Cache> cache;
    Status st =
        Checked(registry_.CreateCache(c, env_), "caches." + name, c.uri, require_reachable, &cache);
    if (!st.ok()) return fail(st);
    caches_.emplace_back(name, std::move(cache));
  }
  for (const auto& [name, c] : config_.brokers) {
    std::unique_ptr<Broker> broker;
    Status st = Checked(registry_.CreateBroker(c, env_), "brokers." + name, c.uri,
                        require_reachable, &broker);
    if (!st.ok()) return fail(st);
    brokers_.emplace_back(name, std::move(broker));
  }
  Status st = Checked(registry_.CreateEventStore(config_.event_store, env_), "event_store",
                      config_.event_store.database_uri, require_reachable, &event_store_);
  if (!st.ok()) return fail(st);
  return Status::Ok();
}

Result<std::vector<ResolvedHandler>> Domain::ResolveSubscriptions() const {
  std::vector<ResolvedHandler> out;
  Status st = config::CatchConfigurationError([&] {
    SubscriptionResolver resolver(config_);
    for (const auto& h : handlers_) {
      SubscriptionRequest req;
      req.handler = h->name;
      const std::string src = h->source.empty() ? "handler " + h->name : h->source;
      if (h->subscription_profile_entry) {
        req.profile = h->subscription_profile_entry;
      } else if (h->subscription_profile) {
        req.profile = ConfigEntry{"profile", *h->subscription_profile,
                                  ConfigOrigin{src, "subscription_profile", 0, 0}};
      }
      req.explicit_config = h->subscription_config_layer.empty()
                                ? MakeLayer(src, "subscription_config", h->subscription_config)
                                : h->subscription_config_layer;
      out.push_back(ResolvedHandler{h.get(), resolver.Resolve(req)});
    }
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::unique_ptr<Broker>> Domain::CreateSideBroker(const std::string& name,
                                                         int64_t connections) const {
  auto it = config_.brokers.find(name);
  if (it == config_.brokers.end()) return Status::NotFound("no brokers." + name);
  config::BrokerConfig c = it->second;
  c.max_connections = connections;
  Result<std::unique_ptr<Broker>> broker = registry_.CreateBroker(c, env_);
  if (!broker.ok()) {
    return Status(broker.status().code(), "brokers." + name + ": " + broker.status().message());
  }
  return broker;
}

EngineAdapters Domain::adapters() const {
  EngineAdapters a;
  for (const auto& [n, d] : databases_) a.databases.emplace_back(n, d.get());
  for (const auto& [n, c] : caches_) a.caches.emplace_back(n, c.get());
  for (const auto& [n, b] : brokers_) a.brokers.emplace_back(n, b.get());
  a.event_store = event_store_.get();
  return a;
}

EngineOptions Domain::MakeEngineOptions(std::string instance) const {
  EngineOptions o;
  o.instance = std::move(instance);
  o.drain_timeout = config_.server.drain_timeout;
  o.priority_lanes = config_.server.priority_lanes;
  o.worker_threads = config_.server.worker_threads;
  const config::DlqConfig& d = config_.server.dlq;
  o.dlq = DlqSettings{d.enabled, d.retention_hours, d.alert_threshold, d.check_interval_seconds};
  return o;
}

Result<std::unique_ptr<Engine>> Domain::BuildEngine(Executor& loop, Prng& prng,
                                                    MetricsRegistry& metrics,
                                                    EngineObserver* observer,
                                                    std::string instance) const {
  PROTEAN_ASSIGN_OR_RETURN(std::vector<ResolvedHandler> resolved, ResolveSubscriptions());
  auto engine = std::make_unique<Engine>(loop, prng, metrics, adapters(),
                                         MakeEngineOptions(std::move(instance)), observer);
  for (const ResolvedHandler& r : resolved) {
    Status st = engine->AddSubscription(*r.handler, r.config);
    if (!st.ok()) {
      return config::ConfigErrorStatus(
          config::kConfigInvalidValue,
          config::ErrorLocation{
              config_.source_file,
              r.handler->source.empty() ? "handler " + r.handler->name : r.handler->source, 0, 0},
          st.message());
    }
  }
  return engine;
}

std::vector<std::string> Domain::Close() {
  std::vector<std::string> errors;
  for (const AdapterStep& step : adapters().CloseOrder()) {
    Status st = internal::CallIsolated<Status>("close", [&] {
      step.close();
      return Status::Ok();
    });
    if (!st.ok()) errors.push_back(step.check_key + ": " + st.message());
  }
  initialized_ = false;
  return errors;
}

}  // namespace protean
