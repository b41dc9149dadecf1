#pragma once
// RedisBroker: the Broker of provider `redis`, on Redis Streams 7.0 through
// hiredis. It passes tests/contract/broker_contract.h, like MemoryBroker.
//
// Behaviour worth knowing beyond core/broker.h:
// - Ids come from the Clock: XADD <clock ms>-*; when the stream's top id is
//   ahead of the clock ("equal or smaller than the target stream top item")
//   it retries with <top ms>-* (top from XINFO STREAM), so ids only grow.
// - Counts must be >= 1 and ids must parse; both are checked before anything
//   is sent (kInvalidArgument).
// - Delivery counts: 1 for ReadNew (">" always starts a PEL entry at 1);
//   ReadPending and AutoClaim read them with XPENDING (filtered by consumer)
//   inside the same MULTI/EXEC, so the counts are the ones of this delivery.
// - Missing group: ReadNew (NOGROUP, or UNBLOCKED for a stream deleted while
//   blocked) recreates it from "0" with MKSTREAM and retries once;
//   ReadPending, Pending, AutoClaim and Lag fail with kNotFound; Ack returns
//   0; MoveToDlq returns false.
// - ReadNew with block > 0 sends BLOCK <ms> and raises that connection's
//   socket timeout to block + socket_timeout for the call. The caller caps
//   `block` (the engine: 1 s); a blocked read holds a pooled connection.
//   WakeReads ends it early with CLIENT UNBLOCK from a connection of its own
//   (redis_read_waker.h); the read then returns what it has, usually
//   nothing. Each connection's CLIENT ID is asked once per connect, before
//   its first blocking read.
// - MoveToDlq reads the entry (XRANGE id id, may be empty), builds the DLQ
//   entry with EncodeDlqFields (the metadata is spliced into the JSON text,
//   which Lua cannot do faithfully), then runs one Lua script (EVALSHA):
//   XPENDING id id 1 (not pending or no group -> 0), a check that the entry
//   was not deleted since it was read (else the fields are rebuilt, at most
//   3 rounds), XADD to {stream}:dlq, then XACK. XACK is the last write, so
//   any failure (e.g. the DLQ key holding a string) leaves the message
//   pending and the DLQ unchanged. The original entry is kept.
// - Touch is a script: for each id, XPENDING id id 1 <consumer> (someone
//   else's or not pending: skipped) and XRANGE id id, then one XCLAIM
//   <consumer> 0 ... JUSTID (idle reset, no delivery counted). An id whose
//   stream entry is gone is skipped and not counted: Redis 7.0's XCLAIM
//   would purge it from the PEL, and a heartbeat must not drop work.
//   Missing group: 0.
// - DeleteStream is a script too: XLEN then DEL, atomically.
// - Consumers is XINFO CONSUMERS (idle in ms). DeleteConsumer is a script:
//   XINFO CONSUMERS, and XGROUP DELCONSUMER only when the consumer owns no
//   pending entry, atomically, since DELCONSUMER drops a consumer's pending
//   entries and a read racing a separate check would lose them.
// - DLQ list/inspect/replay/replay-all/purge/trim/depth are Broker's
//   defaults (core/broker.cc) over these primitives.
// - Errors: connection failures kUnavailable, command timeouts kTimeout
//   (RedisStatus in redis_connection.h is the one mapping). Reads and
//   CreateGroup are retried once after a connection error; commands that
//   change state are not (their effect is unknown), except on a timeout with
//   retry_on_timeout.
// - Close() closes every connection (a blocked read is woken); later calls
//   fail with kUnavailable.
//
// Thread-safety: every method may be called from any thread; each call
// takes one connection from the pool (RedisOptions::max_connections). The
// Clock must outlive the broker.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/real/redis_options.h"
#include "core/broker.h"
#include "core/clock.h"

namespace protean {

class RedisPool;
class RedisReadWaker;
class RedisScript;
class RedisConnection;
class RedisArgs;

class RedisBroker final : public Broker {
 public:
  // Connects lazily: construction never fails; Ping() tells reachability.
  RedisBroker(const Clock& clock, RedisOptions options);
  ~RedisBroker() override;
  RedisBroker(const RedisBroker&) = delete;
  RedisBroker& operator=(const RedisBroker&) = delete;

  std::string_view provider() const override { return "redis"; }
  BrokerCapabilities capabilities() const override;
  Status Ping() override;
  void Close() override;

  Result<std::string> Publish(std::string_view stream, const Fields& fields) override;
  Status CreateGroup(std::string_view stream, std::string_view group, GroupStart start) override;
  Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                           std::string_view consumer, int count,
                                           Duration block) override;
  void WakeReads(std::string_view stream, std::string_view group,
                 std::string_view consumer) override;
  int64_t GroupRecreations(std::string_view stream, std::string_view group) const override {
    return recreations_.Of(stream, group);
  }
  Result<std::vector<StreamEntry>> ReadPending(std::string_view stream, std::string_view group,
                                               std::string_view consumer, std::string_view after_id,
                                               int count) override;
  Result<int64_t> Ack(std::string_view stream, std::string_view group,
                      const std::vector<std::string>& ids) override;
  // XACK and XREADGROUP pipelined on one connection: one round trip; the
  // XACK's reply goes to `on_acked` before the read's is waited for.
  Result<std::vector<StreamEntry>> AckThenReadNew(std::string_view stream, std::string_view group,
                                                  std::string_view consumer,
                                                  const std::vector<std::string>& ack_ids,
                                                  const AckDone& on_acked, int count,
                                                  Duration block) override;
  Result<std::vector<PendingEntry>> Pending(std::string_view stream, std::string_view group,
                                            std::string_view consumer, int count) override;
  Result<int64_t> PendingCount(std::string_view stream, std::string_view group) override;
  Result<ClaimResult> AutoClaim(std::string_view stream, std::string_view group,
                                std::string_view consumer, Duration min_idle,
                                std::string_view cursor, int count) override;
  Result<std::optional<StreamEntry>> Redeliver(std::string_view stream, std::string_view group,
                                               std::string_view consumer,
                                               std::string_view id) override;
  Result<int64_t> Release(std::string_view stream, std::string_view group,
                          std::string_view consumer,
                          const std::vector<std::pair<std::string, int64_t>>& entries) override;
  Result<int64_t> Touch(std::string_view stream, std::string_view group, std::string_view consumer,
                        const std::vector<std::string>& ids) override;
  Result<std::vector<StreamEntry>> Range(std::string_view stream, std::string_view start,
                                         std::string_view end, int count) override;
  Result<int64_t> Delete(std::string_view stream, const std::vector<std::string>& ids) override;
  Result<int64_t> DeleteStream(std::string_view stream) override;
  Result<int64_t> Trim(std::string_view stream, const TrimSpec& spec) override;
  Result<int64_t> Length(std::string_view stream) override;
  Result<std::optional<int64_t>> Lag(std::string_view stream, std::string_view group) override;
  Result<std::vector<GroupProgress>> GroupsProgress(std::string_view stream) override;
  Result<bool> MoveToDlq(std::string_view stream, std::string_view group, std::string_view id,
                         const DlqMetadata& meta) override;
  Result<std::vector<ConsumerInfo>> Consumers(std::string_view stream,
                                              std::string_view group) override;
  Result<ConsumerDeletion> DeleteConsumer(std::string_view stream, std::string_view group,
                                          std::string_view consumer) override;

  const RedisOptions& options() const;
  // Connections currently open (idle + in use); for tests and pool gauges.
  int open_connections() const;
  std::optional<int64_t> PoolConnections() const override { return open_connections(); }

 private:
  Status CheckOpen() const;
  // XADD with a clock id on `connection`; the "<top ms>-*" fallback.
  Result<std::string> AddWithClockId(RedisConnection& connection, std::string_view stream,
                                     const Fields& fields);
  Status EnsureGroup(RedisConnection& connection, std::string_view stream, std::string_view group,
                     GroupStart start);
  // The read on `connection`; with `ack`, that XACK is sent in the same
  // write before it, and its reply (or failure) goes to `on_acked` once it
  // was sent, before the read's reply is waited for.
  Result<std::vector<StreamEntry>> ReadNewOn(RedisConnection& connection, std::string_view stream,
                                             std::string_view group, std::string_view consumer,
                                             int count, Duration block,
                                             const RedisArgs* ack = nullptr,
                                             const AckDone* on_acked = nullptr);

  // ReadNewOn, and on NOGROUP (or a stream deleted under a blocked read)
  // the group recreated from the beginning and the read made once more.
  Result<std::vector<StreamEntry>> ReadNewRecreating(RedisConnection& connection,
                                                     std::string_view stream,
                                                     std::string_view group,
                                                     std::string_view consumer, int count,
                                                     Duration block, const RedisArgs* ack = nullptr,
                                                     const AckDone* on_acked = nullptr);

  const Clock& clock_;
  std::unique_ptr<RedisPool> pool_;
  std::unique_ptr<RedisReadWaker> waker_;  // the blocking reads under way
  GroupRecreationCount recreations_;
  std::unique_ptr<RedisScript> move_to_dlq_;
  std::unique_ptr<RedisScript> delete_stream_;
  std::unique_ptr<RedisScript> touch_;
  std::unique_ptr<RedisScript> redeliver_;
  std::unique_ptr<RedisScript> release_;
  std::unique_ptr<RedisScript> delete_consumer_;
};

}  // namespace protean
