// Reading and writing Protean's envelope. Every rule names the line of
// Protean's src/protean/utils/eventing.py (v0.17, ca7379c) it follows.
//
// Where this reader is more lenient than Protean's pydantic models: keys a
// model does not know are ignored (Protean's extra="forbid" rejects them, so
// a field added by a newer Protean would make every message undecodable), and
// headers.traceparent may also be a W3C string. Where it is stricter: only
// JSON ints for ints and JSON booleans for booleans (pydantic's lax mode also
// coerces "3" and "yes").

#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

#include "core/engine/internal/envelope.h"
#include "core/internal/iso_time.h"
#include "core/internal/sha256.h"

namespace protean::envelope_internal {
namespace {

using py_json::Value;
using Kind = Value::Kind;

Status Invalid(std::string what) { return Status::InvalidArgument(std::move(what)); }

// Python's bool(value).
bool Truthy(const Value* v) {
  if (v == nullptr) return false;
  switch (v->kind) {
    case Kind::kNull:
      return false;
    case Kind::kBool:
      return v->boolean;
    case Kind::kInt:
      return v->text != "0";
    case Kind::kFloat:
      return v->number != 0.0;
    case Kind::kString:
      return !v->text.empty();
    case Kind::kArray:
      return !v->items.empty();
    case Kind::kObject:
      return !v->members.empty();
  }
  return false;
}

Value OrNull(std::optional<Value> v) { return v ? std::move(*v) : Value::Null(); }

// d.get(key, fallback) for a dict `d` (nullptr = {}).
Value Get(const Value* d, std::string_view key, const Value* fallback) {
  const Value* v = d != nullptr ? d->Find(key) : nullptr;
  if (v != nullptr) return *v;
  return fallback != nullptr ? *fallback : Value::Null();
}

// _migrate_legacy_metadata (eventing.py:605-640): flat metadata with "fqn"
// and no "headers" is reshaped into headers / domain / envelope. Returns
// whether it was flat.
bool MigrateFlat(Value* md) {
  if (md->Find("fqn") == nullptr || md->Find("headers") != nullptr) return false;
  Value headers = Value::Object();
  headers.Set("id", OrNull(md->Pop("id")));
  headers.Set("time", OrNull(md->Pop("timestamp")));
  headers.Set("type", OrNull(md->Pop("type")));
  headers.Set("stream", OrNull(md->Pop("stream")));
  Value domain = Value::Object();
  domain.Set("fqn", OrNull(md->Pop("fqn")));
  domain.Set("kind", OrNull(md->Pop("kind")));
  domain.Set("version", OrNull(md->Pop("version")));  // None when absent: rejected below
  domain.Set("sequence_id", OrNull(md->Pop("sequence_id")));
  std::optional<Value> asynchronous = md->Pop("asynchronous");
  domain.Set("asynchronous", asynchronous ? std::move(*asynchronous) : Value::Bool(true));
  domain.Set("origin_stream", OrNull(md->Pop("origin_stream")));
  md->Set("headers", std::move(headers));
  md->Set("domain", std::move(domain));
  // The old payload_hash is not a sha256 checksum: discarded (eventing.py:635-640).
  md->Pop("payload_hash");
  Value envelope = Value::Object();
  envelope.Set("specversion", Value::String("1.0"));
  envelope.Set("checksum", Value::Null());
  md->Set("envelope", std::move(envelope));
  return true;
}

// Python's int(text) for the ASCII forms: whitespace, a sign, digits with
// single underscores between them.
std::optional<int64_t> PyInt(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  std::string digits;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_' && i > 0 && i + 1 < text.size() && text[i - 1] != '_' && text[i + 1] != '_') {
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    digits.push_back(c);
  }
  if (digits.empty()) return std::nullopt;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return negative ? -value : value;
}

// _normalize_version (eventing.py:642-653): a string domain.version ("v1",
// "V2", "3") becomes int(v.lstrip("vV")).
Status NormalizeVersion(Value* md) {
  Value* domain = md->Find("domain");
  if (!Truthy(domain) || !domain->is_object()) return Status::Ok();
  Value* v = domain->Find("version");
  if (v == nullptr || !v->is_string()) return Status::Ok();
  std::string_view text = v->text;
  while (!text.empty() && (text.front() == 'v' || text.front() == 'V')) text.remove_prefix(1);
  const std::optional<int64_t> n = PyInt(text);
  if (!n) return Invalid("metadata.domain.version: '" + v->text + "' is not a version");
  *v = Value::Int(*n);
  return Status::Ok();
}

// _build_envelope (eventing.py:655-666): no "envelope" in the metadata → the
// message's top-level "envelope", specversion defaulting to "1.0".
Status BuildEnvelope(Value* md, const Value& message) {
  if (md->Find("envelope") != nullptr) return Status::Ok();
  const Value* top = message.Find("envelope");
  if (top != nullptr && !top->is_object()) return Invalid("field 'envelope' is not a JSON object");
  Value envelope = Value::Object();
  const Value* spec = top != nullptr ? top->Find("specversion") : nullptr;
  envelope.Set("specversion", Truthy(spec) ? *spec : Value::String("1.0"));
  envelope.Set("checksum", Get(top, "checksum", nullptr));
  md->Set("envelope", std::move(envelope));
  return Status::Ok();
}

// _build_headers (eventing.py:668-688): no "headers" in the metadata → the
// message's top-level "headers", each of id/time/type/stream falling back to
// the message's top-level key of that name.
Status BuildHeaders(Value* md, const Value& message) {
  if (md->Find("headers") != nullptr) return Status::Ok();
  const Value* top = message.Find("headers");
  if (top != nullptr && !top->is_object()) return Invalid("field 'headers' is not a JSON object");
  Value headers = Value::Object();
  for (std::string_view key : {"id", "time", "type", "stream"}) {
    headers.Set(key, Get(top, key, message.Find(key)));
  }
  headers.Set("idempotency_key", Get(top, "idempotency_key", nullptr));
  headers.Set("deadline", Get(top, "deadline", nullptr));
  const Value* tp = top != nullptr ? top->Find("traceparent") : nullptr;
  if (Truthy(tp)) headers.Set("traceparent", *tp);
  md->Set("headers", std::move(headers));
  return Status::Ok();
}

// _build_event_store_meta (eventing.py:690-699): top-level position /
// global_position (an event-store row) replace metadata.event_store.
void BuildEventStore(Value* md, const Value& message) {
  if (message.Find("position") == nullptr && message.Find("global_position") == nullptr) return;
  Value es = Value::Object();
  es.Set("position", Get(&message, "position", nullptr));
  es.Set("global_position", Get(&message, "global_position", nullptr));
  md->Set("event_store", std::move(es));
}

// Typed reads of one model's fields; `path` names the model in errors. A
// string is moved out of the model: each field is read once.
class ModelReader {
 public:
  ModelReader(Value* obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  const Status& status() const { return status_; }

  // str | None
  std::string Str(std::string_view key) {
    Value* v = obj_->Find(key);
    if (v == nullptr || v->is_null()) return "";
    if (v->is_string()) return std::move(v->text);
    Bad(key, "expected a string or null");
    return "";
  }
  // int | None (nullable) or int with a default (null refused, as pydantic does).
  std::optional<int64_t> Int(std::string_view key, bool nullable, std::optional<int64_t> dflt) {
    const Value* v = obj_->Find(key);
    if (v == nullptr) return dflt;
    if (v->is_null() && nullable) return std::nullopt;
    int64_t n = 0;
    if (v->kind == Kind::kInt) {
      auto [ptr, ec] = std::from_chars(v->text.data(), v->text.data() + v->text.size(), n);
      if (ec == std::errc() && ptr == v->text.data() + v->text.size()) return n;
    }
    Bad(key, nullable ? "expected an integer or null" : "expected an integer");
    return dflt;
  }
  bool Bool(std::string_view key, bool dflt) {
    const Value* v = obj_->Find(key);
    if (v == nullptr) return dflt;
    if (v->kind == Kind::kBool) return v->boolean;
    Bad(key, "expected true or false");
    return dflt;
  }
  // datetime | None: ISO-8601 text, or seconds since the epoch (pydantic
  // reads numbers above 2e10 as milliseconds). `text` gets the value as written.
  std::optional<TimePoint> Time(std::string_view key, std::string* text) {
    Value* v = obj_->Find(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (v->is_string()) {
      std::optional<TimePoint> t = internal::ParseIsoTime(v->text);
      if (!t) {
        double secs = 0;
        auto [ptr, ec] = std::from_chars(v->text.data(), v->text.data() + v->text.size(), secs);
        if (ec == std::errc() && ptr == v->text.data() + v->text.size()) t = FromEpoch(secs);
      }
      if (text != nullptr) *text = std::move(v->text);
      if (t) return t;
    } else if (v->kind == Kind::kInt || v->kind == Kind::kFloat) {
      const double secs = v->kind == Kind::kInt ? std::stod(v->text) : v->number;
      if (text != nullptr) *text = v->kind == Kind::kInt ? v->text : py_json::FloatRepr(secs);
      if (std::isfinite(secs)) return FromEpoch(secs);
    }
    Bad(key, "expected an ISO-8601 time or null");
    return std::nullopt;
  }
  Value* Object(std::string_view key, bool nullable) {
    Value* v = obj_->Find(key);
    if (v == nullptr || (v->is_null() && nullable)) return nullptr;
    if (v->is_object()) return v;
    Bad(key, nullable ? "expected an object or null" : "expected an object");
    return nullptr;
  }
  void Bad(std::string_view key, std::string_view what) {
    if (status_.ok()) status_ = Invalid(path_ + "." + std::string(key) + ": " + std::string(what));
  }

 private:
  static TimePoint FromEpoch(double secs) {
    if (std::fabs(secs) > 2e10) secs /= 1000;
    return FromMicros(static_cast<int64_t>(std::llround(secs * 1e6)));
  }

  Value* obj_;
  std::string path_;
  Status status_;
};

std::optional<TraceParent> ReadTraceParent(ModelReader& headers, Value& h) {
  Value* v = h.Find("traceparent");
  if (v == nullptr || v->is_null()) return std::nullopt;
  TraceParent tp;
  if (v->is_string()) {
    // TraceParent.build (eventing.py:84-107): "00-<trace>-<parent>-<flags>".
    std::vector<std::string_view> parts;
    std::string_view rest = v->text;
    for (size_t dash; (dash = rest.find('-')) != std::string_view::npos;) {
      parts.push_back(rest.substr(0, dash));
      rest.remove_prefix(dash + 1);
    }
    parts.push_back(rest);
    int flags = 0;
    if (parts.size() != 4 || parts[0] != "00" ||
        std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), flags, 16).ec !=
            std::errc()) {
      headers.Bad("traceparent", "not a W3C traceparent");
      return std::nullopt;
    }
    tp.trace_id = parts[1];
    tp.parent_id = parts[2];
    tp.sampled = (flags & 0x01) != 0;
    return tp;
  }
  if (!v->is_object()) {
    headers.Bad("traceparent", "expected an object or null");
    return std::nullopt;
  }
  ModelReader f(v, "metadata.headers.traceparent");
  tp.trace_id = f.Str("trace_id");
  tp.parent_id = f.Str("parent_id");
  tp.sampled = f.Bool("sampled", false);
  if (!f.status().ok()) {
    headers.Bad("traceparent", f.status().message());
    return std::nullopt;
  }
  return tp;
}

// The typed models (MessageHeaders, DomainMeta, MessageEnvelope,
// EventStoreMeta, extensions) from the migrated metadata.
Status ReadModels(Value& md, MessageMetadata* out) {
  Value* h = md.Find("headers");
  if (h == nullptr || !h->is_object()) return Invalid("metadata.headers: expected an object");
  ModelReader headers(h, "metadata.headers");
  out->id = headers.Str("id");
  out->type = headers.Str("type");
  headers.Time("time", &out->time);
  out->stream = headers.Str("stream");
  out->traceparent = ReadTraceParent(headers, *h);
  out->idempotency_key = headers.Str("idempotency_key");
  out->deadline = headers.Time("deadline", nullptr);
  PROTEAN_RETURN_IF_ERROR(headers.status());

  ModelReader top(&md, "metadata");
  Value* d = top.Object("domain", true);
  Value* e = top.Object("envelope", true);
  Value* es = top.Object("event_store", true);
  const Value* ext = top.Object("extensions", false);
  PROTEAN_RETURN_IF_ERROR(top.status());
  out->has_domain = d != nullptr;
  if (d != nullptr) {
    ModelReader domain(d, "metadata.domain");
    out->fqn = domain.Str("fqn");
    out->kind = domain.Str("kind");
    out->origin_stream = domain.Str("origin_stream");
    out->stream_category = domain.Str("stream_category");
    out->version = domain.Int("version", false, 1).value_or(1);
    out->sequence_id = domain.Str("sequence_id");
    out->asynchronous = domain.Bool("asynchronous", true);
    out->expected_version = domain.Int("expected_version", true, std::nullopt);
    out->priority = domain.Int("priority", false, 0).value_or(0);
    out->correlation_id = domain.Str("correlation_id");
    out->causation_id = domain.Str("causation_id");
    PROTEAN_RETURN_IF_ERROR(domain.status());
  }
  if (e != nullptr) {
    ModelReader envelope(e, "metadata.envelope");
    const Value* spec = e->Find("specversion");
    if (spec != nullptr && !spec->is_string()) envelope.Bad("specversion", "expected a string");
    if (spec != nullptr && spec->is_string()) out->specversion = spec->text;
    out->checksum = envelope.Str("checksum");
    PROTEAN_RETURN_IF_ERROR(envelope.status());
  }
  if (es != nullptr) {
    ModelReader store(es, "metadata.event_store");
    out->global_position = store.Int("global_position", true, std::nullopt);
    out->position = store.Int("position", true, std::nullopt);
    PROTEAN_RETURN_IF_ERROR(store.status());
  }
  out->extensions = ext != nullptr ? py_json::DumpSorted(*ext) : "{}";
  return Status::Ok();
}

void AppendStrOrNull(std::string* out, const std::string& s) {
  if (s.empty()) {
    out->append("null");
  } else {
    py_json::AppendString(out, s);
  }
}

void AppendKey(std::string* out, std::string_view key, bool first = false) {
  if (!first) out->push_back(',');
  py_json::AppendString(out, key);
  out->push_back(':');
}

void AppendOptInt(std::string* out, const std::optional<int64_t>& v) {
  out->append(v ? std::to_string(*v) : "null");
}

}  // namespace

std::string ChecksumOf(const Value& payload) {
  // MessageEnvelope.compute_checksum (eventing.py:66-70).
  return internal::Sha256Hex(py_json::DumpSorted(payload));
}

bool PlainChecksumOf(std::string_view text, std::string* checksum) {
  thread_local std::string canonical;  // its capacity kept from call to call
  const size_t first = text.find_first_not_of(py_json::kWhitespace);
  if (first == std::string_view::npos || text[first] != '{' ||
      !py_json::DumpSortedPlain(text, &canonical)) {
    return false;
  }
  *checksum = internal::Sha256Hex(canonical);
  return true;
}

Result<Value> ParseObject(std::string_view text, std::string_view what) {
  Result<Value> parsed = py_json::Parse(text);
  if (!parsed.ok())
    return Invalid(std::string(what) + " is not JSON: " + parsed.status().message());
  if (!parsed->is_object()) return Invalid(std::string(what) + " is not a JSON object");
  return parsed;
}

Status ReadPayload(std::string_view text, std::string_view what, std::string_view* own,
                   std::string* checksum) {
  if (PlainChecksumOf(text, checksum)) {
    *own = py_json::Trimmed(text);
    return Status::Ok();
  }
  Result<Value> parsed = ParseObject(text, what);
  if (!parsed.ok()) return parsed.status();
  *own = text.substr(parsed->begin, parsed->end - parsed->begin);
  *checksum = ChecksumOf(*parsed);
  return Status::Ok();
}

Status ReadEnvelope(Value* message_in, MessageMetadata* meta) {
  // Message.deserialize (eventing.py:769-800), step by step.
  Value* md_in = message_in->Find("metadata");
  if (md_in == nullptr) return Invalid("missing field 'metadata'");
  if (!md_in->is_object()) return Invalid("field 'metadata' is not a JSON object");
  Value md = std::move(*md_in);  // the steps below rewrite it
  *md_in = Value();
  const Value& message = *message_in;
  const bool flat = MigrateFlat(&md);
  PROTEAN_RETURN_IF_ERROR(NormalizeVersion(&md));
  PROTEAN_RETURN_IF_ERROR(BuildEnvelope(&md, message));
  PROTEAN_RETURN_IF_ERROR(BuildHeaders(&md, message));
  BuildEventStore(&md, message);
  const Value* data = message.Find("data");
  if (data == nullptr) return Invalid("missing field 'data'");
  if (!data->is_object()) return Invalid("field 'data' is not a JSON object");
  PROTEAN_RETURN_IF_ERROR(ReadModels(md, meta));
  meta->format = flat ? WireFormat::kFlatMetadata : WireFormat::kEnvelope;
  // Verified when the envelope holds a checksum (eventing.py:792-795,
  // 702-720): a mismatch is a DeserializationError, so undecodable here too.
  const Value* envelope = md.Find("envelope");
  if (envelope != nullptr && envelope->is_object() && !meta->checksum.empty()) {
    const std::string computed = ChecksumOf(*data);
    if (computed != meta->checksum) {
      return Invalid("checksum mismatch: stored " + meta->checksum + ", computed " + computed);
    }
  }
  return Status::Ok();
}

void AppendMetadata(std::string* out, const MessageMetadata& m, const std::string& checksum) {
  // Metadata.to_dict(): headers, envelope, domain, event_store, extensions,
  // each model's fields in declaration order (eventing.py:122-252).
  out->push_back('{');
  AppendKey(out, "headers", true);
  out->push_back('{');
  AppendKey(out, "id", true);
  AppendStrOrNull(out, m.id);
  AppendKey(out, "time");
  AppendStrOrNull(out, m.time);
  AppendKey(out, "type");
  AppendStrOrNull(out, m.type);
  AppendKey(out, "stream");
  AppendStrOrNull(out, m.stream);
  AppendKey(out, "traceparent");
  if (m.traceparent) {
    out->push_back('{');
    AppendKey(out, "trace_id", true);
    py_json::AppendString(out, m.traceparent->trace_id);
    AppendKey(out, "parent_id");
    py_json::AppendString(out, m.traceparent->parent_id);
    AppendKey(out, "sampled");
    out->append(m.traceparent->sampled ? "true" : "false");
    out->push_back('}');
  } else {
    out->append("null");
  }
  AppendKey(out, "idempotency_key");
  AppendStrOrNull(out, m.idempotency_key);
  AppendKey(out, "deadline");
  AppendStrOrNull(out, m.deadline ? internal::FormatIsoTime(*m.deadline) : "");
  out->push_back('}');
  AppendKey(out, "envelope");
  out->push_back('{');
  AppendKey(out, "specversion", true);
  py_json::AppendString(out, m.specversion.empty() ? "1.0" : m.specversion);
  AppendKey(out, "checksum");
  AppendStrOrNull(out, checksum);
  out->push_back('}');
  AppendKey(out, "domain");
  if (m.has_domain) {
    out->push_back('{');
    AppendKey(out, "fqn", true);
    AppendStrOrNull(out, m.fqn);
    AppendKey(out, "kind");
    AppendStrOrNull(out, m.kind);
    AppendKey(out, "origin_stream");
    AppendStrOrNull(out, m.origin_stream);
    AppendKey(out, "stream_category");
    AppendStrOrNull(out, m.stream_category);
    AppendKey(out, "version");
    out->append(std::to_string(m.version));
    AppendKey(out, "sequence_id");
    AppendStrOrNull(out, m.sequence_id);
    AppendKey(out, "asynchronous");
    out->append(m.asynchronous ? "true" : "false");
    AppendKey(out, "expected_version");
    AppendOptInt(out, m.expected_version);
    AppendKey(out, "priority");
    out->append(std::to_string(m.priority));
    AppendKey(out, "correlation_id");
    AppendStrOrNull(out, m.correlation_id);
    AppendKey(out, "causation_id");
    AppendStrOrNull(out, m.causation_id);
    out->push_back('}');
  } else {
    out->append("null");
  }
  AppendKey(out, "event_store");
  if (m.global_position || m.position) {
    out->push_back('{');
    AppendKey(out, "global_position", true);
    AppendOptInt(out, m.global_position);
    AppendKey(out, "position");
    AppendOptInt(out, m.position);
    out->push_back('}');
  } else {
    out->append("null");
  }
  AppendKey(out, "extensions");
  out->append(m.extensions.empty() ? "{}" : m.extensions);
  out->push_back('}');
}

}  // namespace protean::envelope_internal
