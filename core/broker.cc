#include "core/broker.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <system_error>

namespace protean {
namespace {

// DLQ metadata field names. EncodeDlqFields appends exactly these, in this
// order, after the original fields; DecodeDlqEntry looks for them among the
// trailing fields only, so original fields of any name survive a round trip.
constexpr std::string_view kDlqOriginalStream = "_dlq_original_stream";
constexpr std::string_view kDlqOriginalId = "_dlq_original_id";
constexpr std::string_view kDlqGroup = "_dlq_group";
constexpr std::string_view kDlqConsumer = "_dlq_consumer";
constexpr std::string_view kDlqFirstFailureMs = "_dlq_first_failure_ms";
constexpr std::string_view kDlqLastFailureMs = "_dlq_last_failure_ms";
constexpr std::string_view kDlqAttempts = "_dlq_attempts";
constexpr std::string_view kDlqReason = "_dlq_reason";
constexpr size_t kDlqMetaCount = 8;

// Entries per Range call when the defaults walk a whole DLQ stream.
constexpr int kDlqPageSize = 256;

std::optional<int64_t> ParseInt64(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// The value of `name` among the trailing metadata block of `fields`.
const std::string* FindMeta(const Fields& fields, std::string_view name) {
  const size_t first = fields.size() - kDlqMetaCount;
  for (size_t i = first; i < fields.size(); ++i) {
    if (fields[i].first == name) return &fields[i].second;
  }
  return nullptr;
}

Status BadMeta(std::string_view dlq_stream, std::string_view id, std::string_view field,
               std::string_view what) {
  return Status::Internal("DLQ entry " + std::string(dlq_stream) + " " + std::string(id) + ": " +
                          std::string(what) + " metadata field " + std::string(field));
}

}  // namespace

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

Fields EncodeDlqFields(const Fields& original, const DlqMetadata& meta) {
  Fields out;
  out.reserve(original.size() + kDlqMetaCount);
  out.insert(out.end(), original.begin(), original.end());
  out.emplace_back(kDlqOriginalStream, meta.original_stream);
  out.emplace_back(kDlqOriginalId, meta.original_id);
  out.emplace_back(kDlqGroup, meta.consumer_group);
  out.emplace_back(kDlqConsumer, meta.consumer);
  out.emplace_back(kDlqFirstFailureMs, std::to_string(ToMillis(meta.first_failure)));
  out.emplace_back(kDlqLastFailureMs, std::to_string(ToMillis(meta.last_failure)));
  out.emplace_back(kDlqAttempts, std::to_string(meta.attempts));
  out.emplace_back(kDlqReason, meta.reason);
  return out;
}

Result<DlqEntry> DecodeDlqEntry(std::string_view dlq_stream, const StreamEntry& entry) {
  const Fields& fields = entry.fields;
  if (entry.deleted || fields.size() < kDlqMetaCount) {
    return Status::Internal("DLQ entry " + std::string(dlq_stream) + " " + entry.id +
                            ": no metadata fields");
  }
  DlqEntry out;
  out.dlq_id = entry.id;
  out.dlq_stream = std::string(dlq_stream);
  const std::string_view id = entry.id;
  const auto text = [&](std::string_view name, std::string* dst) -> Status {
    const std::string* value = FindMeta(fields, name);
    if (value == nullptr) return BadMeta(dlq_stream, id, name, "missing");
    *dst = *value;
    return Status::Ok();
  };
  const auto number = [&](std::string_view name, int64_t* dst) -> Status {
    const std::string* value = FindMeta(fields, name);
    if (value == nullptr) return BadMeta(dlq_stream, id, name, "missing");
    const auto parsed = ParseInt64(*value);
    if (!parsed) return BadMeta(dlq_stream, id, name, "malformed");
    *dst = *parsed;
    return Status::Ok();
  };
  DlqMetadata& meta = out.metadata;
  int64_t first_ms = 0;
  int64_t last_ms = 0;
  PROTEAN_RETURN_IF_ERROR(text(kDlqOriginalStream, &meta.original_stream));
  PROTEAN_RETURN_IF_ERROR(text(kDlqOriginalId, &meta.original_id));
  PROTEAN_RETURN_IF_ERROR(text(kDlqGroup, &meta.consumer_group));
  PROTEAN_RETURN_IF_ERROR(text(kDlqConsumer, &meta.consumer));
  PROTEAN_RETURN_IF_ERROR(number(kDlqFirstFailureMs, &first_ms));
  PROTEAN_RETURN_IF_ERROR(number(kDlqLastFailureMs, &last_ms));
  PROTEAN_RETURN_IF_ERROR(number(kDlqAttempts, &meta.attempts));
  PROTEAN_RETURN_IF_ERROR(text(kDlqReason, &meta.reason));
  if (!StreamId::Parse(meta.original_id)) {
    return BadMeta(dlq_stream, id, kDlqOriginalId, "malformed");
  }
  meta.first_failure = FromMillis(first_ms);
  meta.last_failure = FromMillis(last_ms);
  out.fields.assign(fields.begin(), fields.end() - kDlqMetaCount);
  return out;
}

// ---- Default DLQ operations, built on the stream primitives only. ----

Result<std::vector<DlqEntry>> Broker::DlqList(std::string_view dlq_stream, size_t limit) {
  // Every entry is read (DLQs are small and ordered by id, not by failure
  // time), decoded, then sorted newest first.
  auto entries = Range(dlq_stream, "-", "+", std::numeric_limits<int>::max());
  if (!entries.ok()) return entries.status();
  std::vector<DlqEntry> out;
  out.reserve(entries->size());
  for (const StreamEntry& entry : *entries) {
    auto decoded = DecodeDlqEntry(dlq_stream, entry);
    if (!decoded.ok()) return decoded.status();
    out.push_back(std::move(decoded).value());
  }
  std::sort(out.begin(), out.end(), [](const DlqEntry& a, const DlqEntry& b) {
    if (a.metadata.last_failure != b.metadata.last_failure) {
      return a.metadata.last_failure > b.metadata.last_failure;
    }
    return StreamId::Parse(a.dlq_id).value_or(StreamId{}) >
           StreamId::Parse(b.dlq_id).value_or(StreamId{});
  });
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
  return DecodeDlqEntry(dlq_stream, entries->front());
}

Result<std::string> Broker::DlqReplay(std::string_view dlq_stream, std::string_view dlq_id) {
  auto entry = DlqInspect(dlq_stream, dlq_id);
  if (!entry.ok()) return entry.status();
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
      // An entry without original fields cannot be replayed; it stays.
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

}  // namespace protean
