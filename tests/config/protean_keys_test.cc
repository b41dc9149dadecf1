// The inventory of Protean's keys (core/config/protean_keys.h): a file that
// sets every key Protean reads loads, every entry is covered by that file, and
// what UnsupportedKeys reports for it is pinned, including the gates
// ([server.transient_retry] only matters with enabled = true, ...).

#include <iostream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "core/config/defaults.h"
#include "core/config/domain_config.h"
#include "core/config/protean_keys.h"
#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::ParseText;

const std::string kProteanFull = PROTEAN_SOURCE_DIR "/tests/config/fixtures/protean_full";

DomainConfig LoadFull() {
  LoadOptions options;
  options.path = kProteanFull;
  options.env = "";
  options.env_lookup = testing::FakeEnv();
  return LoadDomainConfig(options);
}

std::vector<std::string> Paths(const std::vector<UnsupportedKey>& keys) {
  std::vector<std::string> out;
  for (const UnsupportedKey& key : keys) out.push_back(key.key_path);
  return out;
}

// Whether the table has a node at the dotted pattern ('*' = any key).
bool Covers(const toml::node& node, const std::vector<std::string>& segments, size_t index) {
  if (index == segments.size()) return true;
  const toml::table* table = node.as_table();
  if (table == nullptr) return false;
  if (segments[index] != "*") {
    const toml::node* child = table->get(segments[index]);
    return child != nullptr && Covers(*child, segments, index + 1);
  }
  for (auto&& [name, child] : *table) {
    if (Covers(child, segments, index + 1)) return true;
  }
  return false;
}

TEST(ProteanKeyInventoryTest, EveryEntryCitesProteanAndIsCoveredByTheFullFile) {
  DomainConfig config = LoadFull();
  std::map<KeySupport, int> counts;
  std::set<std::string> paths;
  for (const ProteanKey& key : ProteanKeys()) {
    EXPECT_TRUE(paths.insert(std::string(key.path)).second) << "duplicate " << key.path;
    EXPECT_NE(key.source.find(".py:"), std::string_view::npos) << key.path;
    EXPECT_FALSE(key.protean.empty()) << key.path;
    ++counts[key.support];
    bool covered = false;  // any of the tables a <subscription> entry stands for
    for (const std::vector<std::string>& pattern : ProteanKeyPatterns(key)) {
      covered |= Covers(*config.table, pattern, 0);
    }
    EXPECT_TRUE(covered) << key.path << " is not in the full file";
  }
  std::cout << "protean key inventory: " << ProteanKeys().size() << " entries; ";
  for (const auto& [support, n] : counts) std::cout << KeySupportName(support) << " " << n << "; ";
  std::cout << "\n";
  ::testing::Test::RecordProperty("honoured", counts[KeySupport::kHonoured]);
  ::testing::Test::RecordProperty("unsupported", counts[KeySupport::kUnsupported]);
}

TEST(ProteanKeyInventoryTest, TopLevelKeysAreTheInventorysOnes) {
  for (const ProteanKey& key : ProteanKeys()) {
    if (key.path.find('.') == std::string_view::npos) {
      EXPECT_TRUE(IsKnownTopLevelKey(key.path)) << key.path;
    }
  }
  for (std::string_view key : KnownTopLevelKeys()) {
    const std::vector<std::string> path = {std::string(key)};
    bool engine_key = false;
    for (std::string_view own : EngineTopLevelKeys()) engine_key |= own == key;
    EXPECT_TRUE(FindProteanKey(path) != nullptr || engine_key) << key;
  }
}

TEST(ProteanKeyInventoryTest, FindProteanKeyPrefersTheExactEntry) {
  auto find = [](std::vector<std::string> path) { return FindProteanKey(path); };
  ASSERT_NE(find({"server", "priority_lanes", "enabled"}), nullptr);
  EXPECT_EQ(find({"server", "priority_lanes", "enabled"})->path, "server.priority_lanes");
  EXPECT_EQ(find({"server", "subscriptions", "H", "stream_category"})->support,
            KeySupport::kProteanDrops);
  EXPECT_EQ(find({"handlers", "H", "subscription_config", "retention_maxlen"})->support,
            KeySupport::kHonoured);
  EXPECT_EQ(find({"server", "stream_subscription", "circuit_breaker_threshold"})->support,
            KeySupport::kHonoured);
  EXPECT_EQ(find({"server", "profiles", "p", "circuit_breaker_reset_seconds"})->support,
            KeySupport::kHonoured);
  EXPECT_EQ(find({"lint", "level"})->support, KeySupport::kHonoured);
  EXPECT_EQ(find({"lint", "rules"})->support, KeySupport::kDomainLayer);
  EXPECT_EQ(find({"server", "event_store_subscription", "gap_timeout_seconds"})->support,
            KeySupport::kUnsupported);
  for (const char* key :
       {"max_retries", "retry_delay_seconds", "enable_recovery", "recovery_interval_seconds"}) {
    EXPECT_EQ(find({"server", "event_store_subscription", key})->support, KeySupport::kHonoured)
        << key;
  }
  EXPECT_EQ(find({"nonsense"}), nullptr);
}

TEST(UnsupportedKeysTest, TheFullProteanFileReportsWhatThisEngineLacks) {
  DomainConfig config = LoadFull();
  std::vector<UnsupportedKey> keys = UnsupportedKeys(config);
  EXPECT_EQ(Paths(keys), (std::vector<std::string>{
                             "server.event_store_subscription.gap_timeout_seconds",
                             "server.broker_subscription",
                             "server.version_retry",
                             "server.subscriptions.OrderEventHandler.stream_category",
                             "server.partitioning",
                             "consume_idempotency",
                             "logging",
                             "observatory",
                         }));
  const UnsupportedKey& first = keys.front();
  EXPECT_TRUE(first.warning);
  EXPECT_EQ(first.file, kProteanFull + "/domain.toml");
  EXPECT_EQ(first.line, 72u);
  EXPECT_EQ(first.column, 23u);
  EXPECT_NE(first.message.find("not supported by this engine. Protean: holds $all reads"),
            std::string::npos);
  EXPECT_NE(first.message.find("event_store_subscription.py:201-205"), std::string::npos);
  for (const UnsupportedKey& key : keys) {
    const bool info = key.key_path == "observatory" || key.key_path.ends_with("stream_category");
    EXPECT_EQ(key.warning, !info) << key.key_path;
    EXPECT_GT(key.line, 0u) << key.key_path;
  }
  // A table lists the keys it sets, at the first one.
  for (const UnsupportedKey& key : keys) {
    if (key.key_path != "server.partitioning") continue;
    EXPECT_EQ(key.line, 144u);
    EXPECT_NE(key.message.find("set here: heartbeat_interval_seconds, lease_ttl_ms, "
                               "poll_interval_seconds, reap_idle_ms"),
              std::string::npos)
        << key.message;
  }
  EXPECT_EQ(FormatUnsupportedKey(first).substr(0, first.file.size() + 8), first.file + ":72:23: ");
}

TEST(UnsupportedKeysTest, SettingsThatAreOffInProteanAreNotReported) {
  EXPECT_TRUE(UnsupportedKeys(ParseText(R"(
enable_outbox = false
[outbox]
messages_per_tick = 5
[server.priority_lanes]
enabled = false
threshold = 3
[server.transient_retry]
max_retries = 9
[server.version_retry]
enabled = false
max_retries = 9
[telemetry]
enabled = false
exporter = "console"
[idempotency]
ttl = 5
[lint]
suppressions = []
)"))
                  .empty());
}

TEST(UnsupportedKeysTest, SettingsThatAreOnInProteanAreReported) {
  std::vector<UnsupportedKey> keys = UnsupportedKeys(ParseText(R"(enable_outbox = true
[outbox]
messages_per_tick = 5
[server.priority_lanes]
enabled = true
[server.transient_retry]
enabled = true
[telemetry]
enabled = true
[idempotency]
redis_url = "redis://localhost:6379/5"
)"));
  EXPECT_EQ(Paths(keys),
            (std::vector<std::string>{"enable_outbox", "outbox", "server.transient_retry",
                                      "telemetry", "idempotency"}));
  EXPECT_EQ(keys[0].line, 1u);
  EXPECT_EQ(keys[0].column, 17u);
  EXPECT_EQ(keys[2].line, 7u);
}

TEST(UnsupportedKeysTest, StreamAsDefaultTypeIsPartlySupported) {
  std::vector<UnsupportedKey> keys =
      UnsupportedKeys(ParseText("[server]\ndefault_subscription_type = \"stream\"\n"));
  ASSERT_EQ(Paths(keys), std::vector<std::string>{"server.default_subscription_type"});
  EXPECT_TRUE(keys[0].warning);
  EXPECT_NE(keys[0].message.find("outbox"), std::string::npos);
  EXPECT_EQ(keys[0].line, 2u);
  EXPECT_EQ(keys[0].column, 29u);
  EXPECT_TRUE(UnsupportedKeys(ParseText("[server]\ndefault_subscription_type = \"event_store\"\n"))
                  .empty());
}

TEST(UnsupportedKeysTest, DefaultsAndDomainLayerKeysAreNotReported) {
  EXPECT_TRUE(UnsupportedKeys(ParseText("")).empty());
  EXPECT_TRUE(UnsupportedKeys(ParseText(R"(command_default_timeout = 30
lenient_deserialization = true
source_uri = "x"
identity_strategy = "uuid"
snapshot_threshold = 5
[email_providers.default]
provider = "p"
)"))
                  .empty());
}

}  // namespace
}  // namespace protean::config

namespace protean::config {
namespace {

// An event-store handler with the recovery pass on retries in later passes,
// never in place: its own in-place retry settings are reported (check and
// the server's start log), located, and only then.
TEST(UnsupportedKeysTest, InPlaceRetriesOfARecoveringEventStoreHandlerAreReported) {
  const std::string handler = R"([handlers.P]
stream = "account"
[handlers.P.subscription_config]
subscription_type = "event_store"
max_retries = 5
retry_backoff = "exponential"
[server.subscriptions.P]
retry_delay_seconds = 2
)";
  std::vector<UnsupportedKey> keys = UnsupportedKeys(ParseText(handler));
  ASSERT_EQ(Paths(keys), (std::vector<std::string>{"handlers.P.subscription_config.max_retries",
                                                   "handlers.P.subscription_config.retry_backoff",
                                                   "server.subscriptions.P.retry_delay_seconds"}));
  EXPECT_EQ(keys[0].line, 5u);
  EXPECT_TRUE(keys[0].warning);
  EXPECT_NE(keys[0].message.find("no effect: P is an event-store subscription with the recovery "
                                 "pass on"),
            std::string::npos)
      << keys[0].message;
  EXPECT_TRUE(
      UnsupportedKeys(
          ParseText(handler + "[server.event_store_subscription]\nenable_recovery = false\n"))
          .empty());
  EXPECT_TRUE(UnsupportedKeys(ParseText("[handlers.S]\nstream = \"orders\"\n"
                                        "[handlers.S.subscription_config]\nmax_retries = 5\n"))
                  .empty());
}

}  // namespace
}  // namespace protean::config
