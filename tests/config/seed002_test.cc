// The whole domain.toml of Protean's configuration guide (seed 002), resolved
// for each environment it defines.

#include <gtest/gtest.h>

#include "core/config/domain_config.h"
#include "tests/config/test_util.h"

namespace protean::config {
namespace {

using testing::CaptureError;
using testing::FakeEnv;

const std::map<std::string, std::string> kProductionVars = {
    {"DATABASE_URL", "postgresql://app:s3cret@db.internal:5432/orders"},
    {"REDIS_URL", "redis://:hunter2@cache.internal:6379/0"},
    {"MESSAGEDB_URL", "postgresql://message_store@store.internal:5433/message_store"},
    {"ES_HOST", "search.internal"},
};

DomainConfig LoadSeed(std::map<std::string, std::string> vars) {
  LoadOptions options;
  options.path = PROTEAN_SOURCE_DIR "/tests/config/fixtures/seed002";
  options.env_lookup = FakeEnv(std::move(vars));  // PROTEAN_ENV comes from here too
  return LoadDomainConfig(options);
}

void ExpectNoOverlayKeys(const DomainConfig& config) {
  for (std::string_view overlay : {"production", "test", "memory"}) {
    EXPECT_FALSE(config.table->contains(overlay)) << overlay;
  }
  EXPECT_EQ(config.overlays, (std::vector<std::string>{"memory", "production", "test"}));
}

void ExpectBaseProviders(const DomainConfig& config) {
  EXPECT_EQ(config.databases.at("default").provider, "memory");
  EXPECT_EQ(config.databases.at("memory").provider, "memory");
  EXPECT_EQ(config.brokers.at("default").provider, "inline");
  EXPECT_EQ(config.event_store.provider, "memory");
  EXPECT_EQ(config.caches.at("default").provider, "memory");
  EXPECT_EQ(config.caches.at("default").ttl, 300);
  EXPECT_EQ(config.table->at_path("caches.default.provider").value<std::string>(), "memory");
}

TEST(Seed002Test, NoEnvironmentResolvesTheBase) {
  DomainConfig config = LoadSeed({});
  EXPECT_EQ(config.env, "");
  EXPECT_FALSE(config.overlay_applied);
  EXPECT_TRUE(config.source_file.ends_with("seed002/domain.toml")) << config.source_file;
  EXPECT_TRUE(config.debug);
  EXPECT_FALSE(config.testing);
  EXPECT_EQ(config.event_processing, "sync");
  EXPECT_EQ(config.command_processing, "sync");
  EXPECT_EQ(config.message_processing, "async");  // framework default
  ExpectBaseProviders(config);
  const DatabaseConfig& analytics = config.databases.at("analytics");
  EXPECT_EQ(analytics.provider, "elasticsearch");
  EXPECT_EQ(analytics.database_uri, "{'hosts': ['localhost']}");
  EXPECT_EQ(config.databases.size(), 3u);
  ExpectNoOverlayKeys(config);
}

TEST(Seed002Test, ProductionWithVariablesSetGetsExactValues) {
  std::map<std::string, std::string> vars = kProductionVars;
  vars["PROTEAN_ENV"] = "production";
  DomainConfig config = LoadSeed(vars);
  EXPECT_EQ(config.env, "production");
  EXPECT_TRUE(config.overlay_applied);
  EXPECT_FALSE(config.debug);
  EXPECT_EQ(config.event_processing, "async");
  EXPECT_EQ(config.command_processing, "async");

  const DatabaseConfig& db = config.databases.at("default");
  EXPECT_EQ(db.provider, "postgresql");
  EXPECT_EQ(db.database_uri, "postgresql://app:s3cret@db.internal:5432/orders");
  EXPECT_EQ(db.pool_size, 5);
  EXPECT_EQ(db.max_overflow, 10);
  EXPECT_EQ(config.databases.at("analytics").database_uri, "{'hosts': ['search.internal']}");
  EXPECT_EQ(config.databases.at("memory").provider, "memory");

  const BrokerConfig& broker = config.brokers.at("default");
  EXPECT_EQ(broker.provider, "redis");
  EXPECT_EQ(broker.uri, "redis://:hunter2@cache.internal:6379/0");
  EXPECT_EQ(config.event_store.provider, "message_db");
  EXPECT_EQ(config.event_store.database_uri,
            "postgresql://message_store@store.internal:5433/message_store");
  const CacheConfig& cache = config.caches.at("default");
  EXPECT_EQ(cache.provider, "redis");
  EXPECT_EQ(cache.uri, "redis://:hunter2@cache.internal:6379/0");
  EXPECT_EQ(cache.ttl, 300);

  // The resolved table has domain.toml's key structure and spelling.
  EXPECT_EQ(config.table->at_path("brokers.default.URI").value<std::string>(),
            "redis://:hunter2@cache.internal:6379/0");
  EXPECT_EQ(config.table->at_path("caches.default.TTL").value<int64_t>(), 300);
  ExpectNoOverlayKeys(config);
}

TEST(Seed002Test, ProductionDefaultsApplyWhenVariablesAreUnset) {
  DomainConfig config = LoadSeed({{"PROTEAN_ENV", "production"}});
  EXPECT_EQ(config.databases.at("default").database_uri, "postgresql://localhost:5432/myapp");
  EXPECT_EQ(config.databases.at("analytics").database_uri, "{'hosts': ['localhost']}");
  EXPECT_EQ(config.brokers.at("default").uri, "redis://localhost:6379/0");
  EXPECT_EQ(config.event_store.database_uri,
            "postgresql://message_store@localhost:5433/message_store");
  EXPECT_EQ(config.caches.at("default").uri, "redis://localhost:6379/2");
}

TEST(Seed002Test, TheSameVariableCanHaveDifferentDefaultsPerKey) {
  // REDIS_URL set: both the broker and the cache take its value.
  DomainConfig config = LoadSeed({{"PROTEAN_ENV", "production"}, {"REDIS_URL", "redis://r/5"}});
  EXPECT_EQ(config.brokers.at("default").uri, "redis://r/5");
  EXPECT_EQ(config.caches.at("default").uri, "redis://r/5");
}

// The guide's first block (seed002_overlays): production addresses are
// ${VAR} without defaults.
DomainConfig LoadOverlaysSeed(std::map<std::string, std::string> vars) {
  LoadOptions options;
  options.path = PROTEAN_SOURCE_DIR "/tests/config/fixtures/seed002_overlays";
  options.env = "production";
  options.env_lookup = FakeEnv(std::move(vars));
  return LoadDomainConfig(options);
}

TEST(Seed002Test, RequiredVariablesSetGiveExactValues) {
  DomainConfig config = LoadOverlaysSeed(kProductionVars);
  EXPECT_EQ(config.databases.at("default").database_uri,
            "postgresql://app:s3cret@db.internal:5432/orders");
  EXPECT_EQ(config.brokers.at("default").uri, "redis://:hunter2@cache.internal:6379/0");
  EXPECT_EQ(config.event_store.database_uri,
            "postgresql://message_store@store.internal:5433/message_store");
  EXPECT_EQ(config.caches.at("default").provider, "memory");  // not in this block
  EXPECT_FALSE(config.table->contains("production"));
  EXPECT_FALSE(config.table->contains("test"));
}

TEST(Seed002Test, UnsetVariableWithoutDefaultNamesVariableAndKey) {
  std::map<std::string, std::string> vars = kProductionVars;
  vars.erase("REDIS_URL");
  ConfigurationError e = CaptureError([&] { LoadOverlaysSeed(vars); });
  EXPECT_EQ(e.code, kConfigUnresolvedEnvVar);
  EXPECT_TRUE(e.file.ends_with("seed002_overlays/domain.toml")) << e.file;
  EXPECT_EQ(e.key_path, "brokers.default.URI");
  EXPECT_EQ(e.line, 30u);
  EXPECT_EQ(e.column, 7u);
  EXPECT_NE(e.message.find("'REDIS_URL'"), std::string::npos) << e.message;
  std::string what = e.what();
  EXPECT_NE(what.find("domain.toml:30:7: brokers.default.URI: "), std::string::npos) << what;
  EXPECT_NE(what.find("[CONFIG_UNRESOLVED_ENV_VAR]"), std::string::npos);

  vars = kProductionVars;
  vars.erase("MESSAGEDB_URL");
  e = CaptureError([&] { LoadOverlaysSeed(vars); });
  EXPECT_EQ(e.code, kConfigUnresolvedEnvVar);
  EXPECT_EQ(e.key_path, "event_store.database_uri");
  EXPECT_EQ(e.line, 34u);
  EXPECT_NE(e.message.find("'MESSAGEDB_URL'"), std::string::npos);

  // The same file loads without any variable when production is not selected.
  EXPECT_EQ(LoadSeed({}).env, "");
}

TEST(Seed002Test, TestOverlay) {
  DomainConfig config = LoadSeed({{"PROTEAN_ENV", "test"}});
  EXPECT_EQ(config.env, "test");
  EXPECT_TRUE(config.overlay_applied);
  EXPECT_TRUE(config.testing);
  EXPECT_TRUE(config.debug);  // from the base
  EXPECT_EQ(config.event_processing, "sync");
  EXPECT_EQ(config.command_processing, "sync");
  ExpectBaseProviders(config);
  EXPECT_EQ(config.databases.at("analytics").provider, "elasticsearch");
  ExpectNoOverlayKeys(config);
}

TEST(Seed002Test, MemoryOverlay) {
  LoadOptions options;
  options.path = PROTEAN_SOURCE_DIR "/tests/config/fixtures/seed002/domain.toml";
  options.env = "memory";  // --env wins over PROTEAN_ENV
  options.env_lookup = FakeEnv({{"PROTEAN_ENV", "production"}});
  DomainConfig config = LoadDomainConfig(options);
  EXPECT_EQ(config.env, "memory");
  EXPECT_TRUE(config.testing);
  EXPECT_EQ(config.event_processing, "sync");
  EXPECT_EQ(config.command_processing, "sync");
  ExpectBaseProviders(config);
  ExpectNoOverlayKeys(config);
}

}  // namespace
}  // namespace protean::config
