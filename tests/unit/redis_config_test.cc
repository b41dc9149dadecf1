// Server-free tests of the Redis adapters: redis:// URL parsing, reading
// options from config sections, the provider factories, the hiredis error
// mapping (RedisStatus) and the pub/sub payload codec.

#include <hiredis/hiredis.h>

#include <cstring>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "adapters/real/redis_broker.h"
#include "adapters/real/redis_cache.h"
#include "adapters/real/redis_connection.h"
#include "adapters/real/redis_options.h"
#include "adapters/real/redis_pubsub_broker.h"
#include "adapters/real/redis_url.h"
#include "adapters/real/register_redis.h"
#include "core/config/pass_through.h"
#include "core/engine/adapter_registry.h"
#include "core/runtime/sim_executor.h"

namespace protean {
namespace {

// --- redis:// URLs -----------------------------------------------------------

TEST(RedisUrlTest, DefaultsWhenOnlyTheHostIsGiven) {
  auto url = ParseRedisUrl("redis://cache.internal");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->host, "cache.internal");
  EXPECT_EQ(url->port, 6379);
  EXPECT_EQ(url->db, 0);
  EXPECT_TRUE(url->username.empty());
  EXPECT_TRUE(url->password.empty());
  auto bare = ParseRedisUrl("redis://");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->host, "127.0.0.1");
  EXPECT_EQ(bare->port, 6379);
}

TEST(RedisUrlTest, PortAndDb) {
  auto url = ParseRedisUrl("redis://127.0.0.1:6390/3");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 6390);
  EXPECT_EQ(url->db, 3);
  auto trailing_slash = ParseRedisUrl("redis://h:1/");
  ASSERT_TRUE(trailing_slash.ok());
  EXPECT_EQ(trailing_slash->db, 0);
  auto query = ParseRedisUrl("redis://h?db=5");
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  EXPECT_EQ(query->db, 5);
  EXPECT_EQ(query->port, 6379);
}

TEST(RedisUrlTest, PasswordWithAndWithoutUser) {
  auto pass_only = ParseRedisUrl("redis://:s3cret@localhost:6380/1");
  ASSERT_TRUE(pass_only.ok()) << pass_only.status().ToString();
  EXPECT_EQ(pass_only->username, "");
  EXPECT_EQ(pass_only->password, "s3cret");
  EXPECT_EQ(pass_only->host, "localhost");
  EXPECT_EQ(pass_only->port, 6380);
  EXPECT_EQ(pass_only->db, 1);
  auto both = ParseRedisUrl("redis://app:p%40ss%3Aword@h");
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(both->username, "app");
  EXPECT_EQ(both->password, "p@ss:word");
  auto lone = ParseRedisUrl("redis://secret@h");  // redis-py: a lone userinfo is the password
  ASSERT_TRUE(lone.ok());
  EXPECT_EQ(lone->password, "secret");
  EXPECT_EQ(lone->username, "");
  auto at_in_password = ParseRedisUrl("redis://:a@b@h:7");
  ASSERT_TRUE(at_in_password.ok());
  EXPECT_EQ(at_in_password->password, "a@b");
  EXPECT_EQ(at_in_password->host, "h");
}

TEST(RedisUrlTest, Ipv6HostsAreBracketed) {
  auto url = ParseRedisUrl("redis://[::1]:6390/2");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 6390);
  EXPECT_EQ(url->db, 2);
  EXPECT_EQ(url->Redacted(), "redis://[::1]:6390/2");
  EXPECT_FALSE(ParseRedisUrl("redis://::1:6390").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://[::1").ok());
}

TEST(RedisUrlTest, RejectsWhatItCannotHonour) {
  for (const char* bad :
       {"", "localhost:6379", "http://h", "rediss://h", "unix:///tmp/redis.sock", "redis://h:0",
        "redis://h:65536", "redis://h:port", "redis://h:", "redis://h/-1", "redis://h/x",
        "redis://h/1?db=2", "redis://h?timeout=1", "redis://:%zz@h", "redis://:%4@h"}) {
    auto url = ParseRedisUrl(bad);
    EXPECT_FALSE(url.ok()) << bad;
    if (!url.ok()) {
      EXPECT_EQ(url.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(RedisUrlTest, MessagesAndRedactionNeverShowThePassword) {
  auto url = ParseRedisUrl("redis://u:topsecret@h:1/2");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->Redacted(), "redis://h:1/2");
  auto bad = ParseRedisUrl("redis://u:topsecret@h:99999/2");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("topsecret"), std::string::npos) << bad.status().ToString();
}

// --- options from config sections -----------------------------------------

config::BrokerConfig BrokerSection(const std::string& provider, const std::string& uri) {
  config::BrokerConfig c;
  c.name = "default";
  c.provider = provider;
  c.uri = uri;
  return c;
}

TEST(RedisOptionsTest, BrokerDefaults) {
  auto options = RedisOptionsFromBroker(BrokerSection("redis", "redis://h:1/0"));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->max_connections, 10);
  EXPECT_EQ(options->socket_timeout, Seconds(10));
  EXPECT_EQ(options->connect_timeout, Seconds(5));
  EXPECT_EQ(options->pool_timeout, Seconds(5));
  EXPECT_FALSE(options->retry_on_timeout);
  EXPECT_EQ(options->owner, "brokers.default");
  EXPECT_EQ(options->client_name, "protean:brokers.default");
}

TEST(RedisOptionsTest, BrokerKeys) {
  config::BrokerConfig c = BrokerSection("redis", "redis://:pw@h:7/4");
  c.max_connections = 3;
  c.socket_timeout = 0.25;
  c.socket_connect_timeout = 1.5;
  c.retry_on_timeout = true;
  config::SetPassThrough(c.extra, "pool_timeout", int64_t{2});
  auto options = RedisOptionsFromBroker(c);
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->url.password, "pw");
  EXPECT_EQ(options->url.db, 4);
  EXPECT_EQ(options->max_connections, 3);
  EXPECT_EQ(options->socket_timeout, Millis(250));
  EXPECT_EQ(options->connect_timeout, Millis(1500));
  EXPECT_EQ(options->pool_timeout, Seconds(2));
  EXPECT_TRUE(options->retry_on_timeout);
}

TEST(RedisOptionsTest, BadValuesNameTheSectionAndKey) {
  config::BrokerConfig bad_uri = BrokerSection("redis", "http://h");
  auto uri = RedisOptionsFromBroker(bad_uri);
  ASSERT_FALSE(uri.ok());
  EXPECT_EQ(uri.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(uri.status().message().find("brokers.default.URI"), std::string::npos)
      << uri.status().ToString();
  config::BrokerConfig bad_pool = BrokerSection("redis", "redis://h");
  config::SetPassThrough(bad_pool.extra, "pool_timeout", std::string("soon"));
  auto pool = RedisOptionsFromBroker(bad_pool);
  ASSERT_FALSE(pool.ok());
  EXPECT_NE(pool.status().message().find("brokers.default.pool_timeout"), std::string::npos);
  config::BrokerConfig zero = BrokerSection("redis", "redis://h");
  config::SetPassThrough(zero.extra, "pool_timeout", 0.0);
  EXPECT_FALSE(RedisOptionsFromBroker(zero).ok());
}

TEST(RedisOptionsTest, CacheKeysIncludingExtras) {
  config::CacheConfig c;
  c.name = "main";
  c.provider = "redis";
  c.uri = "redis://h/2";
  c.max_connections = 4;
  config::SetPassThrough(c.extra, "key_prefix", std::string("app1:"));
  config::SetPassThrough(c.extra, "socket_timeout", 0.5);
  config::SetPassThrough(c.extra, "socket_connect_timeout", int64_t{2});
  config::SetPassThrough(c.extra, "retry_on_timeout", true);
  auto settings = RedisOptionsFromCache(c);
  ASSERT_TRUE(settings.ok()) << settings.status().ToString();
  EXPECT_EQ(settings->key_prefix, "app1:");
  EXPECT_EQ(settings->options.url.db, 2);
  EXPECT_EQ(settings->options.max_connections, 4);
  EXPECT_EQ(settings->options.socket_timeout, Millis(500));
  EXPECT_EQ(settings->options.connect_timeout, Seconds(2));
  EXPECT_TRUE(settings->options.retry_on_timeout);
  EXPECT_EQ(settings->options.owner, "caches.main");
  config::SetPassThrough(c.extra, "key_prefix", int64_t{7});
  auto bad = RedisOptionsFromCache(c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("caches.main.key_prefix"), std::string::npos);
}

// --- factories -------------------------------------------------------------

TEST(RedisFactoryTest, RegistersBothBrokersAndTheCacheWithoutConnecting) {
  AdapterRegistry registry;
  RegisterRedisAdapters(registry);
  SimClock clock;
  const AdapterEnv env{&clock};
  // Port 1: nothing listens; factories must not connect.
  auto streams = registry.CreateBroker(BrokerSection("redis", "redis://127.0.0.1:1/0"), env);
  ASSERT_TRUE(streams.ok()) << streams.status().ToString();
  EXPECT_EQ((*streams)->provider(), "redis");
  EXPECT_TRUE((*streams)->capabilities().blocking_reads);
  auto* redis = dynamic_cast<RedisBroker*>(streams->get());
  ASSERT_NE(redis, nullptr);
  EXPECT_EQ(redis->options().url.port, 1);
  EXPECT_EQ(redis->open_connections(), 0);

  auto list = registry.CreateBroker(BrokerSection("redis_pubsub", "redis://127.0.0.1:1"), env);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ((*list)->provider(), "redis_pubsub");
  EXPECT_TRUE((*list)->capabilities().consumer_groups) << "Protean's SIMPLE_QUEUING";
  EXPECT_FALSE((*list)->capabilities().pending);
  EXPECT_FALSE((*list)->capabilities().dlq);
  EXPECT_NE(dynamic_cast<RedisPubSubBroker*>(list->get()), nullptr);

  config::CacheConfig cache_section;
  cache_section.name = "default";
  cache_section.provider = "redis";
  cache_section.uri = "redis://127.0.0.1:1";
  config::SetPassThrough(cache_section.extra, "key_prefix", std::string("p:"));
  auto cache = registry.CreateCache(cache_section, env);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  EXPECT_EQ((*cache)->provider(), "redis");
  auto* redis_cache = dynamic_cast<RedisCache*>(cache->get());
  ASSERT_NE(redis_cache, nullptr);
  EXPECT_EQ(redis_cache->key_prefix(), "p:");

  auto bad = registry.CreateBroker(BrokerSection("redis", "redis://h:0"), env);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(RedisFactoryTest, AnUnreachableServerIsUnavailableAfterBoundedRetries) {
  RedisOptions options;
  options.url.port = 1;  // refused at once
  options.connect_timeout = Millis(200);
  SimClock clock;
  RedisBroker broker(clock, options);
  const Status ping = broker.Ping();
  EXPECT_EQ(ping.code(), StatusCode::kUnavailable) << ping.ToString();
  EXPECT_NE(ping.message().find("redis://127.0.0.1:1/0"), std::string::npos) << ping.ToString();
  EXPECT_EQ(broker.open_connections(), 0) << "a failed connect gives its slot back";
  EXPECT_EQ(broker.Publish("s", {{"data", "x"}}).status().code(), StatusCode::kUnavailable);
  broker.Close();
  EXPECT_EQ(broker.Ping().code(), StatusCode::kUnavailable);
}

// --- the one error mapping ---------------------------------------------------

redisReply ErrorReply(const char* text) {
  redisReply reply;
  std::memset(&reply, 0, sizeof reply);
  reply.type = REDIS_REPLY_ERROR;
  reply.str = const_cast<char*>(text);
  reply.len = std::strlen(text);
  return reply;
}

StatusCode MapError(const char* text) {
  redisReply reply = ErrorReply(text);
  return RedisStatus(nullptr, &reply, "CMD").code();
}

TEST(RedisStatusTest, ServerErrorsByPrefix) {
  EXPECT_EQ(MapError("NOGROUP No such key 's' or consumer group 'g'"), StatusCode::kNotFound);
  EXPECT_EQ(MapError("ERR no such key"), StatusCode::kNotFound);
  EXPECT_EQ(MapError("UNBLOCKED the stream key no longer exists"), StatusCode::kNotFound);
  EXPECT_EQ(MapError("NOSCRIPT No matching script."), StatusCode::kNotFound);
  EXPECT_EQ(MapError("WRONGTYPE Operation against a key holding the wrong kind of value"),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MapError("ERR syntax error"), StatusCode::kInvalidArgument);
  EXPECT_EQ(MapError("ERR Invalid stream ID specified as stream command argument"),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MapError("ERR value is not an integer or out of range"), StatusCode::kInvalidArgument);
  EXPECT_EQ(MapError("EXECABORT Transaction discarded because of previous errors."),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MapError("LOADING Redis is loading the dataset in memory"), StatusCode::kUnavailable);
  EXPECT_EQ(MapError("BUSY Redis is busy running a script."), StatusCode::kUnavailable);
  EXPECT_EQ(MapError("OOM command not allowed when used memory > 'maxmemory'."),
            StatusCode::kUnavailable);
  EXPECT_EQ(MapError("READONLY You can't write against a read only replica."),
            StatusCode::kUnavailable);
  EXPECT_EQ(MapError("NOAUTH Authentication required."), StatusCode::kUnavailable);
  EXPECT_EQ(MapError("WRONGPASS invalid username-password pair"), StatusCode::kUnavailable);
  EXPECT_EQ(MapError("ERR something new"), StatusCode::kInternal);
  redisReply reply = ErrorReply("ERR syntax error");
  EXPECT_EQ(RedisStatus(nullptr, &reply, "XADD").message(), "XADD: ERR syntax error");
}

StatusCode MapContext(int err, const char* text) {
  redisContext context;
  std::memset(&context, 0, sizeof context);
  context.err = err;
  std::snprintf(context.errstr, sizeof context.errstr, "%s", text);
  return RedisStatus(&context, nullptr, "CMD").code();
}

TEST(RedisStatusTest, ContextErrors) {
  EXPECT_EQ(MapContext(REDIS_ERR_IO, "Resource temporarily unavailable"), StatusCode::kTimeout);
  EXPECT_EQ(MapContext(REDIS_ERR_IO, "Connection timed out"), StatusCode::kTimeout);
  EXPECT_EQ(MapContext(REDIS_ERR_IO, "Connection reset by peer"), StatusCode::kUnavailable);
  EXPECT_EQ(MapContext(REDIS_ERR_EOF, "Server closed the connection"), StatusCode::kUnavailable);
  EXPECT_EQ(MapContext(REDIS_ERR_OTHER, "Connection refused"), StatusCode::kUnavailable);
  EXPECT_EQ(MapContext(REDIS_ERR_PROTOCOL, "Protocol error"), StatusCode::kInternal);
  EXPECT_EQ(RedisStatus(nullptr, nullptr, "CMD").code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace protean
