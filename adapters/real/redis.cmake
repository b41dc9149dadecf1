# Redis adapters (hiredis): RedisBroker (`redis`), RedisPubSubBroker
# (`redis_pubsub`), RedisCache (`redis`). Paths relative to adapters/real.
protean_library(protean_redis
  SRCS
    redis_url.cc
    redis_options.cc
    redis_connection.cc
    redis_pool.cc
    redis_read_waker.cc
    redis_rate_limiter.cc
    redis_reply.cc
    redis_script.cc
    redis_broker.cc
    redis_pubsub_broker.cc
    redis_cache.cc
    register_redis.cc
  DEPS protean_engine PkgConfig::HIREDIS
)
