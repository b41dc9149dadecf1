#pragma once
// RedisPubSubBroker: the Broker of provider `redis_pubsub`, Protean's
// RedisPubSubBroker (adapters/broker/redis_pubsub.py) on hiredis. Despite
// the name it is a Redis LIST, durable as Redis persists it: Publish is
// RPUSH <stream> json.dumps((uuid, message)), and a consumer group is its
// position in the string key `position:<stream>:<group>`. The contract, the
// item codec and the operations that do nothing here are ListBroker's
// (core/list_broker.h); it passes tests/contract/list_broker_contract.h, as
// its memory twin MemoryPubSubBroker does.
//
// Commands:
// - Publish: RPUSH of EncodeListItem(<random UUID v4>, fields); returns the
//   UUID (Protean's identifier).
// - ReadNew: one Lua script (EVALSHA): GET the position (absent: 0), LRANGE
//   the next `count` items, INCRBY the position by as many, so a group's
//   items are claimed atomically: two processes of one group never read the
//   same index. Protean's GET/LINDEX/INCR per message is not atomic (two
//   readers of one group can both take index i and skip i + 1): a Protean
//   process and this one in the same group get Protean's guarantee only. A
//   position that is not an integer fails the read (kInvalidArgument).
//   `block` is ignored (no blocking reads: the engine polls).
// - CreateGroup kEnd: SET position LLEN NX in one script; kBeginning sends
//   nothing.
// - Length: LLEN. Lag: GET and LLEN pipelined. Range: LRANGE 0 count-1.
// - DeleteStream: SCAN MATCH position:<stream>:* (escaped) and DEL of what it
//   finds, then LLEN and DEL of the list in one script. A key of stream
//   `<stream>:<more>` matches too (Protean's key format cannot tell them
//   apart).
// - Errors: connection failures kUnavailable, timeouts kTimeout (RedisStatus,
//   redis_connection.h); WRONGTYPE (the key holds a Redis Stream of the same
//   name, provider `redis`) kInvalidArgument. Reads of the position alone
//   are retried once after a connection error; RPUSH and the claim are not
//   (their effect is unknown).
//
// Thread-safety: every method may be called from any thread; each call
// takes one connection from the pool (RedisOptions::max_connections).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/real/redis_options.h"
#include "core/list_broker.h"
#include "core/mutex.h"
#include "core/runtime/prng.h"

namespace protean {

class RedisPool;
class RedisScript;

class RedisPubSubBroker final : public ListBroker {
 public:
  // Connects lazily: construction never fails; Ping() tells reachability.
  explicit RedisPubSubBroker(RedisOptions options);
  ~RedisPubSubBroker() override;
  RedisPubSubBroker(const RedisPubSubBroker&) = delete;
  RedisPubSubBroker& operator=(const RedisPubSubBroker&) = delete;

  Status Ping() override;
  void Close() override;
  std::optional<int64_t> PoolConnections() const override;

  Result<std::string> Publish(std::string_view stream, const Fields& fields) override;
  Status CreateGroup(std::string_view stream, std::string_view group, GroupStart start) override;
  Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                           std::string_view consumer, int count,
                                           Duration block) override;
  Result<std::vector<StreamEntry>> Range(std::string_view stream, std::string_view start,
                                         std::string_view end, int count) override;
  Result<int64_t> DeleteStream(std::string_view stream) override;
  Result<int64_t> Length(std::string_view stream) override;
  Result<std::optional<int64_t>> Lag(std::string_view stream, std::string_view group) override;

 protected:
  Status CheckOpen() const override;

 private:
  std::string NewId();

  std::unique_ptr<RedisPool> pool_;
  std::unique_ptr<RedisScript> claim_;
  std::unique_ptr<RedisScript> group_at_end_;
  std::unique_ptr<RedisScript> delete_list_;
  Mutex id_mu_;
  Prng ids_ PROTEAN_GUARDED_BY(id_mu_);
};

}  // namespace protean
