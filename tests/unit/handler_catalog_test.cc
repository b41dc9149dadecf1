// C++ handlers from a HandlerCatalog in a Domain: matched with
// [handlers.<Name>] by name (the table's stream and scripted behaviour, then
// the C++ function), or registered with their own stream; catalog errors.
#include <map>

#include <gtest/gtest.h>

#include "adapters/memory/register.h"
#include "core/config/configuration_error.h"
#include "core/engine/domain.h"
#include "core/engine/handler_catalog.h"
#include "core/runtime/sim_executor.h"
#include "tests/config/test_util.h"
#include "tests/unit/sim_world.h"

namespace protean {
namespace {

config::DomainConfig ParseCatalogDomain(const std::string& text) {
  return config::testing::ParseText(text);
}

// A domain over memory adapters on the simulated loop.
class HandlerCatalogTest : public ::testing::Test {
 protected:
  HandlerCatalogTest() : loop_(clock_) { RegisterMemoryAdapters(registry_); }

  // Publishes one message to `stream` and runs the engine for 10 s of virtual time.
  void RunOne(Domain& d, const std::string& stream) {
    ASSERT_TRUE(d.Init(false).ok());
    Prng prng(1);
    MetricsRegistry metrics;
    Result<std::unique_ptr<Engine>> built = d.BuildEngine(loop_, prng, metrics, &rec_, "w1");
    ASSERT_TRUE(built.ok()) << built.status().ToString();
    std::unique_ptr<Engine> engine = std::move(built).value();
    ASSERT_TRUE(d.adapters()
                    .broker("default")
                    ->Publish(stream, EncodeMessageFields("m1", "OrderPlaced", "{}"))
                    .ok());
    engine->Start();
    loop_.RunFor(Seconds(10));
  }

  SimClock clock_;
  SimExecutor loop_;
  AdapterRegistry registry_;
  testing::Recorder rec_;
};

TEST_F(HandlerCatalogTest, TableNamingACppHandlerRunsItsScriptThenTheFunction) {
  Domain d(ParseCatalogDomain(R"(
[handlers.Billing]
stream = "orders"
fail_first = 1
[handlers.Billing.subscription_config]
retry_delay_seconds = 0.5
)"),
           registry_, AdapterEnv{&clock_});
  std::vector<int64_t> attempts_seen;
  HandlerCatalog catalog;
  catalog.AddHandler("Billing", [&](const Message& m, HandlerContext&) {
    attempts_seen.push_back(m.attempt);
    return HandlerResult::Ok();
  });
  ASSERT_TRUE(d.RegisterHandlers(catalog, std::make_shared<ScriptedRuntime>(1)).ok());
  RunOne(d, "orders");
  // Attempt 1 failed in the script (fail_first) and never reached the function.
  EXPECT_EQ(attempts_seen, (std::vector<int64_t>{2}));
  EXPECT_EQ(rec_.Count(EngineEventKind::kRetryScheduled), 1u);
  EXPECT_EQ(rec_.Count(EngineEventKind::kDlqMoved), 0u);
}

TEST_F(HandlerCatalogTest, ThrowingCppHandlerIsAFailedCallInTheLedger) {
  Domain d(ParseCatalogDomain("[handlers.Billing]\nstream = \"orders\"\n"), registry_,
           AdapterEnv{&clock_});
  HandlerCatalog catalog;
  catalog.AddHandler("Billing", [](const Message&, HandlerContext&) -> HandlerResult {
    throw std::runtime_error("card service exploded");
  });
  auto runtime = std::make_shared<ScriptedRuntime>(1);
  std::vector<std::string> outcomes;
  runtime->ledger = [&](const ScriptedCall& call) { outcomes.push_back(call.outcome); };
  ASSERT_TRUE(d.RegisterHandlers(catalog, runtime).ok());
  RunOne(d, "orders");
  EXPECT_EQ(outcomes, (std::vector<std::string>{"failed", "failed", "failed"}));
  auto finished = rec_.Of(EngineEventKind::kAttemptFinished);
  ASSERT_FALSE(finished.empty());
  EXPECT_NE(finished[0].detail.find("handler threw: card service exploded"), std::string::npos)
      << finished[0].detail;
  EXPECT_EQ(rec_.Count(EngineEventKind::kDlqMoved), 1u);
}

TEST_F(HandlerCatalogTest, CppHandlerWithoutTableUsesItsOwnStreamAndSettings) {
  Domain d(ParseCatalogDomain(""), registry_, AdapterEnv{&clock_});
  int calls = 0;
  HandlerCatalog catalog;
  HandlerOptions options;
  options.stream = "shipments";
  options.subscription_config["max_retries"] = ConfigValue(int64_t{2});
  options.subscription_config["retry_delay_seconds"] = ConfigValue(0.1);
  catalog.AddHandler(
      "Shipping",
      [&](const Message&, HandlerContext&) {
        ++calls;
        return HandlerResult::Retryable("carrier down");
      },
      options);
  ASSERT_TRUE(d.RegisterHandlers(catalog, std::make_shared<ScriptedRuntime>(1)).ok());
  RunOne(d, "shipments");
  EXPECT_EQ(calls, 2);  // max_retries = 2 attempts in all, then the DLQ
  ASSERT_EQ(rec_.Count(EngineEventKind::kDlqMoved), 1u);
}

TEST_F(HandlerCatalogTest, CppHandlerWithoutStreamOrTableIsAnErrorNamingIt) {
  Domain d(ParseCatalogDomain(""), registry_, AdapterEnv{&clock_});
  HandlerCatalog catalog;
  catalog.AddHandler("Shipping",
                     [](const Message&, HandlerContext&) { return HandlerResult::Ok(); });
  Status st = d.RegisterHandlers(catalog, std::make_shared<ScriptedRuntime>(1));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("domain.toml"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("[handlers.Shipping]"), std::string::npos) << st.message();
  ASSERT_NE(st.source(), nullptr);
  EXPECT_EQ(st.source()->code, config::kConfigInvalidValue);
}

TEST(HandlerCatalog, KeepsTheFirstError) {
  auto ok = [](const Message&, HandlerContext&) { return HandlerResult::Ok(); };
  HandlerCatalog catalog;
  EXPECT_TRUE(catalog.AddHandler("A", ok).status().ok());
  catalog.AddHandler("A", ok).AddHandler("", ok).AddAlertCallback("not dotted", nullptr);
  EXPECT_EQ(catalog.status().message(),
            "HandlerCatalog::AddHandler: handler A is registered twice");
  EXPECT_EQ(catalog.handlers().size(), 1u);

  HandlerCatalog callbacks;
  callbacks.AddAlertCallback("not-dotted",
                             [](const std::string&, int64_t, int64_t) { return Status::Ok(); });
  EXPECT_NE(callbacks.status().message().find("not a dotted name"), std::string::npos);
  EXPECT_TRUE(callbacks.alert_callbacks().empty());
}

// The fqn a C++ handler is registered with names its group; a table's own
// fqn wins; a bad one is kept as the catalog's error.
TEST_F(HandlerCatalogTest, AnFqnFromCppOrTheTableNamesTheGroup) {
  Domain d(ParseCatalogDomain(
               "[handlers.Billing]\nstream = \"orders\"\nfqn = \"app.handlers.Billing\"\n"),
           registry_, AdapterEnv{&clock_});
  HandlerCatalog catalog;
  auto ok = [](const Message&, HandlerContext&) { return HandlerResult::Ok(); };
  HandlerOptions billing;
  billing.fqn = "cpp.ignored.Billing";  // the table gives its own
  catalog.AddHandler("Billing", ok, billing);
  HandlerOptions shipping;
  shipping.stream = "orders";
  shipping.fqn = "app.handlers.Shipping";
  catalog.AddHandler("Shipping", ok, shipping);
  ASSERT_TRUE(catalog.status().ok()) << catalog.status().ToString();
  ASSERT_TRUE(d.RegisterHandlers(catalog, std::make_shared<ScriptedRuntime>(1)).ok());
  std::map<std::string, std::string> subscriber;
  for (const auto& h : d.handlers()) subscriber[h->name] = SubscriberName(*h);
  EXPECT_EQ(subscriber["Billing"], "app.handlers.Billing");
  EXPECT_EQ(subscriber["Shipping"], "app.handlers.Shipping");
  RunOne(d, "orders");
  auto groups = d.adapters().broker("default")->GroupsProgress("orders");
  ASSERT_TRUE(groups.ok());
  std::vector<std::string> names;
  for (const GroupProgress& g : *groups) names.push_back(g.group);
  EXPECT_EQ(names, (std::vector<std::string>{"app.handlers.Billing", "app.handlers.Shipping"}));
  EXPECT_EQ(rec_.Count(EngineEventKind::kAcked), 2u);

  HandlerCatalog bad;
  HandlerOptions options;
  options.stream = "orders";
  options.fqn = "app handlers.X";
  bad.AddHandler("X", ok, options);
  EXPECT_NE(bad.status().message().find("is not a dotted identifier"), std::string::npos)
      << bad.status().ToString();
}

TEST_F(HandlerCatalogTest, TwoHandlersOneGroupOnAStreamAreRefused) {
  Domain d(ParseCatalogDomain(""), registry_, AdapterEnv{&clock_});
  HandlerCatalog catalog;
  auto ok = [](const Message&, HandlerContext&) { return HandlerResult::Ok(); };
  HandlerOptions a;
  a.stream = "orders";
  a.fqn = "app.handlers.Orders";
  catalog.AddHandler("A", ok, a).AddHandler("B", ok, a);
  Status st = d.RegisterHandlers(catalog, std::make_shared<ScriptedRuntime>(1));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("both read orders as app.handlers.Orders"), std::string::npos)
      << st.message();
  HandlerRegistration direct;
  direct.name = "C";
  direct.stream = "orders";
  direct.fqn = ".bad";
  direct.fn = ok;
  EXPECT_NE(d.RegisterHandler(direct).message().find("not a dotted identifier"), std::string::npos);
}

}  // namespace
}  // namespace protean
