#pragma once
// RedisPubSubBroker: the Broker of provider `redis_pubsub`: Redis Pub/Sub
// fan-out, as Protean's RedisPubSubBroker. Publish is PUBLISH to the channel
// named like the stream; every subscriber connected at that moment gets the
// message, nobody else ever does (no persistence, acks or replay; a
// subscriber that is down or reconnecting misses messages).
//
// capabilities(): persistent, consumer_groups, dlq and blocking_reads are all
// false, and every group, pending, stream-history and DLQ operation fails
// with kInvalidArgument ("redis_pubsub is fan-out only: ..."). The engine
// refuses stream subscriptions on such a broker at configuration time.
//
// Wire format: the fields are published as one JSON object in field order,
// {"name": "value", ...}; DecodePubSubPayload reverses it. Values must be
// UTF-8 and names unique (kInvalidArgument otherwise), as JSON needs.
// Publish returns a local id "<clock ms>-<seq>" (ids grow per broker; Redis
// keeps nothing to refer to) and PublishCounted the receiver count.
//
// Thread-safety: every method may be called from any thread (a connection
// pool, as RedisBroker). A RedisSubscriber is used by one thread at a time.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/real/redis_options.h"
#include "core/broker.h"
#include "core/clock.h"
#include "core/mutex.h"

namespace protean {

class RedisPool;
class RedisConnection;

struct PubSubMessage {
  std::string channel;
  std::string payload;  // as published: see DecodePubSubPayload
};

// A subscription on its own connection (a subscribed RESP2 connection
// accepts nothing but (UN)SUBSCRIBE/PING). Closing it unsubscribes.
class RedisSubscriber {
 public:
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  // The next message, waiting at most `timeout`; nullopt when none came. A
  // timeout leaves the subscription intact. kUnavailable once the
  // connection is lost: messages published meanwhile are gone, subscribe
  // again.
  Result<std::optional<PubSubMessage>> Receive(Duration timeout);

 private:
  friend class RedisPubSubBroker;
  explicit RedisSubscriber(std::unique_ptr<RedisConnection> connection);
  std::unique_ptr<RedisConnection> connection_;
};

class RedisPubSubBroker final : public Broker {
 public:
  // Connects lazily: construction never fails; Ping() tells reachability.
  RedisPubSubBroker(const Clock& clock, RedisOptions options);
  ~RedisPubSubBroker() override;
  RedisPubSubBroker(const RedisPubSubBroker&) = delete;
  RedisPubSubBroker& operator=(const RedisPubSubBroker&) = delete;

  std::string_view provider() const override { return "redis_pubsub"; }
  BrokerCapabilities capabilities() const override;
  Status Ping() override;
  void Close() override;

  Result<std::string> Publish(std::string_view stream, const Fields& fields) override;
  // PUBLISH; returns how many subscribers received it (0: dropped).
  Result<int64_t> PublishCounted(std::string_view channel, const Fields& fields);
  // SUBSCRIBE on a new connection; returns once Redis confirmed every
  // channel, so later publishes reach the subscriber.
  Result<std::unique_ptr<RedisSubscriber>> Subscribe(const std::vector<std::string>& channels);

  // Fan-out only: all of these fail with kInvalidArgument.
  Status CreateGroup(std::string_view stream, std::string_view group, GroupStart start) override;
  Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                           std::string_view consumer, int count,
                                           Duration block) override;
  Result<std::vector<StreamEntry>> ReadPending(std::string_view stream, std::string_view group,
                                               std::string_view consumer, std::string_view after_id,
                                               int count) override;
  Result<int64_t> Ack(std::string_view stream, std::string_view group,
                      const std::vector<std::string>& ids) override;
  Result<std::vector<PendingEntry>> Pending(std::string_view stream, std::string_view group,
                                            std::string_view consumer, int count) override;
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
  Result<bool> MoveToDlq(std::string_view stream, std::string_view group, std::string_view id,
                         const DlqMetadata& meta) override;
  Result<std::vector<DlqEntry>> DlqList(std::string_view dlq_stream, size_t limit) override;
  Result<DlqEntry> DlqInspect(std::string_view dlq_stream, std::string_view dlq_id) override;
  Result<std::string> DlqReplay(std::string_view dlq_stream, std::string_view dlq_id) override;
  Result<int64_t> DlqReplayAll(std::string_view dlq_stream) override;
  Result<int64_t> DlqPurge(std::string_view dlq_stream) override;
  Result<int64_t> DlqTrimOlderThan(std::string_view dlq_stream, TimePoint cutoff) override;
  Result<int64_t> DlqDepth(std::string_view dlq_stream) override;

 private:
  Status CheckOpen() const;
  std::string NextId();

  const Clock& clock_;
  std::unique_ptr<RedisPool> pool_;
  Mutex id_mu_;
  StreamId last_id_ PROTEAN_GUARDED_BY(id_mu_);
};

// The JSON object of `fields`, or kInvalidArgument (duplicate name, bad UTF-8).
Result<std::string> EncodePubSubPayload(const Fields& fields);
// Back to fields; kInvalidArgument when `payload` is not a JSON object of strings.
Result<Fields> DecodePubSubPayload(std::string_view payload);

}  // namespace protean
