#pragma once
// Provider `redis_pubsub`, Protean's RedisPubSubBroker
// (adapters/broker/redis_pubsub.py:20-85): a Redis LIST named like the
// stream, one item per message, each item json.dumps((identifier, message)),
// i.e. `["<uuid>", <the message dict>]`; a consumer group is nothing but its
// position, the index of the next item to read, in the string key
// `position:<stream>:<group>` (absent: 0). Despite the name there is no
// Redis PUBLISH: the list is durable (as Redis persists it) and every group
// reads all of it from its own position.
//
// ListBroker is what RedisPubSubBroker and its memory twin MemoryPubSubBroker
// share: the item codec (so the twin holds the very bytes Redis would) and
// the Broker operations a list answers the same way everywhere. Protean's
// capabilities are SIMPLE_QUEUING (publish, subscribe, consumer groups) and
// nothing more; here that is BrokerCapabilities{persistent, consumer_groups}
// with pending, dlq, retention and blocking_reads false:
// - ReadNew(stream, group, consumer, count) claims the next `count` items of
//   the group at once (the position moves past them before they are
//   returned), so two consumers of a group never get the same item. Each
//   comes back with delivery count 1. Stricter than Protean, whose
//   GET/LINDEX/INCR (redis_pubsub.py:54-72) lets two processes of one group
//   read the same index (and skip the next).
// - Nothing is ever pending: ReadPending, Pending, AutoClaim find nothing,
//   Redeliver nullopt, Ack/Release/Touch 0, PendingCount 0 (Protean's
//   ack and nack return False).
// - CreateGroup(kBeginning) leaves the position alone (absent = 0, Protean's
//   _ensure_group keeps nothing in Redis); kEnd sets an absent one to the
//   list's length.
// - Lag = length - position (at least 0). Range takes "-" and "+" only (the
//   first `count` items; a list has no id order). Delete and Trim are
//   kInvalidArgument: removing items would shift every group's position.
//   DeleteStream removes the list and every group's position.
// - No DLQ: MoveToDlq and every Dlq* operation are kInvalidArgument (Protean's
//   DLQ methods are stubs behind its DEAD_LETTER_QUEUE capability gate).
//   Consumers/DeleteConsumer/GroupsProgress keep Broker's kInvalidArgument.
// Ids are the items' identifiers (UUIDs), not "<ms>-<seq>".
//
// A message here is what a stream broker keeps in its one field "data": the
// message's JSON text (Protean's RedisBroker writes json.dumps(message)
// there, redis.py:243-247), which an item carries as its second element, so
// the same envelope travels both ways byte for byte.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/broker.h"
#include "core/status.h"

namespace protean {

// `position:<stream>:<group>` (redis_pubsub.py:62).
std::string ListPositionKey(std::string_view stream, std::string_view group);

// The item of a message published with `fields`, which must be exactly one
// field "data" holding JSON text: `["<id>", <data>]` (the data's bytes
// unchanged, the separator json.dumps writes). kInvalidArgument otherwise:
// a list item carries one message, not field/value pairs.
Result<std::string> EncodeListItem(std::string_view id, const Fields& fields);

// The entry of the item at `index`: id = its identifier, fields = {"data":
// the message's JSON text as it lies in the item}, delivery count 1. An item
// that is not such a pair (written by someone else, damaged) still takes its
// index: it comes back with id "@<index>" and the whole item as its "data",
// so the engine finds it undecodable instead of the group stalling on it.
StreamEntry DecodeListItem(std::string_view item, int64_t index);

class ListBroker : public Broker {
 public:
  std::string_view provider() const override { return "redis_pubsub"; }
  BrokerCapabilities capabilities() const final;

  // Left to the backing: Ping, Close, Publish, CreateGroup, ReadNew, Range,
  // DeleteStream, Length, Lag.

  Result<std::vector<StreamEntry>> ReadPending(std::string_view stream, std::string_view group,
                                               std::string_view consumer, std::string_view after_id,
                                               int count) final;
  Result<int64_t> Ack(std::string_view stream, std::string_view group,
                      const std::vector<std::string>& ids) final;
  Result<std::vector<PendingEntry>> Pending(std::string_view stream, std::string_view group,
                                            std::string_view consumer, int count) final;
  Result<int64_t> PendingCount(std::string_view stream, std::string_view group) final;
  Result<ClaimResult> AutoClaim(std::string_view stream, std::string_view group,
                                std::string_view consumer, Duration min_idle,
                                std::string_view cursor, int count) final;
  Result<std::optional<StreamEntry>> Redeliver(std::string_view stream, std::string_view group,
                                               std::string_view consumer,
                                               std::string_view id) final;
  Result<int64_t> Release(std::string_view stream, std::string_view group,
                          std::string_view consumer,
                          const std::vector<std::pair<std::string, int64_t>>& entries) final;
  Result<int64_t> Touch(std::string_view stream, std::string_view group, std::string_view consumer,
                        const std::vector<std::string>& ids) final;
  Result<int64_t> Delete(std::string_view stream, const std::vector<std::string>& ids) final;
  Result<int64_t> Trim(std::string_view stream, const TrimSpec& spec) final;
  Result<bool> MoveToDlq(std::string_view stream, std::string_view group, std::string_view id,
                         const DlqMetadata& meta) final;
  Result<std::vector<DlqEntry>> DlqList(std::string_view dlq_stream, size_t limit) final;
  Result<DlqEntry> DlqInspect(std::string_view dlq_stream, std::string_view dlq_id) final;
  Result<std::string> DlqReplay(std::string_view dlq_stream, std::string_view dlq_id) final;
  Result<int64_t> DlqReplayAll(std::string_view dlq_stream) final;
  Result<int64_t> DlqPurge(std::string_view dlq_stream) final;
  Result<int64_t> DlqTrimOlderThan(std::string_view dlq_stream, TimePoint cutoff) final;
  Result<int64_t> DlqDepth(std::string_view dlq_stream) final;

 protected:
  // kUnavailable after Close(); every operation above checks it.
  virtual Status CheckOpen() const = 0;
  // The checks both backings make before anything is done.
  static Status CheckCount(int count);
  // "-" and "+" only.
  static Status CheckRange(std::string_view start, std::string_view end, int count);
};

}  // namespace protean
