#include "adapters/memory/memory_broker.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <utility>

namespace protean {
namespace memory_internal {

// Redis's SCG_INVALID_ENTRIES_READ: the group's read counter is unknown.
constexpr int64_t kInvalidEntriesRead = -1;
// A Group::hint_epoch that matches no log epoch.
constexpr uint64_t kNoHint = std::numeric_limits<uint64_t>::max();
// Tombstones tolerated before IdLog::Tidy() compacts the middle of a log.
constexpr size_t kCompactDeadMin = 64;

// An id-sorted log with tombstones: the shape of both a stream and a group's
// pending list (PEL). Appends come in increasing id order, which holds for
// both: stream ids only grow, and ">" delivers ids above every pending one.
// EraseAt() leaves a tombstone; Tidy() pops leading tombstones and compacts
// when tombstones dominate. Positions (indexes) stay valid until the next
// Tidy(); ordinals (front_ordinal() + position) stay valid until epoch()
// changes, which only compaction does.
template <typename T>
class IdLog {
 public:
  struct Slot {
    StreamId id;
    T value;
    bool live;
  };

  size_t live_count() const { return live_; }
  size_t end() const { return slots_.size(); }
  Slot& at(size_t pos) { return slots_[pos]; }
  const Slot& at(size_t pos) const { return slots_[pos]; }
  uint64_t front_ordinal() const { return front_ordinal_; }
  uint64_t epoch() const { return epoch_; }

  void Append(StreamId id, T value) {
    PROTEAN_CHECK(slots_.empty() || slots_.back().id < id);
    slots_.push_back(Slot{id, std::move(value), true});
    ++live_;
  }
  // Position of the first slot with id >= `id` (LowerBound) or > `id`. The
  // ends are checked first: acks usually name the oldest pending id.
  size_t LowerBound(StreamId id) const {
    if (slots_.empty() || id <= slots_.front().id) return 0;
    if (slots_.back().id < id) return end();
    return Partition([&](const Slot& s) { return s.id < id; });
  }
  size_t UpperBound(StreamId id) const {
    return Partition([&](const Slot& s) { return s.id <= id; });
  }
  // Position of the live slot holding `id`, or end().
  size_t Find(StreamId id) const {
    const size_t pos = LowerBound(id);
    return pos < end() && slots_[pos].live && slots_[pos].id == id ? pos : end();
  }
  // Position of the first live slot at or after `pos`, or end().
  size_t NextLive(size_t pos) const {
    while (pos < end() && !slots_[pos].live) ++pos;
    return pos;
  }
  // Tombstones the live slot at `pos` and frees its value.
  void EraseAt(size_t pos) {
    PROTEAN_CHECK(pos < end() && slots_[pos].live);
    slots_[pos].live = false;
    slots_[pos].value = T();
    --live_;
  }
  void Tidy() {
    while (!slots_.empty() && !slots_.front().live) {
      slots_.pop_front();
      ++front_ordinal_;
    }
    const size_t dead = slots_.size() - live_;
    if (dead > kCompactDeadMin && dead * 2 > slots_.size()) {
      std::erase_if(slots_, [](const Slot& s) { return !s.live; });
      ++epoch_;
    }
  }

 private:
  template <typename Pred>
  size_t Partition(Pred pred) const {
    return static_cast<size_t>(std::partition_point(slots_.begin(), slots_.end(), pred) -
                               slots_.begin());
  }

  std::deque<Slot> slots_;
  size_t live_ = 0;
  uint64_t front_ordinal_ = 0;
  uint64_t epoch_ = 0;
};

// A pending entry. `owner` points to a key of Group::consumers (map nodes are
// stable; a consumer is only erased when no entry points to it).
struct Nack {
  const std::string* owner = nullptr;
  TimePoint delivery_time{};
  int64_t delivery_count = 0;
};

struct Group {
  StreamId last_delivered;                     // last-delivered-id
  int64_t entries_read = kInvalidEntriesRead;  // Redis's entries-read counter
  IdLog<Nack> pel;
  // Consumer name -> seen-time: the last read through it, or the last claim
  // or redelivery that gave it an entry (Redis 7.0's seen-time; XINFO
  // CONSUMERS reports now - seen-time as `idle`).
  std::map<std::string, TimePoint, std::less<>> consumers;
  // Ordinal in the stream log of the first slot after last_delivered, valid
  // while hint_epoch equals the log's epoch: ReadNew skips a binary search.
  uint64_t hint_ordinal = 0;
  uint64_t hint_epoch = kNoHint;
};

struct StreamState {
  IdLog<Fields> entries;
  StreamId last_id;         // top id ever added: new ids are above it
  StreamId max_deleted_id;  // largest id removed by XDEL (not by trimming)
  uint64_t entries_added = 0;
  std::map<std::string, Group, std::less<>> groups;

  uint64_t length() const { return entries.live_count(); }
  StreamId first_id() const {
    const size_t pos = entries.NextLive(0);
    return pos < entries.end() ? entries.at(pos).id : StreamId{};
  }
  Group* FindGroup(std::string_view name) {
    auto it = groups.find(name);
    return it == groups.end() ? nullptr : &it->second;
  }
};

namespace {

const StreamId kZeroId{};

// streamRangeHasTombstones(s, start, NULL) of Redis 7.0.
bool HasTombstonesFrom(const StreamState& s, StreamId start) {
  if (s.length() == 0 || s.max_deleted_id == kZeroId) return false;
  if (s.first_id() > s.max_deleted_id) return false;
  return start <= s.max_deleted_id;
}

// streamEstimateDistanceFromFirstEverEntry of Redis 7.0.
int64_t EstimateEntriesRead(const StreamState& s, StreamId id) {
  const auto added = static_cast<int64_t>(s.entries_added);
  const auto length = static_cast<int64_t>(s.length());
  if (added == 0) return 0;
  if (length == 0 && id <= s.last_id) return added;
  if (id == s.last_id) return added;
  if (id > s.last_id) return kInvalidEntriesRead;
  const StreamId first = s.first_id();
  if (s.max_deleted_id == kZeroId || s.max_deleted_id < first) {
    if (id < first) return added - length;
    if (id == first) return added - length + 1;
  }
  return kInvalidEntriesRead;
}

// streamCGLag of Redis 7.0 (nullopt = SCG_INVALID_LAG).
std::optional<int64_t> GroupLag(const StreamState& s, const Group& g) {
  const auto added = static_cast<int64_t>(s.entries_added);
  if (added == 0) return 0;
  if (g.entries_read != kInvalidEntriesRead && !HasTombstonesFrom(s, g.last_delivered)) {
    return added - g.entries_read;
  }
  const int64_t read = EstimateEntriesRead(s, g.last_delivered);
  if (read == kInvalidEntriesRead) return std::nullopt;
  return added - read;
}

// The group bookkeeping of a ">" delivery (streamReplyWithRange, Redis 7.0).
void NoteDelivered(const StreamState& s, Group& g, StreamId id) {
  if (g.entries_read != kInvalidEntriesRead && !HasTombstonesFrom(s, id)) {
    ++g.entries_read;
  } else if (s.entries_added != 0) {
    g.entries_read = EstimateEntriesRead(s, id);
  }
  g.last_delivered = id;
}

// Position in the stream log of the first slot after the group's
// last-delivered-id.
size_t FirstUndelivered(const StreamState& s, const Group& g) {
  const IdLog<Fields>& log = s.entries;
  if (g.hint_epoch != log.epoch()) return log.UpperBound(g.last_delivered);
  if (g.hint_ordinal <= log.front_ordinal()) return 0;
  return static_cast<size_t>(std::min<uint64_t>(g.hint_ordinal - log.front_ordinal(), log.end()));
}

// The consumer `name` (created when new) after an interaction at `now`:
// its seen-time is refreshed. Redis 7.0 does this on an XREADGROUP of
// pending entries, on an XREADGROUP ">" that delivers something, and on an
// XCLAIM/XAUTOCLAIM that claims something; never on XACK, XPENDING or XINFO.
const std::string* Interact(Group& g, std::string_view name, TimePoint now) {
  auto it = g.consumers.find(name);
  if (it == g.consumers.end()) {
    it = g.consumers.emplace(std::string(name), now).first;
  } else {
    it->second = now;
  }
  return &it->first;
}

// How many pending entries of `g` each consumer owns.
std::map<const std::string*, int64_t> PendingByOwner(const Group& g) {
  std::map<const std::string*, int64_t> counts;
  for (size_t pos = g.pel.NextLive(0); pos < g.pel.end(); pos = g.pel.NextLive(pos + 1)) {
    ++counts[g.pel.at(pos).value.owner];
  }
  return counts;
}

Status CheckCount(int count) {
  if (count >= 1) return Status::Ok();
  return Status::InvalidArgument("COUNT must be >= 1, got " + std::to_string(count));
}

Status InvalidId(std::string_view text) {
  return Status::InvalidArgument("invalid stream id '" + std::string(text) + "'");
}

Status NoGroup(std::string_view stream, std::string_view group) {
  return Status::NotFound("NOGROUP no such key '" + std::string(stream) + "' or consumer group '" +
                          std::string(group) + "'");
}

Result<std::vector<StreamId>> ParseIds(const std::vector<std::string>& texts) {
  std::vector<StreamId> ids;
  ids.reserve(texts.size());
  for (const std::string& text : texts) {
    const auto id = StreamId::Parse(text);
    if (!id) return InvalidId(text);
    ids.push_back(*id);
  }
  return ids;
}

// An XRANGE bound: "-" or "+", "<ms>-<seq>", "<ms>" (seq 0 for the start,
// the maximum for the end), or "(" followed by an id to exclude it.
std::optional<StreamId> ParseRangeBound(std::string_view text, bool is_start) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (text == "-") return StreamId{0, 0};
  if (text == "+") return StreamId{kMax, kMax};
  const bool exclusive = !text.empty() && text.front() == '(';
  if (exclusive) text.remove_prefix(1);
  auto id = StreamId::Parse(text);
  if (!id) return std::nullopt;
  if (!is_start && text.find('-') == std::string_view::npos) id->seq = kMax;
  if (!exclusive) return id;
  if (is_start) {  // streamIncrID; "(" of the largest id is an error
    if (id->seq != kMax) return StreamId{id->ms, id->seq + 1};
    if (id->ms == kMax) return std::nullopt;
    return StreamId{id->ms + 1, 0};
  }
  if (id->seq != 0) return StreamId{id->ms, id->seq - 1};  // streamDecrID
  if (id->ms == 0) return std::nullopt;
  return StreamId{id->ms - 1, kMax};
}

Duration IdleSince(TimePoint now, TimePoint delivered) {
  return std::max(now - delivered, Duration(0));
}

}  // namespace
}  // namespace memory_internal

using memory_internal::Group;
using memory_internal::Nack;
using memory_internal::StreamState;

MemoryBroker::MemoryBroker(const Clock& clock, std::string provider)
    : clock_(clock), provider_(std::move(provider)) {}

MemoryBroker::~MemoryBroker() = default;

BrokerCapabilities MemoryBroker::capabilities() const {
  BrokerCapabilities caps;
  caps.persistent = true;
  caps.consumer_groups = true;
  caps.dlq = true;
  caps.blocking_reads = false;
  return caps;
}

Status MemoryBroker::CheckOpen() const {
  if (closed_) return Status::Unavailable("broker '" + provider_ + "' is closed");
  return Status::Ok();
}

StreamState* MemoryBroker::FindStream(std::string_view name) {
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second.get();
}

StreamState& MemoryBroker::StreamOrCreate(std::string_view name) {
  auto it = streams_.find(name);
  if (it == streams_.end()) {
    it = streams_.emplace(std::string(name), std::make_unique<StreamState>()).first;
  }
  return *it->second;
}

StreamId MemoryBroker::AppendLocked(StreamState& stream, const Fields& fields) {
  // XADD *: <now ms>-0, or the top id + 1 when the clock is not ahead of it.
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const auto now_ms = static_cast<uint64_t>(std::max<int64_t>(ToMillis(clock_.Now()), 0));
  const StreamId top = stream.last_id;
  StreamId id;
  if (now_ms > top.ms) {
    id = {now_ms, 0};
  } else if (top.seq != kMax) {
    id = {top.ms, top.seq + 1};
  } else {
    id = {top.ms + 1, 0};
  }
  stream.entries.Append(id, fields);
  stream.last_id = id;
  ++stream.entries_added;
  return id;
}

Status MemoryBroker::Ping() {
  MutexLock lock(&mu_);
  return CheckOpen();
}

void MemoryBroker::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
}

Result<std::string> MemoryBroker::Publish(std::string_view stream, const Fields& fields) {
  if (fields.empty()) return Status::InvalidArgument("XADD needs at least one field");
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  return AppendLocked(StreamOrCreate(stream), fields).ToString();
}

Status MemoryBroker::CreateGroup(std::string_view stream, std::string_view group,
                                 GroupStart start) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState& s = StreamOrCreate(stream);                 // MKSTREAM
  if (s.FindGroup(group) != nullptr) return Status::Ok();  // BUSYGROUP: left untouched
  Group& g = s.groups[std::string(group)];
  g.last_delivered = start == GroupStart::kEnd ? s.last_id : StreamId{};
  return Status::Ok();
}

Result<std::vector<StreamEntry>> MemoryBroker::ReadNew(std::string_view stream,
                                                       std::string_view group,
                                                       std::string_view consumer, int count,
                                                       Duration /*block*/) {
  PROTEAN_RETURN_IF_ERROR(memory_internal::CheckCount(count));
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) {
    // NOGROUP: recreate the group from the beginning (and the stream, as
    // MKSTREAM would); the read below is the retry.
    s = &StreamOrCreate(stream);
    g = &s->groups[std::string(group)];
    recreations_.Add(stream, group);
  }
  const TimePoint now = clock_.Now();
  const std::string* owner = nullptr;  // Redis 7.0: a read of nothing new creates no consumer
  auto& log = s->entries;
  std::vector<StreamEntry> out;
  out.reserve(std::min(static_cast<size_t>(count), log.live_count()));
  size_t pos = memory_internal::FirstUndelivered(*s, *g);
  for (; pos < log.end() && out.size() < static_cast<size_t>(count); ++pos) {
    const auto& slot = log.at(pos);
    if (!slot.live) continue;
    if (owner == nullptr) owner = memory_internal::Interact(*g, consumer, now);
    memory_internal::NoteDelivered(*s, *g, slot.id);
    g->pel.Append(slot.id, Nack{owner, now, 1});
    out.push_back(StreamEntry{slot.id.ToString(), slot.value, false, 1});
  }
  g->hint_ordinal = log.front_ordinal() + pos;
  g->hint_epoch = log.epoch();
  return out;
}

Result<std::vector<StreamEntry>> MemoryBroker::ReadPending(std::string_view stream,
                                                           std::string_view group,
                                                           std::string_view consumer,
                                                           std::string_view after_id, int count) {
  PROTEAN_RETURN_IF_ERROR(memory_internal::CheckCount(count));
  const auto after = StreamId::Parse(after_id);
  if (!after) return memory_internal::InvalidId(after_id);
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return memory_internal::NoGroup(stream, group);
  const TimePoint now = clock_.Now();
  const std::string* owner = memory_internal::Interact(*g, consumer, now);
  std::vector<StreamEntry> out;
  for (size_t pos = g->pel.UpperBound(*after);
       pos < g->pel.end() && out.size() < static_cast<size_t>(count); ++pos) {
    auto& slot = g->pel.at(pos);
    if (!slot.live || slot.value.owner != owner) continue;
    const size_t at = s->entries.Find(slot.id);
    if (at == s->entries.end()) {
      // [id, nil]: the entry is gone; count and idle stay as they were.
      out.push_back(StreamEntry{slot.id.ToString(), {}, true, slot.value.delivery_count});
      continue;
    }
    slot.value.delivery_time = now;
    ++slot.value.delivery_count;
    out.push_back(
        StreamEntry{slot.id.ToString(), s->entries.at(at).value, false, slot.value.delivery_count});
  }
  return out;
}

Result<int64_t> MemoryBroker::Ack(std::string_view stream, std::string_view group,
                                  const std::vector<std::string>& ids) {
  auto parsed = memory_internal::ParseIds(ids);
  if (!parsed.ok()) return parsed.status();
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return int64_t{0};
  int64_t acked = 0;
  for (const StreamId id : *parsed) {
    const size_t pos = g->pel.Find(id);
    if (pos == g->pel.end()) continue;
    g->pel.EraseAt(pos);
    ++acked;
  }
  g->pel.Tidy();
  return acked;
}

Result<std::optional<StreamEntry>> MemoryBroker::Redeliver(std::string_view stream,
                                                           std::string_view group,
                                                           std::string_view consumer,
                                                           std::string_view id) {
  const auto parsed = StreamId::Parse(id);
  if (!parsed) return Status::InvalidArgument("invalid stream id: " + std::string(id));
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return std::optional<StreamEntry>();
  const size_t pos = g->pel.Find(*parsed);
  if (pos == g->pel.end()) return std::optional<StreamEntry>();
  Nack& nack = g->pel.at(pos).value;
  if (*nack.owner != consumer) return std::optional<StreamEntry>();
  const size_t at = s->entries.Find(*parsed);
  if (at == s->entries.end()) {
    // Gone from the stream: reported as deleted and dropped from the PEL.
    StreamEntry gone{parsed->ToString(), {}, true, nack.delivery_count};
    g->pel.EraseAt(pos);
    g->pel.Tidy();
    return std::optional<StreamEntry>(std::move(gone));
  }
  nack.delivery_time = clock_.Now();
  ++nack.delivery_count;
  memory_internal::Interact(*g, consumer, nack.delivery_time);  // XCLAIM to itself
  return std::optional<StreamEntry>(
      StreamEntry{parsed->ToString(), s->entries.at(at).value, false, nack.delivery_count});
}

Result<int64_t> MemoryBroker::Release(std::string_view stream, std::string_view group,
                                      std::string_view consumer,
                                      const std::vector<std::pair<std::string, int64_t>>& entries) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return int64_t{0};
  int64_t released = 0;
  for (const auto& [id, count] : entries) {
    const auto parsed = StreamId::Parse(id);
    if (!parsed) return Status::InvalidArgument("invalid stream id: " + id);
    const size_t pos = g->pel.Find(*parsed);
    if (pos == g->pel.end()) continue;
    Nack& nack = g->pel.at(pos).value;
    if (*nack.owner != consumer) continue;
    nack.delivery_count = std::max<int64_t>(0, count);
    nack.delivery_time = TimePoint{};  // idle since the epoch: claimable at once
    ++released;
  }
  if (released > 0) memory_internal::Interact(*g, consumer, clock_.Now());  // XCLAIM to itself
  return released;
}

Result<int64_t> MemoryBroker::Touch(std::string_view stream, std::string_view group,
                                    std::string_view consumer,
                                    const std::vector<std::string>& ids) {
  auto parsed = memory_internal::ParseIds(ids);
  if (!parsed.ok()) return parsed.status();
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return int64_t{0};
  const TimePoint now = clock_.Now();
  int64_t touched = 0;
  for (const StreamId id : *parsed) {
    const size_t pos = g->pel.Find(id);
    if (pos == g->pel.end()) continue;
    Nack& nack = g->pel.at(pos).value;
    if (*nack.owner != consumer) continue;
    nack.delivery_time = now;
    ++touched;
  }
  if (touched > 0) memory_internal::Interact(*g, consumer, now);  // XCLAIM ... JUSTID
  return touched;
}

Result<std::vector<PendingEntry>> MemoryBroker::Pending(std::string_view stream,
                                                        std::string_view group,
                                                        std::string_view consumer, int count) {
  PROTEAN_RETURN_IF_ERROR(memory_internal::CheckCount(count));
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return memory_internal::NoGroup(stream, group);
  const TimePoint now = clock_.Now();
  std::vector<PendingEntry> out;
  for (size_t pos = 0; pos < g->pel.end() && out.size() < static_cast<size_t>(count); ++pos) {
    const auto& slot = g->pel.at(pos);
    if (!slot.live || (!consumer.empty() && *slot.value.owner != consumer)) continue;
    out.push_back(PendingEntry{slot.id.ToString(), *slot.value.owner,
                               memory_internal::IdleSince(now, slot.value.delivery_time),
                               slot.value.delivery_count});
  }
  return out;
}

Result<int64_t> MemoryBroker::PendingCount(std::string_view stream, std::string_view group) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return memory_internal::NoGroup(stream, group);
  return static_cast<int64_t>(g->pel.live_count());
}

Result<ClaimResult> MemoryBroker::AutoClaim(std::string_view stream, std::string_view group,
                                            std::string_view consumer, Duration min_idle,
                                            std::string_view cursor, int count) {
  PROTEAN_RETURN_IF_ERROR(memory_internal::CheckCount(count));
  if (min_idle < Duration(0)) return Status::InvalidArgument("min_idle must be >= 0");
  const auto start = StreamId::Parse(cursor);
  if (!start) return memory_internal::InvalidId(cursor);
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return memory_internal::NoGroup(stream, group);
  const TimePoint now = clock_.Now();
  const std::string* owner = nullptr;  // the claimer is created by its first claim
  auto& pel = g->pel;
  ClaimResult result;
  // XAUTOCLAIM (7.0): examine at most count*10 PEL entries; both claimed and
  // purged (deleted) entries use up `count`.
  int64_t attempts = static_cast<int64_t>(count) * 10;
  int64_t remaining = count;
  size_t pos = pel.NextLive(pel.LowerBound(*start));
  for (; pos < pel.end() && attempts > 0 && remaining > 0; pos = pel.NextLive(pos + 1)) {
    --attempts;
    auto& slot = pel.at(pos);
    const size_t at = s->entries.Find(slot.id);
    if (at == s->entries.end()) {
      result.deleted_ids.push_back(slot.id.ToString());
      pel.EraseAt(pos);
      --remaining;
      continue;
    }
    Nack& nack = slot.value;
    if (min_idle > Duration(0) && now - nack.delivery_time < min_idle) continue;
    if (owner == nullptr) owner = memory_internal::Interact(*g, consumer, now);
    nack.owner = owner;
    nack.delivery_time = now;
    ++nack.delivery_count;
    result.claimed.push_back(
        StreamEntry{slot.id.ToString(), s->entries.at(at).value, false, nack.delivery_count});
    --remaining;
  }
  result.next_cursor = pos < pel.end() ? pel.at(pos).id.ToString() : "0-0";
  pel.Tidy();
  return result;
}

Result<std::vector<StreamEntry>> MemoryBroker::Range(std::string_view stream,
                                                     std::string_view start, std::string_view end,
                                                     int count) {
  PROTEAN_RETURN_IF_ERROR(memory_internal::CheckCount(count));
  const auto first = memory_internal::ParseRangeBound(start, /*is_start=*/true);
  if (!first) return memory_internal::InvalidId(start);
  const auto last = memory_internal::ParseRangeBound(end, /*is_start=*/false);
  if (!last) return memory_internal::InvalidId(end);
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  std::vector<StreamEntry> out;
  const StreamState* s = FindStream(stream);
  if (s == nullptr || *first > *last) return out;
  const auto& log = s->entries;
  for (size_t pos = log.LowerBound(*first);
       pos < log.end() && log.at(pos).id <= *last && out.size() < static_cast<size_t>(count);
       ++pos) {
    const auto& slot = log.at(pos);
    if (slot.live) out.push_back(StreamEntry{slot.id.ToString(), slot.value, false, 0});
  }
  return out;
}

Result<int64_t> MemoryBroker::Delete(std::string_view stream, const std::vector<std::string>& ids) {
  auto parsed = memory_internal::ParseIds(ids);
  if (!parsed.ok()) return parsed.status();
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  if (s == nullptr) return int64_t{0};
  int64_t deleted = 0;
  for (const StreamId id : *parsed) {
    const size_t pos = s->entries.Find(id);
    if (pos == s->entries.end()) continue;
    s->entries.EraseAt(pos);
    s->max_deleted_id = std::max(s->max_deleted_id, id);
    ++deleted;
  }
  s->entries.Tidy();
  return deleted;
}

Result<int64_t> MemoryBroker::DeleteStream(std::string_view stream) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  auto it = streams_.find(stream);
  if (it == streams_.end()) return int64_t{0};
  const auto held = static_cast<int64_t>(it->second->length());
  streams_.erase(it);
  return held;
}

Result<int64_t> MemoryBroker::Trim(std::string_view stream, const TrimSpec& spec) {
  std::optional<StreamId> min_id;
  if (spec.kind == TrimSpec::Kind::kMinId) {
    min_id = StreamId::Parse(spec.min_id);
    if (!min_id) return memory_internal::InvalidId(spec.min_id);
  } else if (spec.max_len < 0) {
    return Status::InvalidArgument("MAXLEN must be >= 0");
  }
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  if (s == nullptr) return int64_t{0};
  // Oldest first. Groups are ignored: pending ids stay in their PELs.
  auto& log = s->entries;
  int64_t removed = 0;
  for (size_t pos = 0; pos < log.end(); ++pos) {
    if (min_id ? !(log.at(pos).id < *min_id)
               : static_cast<int64_t>(log.live_count()) <= spec.max_len) {
      break;
    }
    if (!log.at(pos).live) continue;
    log.EraseAt(pos);
    ++removed;
  }
  log.Tidy();
  return removed;
}

Result<int64_t> MemoryBroker::Length(std::string_view stream) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  const StreamState* s = FindStream(stream);
  return s == nullptr ? int64_t{0} : static_cast<int64_t>(s->length());
}

Result<std::optional<int64_t>> MemoryBroker::Lag(std::string_view stream, std::string_view group) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  const Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return memory_internal::NoGroup(stream, group);
  return memory_internal::GroupLag(*s, *g);
}

Result<std::vector<GroupProgress>> MemoryBroker::GroupsProgress(std::string_view stream) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  const StreamState* s = FindStream(stream);
  std::vector<GroupProgress> out;
  if (s == nullptr) return out;
  for (const auto& [name, g] : s->groups) {
    GroupProgress p{name, g.last_delivered.ToString(), std::nullopt};
    const size_t first = g.pel.NextLive(0);
    if (first < g.pel.end()) p.oldest_pending = g.pel.at(first).id.ToString();
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<ConsumerInfo>> MemoryBroker::Consumers(std::string_view stream,
                                                          std::string_view group) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  const Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return memory_internal::NoGroup(stream, group);
  const std::map<const std::string*, int64_t> pending = memory_internal::PendingByOwner(*g);
  const TimePoint now = clock_.Now();
  std::vector<ConsumerInfo> out;
  out.reserve(g->consumers.size());
  for (const auto& [name, seen] : g->consumers) {
    const auto it = pending.find(&name);
    out.push_back(ConsumerInfo{name, it == pending.end() ? 0 : it->second,
                               memory_internal::IdleSince(now, seen)});
  }
  return out;
}

Result<ConsumerDeletion> MemoryBroker::DeleteConsumer(std::string_view stream,
                                                      std::string_view group,
                                                      std::string_view consumer) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return memory_internal::NoGroup(stream, group);
  const auto it = g->consumers.find(consumer);
  if (it == g->consumers.end()) return ConsumerDeletion::kNoSuchConsumer;
  if (memory_internal::PendingByOwner(*g).count(&it->first) > 0) {
    return ConsumerDeletion::kHasPending;
  }
  g->consumers.erase(it);  // no pending entry points to it
  return ConsumerDeletion::kDeleted;
}

Result<bool> MemoryBroker::MoveToDlq(std::string_view stream, std::string_view group,
                                     std::string_view id, const DlqMetadata& meta) {
  const auto parsed = StreamId::Parse(id);
  if (!parsed) return memory_internal::InvalidId(id);
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  StreamState* s = FindStream(stream);
  Group* g = s != nullptr ? s->FindGroup(group) : nullptr;
  if (g == nullptr) return false;
  const size_t pending_pos = g->pel.Find(*parsed);
  if (pending_pos == g->pel.end()) return false;
  const size_t at = s->entries.Find(*parsed);
  static const Fields kNoFields;
  const Fields& original = at == s->entries.end() ? kNoFields : s->entries.at(at).value;
  // XADD to the DLQ, then XACK: the same order as the Redis script. Stream
  // states are heap-allocated, so `s` and `g` survive the map insertion.
  AppendLocked(StreamOrCreate(DlqStreamName(stream)), EncodeDlqFields(original, meta));
  g->pel.EraseAt(pending_pos);
  g->pel.Tidy();
  return true;
}

}  // namespace protean
