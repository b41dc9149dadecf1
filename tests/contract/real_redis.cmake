# Redis adapters. redis_contract_test needs REDIS_URL (every case skips with
# a reason without it); redis_unit_test needs no server.
protean_add_test(redis_contract_test LABELS contract real
  SOURCES
    redis_contract_test.cc
    redis_adapter_test.cc
    redis_benchmark_test.cc
  LIBS protean_redis protean_memory protean_broker_contract protean_list_broker_contract
       protean_cache_contract)
protean_add_test(redis_unit_test LABELS unit
  SOURCES ../unit/redis_config_test.cc
  LIBS protean_redis)
# A stop wakes a blocking read (Broker::WakeReads): every case blocks for an
# hour unless woken, so without the wake it fails on this TIMEOUT.
protean_add_test(redis_wake_test LABELS contract real
  SOURCES redis_wake_test.cc
  LIBS protean_redis protean_engine
  TIMEOUT 60)
