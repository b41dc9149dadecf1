#pragma once
// MemoryBroker: the Broker of providers `memory` and `inline`, with the
// semantics of Redis Streams 7.0 (../shared/reference/backends.md §1) and
// time taken from the Clock it is given. It passes
// tests/contract/broker_contract.h, the same suite RedisBroker passes.
//
// Behaviour worth knowing beyond core/broker.h:
// - Ids are "<ms>-<seq>" with ms = Clock::Now() in ms, but never below the
//   stream's top id: a clock that jumps backwards (or stands still) gets
//   <top ms>-<top seq + 1>, so ids only grow. DeleteStream forgets the top id.
// - `count` arguments must be >= 1 (kInvalidArgument otherwise); ids given
//   as arguments must parse (kInvalidArgument otherwise).
// - Missing group: ReadNew recreates it from the beginning ("0", creating
//   the stream if needed) and reads once more; ReadPending, Pending,
//   AutoClaim and Lag fail with kNotFound (Redis NOGROUP); Ack returns 0 and
//   MoveToDlq returns false (nothing is pending).
// - ReadPending on an entry that was deleted or trimmed returns it with
//   deleted = true and leaves its delivery count and idle time alone (as
//   Redis does); only live entries get count +1 and idle reset.
// - Idle times are computed in microseconds of the Clock (Redis: ms).
// - Consumers are created and their idle time reset as Redis 7.0 does it:
//   by every ReadPending, and by a ReadNew, AutoClaim, Redeliver, Touch or
//   Release that gives the consumer an entry (a read or claim that finds
//   nothing creates no consumer); Ack, Pending and Consumers never do.
//   Consumers and DeleteConsumer scan the group's pending list.
// - Lag follows Redis 7.0's algorithm exactly (entries-added counter, the
//   group's entries-read counter and the largest XDEL'd id): nullopt after
//   an XDEL at or after the group's last-delivered-id until the group reaches
//   the end of the stream. Like Redis 7.0, MAXLEN/MINID trimming does not
//   invalidate the counter, so trimmed undelivered entries still count.
// - `block` is ignored (capabilities().blocking_reads is false): the caller
//   polls.
// - Close() makes every later call fail with kUnavailable; the data stays.
//
// Cost: Publish, Ack and ReadNew are O(log n) per entry with no per-entry
// node allocation (entries and pending lists are id-sorted deques with
// tombstones); ReadPending and Pending scan the group's pending list.
//
// Thread-safety: every method may be called from any thread; one internal
// mutex serialises them. The Clock must outlive the broker.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/broker.h"
#include "core/clock.h"
#include "core/mutex.h"

namespace protean {
namespace memory_internal {
struct StreamState;
}  // namespace memory_internal

class MemoryBroker final : public Broker {
 public:
  // `provider` is the name it was configured under: "memory" or "inline".
  explicit MemoryBroker(const Clock& clock, std::string provider = "memory");
  ~MemoryBroker() override;
  MemoryBroker(const MemoryBroker&) = delete;
  MemoryBroker& operator=(const MemoryBroker&) = delete;

  std::string_view provider() const override { return provider_; }
  BrokerCapabilities capabilities() const override;
  Status Ping() override;
  void Close() override;

  Result<std::string> Publish(std::string_view stream, const Fields& fields) override;
  Status CreateGroup(std::string_view stream, std::string_view group, GroupStart start) override;
  Result<std::vector<StreamEntry>> ReadNew(std::string_view stream, std::string_view group,
                                           std::string_view consumer, int count,
                                           Duration block) override;
  int64_t GroupRecreations(std::string_view stream, std::string_view group) const override {
    return recreations_.Of(stream, group);
  }
  Result<std::vector<StreamEntry>> ReadPending(std::string_view stream, std::string_view group,
                                               std::string_view consumer, std::string_view after_id,
                                               int count) override;
  Result<int64_t> Ack(std::string_view stream, std::string_view group,
                      const std::vector<std::string>& ids) override;
  Result<int64_t> PendingCount(std::string_view stream, std::string_view group) override;
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
  Result<std::vector<GroupProgress>> GroupsProgress(std::string_view stream) override;
  Result<bool> MoveToDlq(std::string_view stream, std::string_view group, std::string_view id,
                         const DlqMetadata& meta) override;
  Result<std::vector<ConsumerInfo>> Consumers(std::string_view stream,
                                              std::string_view group) override;
  Result<ConsumerDeletion> DeleteConsumer(std::string_view stream, std::string_view group,
                                          std::string_view consumer) override;

 private:
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using StreamMap = std::unordered_map<std::string, std::unique_ptr<memory_internal::StreamState>,
                                       NameHash, std::equal_to<>>;

  // All private helpers expect mu_ to be held.
  Status CheckOpen() const PROTEAN_REQUIRES(mu_);
  memory_internal::StreamState* FindStream(std::string_view name) PROTEAN_REQUIRES(mu_);
  memory_internal::StreamState& StreamOrCreate(std::string_view name) PROTEAN_REQUIRES(mu_);
  StreamId AppendLocked(memory_internal::StreamState& stream, const Fields& fields)
      PROTEAN_REQUIRES(mu_);

  const Clock& clock_;
  const std::string provider_;
  Mutex mu_;
  GroupRecreationCount recreations_;
  bool closed_ PROTEAN_GUARDED_BY(mu_) = false;
  StreamMap streams_ PROTEAN_GUARDED_BY(mu_);
};

}  // namespace protean
