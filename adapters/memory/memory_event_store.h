#pragma once
// MemoryEventStore: the `memory` EventStore. It keeps every message in
// process with Message DB 1.3.0's semantics (see core/event_store.h and
// reference/backends.md §3), so that simulation runs see what the real
// MessageDbEventStore would return:
//   - Write validates its input the way write_message's parameter casts do
//     (data and non-empty metadata must be JSON, the id must parse as a
//     Postgres uuid; both kInvalidArgument), checks expected_version
//     (kConflict, "Wrong expected version: ..."), and rejects a duplicate id
//     (kConflict). Ids are stored in Postgres's canonical lowercase form.
//     A duplicate id burns a global position, as a failed INSERT burns a
//     bigserial value.
//   - Message time is the Clock's Now() at the write.
//   - ReadCategory walks a per-category index ordered by global position;
//     correlation is parsed from the metadata only when a read asks for it
//     (and cached per message). A stream without an id ("account") belongs to
//     no consumer-group member, as MOD(NULL, n) matches nothing on the server.
//   - Returned data/metadata are the text as written (the server returns
//     jsonb's normalised text instead; compare parsed JSON).
//
// Thread-safety: every call takes one mutex. After Close() every call
// returns kUnavailable. Memory grows with every message; nothing is trimmed.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "core/event_store.h"
#include "core/mutex.h"

namespace protean {

class MemoryEventStore final : public EventStore {
 public:
  // `clock` must outlive the store.
  explicit MemoryEventStore(const Clock& clock);
  MemoryEventStore(const MemoryEventStore&) = delete;
  MemoryEventStore& operator=(const MemoryEventStore&) = delete;

  std::string_view provider() const override { return "memory"; }
  Status Ping() override;
  void Close() override;

  Result<int64_t> Write(const NewEventMessage& message,
                        std::optional<int64_t> expected_version) override;
  Result<std::vector<EventMessage>> ReadStream(std::string_view stream_name, int64_t position,
                                               int64_t batch_size) override;
  Result<std::vector<EventMessage>> ReadCategory(std::string_view category,
                                                 const CategoryRead& read) override;
  Result<std::optional<EventMessage>> LastMessage(std::string_view stream_name,
                                                  std::optional<std::string> type) override;
  Result<std::optional<int64_t>> StreamVersion(std::string_view stream_name) override;
  Result<std::optional<int64_t>> CategoryHead(std::string_view category) override;

 private:
  struct StoredMessage {
    EventMessage message;
    // abs(hash_64(cardinal_id)); nullopt when the stream name has no id.
    std::optional<uint64_t> cardinal_hash_abs;
    // category(metadata->>'correlationStreamName'), parsed on first use:
    // outer nullopt = not parsed yet, inner nullopt = SQL NULL.
    std::optional<std::optional<std::string>> correlation_category;
  };

  // Transparent hashing so lookups by string_view do not allocate.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using SlotIndex =
      std::unordered_map<std::string, std::vector<size_t>, StringHash, std::equal_to<>>;

  Status CheckOpenLocked() const PROTEAN_REQUIRES(mu_);
  // The slots of `stream_name` in position order, or nullptr if it is empty.
  const std::vector<size_t>* StreamSlotsLocked(std::string_view stream_name) const
      PROTEAN_REQUIRES(mu_);
  // Whether the message's correlationStreamName has category `correlation`.
  bool MatchesCorrelationLocked(StoredMessage& stored, std::string_view correlation)
      PROTEAN_REQUIRES(mu_);

  const Clock& clock_;
  mutable Mutex mu_;
  bool closed_ PROTEAN_GUARDED_BY(mu_) = false;
  int64_t next_global_position_ PROTEAN_GUARDED_BY(mu_) = 1;
  // In global-position order; a slot is an index.
  std::vector<StoredMessage> messages_ PROTEAN_GUARDED_BY(mu_);
  SlotIndex streams_ PROTEAN_GUARDED_BY(mu_);     // stream name -> slots, position order
  SlotIndex categories_ PROTEAN_GUARDED_BY(mu_);  // category -> slots, global-position order
  std::unordered_set<std::string> ids_ PROTEAN_GUARDED_BY(mu_);  // canonical uuids written so far
};

}  // namespace protean
