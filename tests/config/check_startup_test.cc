// The rules of `protean check` that mirror the server's start path
// (core/config/check_startup.cc): providers of this build, the adapter
// factories, the alert callback, UNSUPPORTED_KEY and WORKER_THREADS_LOW.

#include <string>

#include <gtest/gtest.h>

#include "core/config/alert_callback_spec.h"
#include "core/config/check.h"
#include "core/config/configuration_error.h"
#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::ParseText;

std::vector<std::string> StartupCodes(const CheckReport& report) {
  std::vector<std::string> codes;
  for (const Finding& f : report.findings) codes.push_back(f.code);
  return codes;
}

TEST(WorkerThreadsTest, WarnsBelowSubscriptionsPlusTwo) {
  const char* three_handlers = R"(
[server]
worker_threads = 4
[handlers.A]
stream = "a"
[handlers.B]
stream = "b"
[handlers.C]
stream = "c"
)";
  CheckReport report = RunChecks(ParseText(three_handlers), CheckOptions{});
  ASSERT_EQ(StartupCodes(report), std::vector<std::string>{"WORKER_THREADS_LOW"});
  const Finding& f = report.findings[0];
  EXPECT_EQ(f.level, FindingLevel::kWarning);
  EXPECT_EQ(f.key_path, "server.worker_threads");
  EXPECT_EQ(f.file, "domain.toml");
  EXPECT_EQ(f.line, 3u);
  EXPECT_EQ(f.column, 18u);
  EXPECT_NE(f.message.find("server.worker_threads 4 is below 5 (3 subscription(s) running up to "
                           "3 attempt(s) at once"),
            std::string::npos)
      << f.message;
  EXPECT_EQ(report.ExitCode(), 1);

  std::string enough(three_handlers);
  enough.replace(enough.find("= 4"), 3, "= 5");
  EXPECT_TRUE(RunChecks(ParseText(enough), CheckOptions{}).findings.empty());
  // The default (8) is fine for 6 handlers, not for 7; without the key there
  // is no line to point at.
  std::string seven;
  for (char name = 'A'; name < 'H'; ++name) {
    seven += std::string("[handlers.") + name + "]\nstream = \"s\"\n";
  }
  CheckReport defaulted = RunChecks(ParseText(seven), CheckOptions{});
  ASSERT_EQ(StartupCodes(defaulted), std::vector<std::string>{"WORKER_THREADS_LOW"});
  EXPECT_EQ(defaulted.findings[0].line, 0u);
  EXPECT_EQ(ParseText("").server.worker_threads, 8);
}

TEST(WorkerThreadsTest, CountsEveryConcurrentAttempt) {
  const char* toml = R"(
[server]
worker_threads = 8
[handlers.A]
stream = "a"
[handlers.A.subscription_config]
concurrency = 6
[handlers.B]
stream = "b"
)";
  CheckReport report = RunChecks(ParseText(toml), CheckOptions{});
  ASSERT_EQ(StartupCodes(report), std::vector<std::string>{"WORKER_THREADS_LOW"});
  EXPECT_NE(report.findings[0].message.find("below 9 (2 subscription(s) running up to 7"),
            std::string::npos)
      << report.findings[0].message;
}

TEST(UnsupportedKeyFindingTest, WarningsFailAndInfosDoNot) {
  CheckReport report = RunChecks(ParseText(R"(
[server.event_store_subscription]
gap_timeout_seconds = 5
[server.subscriptions.A]
stream_category = "a"
)"),
                                 CheckOptions{});
  ASSERT_EQ(StartupCodes(report), (std::vector<std::string>{"UNSUPPORTED_KEY", "UNSUPPORTED_KEY"}));
  EXPECT_EQ(report.findings[0].level, FindingLevel::kWarning);
  EXPECT_EQ(report.findings[0].key_path, "server.event_store_subscription.gap_timeout_seconds");
  EXPECT_EQ(report.findings[0].line, 3u);
  EXPECT_EQ(report.findings[0].column, 23u);
  EXPECT_EQ(report.findings[1].level, FindingLevel::kInfo);
  EXPECT_EQ(report.findings[1].line, 5u);
  EXPECT_EQ(report.ExitCode(), 1);
  CheckReport info_only =
      RunChecks(ParseText("[server.subscriptions.A]\nstream_category = \"a\"\n"), CheckOptions{});
  EXPECT_EQ(info_only.ExitCode(), 0);
  EXPECT_EQ(info_only.Status(), "pass");
}

TEST(UnsupportedKeyFindingTest, ProteansTopLevelDomainKeysPass) {
  // They made check exit 1 as CONFIG_UNKNOWN_KEY before.
  CheckReport report = RunChecks(ParseText("command_default_timeout = 30\n"
                                           "lenient_deserialization = true\n"
                                           "source_uri = \"https://example.com\"\n"),
                                 CheckOptions{});
  EXPECT_TRUE(report.findings.empty());
  EXPECT_EQ(report.ExitCode(), 0);
}

TEST(ProviderAvailabilityTest, AProviderOutsideThisBuildIsAnError) {
  CheckOptions options;
  options.provider_available = [](ProviderKind, std::string_view provider) {
    return provider == "memory" || provider == "inline";
  };
  CheckReport report = RunChecks(ParseText(R"(
[databases.default]
provider = "mssql"
database_uri = "mssql://h/db"
)"),
                                 options);
  ASSERT_EQ(StartupCodes(report), std::vector<std::string>{"CONFIG_UNKNOWN_PROVIDER"});
  const Finding& f = report.findings[0];
  EXPECT_EQ(f.level, FindingLevel::kError);
  EXPECT_EQ(f.key_path, "databases.default.provider");
  EXPECT_EQ(f.line, 3u);
  EXPECT_EQ(f.column, 12u);
  EXPECT_NE(f.message.find("\"mssql\" is not available in this build (available: memory)"),
            std::string::npos)
      << f.message;
  EXPECT_EQ(report.Status(), "error");
  EXPECT_EQ(report.ExitCode(), 2);
}

TEST(ProviderAvailabilityTest, AFactoryErrorIsAnError) {
  CheckOptions options;
  options.build_adapter = [](ProviderKind kind, const std::string& name, const DomainConfig&) {
    if (kind == ProviderKind::kBroker && name == "default") {
      return Status::InvalidArgument("brokers.default.URI: invalid Redis URL");
    }
    return Status::Ok();
  };
  CheckReport report =
      RunChecks(ParseText("[brokers.default]\nprovider = \"redis\"\nURI = \"garbage\"\n"), options);
  ASSERT_EQ(StartupCodes(report), std::vector<std::string>{"CONFIG_INVALID_VALUE"});
  EXPECT_EQ(report.findings[0].key_path, "brokers.default");
  EXPECT_EQ(report.findings[0].line, 2u);
  EXPECT_EQ(report.ExitCode(), 2);
}

TEST(AlertCallbackCheckTest, AnUnregisteredNameIsAnErrorARegisteredOnePasses) {
  const char* toml = "[server.dlq]\nenabled = true\nalert_callback = \"myapp.alerts.on_dlq\"\n";
  CheckReport report = RunChecks(ParseText(toml), CheckOptions{});
  ASSERT_EQ(StartupCodes(report), std::vector<std::string>{"CONFIG_INVALID_VALUE"});
  const Finding& f = report.findings[0];
  EXPECT_EQ(f.key_path, "server.dlq.alert_callback");
  EXPECT_EQ(f.file, "domain.toml");
  EXPECT_EQ(f.line, 3u);
  EXPECT_EQ(f.column, 18u);
  EXPECT_NE(f.message.find("\"myapp.alerts.on_dlq\" is not a registered callback (registered: "
                           "none)"),
            std::string::npos)
      << f.message;
  EXPECT_EQ(report.ExitCode(), 2);

  CheckOptions options;
  options.alert_callback_registered = [](std::string_view name) {
    return name == "myapp.alerts.on_dlq";
  };
  EXPECT_EQ(RunChecks(ParseText(toml), options).ExitCode(), 0);
  options.alert_callback_names = {"other.one"};
  options.alert_callback_registered = [](std::string_view name) { return name == "other.one"; };
  CheckReport other = RunChecks(ParseText(toml), options);
  EXPECT_NE(other.findings[0].message.find("(registered: other.one)"), std::string::npos);
  // command: and webhook: need no registry.
  EXPECT_EQ(
      RunChecks(ParseText("[server.dlq]\nalert_callback = \"command:/bin/true\"\n"), CheckOptions{})
          .ExitCode(),
      0);
}

TEST(AlertCallbackSpecTest, ParsesTheThreeForms) {
  Result<AlertCallbackSpec> command = ParseAlertCallbackSpec("command:/usr/bin/page  -t ops");
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->kind, AlertCallbackKind::kCommand);
  EXPECT_EQ(command->command, (std::vector<std::string>{"/usr/bin/page", "-t", "ops"}));
  Result<AlertCallbackSpec> webhook = ParseAlertCallbackSpec("webhook:http://h:9000/a/b");
  ASSERT_TRUE(webhook.ok());
  EXPECT_EQ(webhook->origin, "http://h:9000");
  EXPECT_EQ(webhook->path, "/a/b");
  EXPECT_EQ(ParseAlertCallbackSpec("webhook:http://h")->path, "/");
  Result<AlertCallbackSpec> named = ParseAlertCallbackSpec("myapp.alerts.on_dlq");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->kind, AlertCallbackKind::kRegistered);
  EXPECT_EQ(named->name, "myapp.alerts.on_dlq");
  Result<AlertCallbackSpec> bad = ParseAlertCallbackSpec("myapp/alerts");
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  EXPECT_NE(bad.status().message().find("\"myapp/alerts\""), std::string::npos);
  for (const char* name : {"a", "a.b_c", "_x.y1", "A9._"}) EXPECT_TRUE(IsDottedName(name)) << name;
  for (const char* name : {"", "a.", ".a", "a..b", "a-b", "1a", "a.1b", "a b"}) {
    EXPECT_FALSE(IsDottedName(name)) << name;
  }
}

}  // namespace
}  // namespace protean::config
