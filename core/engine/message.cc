#include "core/engine/message.h"

#include <cstdio>

#include "core/engine/internal/envelope.h"
#include "core/internal/iso_time.h"
#include "core/internal/py_json.h"

namespace protean {
namespace {

using envelope_internal::ParseObject;
using envelope_internal::ReadPayload;
using py_json::Value;

Status Invalid(std::string what) { return Status::InvalidArgument(std::move(what)); }

// The value's own bytes in `text` (no surrounding whitespace).
std::string Slice(std::string_view text, const Value& v) {
  return std::string(text.substr(v.begin, v.end - v.begin));
}

// This engine's earlier entries: "id" (optional), "type", "data" = payload.
Status DecodeFields(const StreamEntry& entry, const std::string& type, Message* m) {
  if (type.empty()) return Invalid("field 'type' is empty");
  const std::string* data = FindField(entry.fields, "data");
  if (data == nullptr) return Invalid("missing field 'data'");
  Result<Value> payload = ParseObject(*data, "field 'data'");
  if (!payload.ok()) return payload.status();
  const std::string* id = FindField(entry.fields, "id");
  m->metadata.format = WireFormat::kFields;
  m->metadata.has_domain = false;
  m->metadata.id = id != nullptr ? *id : entry.id;
  m->metadata.type = type;
  m->data = Slice(*data, *payload);
  return Status::Ok();
}

}  // namespace

namespace envelope_internal {

Status ReadEnvelopeText(std::string_view text, MessageMetadata* meta, std::string* payload) {
  Result<Value> envelope = ParseObject(text, "field 'data'");
  if (!envelope.ok()) return envelope.status();
  PROTEAN_RETURN_IF_ERROR(ReadEnvelope(&*envelope, meta));
  *payload = Slice(text, *envelope->Find("data"));
  return Status::Ok();
}

Status ReadRowMetadata(const EventMessage& row, const Value& payload, MessageMetadata* meta) {
  // Protean deserializes the row dict itself (port/event_store.py:185-201):
  // {id, stream_name, type, position, global_position, data, metadata, time}.
  Result<Value> metadata = ParseObject(row.metadata, "column 'metadata'");
  if (!metadata.ok()) return metadata.status();
  Value message = Value::Object();
  message.Set("id", Value::String(row.id));
  message.Set("stream_name", Value::String(row.stream_name));
  message.Set("type", Value::String(row.type));
  message.Set("position", Value::Int(row.position));
  message.Set("global_position", Value::Int(row.global_position));
  message.Set("data", payload);
  message.Set("metadata", std::move(*metadata));
  message.Set("time", Value::String(internal::FormatIsoTime(row.time)));
  return ReadEnvelope(&message, meta);
}

}  // namespace envelope_internal

std::string_view WireFormatName(WireFormat format) {
  switch (format) {
    case WireFormat::kEnvelope:
      return "envelope";
    case WireFormat::kFlatMetadata:
      return "flat_metadata";
    case WireFormat::kFields:
      return "fields";
  }
  return "unknown";
}

Status DecodeMessageInto(std::string_view stream, const StreamEntry& entry, Message* out) {
  if (entry.deleted) return Invalid("entry was deleted from the stream");
  Message& m = *out;
  if (const std::string* type = FindField(entry.fields, "type")) {
    PROTEAN_RETURN_IF_ERROR(DecodeFields(entry, *type, &m));
  } else {
    // Protean: one field "data" holding the envelope (redis.py:314-334).
    const std::string* data = FindField(entry.fields, "data");
    if (data == nullptr) return Invalid("missing field 'data'");
    if (!envelope_internal::ScanEnvelope(*data, &m.metadata, &m.data)) {
      m.metadata = MessageMetadata();
      PROTEAN_RETURN_IF_ERROR(envelope_internal::ReadEnvelopeText(*data, &m.metadata, &m.data));
    }
  }
  m.id = m.metadata.id.empty() ? entry.id : m.metadata.id;
  m.type = m.metadata.type;
  m.stream = std::string(stream);
  m.source_id = entry.id;
  m.attempt = entry.delivery_count > 0 ? entry.delivery_count : 1;
  return Status::Ok();
}

Result<Message> DecodeMessage(std::string_view stream, const StreamEntry& entry) {
  Message m;
  PROTEAN_RETURN_IF_ERROR(DecodeMessageInto(stream, entry, &m));
  return m;
}

namespace {

// The row's metadata and payload: the fast path where it answers (it checks
// the payload too), the general one otherwise.
Status DecodeRowInto(const EventMessage& row, Message* m) {
  if (!row.metadata.empty() && envelope_internal::ScanRowMetadata(row, &m->metadata)) {
    m->data = py_json::Trimmed(row.data);
    return Status::Ok();
  }
  m->metadata = MessageMetadata();
  Result<Value> data = ParseObject(row.data, "column 'data'");
  if (!data.ok()) return data.status();
  if (row.metadata.empty()) {
    // A row without metadata (this engine's earlier writes): the row is all.
    m->metadata.format = WireFormat::kFields;
    m->metadata.has_domain = false;
    m->metadata.id = row.id;
    m->metadata.type = row.type;
    m->metadata.stream = row.stream_name;
    m->metadata.global_position = row.global_position;
    m->metadata.position = row.position;
  } else {
    PROTEAN_RETURN_IF_ERROR(envelope_internal::ReadRowMetadata(row, *data, &m->metadata));
  }
  m->data = Slice(row.data, *data);
  return Status::Ok();
}

}  // namespace

Status DecodeEventMessageInto(const EventMessage& row, Message* out) {
  Message& m = *out;
  PROTEAN_RETURN_IF_ERROR(DecodeRowInto(row, &m));
  m.id = m.metadata.id.empty() ? row.id : m.metadata.id;
  m.type = m.metadata.type.empty() ? row.type : m.metadata.type;
  m.stream = row.stream_name;
  m.source_id = std::to_string(row.global_position);
  return Status::Ok();
}

Result<Message> DecodeEventMessage(const EventMessage& row) {
  Message m;
  PROTEAN_RETURN_IF_ERROR(DecodeEventMessageInto(row, &m));
  return m;
}

Result<std::string> PayloadChecksum(std::string_view payload) {
  std::string_view own;
  std::string checksum;
  PROTEAN_RETURN_IF_ERROR(ReadPayload(payload, "payload", &own, &checksum));
  return checksum;
}

Result<std::string> EncodeEnvelope(const MessageMetadata& meta, std::string_view payload) {
  std::string_view own;
  std::string checksum;
  PROTEAN_RETURN_IF_ERROR(ReadPayload(payload, "payload", &own, &checksum));
  if (!meta.extensions.empty()) {
    Result<Value> ext = ParseObject(meta.extensions, "metadata.extensions");
    if (!ext.ok()) return ext.status();
  }
  std::string out;
  out.reserve(payload.size() + 512);
  out.append("{\"data\":");
  out.append(own);
  out.append(",\"metadata\":");
  envelope_internal::AppendMetadata(&out, meta, checksum);
  out.push_back('}');
  return out;
}

Result<Fields> EncodeMessageFields(const MessageMetadata& meta, std::string_view payload) {
  Result<std::string> envelope = EncodeEnvelope(meta, payload);
  if (!envelope.ok()) return envelope.status();
  return Fields{{"data", std::move(*envelope)}};
}

Fields EncodeMessageFields(std::string_view id, std::string_view type, std::string_view data) {
  MessageMetadata meta;
  meta.id = std::string(id);
  meta.type = std::string(type);
  meta.kind = "EVENT";
  Result<Fields> fields = EncodeMessageFields(meta, data);
  if (!fields.ok()) {
    std::fprintf(stderr, "EncodeMessageFields: %s\n", fields.status().ToString().c_str());
  }
  PROTEAN_CHECK(fields.ok());
  return std::move(fields).value();
}

MessageMetadata MetadataCausedBy(const Message& cause, std::string id, std::string type,
                                 std::string kind, TimePoint now) {
  const MessageMetadata& c = cause.metadata;
  MessageMetadata m;
  m.id = std::move(id);
  m.type = std::move(type);
  m.kind = std::move(kind);
  m.time = internal::FormatIsoTime(now);
  m.causation_id = c.id.empty() ? cause.id : c.id;
  // Protean leaves it None when the cause has none (events) or draws a new
  // one (commands); this engine makes the cause the root of the chain.
  m.correlation_id = !c.correlation_id.empty() ? c.correlation_id : m.causation_id;
  m.traceparent = c.traceparent;
  if (m.kind == "COMMAND") {
    m.deadline = c.deadline;
    if (c.kind == "EVENT") m.origin_stream = c.stream;
  } else if (c.kind == "COMMAND") {
    m.origin_stream = c.origin_stream;
  }
  return m;
}

bool IsExpired(const MessageMetadata& meta, TimePoint now) {
  return meta.deadline.has_value() && now > *meta.deadline;
}

std::string MessageIdOf(const Fields& fields) {
  if (const std::string* id = FindField(fields, "id")) return *id;
  const std::string* data = FindField(fields, "data");
  if (data == nullptr) return "";
  Result<Value> envelope = py_json::Parse(*data);
  if (!envelope.ok()) return "";
  const Value* md = envelope->Find("metadata");
  if (md == nullptr || !md->is_object()) return "";
  const Value* headers = md->Find("headers");
  const Value* id = headers != nullptr && headers->is_object() ? headers->Find("id")
                                                               : md->Find("id");  // flat metadata
  return id != nullptr && id->is_string() ? id->text : "";
}

}  // namespace protean
