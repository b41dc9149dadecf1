#include "core/broker.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <system_error>

#include "core/dlq_order.h"

namespace protean {
namespace {

// Entries per Range call when the defaults walk a whole DLQ stream.
constexpr int kDlqPageSize = 256;

std::string GroupKey(std::string_view stream, std::string_view group) {
  std::string key(stream);
  key.push_back('\0');
  key.append(group);
  return key;
}

}  // namespace

void GroupRecreationCount::Add(std::string_view stream, std::string_view group) {
  MutexLock lock(&mu_);
  ++counts_[GroupKey(stream, group)];
}

int64_t GroupRecreationCount::Of(std::string_view stream, std::string_view group) const {
  MutexLock lock(&mu_);
  auto it = counts_.find(GroupKey(stream, group));
  return it == counts_.end() ? 0 : it->second;
}

const std::string* FindField(const Fields& fields, std::string_view name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string StreamId::ToString() const {
  // A uint64_t has at most 20 digits: "<20>-<20>" fits in 41 chars.
  char buf[44];
  char* dash = std::to_chars(buf, buf + 20, ms).ptr;
  *dash = '-';
  char* end = std::to_chars(dash + 1, dash + 21, seq).ptr;
  return std::string(buf, end);
}

std::optional<StreamId> StreamId::Parse(std::string_view text) {
  const auto parse_part = [](std::string_view part) -> std::optional<uint64_t> {
    // from_chars accepts no sign for unsigned types, but be explicit.
    if (part.empty() || part.front() < '0' || part.front() > '9') return std::nullopt;
    uint64_t value = 0;
    const char* end = part.data() + part.size();
    auto [ptr, ec] = std::from_chars(part.data(), end, value);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return value;
  };
  StreamId id;
  const size_t dash = text.find('-');
  const auto ms = parse_part(text.substr(0, dash));
  if (!ms) return std::nullopt;
  id.ms = *ms;
  if (dash == std::string_view::npos) return id;
  const auto seq = parse_part(text.substr(dash + 1));
  if (!seq) return std::nullopt;
  id.seq = *seq;
  return id;
}

bool DlqNewerFirst(const DlqEntry& a, const DlqEntry& b) {
  if (a.metadata.last_failure != b.metadata.last_failure) {
    return a.metadata.last_failure > b.metadata.last_failure;
  }
  return StreamId::Parse(a.dlq_id).value_or(StreamId{}) >
         StreamId::Parse(b.dlq_id).value_or(StreamId{});
}

// ---- Default DLQ operations, built on the stream primitives only. ----

Result<std::vector<DlqEntry>> Broker::DlqList(std::string_view dlq_stream, size_t limit) {
  // Every entry is read (DLQs are small and ordered by id, not by failure
  // time), decoded, then sorted newest first.
  auto entries = Range(dlq_stream, "-", "+", std::numeric_limits<int>::max());
  if (!entries.ok()) return entries.status();
  std::vector<DlqEntry> out;
  out.reserve(entries->size());
  for (const StreamEntry& entry : *entries) out.push_back(ParseDlqEntry(dlq_stream, entry));
  std::sort(out.begin(), out.end(), DlqNewerFirst);
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<DlqEntry> Broker::DlqInspect(std::string_view dlq_stream, std::string_view dlq_id) {
  if (!StreamId::Parse(dlq_id)) {
    return Status::InvalidArgument("invalid DLQ entry id '" + std::string(dlq_id) + "'");
  }
  auto entries = Range(dlq_stream, dlq_id, dlq_id, 1);
  if (!entries.ok()) return entries.status();
  if (entries->empty()) {
    return Status::NotFound("no DLQ entry " + std::string(dlq_id) + " in " +
                            std::string(dlq_stream));
  }
  return ParseDlqEntry(dlq_stream, entries->front());
}

Result<std::string> Broker::DlqReplay(std::string_view dlq_stream, std::string_view dlq_id) {
  auto entry = DlqInspect(dlq_stream, dlq_id);
  if (!entry.ok()) return entry.status();
  if (entry->damaged) {
    return Status::InvalidArgument("DLQ entry " + std::string(dlq_id) +
                                   " is damaged and is not replayed: " + entry->problem);
  }
  if (entry->fields.empty()) {
    return Status::InvalidArgument("DLQ entry " + std::string(dlq_id) +
                                   " has no original fields to replay");
  }
  if (entry->metadata.original_stream.empty()) {
    return Status::InvalidArgument("DLQ entry " + std::string(dlq_id) + " has no original stream");
  }
  auto new_id = Publish(entry->metadata.original_stream, entry->fields);
  if (!new_id.ok()) return new_id.status();
  // Publish-then-delete: a failure here leaves the entry in the DLQ, so a
  // retried replay publishes it twice (at-least-once), never zero times.
  auto deleted = Delete(dlq_stream, {std::string(dlq_id)});
  if (!deleted.ok()) return deleted.status();
  return new_id;
}

Result<int64_t> Broker::DlqReplayAll(std::string_view dlq_stream) {
  // Entries are replayed oldest first (the original order). Entries appended
  // while this runs are left alone: at most the initial depth is visited.
  auto depth = Length(dlq_stream);
  if (!depth.ok()) return depth.status();
  int64_t visits_max = *depth;
  int64_t replayed = 0;
  std::string cursor = "-";
  while (visits_max > 0) {
    const int page_size = static_cast<int>(std::min<int64_t>(visits_max, kDlqPageSize));
    auto page = Range(dlq_stream, cursor, "+", page_size);
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    for (const StreamEntry& entry : *page) {
      auto replay = DlqReplay(dlq_stream, entry.id);
      // A damaged entry, or one without original fields, stays.
      if (!replay.ok() && replay.status().code() != StatusCode::kInvalidArgument) {
        return replay.status();
      }
      if (replay.ok()) ++replayed;
    }
    visits_max -= static_cast<int64_t>(page->size());
    cursor = "(" + page->back().id;
  }
  return replayed;
}

Result<int64_t> Broker::DlqPurge(std::string_view dlq_stream) { return DeleteStream(dlq_stream); }

Result<int64_t> Broker::DlqTrimOlderThan(std::string_view dlq_stream, TimePoint cutoff) {
  const int64_t cutoff_ms = std::max<int64_t>(ToMillis(cutoff), 0);
  return Trim(dlq_stream, TrimSpec::MinId(std::to_string(cutoff_ms) + "-0"));
}

Result<int64_t> Broker::DlqDepth(std::string_view dlq_stream) { return Length(dlq_stream); }

Result<std::vector<GroupProgress>> Broker::GroupsProgress(std::string_view /*stream*/) {
  return Status::InvalidArgument("broker '" + std::string(provider()) +
                                 "' has no consumer groups to measure");
}

Result<RetentionTrim> Broker::TrimRetained(std::string_view stream, int64_t max_len) {
  RetentionTrim out;
  if (max_len < 1) return out;
  Result<std::vector<GroupProgress>> groups = GroupsProgress(stream);
  if (!groups.ok()) return groups.status();
  out.groups = static_cast<int64_t>(groups->size());
  if (groups->size() >= 2) {
    std::optional<StreamId> floor;
    for (const GroupProgress& g : *groups) {
      std::optional<StreamId> at = StreamId::Parse(g.last_delivered);
      if (g.oldest_pending) {
        const std::optional<StreamId> pending = StreamId::Parse(*g.oldest_pending);
        if (!at || (pending && *pending < *at)) at = pending;
      }
      // An id that does not parse keeps everything (Protean sorts it first).
      if (!at) return out;
      if (!floor || *at < *floor) floor = at;
    }
    out.spec = TrimSpec::MinId(floor->ToString());
  } else {
    out.spec = TrimSpec::MaxLen(max_len);
  }
  Result<int64_t> removed = Trim(stream, out.spec);
  if (!removed.ok()) return removed.status();
  out.removed = *removed;
  return out;
}

Result<std::vector<StreamEntry>> Broker::AckThenReadNew(
    std::string_view stream, std::string_view group, std::string_view consumer,
    const std::vector<std::string>& ack_ids, const AckDone& on_acked, int count, Duration block) {
  on_acked(ack_ids.empty() ? Result<int64_t>(int64_t{0}) : Ack(stream, group, ack_ids));
  return ReadNew(stream, group, consumer, count, block);
}

Result<int64_t> Broker::PendingCount(std::string_view stream, std::string_view group) {
  auto pending = Pending(stream, group, "", std::numeric_limits<int>::max());
  if (!pending.ok()) return pending.status();
  return static_cast<int64_t>(pending->size());
}

Result<std::vector<ConsumerInfo>> Broker::Consumers(std::string_view /*stream*/,
                                                    std::string_view /*group*/) {
  return Status::InvalidArgument("broker '" + std::string(provider()) +
                                 "' has no consumer groups to list");
}

Result<ConsumerDeletion> Broker::DeleteConsumer(std::string_view /*stream*/,
                                                std::string_view /*group*/,
                                                std::string_view /*consumer*/) {
  return Status::InvalidArgument("broker '" + std::string(provider()) + "' has no consumer groups");
}

}  // namespace protean
