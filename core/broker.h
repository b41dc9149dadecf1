#pragma once
// A Broker is the engine's only view of a message backend. Messages are
// published to streams and read through consumer groups; a read message stays
// pending for its consumer until acked, and its delivery count is the attempt
// number. The semantics are Redis Streams' (7.0): see ../shared/reference and
// tests/contract/broker_contract.h, which every implementation passes.
//
// Implementations: MemoryBroker (providers `memory`, `inline`), RedisBroker
// (`redis`), and for `redis_pubsub` RedisPubSubBroker and its memory twin
// MemoryPubSubBroker: Protean's list provider, whose capabilities say it has
// no pending lists, DLQ or retention (tests/contract/list_broker_contract.h).
//
// Ids are "<ms>-<seq>"; the ms part comes from the Clock the broker was given
// (never from server time), so trimming by age behaves the same in both
// modes. Calls are blocking and may come from any thread (the engine calls
// them through Executor::Offload); implementations synchronise internally.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

// A stream entry's field/value pairs, in order. Protean keeps the message as
// JSON in one field named "data" (core/engine/message.h).
using Fields = std::vector<std::pair<std::string, std::string>>;

// Returns the value of `name` in `fields`, or nullptr.
const std::string* FindField(const Fields& fields, std::string_view name);

struct StreamEntry {
  std::string id;
  Fields fields;
  // Set for a pending entry whose stream entry was deleted or trimmed: Redis
  // returns [id, nil]. Its fields are empty.
  bool deleted = false;
  // For entries read through a group: the delivery count after this delivery
  // (1 on the first read with ">", +1 on every re-read or claim).
  int64_t delivery_count = 0;
};

enum class GroupStart { kBeginning, kEnd };  // XGROUP CREATE ... 0 | $

struct PendingEntry {
  std::string id;
  std::string consumer;
  Duration idle{0};
  int64_t delivery_count = 0;
};

// The cursor that starts an AutoClaim scan, and the one that ends it.
inline constexpr std::string_view kClaimScanStart = "0-0";
// ReadPending's `after_id` that reads every pending entry of the consumer.
inline constexpr std::string_view kAllPending = "0";

struct ClaimResult {
  std::string next_cursor;               // kClaimScanStart when the scan is complete
  std::vector<StreamEntry> claimed;      // now owned by the claimer, count +1
  std::vector<std::string> deleted_ids;  // pending ids whose entry was gone; removed from the PEL
  bool done() const { return next_cursor == kClaimScanStart; }
};

struct TrimSpec {
  enum class Kind { kMaxLen, kMinId };
  Kind kind = Kind::kMaxLen;
  int64_t max_len = 0;  // kMaxLen: keep at most this many newest entries
  std::string min_id;   // kMinId: drop entries with id < min_id
  static TrimSpec MaxLen(int64_t n) { return {Kind::kMaxLen, n, {}}; }
  static TrimSpec MinId(std::string id) { return {Kind::kMinId, 0, std::move(id)}; }
};

// How far one consumer group has read a stream (XINFO GROUPS
// last-delivered-id, and the smallest id of its pending list, XPENDING).
struct GroupProgress {
  std::string group;
  std::string last_delivered;                 // "0-0" before the group read anything
  std::optional<std::string> oldest_pending;  // nullopt: nothing pending
};

// What Broker::TrimRetained did: the trim it chose and how many entries went.
struct RetentionTrim {
  TrimSpec spec;
  int64_t removed = 0;
  int64_t groups = 0;  // consumer groups of the stream when it was measured
};

// What the engine records with a dead-lettered message.
struct DlqMetadata {
  std::string original_stream;
  std::string original_id;
  std::string consumer_group;
  std::string consumer;
  TimePoint first_failure{};
  TimePoint last_failure{};
  int64_t attempts = 0;
  std::string reason;
};

struct DlqEntry {
  std::string dlq_id;      // id within the DLQ stream
  std::string dlq_stream;  // "{stream}:dlq"
  Fields fields;           // the original message's fields, byte for byte, metadata removed
  DlqMetadata metadata;
  // A foreign or damaged entry (no DLQ metadata, metadata that is not
  // readable, a deleted entry): `problem` says what is wrong, `metadata` holds
  // what could be read, `fields` is empty. It is listed, never replayed.
  bool damaged = false;
  std::string problem;
  Fields raw;  // the DLQ entry's own fields, as stored
};

inline std::string DlqStreamName(std::string_view stream) { return std::string(stream) + ":dlq"; }

// DLQ entries are Protean's (server/subscription/stream_subscription.py:979-994):
// the DLQ entry is the original entry with "_dlq_metadata" added to the JSON
// object in its "data" field, {**message, "_dlq_metadata": {original_stream,
// original_id, consumer_group, consumer, failed_at, retry_count}}, plus this
// engine's failure_reason (which Protean's DLQ list reads, adapters/broker/
// redis.py:687) and first_failed_at. The member is spliced into the text, so
// the original bytes (and their checksum) survive, and cut out again on
// replay. An original whose "data" is not a JSON object keeps its fields and
// gets a field "_dlq_metadata"; one that was deleted becomes data =
// {"_dlq_metadata": {..., "original_missing": true}}. One codec serves every
// broker.
Fields EncodeDlqFields(const Fields& original, const DlqMetadata& meta);
// Reads any DLQ entry: this format, Protean's own (defaults as Protean's
// _parse_dlq_entry, redis.py:670-691), and this engine's earlier flat
// "_dlq_*" fields. Never fails: anything else comes back damaged.
DlqEntry ParseDlqEntry(std::string_view dlq_stream, const StreamEntry& entry);
// ParseDlqEntry, failing with kInternal (naming the problem) for a damaged entry.
Result<DlqEntry> DecodeDlqEntry(std::string_view dlq_stream, const StreamEntry& entry);

// One consumer of a group (XINFO CONSUMERS).
struct ConsumerInfo {
  std::string name;
  int64_t pending = 0;  // entries in the group's pending list owned by it
  // Since its last attempted interaction (Redis 7.0 `idle`: a read, claim or
  // redelivery through it, whether or not it returned anything).
  Duration idle{0};
};

// What DeleteConsumer did.
enum class ConsumerDeletion {
  kDeleted,         // it held no pending entry and is gone
  kHasPending,      // left alone: it owns pending entries (they stay claimable)
  kNoSuchConsumer,  // the group has no consumer of that name
};

// What a broker can do, after Protean's BrokerCapabilities (port/broker.py):
// the stream brokers are its RELIABLE_MESSAGING and more; redis_pubsub is
// SIMPLE_QUEUING (publish, subscribe, consumer groups, nothing else).
// (The members added after 0.2, pending and retention, come last, so an
// initializer written for 0.2 keeps its meaning.)
struct BrokerCapabilities {
  bool persistent = true;       // published messages survive until trimmed
  bool consumer_groups = true;  // ReadNew reads through a group: each entry to one consumer of it
  bool dlq = true;              // MoveToDlq and the Dlq* operations work
  bool blocking_reads = false;  // ReadNew honours `block` (otherwise the caller polls)
  // A pending list per group: a read entry stays pending for its consumer
  // until acked, and ReadPending/Redeliver/AutoClaim/Release/Touch act on it,
  // so the delivery count (the attempt) is durable and a dead consumer's
  // entries are claimed. Without it a read entry is the reader's alone and
  // gone from the broker's view (at most once per group): Ack does nothing,
  // the pending operations find nothing, and the engine keeps an entry that
  // waits for a retry in memory.
  bool pending = true;
  bool retention = true;  // TrimRetained works (streams; a list cannot be trimmed)
  // The connections calls share (a pool), each held by a blocked read for
  // as long as it blocks; 0: calls do not share a bounded set.
  int64_t connections = 0;
  // AckThenReadNew sends the ack and the read in one round trip (Redis:
  // XACK and XREADGROUP pipelined), so a reader acks the batch it handled
  // with the read of the next one; otherwise it is two calls.
  bool ack_with_read = false;
};

// Counts the groups ReadNew found missing and recreated, per stream and
// group, for Broker::GroupRecreations. Thread-safe.
class GroupRecreationCount {
 public:
  void Add(std::string_view stream, std::string_view group);
  int64_t Of(std::string_view stream, std::string_view group) const;

 private:
  mutable Mutex mu_;
  std::map<std::string, int64_t, std::less<>> counts_
      PROTEAN_GUARDED_BY(mu_);  // "<stream>\0<group>"
};

class Broker {
 public:
  virtual ~Broker() = default;

  virtual std::string_view provider() const = 0;
  virtual BrokerCapabilities capabilities() const = 0;
  virtual Status Ping() = 0;
  // Releases connections. Calls after Close() fail with kUnavailable.
  virtual void Close() {}
  // Connections of its pool open now (idle + in use), for the pool gauge;
  // nullopt for a broker without a pool. Never blocks; any thread.
  virtual std::optional<int64_t> PoolConnections() const { return std::nullopt; }

  // XADD stream <id> fields...; returns the new id.
  virtual Result<std::string> Publish(std::string_view stream, const Fields& fields) = 0;
  // XGROUP CREATE ... MKSTREAM; an existing group is not an error (BUSYGROUP).
  virtual Status CreateGroup(std::string_view stream, std::string_view group, GroupStart start) = 0;
  // XREADGROUP ... COUNT count [BLOCK block] STREAMS stream >. A missing group
  // is recreated from the beginning (NOGROUP) and the read retried once.
  virtual Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                                   std::string_view consumer, int count,
                                                   Duration block) = 0;
  // Makes the blocking ReadNew of `consumer` on `group` of `stream` that is
  // under way return now, as if its block had run out (with no entries, or
  // with those the broker had already delivered to it, which stay pending
  // for it as any read's do), so a stop or a drain never waits out a block.
  // A read of that consumer that has not reached the broker yet returns at
  // once with no entries (once: the read after it blocks again). Best
  // effort and bounded (about a second at most, even with the broker
  // unreachable: the read then fails on its own). Any thread. Brokers
  // without blocking reads keep this default, which does nothing.
  virtual void WakeReads(std::string_view stream, std::string_view group,
                         std::string_view consumer) {
    (void)stream;
    (void)group;
    (void)consumer;
  }
  // How many times ReadNew found `group` of `stream` missing and recreated it
  // since this broker was made (a group vanishes when its stream is deleted,
  // or with a Redis restarted without persistence), so the engine can say so.
  // Thread-safe; 0 for a broker without consumer groups.
  virtual int64_t GroupRecreations(std::string_view stream, std::string_view group) const {
    (void)stream;
    (void)group;
    return 0;
  }
  // XREADGROUP ... STREAMS stream <after_id>: this consumer's own pending
  // entries with id > after_id ("0" for all), each delivery count +1.
  virtual Result<std::vector<StreamEntry>> ReadPending(std::string_view stream,
                                                       std::string_view group,
                                                       std::string_view consumer,
                                                       std::string_view after_id, int count) = 0;
  // XACK; returns how many ids were pending.
  virtual Result<int64_t> Ack(std::string_view stream, std::string_view group,
                              const std::vector<std::string>& ids) = 0;
  // Ack of `ack_ids` (none: no ack), then ReadNew. `on_acked` gets the
  // ack's result once, on the calling thread, as soon as it is known: before
  // the read returns, which may block. A broker with
  // capabilities().ack_with_read sends both in one round trip; this default
  // makes the two calls, in that order.
  using AckDone = std::function<void(Result<int64_t>)>;
  virtual Result<std::vector<StreamEntry>> AckThenReadNew(
      std::string_view stream, std::string_view group, std::string_view consumer,
      const std::vector<std::string>& ack_ids, const AckDone& on_acked, int count, Duration block);
  // XPENDING stream group - + count [consumer]; empty consumer = all consumers.
  virtual Result<std::vector<PendingEntry>> Pending(std::string_view stream, std::string_view group,
                                                    std::string_view consumer, int count) = 0;
  // XPENDING stream group (the summary form): how many entries the group's
  // pending list holds, over every consumer, without listing them.
  // kNotFound when the stream or the group is missing. The default counts
  // Pending's list (unbounded); RedisBroker and MemoryBroker count natively.
  virtual Result<int64_t> PendingCount(std::string_view stream, std::string_view group);
  // XAUTOCLAIM stream group consumer min_idle cursor COUNT count.
  virtual Result<ClaimResult> AutoClaim(std::string_view stream, std::string_view group,
                                        std::string_view consumer, Duration min_idle,
                                        std::string_view cursor, int count) = 0;
  // Re-reads the single entry `id` if it is pending for `consumer` (its
  // delivery count +1, idle reset), atomically with that ownership check:
  // nullopt when it is no longer pending for this consumer (acked, moved, or
  // claimed by another one). A pending entry whose stream entry is gone comes
  // back with deleted = true (Redis 7.0 then drops it from the PEL). The retry
  // path of the engine uses this, so a retry can never pick up another entry.
  virtual Result<std::optional<StreamEntry>> Redeliver(std::string_view stream,
                                                       std::string_view group,
                                                       std::string_view consumer,
                                                       std::string_view id) = 0;
  // Gives back entries `consumer` fetched but never attempted (a graceful
  // stop): each one still pending for it gets its delivery count set back to
  // the given value and an idle time that makes it claimable at once (Redis:
  // XCLAIM ... IDLE <large> RETRYCOUNT <count> JUSTID, owner-checked in one
  // script). Deliveries that never ran therefore do not count as attempts.
  // Returns how many were released.
  virtual Result<int64_t> Release(std::string_view stream, std::string_view group,
                                  std::string_view consumer,
                                  const std::vector<std::pair<std::string, int64_t>>& entries) = 0;
  // The owner's heartbeat: resets the idle time of those `ids` that are
  // pending for `consumer` in `group`, without counting a delivery (Redis:
  // XCLAIM ... <consumer> 0 <id> JUSTID, restricted to the owner's own entries
  // in one script). Entries of other consumers are left alone. A live
  // consumer touches what it holds (fetched, in flight, waiting for a retry)
  // so that only a dead consumer's entries ever become idle enough to claim.
  // Returns how many were touched.
  virtual Result<int64_t> Touch(std::string_view stream, std::string_view group,
                                std::string_view consumer, const std::vector<std::string>& ids) = 0;
  // XRANGE stream start end COUNT count ("-" and "+" for the ends).
  virtual Result<std::vector<StreamEntry>> Range(std::string_view stream, std::string_view start,
                                                 std::string_view end, int count) = 0;
  // XDEL; returns how many were deleted.
  virtual Result<int64_t> Delete(std::string_view stream, const std::vector<std::string>& ids) = 0;
  // DEL stream; returns the number of entries it held.
  virtual Result<int64_t> DeleteStream(std::string_view stream) = 0;
  // XTRIM (exact); returns how many entries were removed.
  virtual Result<int64_t> Trim(std::string_view stream, const TrimSpec& spec) = 0;
  // Every consumer group of `stream` with its read position and oldest
  // pending id, in name order; empty for a missing stream. Brokers without
  // consumer groups keep the default, which fails with kInvalidArgument.
  virtual Result<std::vector<GroupProgress>> GroupsProgress(std::string_view stream);
  // Retention (a subscription's retention_maxlen, after each batch), after
  // Protean's RedisBroker.trim (adapters/broker/redis.py:726-832):
  // - two or more groups: XTRIM MINID at the slowest group's floor, the
  //   smallest over the groups of min(last-delivered-id, oldest pending id),
  //   so no group loses an entry it has not read *or* one it still holds
  //   pending (Protean's floor is the last-delivered-id alone: an entry
  //   waiting for a retry below it would be trimmed); `max_len` is ignored;
  // - zero or one group: XTRIM MAXLEN max_len: a size ceiling, which drops the
  //   oldest entries even if the one group has not read them (as Protean's).
  // Exact trims (Protean uses `~`): the same count on every broker. Measured
  // and trimmed in two steps; progress only moves forward, so a trim from a
  // stale measure keeps more, never less (a group created in between from
  // the beginning is the exception, as in Protean). max_len < 1 trims nothing.
  Result<RetentionTrim> TrimRetained(std::string_view stream, int64_t max_len);
  // XLEN (0 for a missing stream).
  virtual Result<int64_t> Length(std::string_view stream) = 0;
  // XINFO GROUPS lag: entries not yet delivered to the group; nullopt when
  // unknown (Redis reports nil after trimming past the group).
  virtual Result<std::optional<int64_t>> Lag(std::string_view stream, std::string_view group) = 0;

  // Atomically: if `id` is still pending in `group`, append
  // EncodeDlqFields(its fields, meta) to DlqStreamName(stream) and ack it. Returns false
  // and changes nothing when it is no longer pending. On failure nothing is
  // acked, so the message stays pending and is never lost.
  virtual Result<bool> MoveToDlq(std::string_view stream, std::string_view group,
                                 std::string_view id, const DlqMetadata& meta) = 0;

  // Consumers of a group, for the start-up cleanup of stale consumers (the
  // server's, after Protean's _cleanup_stale_consumers). Brokers without
  // consumer groups keep the defaults, which fail with kInvalidArgument.
  //
  // XINFO CONSUMERS stream group: every consumer in name order. kNotFound
  // when the stream or the group is missing.
  virtual Result<std::vector<ConsumerInfo>> Consumers(std::string_view stream,
                                                      std::string_view group);
  // XGROUP DELCONSUMER, but only for a consumer that owns no pending entry,
  // checked atomically with the delete (Redis: one script), so a consumer
  // that reads in between keeps its entries: a plain DELCONSUMER would drop
  // them from the pending list, and then nobody could claim them. kNotFound
  // when the stream or the group is missing.
  virtual Result<ConsumerDeletion> DeleteConsumer(std::string_view stream, std::string_view group,
                                                  std::string_view consumer);

  // DLQ operations; defaults are built on the stream primitives above.
  // Newest first (by last failure), at most `limit`. Every entry is listed:
  // damaged ones too (flagged), so one foreign entry never hides the others.
  virtual Result<std::vector<DlqEntry>> DlqList(std::string_view dlq_stream, size_t limit);
  virtual Result<DlqEntry> DlqInspect(std::string_view dlq_stream, std::string_view dlq_id);
  // Re-publishes the original fields to the original stream, then deletes the
  // DLQ entry; returns the new id. A damaged entry, or one without original
  // fields, is kInvalidArgument and stays.
  virtual Result<std::string> DlqReplay(std::string_view dlq_stream, std::string_view dlq_id);
  // Replays every entry; returns how many.
  virtual Result<int64_t> DlqReplayAll(std::string_view dlq_stream);
  virtual Result<int64_t> DlqPurge(std::string_view dlq_stream);
  // Drops entries whose id's ms part is older than `cutoff` (XTRIM MINID).
  virtual Result<int64_t> DlqTrimOlderThan(std::string_view dlq_stream, TimePoint cutoff);
  virtual Result<int64_t> DlqDepth(std::string_view dlq_stream);
};

// "<ms>-<seq>" parsing and ordering.
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const StreamId&) const = default;
  std::string ToString() const;
  // Accepts "<ms>-<seq>" and "<ms>" (= "<ms>-0"); nullopt otherwise.
  static std::optional<StreamId> Parse(std::string_view text);
};

}  // namespace protean
