#include "core/config/configuration_error.h"

#include <gtest/gtest.h>

#include "core/config/providers.h"

namespace protean::config {
namespace {

TEST(ConfigurationErrorTest, WhatNamesFileLineColumnKeyMessageAndCode) {
  ConfigurationError e(kConfigInvalidValue,
                       ErrorLocation{"path/domain.toml", "databases.default.pool_size", 12, 5},
                       "expected an integer >= 1, got \"ten\"");
  EXPECT_STREQ(e.what(),
               "path/domain.toml:12:5: databases.default.pool_size: expected an integer >= 1, "
               "got \"ten\" [CONFIG_INVALID_VALUE]");
  EXPECT_EQ(e.code, "CONFIG_INVALID_VALUE");
  EXPECT_EQ(e.file, "path/domain.toml");
  EXPECT_EQ(e.key_path, "databases.default.pool_size");
  EXPECT_EQ(e.line, 12u);
  EXPECT_EQ(e.column, 5u);
  EXPECT_EQ(e.message, "expected an integer >= 1, got \"ten\"");
}

TEST(ConfigurationErrorTest, LeavesOutUnknownParts) {
  EXPECT_STREQ(ConfigurationError(kConfigNotFound, ErrorLocation{"d", "", 0, 0}, "missing").what(),
               "d: missing [CONFIG_NOT_FOUND]");
  EXPECT_STREQ(
      ConfigurationError(kConfigParseError, ErrorLocation{"d.toml", "", 3, 7}, "bad").what(),
      "d.toml:3:7: bad [CONFIG_PARSE_ERROR]");
  EXPECT_STREQ(
      ConfigurationError(kConfigUnresolvedEnvVar, ErrorLocation{"", "a.b", 0, 0}, "m").what(),
      "a.b: m [CONFIG_UNRESOLVED_ENV_VAR]");
}

TEST(ConfigurationErrorTest, IsAStdException) {
  try {
    throw ConfigurationError(kConfigUnknownProvider, ErrorLocation{"f", "k", 1, 1}, "m");
  } catch (const std::exception& e) {
    EXPECT_STREQ(e.what(), "f:1:1: k: m [CONFIG_UNKNOWN_PROVIDER]");
  }
}

TEST(ConfigurationErrorTest, QuoteForMessageEscapes) {
  EXPECT_EQ(QuoteForMessage("ten"), "\"ten\"");
  EXPECT_EQ(QuoteForMessage("a\"b\\c"), "\"a\\\"b\\\\c\"");
}

TEST(ProvidersTest, KnownProvidersPerKind) {
  EXPECT_EQ(JoinKnownProviders(ProviderKind::kDatabase),
            "memory, postgresql, sqlite, mssql, elasticsearch");
  EXPECT_EQ(JoinKnownProviders(ProviderKind::kBroker), "inline, memory, redis, redis_pubsub");
  EXPECT_EQ(JoinKnownProviders(ProviderKind::kEventStore), "memory, message_db");
  EXPECT_EQ(JoinKnownProviders(ProviderKind::kCache), "memory, redis");
  EXPECT_TRUE(IsKnownProvider(ProviderKind::kBroker, "redis_pubsub"));
  EXPECT_FALSE(IsKnownProvider(ProviderKind::kBroker, "postgresql"));
  EXPECT_FALSE(IsKnownProvider(ProviderKind::kEventStore, "redis"));
  EXPECT_FALSE(IsKnownProvider(ProviderKind::kDatabase, "Memory"));  // case-sensitive
  EXPECT_EQ(KnownProviders(ProviderKind::kCache).size(), 2u);
  EXPECT_EQ(ProviderKindName(ProviderKind::kEventStore), "event store");
}

}  // namespace
}  // namespace protean::config
