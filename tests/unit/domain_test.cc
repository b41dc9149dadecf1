// Domain: adapters from the provider registry in init order, scripted
// handlers from TOML, the production guard, and close order.
#include <gtest/gtest.h>

#include "adapters/memory/register.h"
#include "core/config/configuration_error.h"
#include "core/engine/domain.h"
#include "core/runtime/sim_executor.h"
#include "tests/unit/sim_world.h"

namespace protean {
namespace {

config::DomainConfig Parse(const std::string& text) {
  config::LoadOptions o;
  o.env = "";
  o.env_lookup = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  return config::ParseDomainConfig(text, "domain.toml", o);
}

class DomainTest : public ::testing::Test {
 protected:
  DomainTest() : loop_(clock_) { RegisterMemoryAdapters(registry_); }
  SimClock clock_;
  SimExecutor loop_;
  AdapterRegistry registry_;
};

TEST_F(DomainTest, RunsScriptedHandlersFromToml) {
  Domain d(Parse(R"(
[handlers.Billing]
stream = "orders"
fail_first = 1
record = true
[handlers.Billing.subscription_config]
max_retries = 2
retry_delay_seconds = 0.5
)"),
           registry_, AdapterEnv{&clock_});
  ASSERT_TRUE(d.RegisterScriptedHandlers(std::make_shared<ScriptedRuntime>(1)).ok());
  ASSERT_TRUE(d.Init(false).ok());
  Prng prng(1);
  MetricsRegistry metrics;
  testing::Recorder rec;
  Result<std::unique_ptr<Engine>> built = d.BuildEngine(loop_, prng, metrics, &rec, "w1");
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  std::unique_ptr<Engine> engine = std::move(built).value();
  Broker* broker = d.adapters().broker("default");
  ASSERT_TRUE(broker->Publish("orders", EncodeMessageFields("m1", "OrderPlaced", "{}")).ok());
  engine->Start();
  loop_.RunFor(Seconds(5));
  auto retries = rec.Of(EngineEventKind::kRetryScheduled);
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].due - retries[0].at, Millis(500));
  auto record =
      d.adapters().database("default")->Get(kProcessedTable, ProcessedKey("Billing", "m1"));
  ASSERT_TRUE(record.ok());
  ASSERT_TRUE(record->has_value());
  EXPECT_EQ((*record)->version, 1);  // handled once
  EXPECT_NE((*record)->data.find(R"("attempt":2)"), std::string::npos);
}

// The loader's error for `text` (scripted handlers and their subscriptions
// are validated when the file loads, so `protean check` sees them too).
config::ConfigurationError LoadError(const std::string& text) {
  try {
    Parse(text);
  } catch (const config::ConfigurationError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ConfigurationError";
  return config::ConfigurationError("NONE", {}, "");
}

TEST_F(DomainTest, ScriptedHandlerErrorsNameTheKey) {
  // (These were Domain::RegisterScriptedHandlers errors; the loader reports
  // them now, with the same key and line, and the Domain boundary turns such
  // an error into a Status carrying them.)
  config::ConfigurationError e = LoadError("[handlers.X]\nstream = \"s\"\nfail_frist = 1\n");
  Status st = config::ToStatus(e);
  ASSERT_FALSE(st.ok()) << "expected an error";
  ASSERT_NE(st.source(), nullptr);
  EXPECT_EQ(st.source()->key_path, "handlers.X.fail_frist");
  EXPECT_EQ(st.source()->line, 3u);
  Status bad =
      config::ToStatus(LoadError("[handlers.X]\nstream = \"s\"\nfail_probability = \"3/2\"\n"));
  EXPECT_TRUE(bad.IsInvalidArgument()) << bad.ToString();
  ASSERT_NE(bad.source(), nullptr);
  EXPECT_EQ(bad.source()->code, config::kConfigInvalidValue);
}

TEST_F(DomainTest, ASubscriptionSettingErrorStopsTheEngineBuild) {
  // In the file: a load error now, same key and line.
  config::ConfigurationError e =
      LoadError("[handlers.X]\nstream = \"s\"\n[server.subscriptions.X]\nmax_retries = -1\n");
  EXPECT_EQ(e.key_path, "server.subscriptions.X.max_retries");
  EXPECT_EQ(e.line, 4u);
  // From a C++ registration: the engine build stops.
  Domain d(Parse(""), registry_, AdapterEnv{&clock_});
  HandlerRegistration h;
  h.name = "X";
  h.stream = "s";
  h.fn = [](const Message&, HandlerContext&) { return HandlerResult::Ok(); };
  h.subscription_config = {{"max_retries", int64_t{-1}}};
  ASSERT_TRUE(d.RegisterHandler(std::move(h)).ok());
  ASSERT_TRUE(d.Init(false).ok());
  Prng prng(1);
  MetricsRegistry metrics;
  Result<std::unique_ptr<Engine>> built = d.BuildEngine(loop_, prng, metrics, nullptr, "w");
  ASSERT_FALSE(built.ok()) << "expected an error";
  ASSERT_NE(built.status().source(), nullptr);
  EXPECT_EQ(built.status().source()->key_path, "subscription_config.max_retries");
  EXPECT_EQ(built.status().source()->file, "handler X");
}

TEST_F(DomainTest, AKnownProviderWithoutAnAdapterInThisBuildIsAClearError) {
  Domain d(Parse("[databases.search]\nprovider = \"elasticsearch\"\ndatabase_uri = \"x\"\n"),
           registry_, AdapterEnv{&clock_});
  Status st = d.Init(false);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("databases.search"), std::string::npos);
  EXPECT_NE(st.message().find("not available in this build"), std::string::npos);
}

class UnreachableBroker : public BrokerWrapper {
 public:
  explicit UnreachableBroker(std::unique_ptr<Broker> inner)
      : BrokerWrapper(inner.get()), inner_(std::move(inner)) {}
  std::string_view provider() const override { return "redis"; }
  Status Ping() override { return Status::Unavailable("connection refused"); }

 private:
  std::unique_ptr<Broker> inner_;
};

// The metrics refresher's broker: built again from the same configuration,
// with the connection count asked for; a missing name is NotFound.
TEST_F(DomainTest, SideBrokerIsBuiltFromTheSameConfigWithItsOwnConnections) {
  std::optional<int64_t> connections_seen;
  registry_.RegisterBroker(
      "redis",
      [&](const config::BrokerConfig& c, const AdapterEnv& env) -> Result<std::unique_ptr<Broker>> {
        connections_seen = c.max_connections;
        return std::unique_ptr<Broker>(std::make_unique<MemoryBroker>(*env.clock));
      });
  Domain d(Parse("[brokers.default]\nprovider = \"redis\"\nURI = \"redis://h:1/0\"\n"
                 "max_connections = 50\n"),
           registry_, AdapterEnv{&clock_});
  ASSERT_TRUE(d.Init(false).ok());
  EXPECT_EQ(connections_seen, 50);
  Result<std::unique_ptr<Broker>> side = d.CreateSideBroker("default", 2);
  ASSERT_TRUE(side.ok()) << side.status().ToString();
  EXPECT_EQ(connections_seen, 2);
  EXPECT_NE(side->get(), d.adapters().broker("default"));
  EXPECT_EQ(d.CreateSideBroker("other", 2).status().code(), StatusCode::kNotFound);
}

TEST_F(DomainTest, ProductionGuardNamesTheUnreachableServiceWithItsRedactedUrl) {
  registry_.RegisterBroker(
      "redis",
      [](const config::BrokerConfig&, const AdapterEnv& env) -> Result<std::unique_ptr<Broker>> {
        return std::unique_ptr<Broker>(
            std::make_unique<UnreachableBroker>(std::make_unique<MemoryBroker>(*env.clock)));
      });
  Domain d(
      Parse(
          "[brokers.default]\nprovider = \"redis\"\nURI = \"redis://:hunter2@10.0.0.9:6379/0\"\n"),
      registry_, AdapterEnv{&clock_});
  Status st = d.Init(true);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("brokers.default"), std::string::npos);
  EXPECT_NE(st.message().find("10.0.0.9:6379"), std::string::npos);
  EXPECT_EQ(st.message().find("hunter2"), std::string::npos);
  // Without the guard (not production) start-up goes on.
  Domain lax(Parse("[brokers.default]\nprovider = \"redis\"\nURI = \"redis://h:1/0\"\n"), registry_,
             AdapterEnv{&clock_});
  EXPECT_TRUE(lax.Init(false).ok());
}

TEST_F(DomainTest, DefaultsGiveMemoryAdaptersForEveryPort) {
  Domain d(Parse(""), registry_, AdapterEnv{&clock_});
  ASSERT_TRUE(d.Init(false).ok());
  EngineAdapters a = d.adapters();
  ASSERT_NE(a.broker("default"), nullptr);
  EXPECT_EQ(a.broker("default")->provider(), "inline");
  ASSERT_NE(a.database("default"), nullptr);
  EXPECT_EQ(a.database("default")->provider(), "memory");
  ASSERT_NE(a.event_store, nullptr);
  EXPECT_EQ(a.caches.size(), 1u);
  EXPECT_TRUE(d.Close().empty());
}

// The server's engine knows its worker threads, which bound the blocking
// reads in flight (SubscriptionDeps::TakeBlockingRead).
TEST_F(DomainTest, EngineOptionsCarryTheWorkerThreads) {
  Domain d(Parse("[server]\nworker_threads = 12\n"), registry_, AdapterEnv{&clock_});
  EXPECT_EQ(d.MakeEngineOptions("a").worker_threads, 12);
  Domain defaults(Parse(""), registry_, AdapterEnv{&clock_});
  EXPECT_EQ(defaults.MakeEngineOptions("a").worker_threads, 8);
}

}  // namespace
}  // namespace protean
