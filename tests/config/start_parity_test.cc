// `protean check` passing means `protean server` starts: a table of
// configurations, each run through the real binary as `check` and as
// `server --run-for 0.1`, must get the same verdict (check exit 2 exactly
// when the server refuses to start). Plus the pieces both share: the alert
// callback registry, the callback syntax against the server's factory, and
// the broker traits the loader uses against the adapters' capabilities.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/memory/register.h"
#include "adapters/real/register.h"
#include "app/check_command.h"
#include "app/server/alert_callbacks.h"
#include "core/config/alert_callback_spec.h"
#include "core/config/providers.h"
#include "core/engine/adapter_registry.h"
#include "core/engine/alert_callback_registry.h"
#include "core/runtime/real_executor.h"
#include "tests/config/binary_util.h"
#include "tests/config/test_util.h"

namespace protean::cli {
namespace {

using config::testing::TempDir;
using testing::RunBinary;
using testing::ShellQuote;

struct ParityCase {
  std::string name;
  std::string toml;
  int check_exit;             // 0, 1 (warnings) or 2 (the server must refuse it too)
  bool probe_handler = true;  // add [handlers.Probe] so the server builds an engine
};

const char kProbe[] = "[handlers.Probe]\nstream = \"probe\"\n";

std::vector<ParityCase> Cases() {
  std::vector<ParityCase> cases = {
      {"plain", "", 0},
      {"unknown server key", "[server]\ndrain_timeot = 5\n", 2},
      {"unknown profile", "[handlers.A]\nstream = \"a\"\nsubscription_profile = \"TURBO\"\n", 2},
      {"unknown handler key", "[handlers.A]\nstream = \"a\"\ncolour = \"red\"\n", 2},
      {"negative retries", "[server.stream_subscription]\nmax_retries = -1\n", 2},
      {"zero batch",
       "[handlers.A]\nstream = \"a\"\n[handlers.A.subscription_config]\n"
       "messages_per_tick = 0\n",
       2},
      {"projection with dlq",
       "[handlers.A]\nstream = \"a\"\nsubscription_profile = \"PROJECTION\"\n"
       "[handlers.A.subscription_config]\nenable_dlq = true\n",
       2},
      {"pubsub broker with a stream handler's DLQ on",
       "[brokers.default]\nprovider = \"redis_pubsub\"\nURI = \"redis://127.0.0.1:1/0\"\n", 2},
      {"fqn", "[handlers.A]\nstream = \"a\"\nfqn = \"app.handlers.A\"\n", 0},
      {"fqn not dotted", "[handlers.A]\nstream = \"a\"\nfqn = \"app handlers\"\n", 2},
      {"two handlers, one fqn",
       "[handlers.A]\nstream = \"a\"\nfqn = \"app.H\"\n[handlers.B]\nstream = \"a\"\nfqn = "
       "\"app.H\"\n",
       2},
      {"malformed redis url", "[brokers.default]\nprovider = \"redis\"\nURI = \"garbage\"\n", 2},
      {"mssql", "[databases.default]\nprovider = \"mssql\"\ndatabase_uri = \"mssql://h/db\"\n", 2},
      {"elasticsearch",
       "[databases.default]\nprovider = \"elasticsearch\"\ndatabase_uri = \"http://h:9200\"\n", 2},
      {"unregistered dotted callback", "[server.dlq]\nalert_callback = \"myapp.alerts.on_dlq\"\n",
       2},
      {"relative command callback", "[server.dlq]\nalert_callback = \"command:bin/alert\"\n", 2},
      {"https webhook", "[server.dlq]\nalert_callback = \"webhook:https://h/dlq\"\n", 2},
      {"command callback", "[server.dlq]\nalert_callback = \"command:/bin/true\"\n", 0},
      {"webhook callback", "[server.dlq]\nalert_callback = \"webhook:http://127.0.0.1:9/dlq\"\n",
       0},
      {"claim idle 1e-9", "[server.stream_subscription]\nclaim_idle_seconds = 1e-9\n", 2},
      {"claim idle inf", "[server.subscriptions.Probe]\nclaim_idle_seconds = inf\n", 2},
      {"dlq cycle 1e-9", "[server.dlq]\nenabled = true\ncheck_interval_seconds = 1e-9\n", 2},
      {"retry delay inf", "[server.stream_subscription]\nretry_delay_seconds = inf\n", 2},
      {"retry delay 1e300", "[server.stream_subscription]\nretry_delay_seconds = 1e300\n", 2},
      {"drain 1e12", "[server]\ndrain_timeout = 1e12\n", 2},
      {"recovery keys (honoured)",
       "[server.event_store_subscription]\nmax_retries = 5\nenable_recovery = true\n"
       "retry_delay_seconds = 0\nrecovery_interval_seconds = 0.5\n",
       0},
      {"recovery interval 0", "[server.event_store_subscription]\nrecovery_interval_seconds = 0\n",
       2},
      {"recovery interval inf",
       "[server.event_store_subscription]\nrecovery_interval_seconds = inf\n", 2},
      {"recovery retries -1", "[server.event_store_subscription]\nmax_retries = -1\n", 2},
      {"recovery not a bool", "[server.event_store_subscription]\nenable_recovery = \"yes\"\n", 2},
      {"stream_category", "[server.subscriptions.Probe]\nstream_category = \"probe\"\n", 0},
      {"protean top-level keys",
       "command_default_timeout = 30\nlenient_deserialization = true\nsource_uri = \"x\"\n", 0},
      {"logging level (honoured)", "[logging]\nlevel = \"INFO\"\n", 0},
      {"logging log_dir", "[logging]\nlevel = \"INFO\"\nlog_dir = \"/tmp\"\n", 1},
      {"circuit breaker (honoured)",
       "[server.stream_subscription]\ncircuit_breaker_threshold = 5\n"
       "circuit_breaker_reset_seconds = 30\nretention_maxlen = 1000\n",
       0},
      {"circuit breaker reset 0",
       "[server.stream_subscription]\ncircuit_breaker_reset_seconds = 0\n", 2},
      {"circuit breaker threshold 0",
       "[server.subscriptions.Probe]\ncircuit_breaker_threshold = 0\n", 2},
      {"retention_maxlen 0", "[server.subscriptions.Probe]\nretention_maxlen = 0\n", 2},
      {"priority lanes (honoured)",
       "[server.priority_lanes]\nenabled = true\nthreshold = 10\nbackfill_suffix = \"bulk\"\n", 0},
      {"priority lanes as a flag", "[server]\npriority_lanes = true\n", 2},
      {"priority lanes threshold a string", "[server.priority_lanes]\nthreshold = \"low\"\n", 2},
      {"priority lanes suffix dlq", "[server.priority_lanes]\nbackfill_suffix = \"dlq\"\n", 2},
      {"priority lanes unknown key", "[server.priority_lanes]\nenable = true\n", 2},
      {"few worker threads", "[server]\nworker_threads = 2\n[handlers.A]\nstream = \"a\"\n", 1},
      {"unknown top-level value", "colour = \"red\"\n", 1},
      {"deep file", "x = " + std::string(200, '[') + std::string(200, ']') + "\n", 2},
      {"no handlers", "", 0, false},
      // The server validates the callback before its no-handlers exit.
      {"unregistered callback, no handlers", "[server.dlq]\nalert_callback = \"myapp.nope\"\n", 2,
       false},
  };
#ifdef PROTEAN_TEST_REAL_ADAPTERS  // a memory-only build refuses the provider, rightly
  cases.push_back({"pubsub broker with the DLQ off",
                   "[brokers.default]\nprovider = \"redis_pubsub\"\nURI = "
                   "\"redis://127.0.0.1:1/0\"\n[server.subscriptions.Probe]\nenable_dlq = false\n",
                   0});
#endif
  return cases;
}

TEST(StartParityTest, CheckPassesExactlyWhenTheServerStarts) {
  int refused = 0;
  for (const ParityCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    std::string text = c.toml + "\n[server.health]\nenabled = false\n";
    if (c.probe_handler) text += kProbe;
    dir.Write("d/domain.toml", text);
    const std::string domain = ShellQuote((dir.path() / "d").string());
    testing::RunResult check = RunBinary("check --domain " + domain);
    testing::RunResult server = RunBinary("server --domain " + domain + " --run-for 0.1", "", 30);
    EXPECT_EQ(check.exit_code, c.check_exit) << check.out << check.err;
    if (c.check_exit == 2) {
      ++refused;
      EXPECT_EQ(server.exit_code, 2) << "check refused it, the server did not:\n"
                                     << server.out << server.err;
    } else {
      EXPECT_EQ(server.exit_code, 0) << "check passed it, the server refused:\n"
                                     << server.out << server.err;
    }
  }
  EXPECT_GT(refused, 15);
}

// What `protean check` reports as UNSUPPORTED_KEY the server says at start,
// with file:line:column, once per key.
TEST(StartParityTest, TheServerLogsUnsupportedKeysAtStart) {
  TempDir dir;
  dir.Write("d/domain.toml",
            std::string("[server.event_store_subscription]\ngap_timeout_seconds = 5\n"
                        "[server.health]\nenabled = false\n") +
                kProbe);
  testing::RunResult server = RunBinary(
      "server --domain " + ShellQuote((dir.path() / "d").string()) + " --run-for 0.1", "", 30);
  EXPECT_EQ(server.exit_code, 0) << server.out << server.err;
  // stderr is not a terminal here: JSON lines.
  EXPECT_NE(server.err.find(R"("level":"WARNING","event":"server.warning")"), std::string::npos)
      << server.err;
  EXPECT_NE(
      server.err.find("domain.toml:2:23: server.event_store_subscription.gap_timeout_seconds: "
                      "not supported by this engine"),
      std::string::npos)
      << server.err;
}

// tests/config/fixtures/protean_full sets every key Protean reads
// (protean_keys_test.cc holds it to the inventory): `check` passes it with
// warnings only, and the server starts with it and warns about the same
// keys (each UNSUPPORTED_KEY warning of check is a server.warning line).
// Its [server.health] is disabled, so the case needs no port.
TEST(StartParityTest, AFileWithEveryProteanKeyChecksWithWarningsAndStarts) {
  const std::string domain = ShellQuote(PROTEAN_SOURCE_DIR "/tests/config/fixtures/protean_full");
  testing::RunResult check = RunBinary("check --domain " + domain);
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  testing::RunResult server = RunBinary("server --domain " + domain + " --run-for 0.1", "", 30);
  EXPECT_EQ(server.exit_code, 0) << server.out << server.err;
  int warnings = 0;
  for (size_t at = check.out.find("warning UNSUPPORTED_KEY "); at != std::string::npos;
       at = check.out.find("warning UNSUPPORTED_KEY ", at + 1)) {
    ++warnings;
    const size_t key = at + std::string("warning UNSUPPORTED_KEY ").size();
    const std::string path = check.out.substr(key, check.out.find(':', key) - key);
    EXPECT_NE(server.err.find(path + ": not supported by this engine"), std::string::npos)
        << path << " is reported by check, not by the server:\n"
        << server.err;
  }
  EXPECT_GT(warnings, 0) << check.out;
}

TEST(StartParityTest, ExamplesPassAndStart) {
  PROTEAN_SKIP_WITHOUT_REAL_ADAPTERS();
  for (const char* example : {"/examples", "/examples/hardened"}) {
    const std::string domain = ShellQuote(std::string(PROTEAN_SOURCE_DIR) + example);
    EXPECT_EQ(RunBinary("check --domain " + domain).exit_code, 0) << example;
  }
  testing::RunResult hardened =
      RunBinary("check --domain " + ShellQuote(PROTEAN_SOURCE_DIR "/examples/hardened") +
                " --env production");
  EXPECT_EQ(hardened.exit_code, 0) << hardened.out << hardened.err;
}

TEST(AlertCallbackRegistryTest, ARegisteredNamePassesCheckAndResolves) {
  AlertCallbackRegistry registry;
  int calls = 0;
  ASSERT_TRUE(registry
                  .Register("parity.alerts.on_dlq",
                            [&calls](const std::string&, int64_t depth, int64_t) {
                              calls += static_cast<int>(depth);
                              return Status::Ok();
                            })
                  .ok());
  EXPECT_TRUE(registry.Register("parity.alerts.on_dlq", [](auto&&...) { return Status::Ok(); })
                  .IsInvalidArgument());
  EXPECT_TRUE(
      registry.Register("not a name", [](auto&&...) { return Status::Ok(); }).IsInvalidArgument());
  EXPECT_TRUE(registry.Register("empty.callback", nullptr).IsInvalidArgument());
  EXPECT_EQ(registry.Names(), std::vector<std::string>{"parity.alerts.on_dlq"});

  TempDir dir;
  dir.Write("d/domain.toml",
            "[server.dlq]\nenabled = true\nalert_callback = \"parity.alerts.on_dlq\"\n");
  CheckCommandOptions options;
  options.domain = (dir.path() / "d").string();
  options.env = "";
  options.env_lookup = config::testing::FakeEnv();
  std::ostringstream out, err;
  options.alert_callbacks = &registry;
  EXPECT_EQ(RunCheck(options, out, err), 0) << out.str() << err.str();
  AlertCallbackRegistry empty;
  options.alert_callbacks = &empty;
  std::ostringstream out2, err2;
  EXPECT_EQ(RunCheck(options, out2, err2), 2);
  EXPECT_NE(
      out2.str().find("domain.toml:3:18: error CONFIG_INVALID_VALUE server.dlq.alert_callback"),
      std::string::npos)
      << out2.str();

  config::LoadOptions load;
  load.path = dir.path() / "d";
  load.env = "";
  const config::DomainConfig domain = config::LoadDomainConfig(load);
  EXPECT_TRUE(ValidateAlertCallback(domain, registry).ok());
  Status refused = ValidateAlertCallback(domain, empty);
  ASSERT_FALSE(refused.ok());
  ASSERT_NE(refused.source(), nullptr);
  EXPECT_EQ(refused.source()->code, "CONFIG_INVALID_VALUE");
  EXPECT_EQ(refused.source()->key_path, "server.dlq.alert_callback");
  EXPECT_EQ(refused.source()->line, 3u);
  EXPECT_EQ(refused.source()->column, 18u);

  Result<std::optional<DlqAlertCallback>> resolved =
      ResolveAlertCallback(domain, registry, MakeDlqAlertCallback);
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  ASSERT_TRUE(resolved->has_value());
  EXPECT_TRUE((**resolved)("orders:dlq", 7, 5).ok());
  EXPECT_EQ(calls, 7);
  EXPECT_FALSE(ResolveAlertCallback(domain, empty, MakeDlqAlertCallback).ok());
}

TEST(AlertCallbackRegistryTest, CommandAndWebhookGoToTheServersFactory) {
  config::DomainConfig none = config::testing::ParseText("");
  Result<std::optional<DlqAlertCallback>> unset =
      ResolveAlertCallback(none, DefaultAlertCallbackRegistry(), MakeDlqAlertCallback);
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(unset->has_value());
  config::DomainConfig command =
      config::testing::ParseText("[server.dlq]\nalert_callback = \"command:/bin/true\"\n");
  Result<std::optional<DlqAlertCallback>> built =
      ResolveAlertCallback(command, DefaultAlertCallbackRegistry(), MakeDlqAlertCallback);
  ASSERT_TRUE(built.ok());
  EXPECT_TRUE((**built)("s:dlq", 1, 1).ok());
  // A factory that refuses is located like a syntax error.
  Result<std::optional<DlqAlertCallback>> failed = ResolveAlertCallback(
      command, DefaultAlertCallbackRegistry(),
      [](const std::string&) -> Result<DlqAlertCallback> { return Status::Internal("no"); });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().source()->line, 2u);
}

TEST(AlertCallbackRegistryTest, TheServersFactoryAcceptsEverySpecTheSyntaxAccepts) {
  for (const char* spec :
       {"command:/bin/true", "command:/usr/local/bin/alert --team ops", "command:/x",
        "webhook:http://h", "webhook:http://h:9000", "webhook:http://h:9000/a/b?x=1",
        "webhook:http://user:pw@h/x", "command:relative", "command:", "webhook:https://h",
        "webhook:http://", "webhook:http://:80/x", "webhook:http://h/a b", "pager.on_dlq",
        "bad name"}) {
    Result<config::AlertCallbackSpec> parsed = config::ParseAlertCallbackSpec(spec);
    if (!parsed.ok() || parsed->kind == config::AlertCallbackKind::kRegistered) continue;
    EXPECT_TRUE(MakeDlqAlertCallback(spec).ok()) << spec;
  }
}

TEST(BrokerTraitsTest, AgreeWithTheAdaptersCapabilities) {
  AdapterRegistry registry;
  RegisterMemoryAdapters(registry);
  RegisterRealAdapters(registry);
  RealClock clock;
  int compared = 0;
  for (std::string_view provider : config::KnownProviders(config::ProviderKind::kBroker)) {
    if (!registry.Has(config::ProviderKind::kBroker, provider)) continue;
    config::BrokerConfig c;
    c.name = "default";
    c.provider = std::string(provider);
    c.uri = "redis://127.0.0.1:1/0";  // factories never connect
    Result<std::unique_ptr<Broker>> broker = registry.CreateBroker(c, AdapterEnv{&clock});
    ASSERT_TRUE(broker.ok()) << provider << ": " << broker.status().ToString();
    const BrokerCapabilities caps = (*broker)->capabilities();
    const config::BrokerProviderTraits traits = config::BrokerProviderTraitsOf(provider);
    EXPECT_EQ(traits.consumer_groups, caps.consumer_groups) << provider;
    EXPECT_EQ(traits.pending, caps.pending) << provider;
    EXPECT_EQ(traits.dlq, caps.dlq) << provider;
    (*broker)->Close();
    ++compared;
  }
  EXPECT_GE(compared, 2);
}

}  // namespace
}  // namespace protean::cli
