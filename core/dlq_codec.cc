// The DLQ entry codec (core/broker.h): Protean's "_dlq_metadata" format,
// spliced into the original text, and the readers for the older forms.

#include <charconv>
#include <limits>

#include "core/broker.h"
#include "core/internal/iso_time.h"
#include "core/internal/py_json.h"

namespace protean {
namespace {

using py_json::Member;
using py_json::Value;

constexpr std::string_view kMetaKey = "_dlq_metadata";

// This engine's earlier flat fields, appended in this order after the
// original fields (read only).
constexpr std::string_view kFlatNames[] = {
    "_dlq_original_stream",  "_dlq_original_id",     "_dlq_group",    "_dlq_consumer",
    "_dlq_first_failure_ms", "_dlq_last_failure_ms", "_dlq_attempts", "_dlq_reason"};
constexpr size_t kFlatCount = std::size(kFlatNames);

void Key(std::string* out, std::string_view key, bool first = false) {
  if (!first) out->push_back(',');
  py_json::AppendString(out, key);
  out->push_back(':');
}

// The "_dlq_metadata" object: Protean's six keys (stream_subscription.py:
// 985-993), then this engine's. failed_at is the last failure time (Protean
// writes the message's headers.time there).
std::string MetadataJson(const DlqMetadata& m, bool original_missing) {
  std::string out = "{";
  Key(&out, "original_stream", true);
  py_json::AppendString(&out, m.original_stream);
  Key(&out, "original_id");
  py_json::AppendString(&out, m.original_id);
  Key(&out, "consumer_group");
  py_json::AppendString(&out, m.consumer_group);
  Key(&out, "consumer");
  py_json::AppendString(&out, m.consumer);
  Key(&out, "failed_at");
  py_json::AppendString(&out, internal::FormatIsoTime(m.last_failure));
  Key(&out, "retry_count");
  out.append(std::to_string(m.attempts));
  Key(&out, "failure_reason");
  py_json::AppendString(&out, m.reason);
  Key(&out, "first_failed_at");
  py_json::AppendString(&out, internal::FormatIsoTime(m.first_failure));
  if (original_missing) {
    Key(&out, "original_missing");
    out.append("true");
  }
  out.push_back('}');
  return out;
}

// `text` with `"_dlq_metadata":meta` added as the last member of the object
// `obj` parsed from it; every other byte is kept.
std::string Splice(std::string_view text, const Value& obj, std::string_view meta) {
  std::string out(text.substr(0, obj.end - 1));
  if (!obj.members.empty()) out.push_back(',');
  py_json::AppendString(&out, kMetaKey);
  out.push_back(':');
  out.append(meta);
  out.append(text.substr(obj.end - 1));
  return out;
}

// `text` without members[index] of `obj` (and one comma next to it), so that
// Unsplice(Splice(t)) == t, and Protean's `, "_dlq_metadata": {...}` goes too.
std::string Unsplice(std::string_view text, const Value& obj, size_t index) {
  const Member& m = obj.members[index];
  size_t cut_begin = m.begin;
  size_t cut_end = m.value.end;
  if (index > 0) {
    cut_begin = text.rfind(',', m.begin);  // the comma after the previous member
  } else if (obj.members.size() > 1) {
    cut_end = obj.members[1].begin;  // through the comma before the next member
  }
  std::string out(text.substr(0, cut_begin));
  out.append(text.substr(cut_end));
  return out;
}

// Python's int(value) for a retry count: an int, or a string of digits.
std::optional<int64_t> Count(const Value& v) {
  if (v.kind != Value::Kind::kInt && v.kind != Value::Kind::kString) return std::nullopt;
  std::string_view t = v.text;
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return n;
}

// Reads "_dlq_metadata" with the defaults of Protean's _parse_dlq_entry
// (redis.py:678-691). Returns what is wrong, or "".
std::string ReadMeta(const Value& v, std::string_view dlq_stream, const std::string& dlq_id,
                     DlqMetadata* m, bool* original_missing) {
  if (!v.is_object()) return "_dlq_metadata is not a JSON object";
  std::string_view base = dlq_stream;
  if (base.ends_with(":dlq")) base.remove_suffix(4);
  m->original_stream = std::string(base);
  m->original_id = dlq_id;
  const auto str = [&](std::string_view key, std::string* dst) -> std::string {
    const Value* f = v.Find(key);
    if (f == nullptr || f->is_null()) return "";
    if (!f->is_string()) return "_dlq_metadata." + std::string(key) + " is not a string";
    *dst = f->text;
    return "";
  };
  const auto time = [&](std::string_view key, TimePoint* dst) -> std::string {
    std::string text;
    std::string problem = str(key, &text);
    if (!problem.empty() || text.empty()) return problem;
    std::optional<TimePoint> t = internal::ParseIsoTime(text);
    if (!t) return "_dlq_metadata." + std::string(key) + " is not an ISO-8601 time";
    *dst = *t;
    return "";
  };
  for (const std::string& p :
       {str("original_stream", &m->original_stream), str("original_id", &m->original_id),
        str("consumer_group", &m->consumer_group), str("consumer", &m->consumer),
        str("failure_reason", &m->reason), time("failed_at", &m->last_failure)}) {
    if (!p.empty()) return p;
  }
  m->first_failure = m->last_failure;
  if (std::string p = time("first_failed_at", &m->first_failure); !p.empty()) return p;
  if (const Value* rc = v.Find("retry_count"); rc != nullptr && !rc->is_null()) {
    std::optional<int64_t> n = Count(*rc);
    if (!n) return "_dlq_metadata.retry_count is not an integer";
    m->attempts = *n;
  }
  const Value* missing = v.Find("original_missing");
  *original_missing = missing != nullptr && missing->kind == Value::Kind::kBool && missing->boolean;
  return "";
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// A time in milliseconds since the epoch that a TimePoint (microseconds in
// an int64_t) holds: 0 up to about the year 294,000; nullopt for any other.
std::optional<int64_t> ParseMillis(const std::string& text) {
  const std::optional<int64_t> ms = ParseInt64(text);
  if (!ms || *ms < 0 || *ms > std::numeric_limits<int64_t>::max() / 1000) return std::nullopt;
  return ms;
}

// This engine's earlier format: the original fields, then the eight flat
// fields. Returns what is wrong, or "".
std::string ReadFlat(const Fields& fields, DlqEntry* out) {
  if (fields.size() < kFlatCount) return "no DLQ metadata (no _dlq_metadata, no _dlq_* fields)";
  const size_t first = fields.size() - kFlatCount;
  std::string values[kFlatCount];
  for (size_t i = 0; i < kFlatCount; ++i) {
    const std::string* v = nullptr;
    for (size_t j = first; j < fields.size(); ++j) {
      if (fields[j].first == kFlatNames[i]) v = &fields[j].second;
    }
    if (v == nullptr) return "missing metadata field " + std::string(kFlatNames[i]);
    values[i] = *v;
  }
  DlqMetadata& m = out->metadata;
  m.original_stream = values[0];
  m.original_id = values[1];
  m.consumer_group = values[2];
  m.consumer = values[3];
  m.reason = values[7];
  const auto first_ms = ParseMillis(values[4]);
  const auto last_ms = ParseMillis(values[5]);
  const auto attempts = ParseInt64(values[6]);
  if (!first_ms) return "malformed metadata field _dlq_first_failure_ms";
  if (!last_ms) return "malformed metadata field _dlq_last_failure_ms";
  if (!attempts) return "malformed metadata field _dlq_attempts";
  if (!StreamId::Parse(m.original_id)) return "malformed metadata field _dlq_original_id";
  m.first_failure = FromMillis(*first_ms);
  m.last_failure = FromMillis(*last_ms);
  m.attempts = *attempts;
  out->fields.assign(fields.begin(), fields.begin() + static_cast<ptrdiff_t>(first));
  return "";
}

}  // namespace

Fields EncodeDlqFields(const Fields& original, const DlqMetadata& meta) {
  if (original.empty()) {
    // The original entry was gone: Protean's shape with nothing but metadata.
    return {{"data", "{\"_dlq_metadata\":" + MetadataJson(meta, true) + "}"}};
  }
  Fields out = original;
  for (auto& [name, value] : out) {
    if (name != "data") continue;  // the first "data" field is the one Protean reads
    Result<Value> parsed = py_json::Parse(value);
    if (parsed.ok() && parsed->is_object()) {
      value = Splice(value, *parsed, MetadataJson(meta, false));
      return out;
    }
    break;
  }
  out.emplace_back(kMetaKey, MetadataJson(meta, false));
  return out;
}

DlqEntry ParseDlqEntry(std::string_view dlq_stream, const StreamEntry& entry) {
  DlqEntry out;
  out.dlq_id = entry.id;
  out.dlq_stream = std::string(dlq_stream);
  out.raw = entry.fields;
  const auto damaged = [&out](std::string problem) {
    out.damaged = true;
    out.problem = std::move(problem);
    out.fields.clear();
    return out;
  };
  if (entry.deleted) return damaged("the DLQ entry was deleted");
  const Fields& fields = entry.fields;
  bool missing = false;
  // Protean's format: "_dlq_metadata" inside the JSON object in "data".
  std::string data_problem;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].first != "data") continue;
    Result<Value> parsed = py_json::Parse(fields[i].second);
    if (!parsed.ok()) {
      data_problem = "field 'data' is not JSON (" + parsed.status().message() + ")";
    } else if (const Member* m = parsed->FindMember(kMetaKey);
               m != nullptr && parsed->is_object()) {
      std::string problem = ReadMeta(m->value, dlq_stream, entry.id, &out.metadata, &missing);
      if (!problem.empty()) return damaged(std::move(problem));
      if (!missing) {
        out.fields = fields;
        out.fields[i].second =
            Unsplice(fields[i].second, *parsed, static_cast<size_t>(m - parsed->members.data()));
      }
      return out;
    }
    break;
  }
  // An original whose "data" was not an object: a field "_dlq_metadata".
  for (size_t i = fields.size(); i-- > 0;) {
    if (fields[i].first != kMetaKey) continue;
    Result<Value> parsed = py_json::Parse(fields[i].second);
    if (!parsed.ok()) return damaged("field _dlq_metadata is not JSON");
    std::string problem = ReadMeta(*parsed, dlq_stream, entry.id, &out.metadata, &missing);
    if (!problem.empty()) return damaged(std::move(problem));
    out.fields = fields;
    out.fields.erase(out.fields.begin() + static_cast<ptrdiff_t>(i));
    return out;
  }
  std::string problem = ReadFlat(fields, &out);
  if (!problem.empty()) {
    return damaged(data_problem.empty() ? problem : data_problem + "; " + problem);
  }
  return out;
}

Result<DlqEntry> DecodeDlqEntry(std::string_view dlq_stream, const StreamEntry& entry) {
  DlqEntry e = ParseDlqEntry(dlq_stream, entry);
  if (e.damaged) {
    return Status::Internal("DLQ entry " + std::string(dlq_stream) + " " + entry.id + ": " +
                            e.problem);
  }
  return e;
}

}  // namespace protean
