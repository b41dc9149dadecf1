#pragma once
// The engine's view of one message, and how it travels through a broker or
// an event store: Protean's envelope (src/protean/utils/eventing.py).
//
// On a broker stream a message is one entry with one field "data" holding
// JSON {"data": <payload object>, "metadata": {"headers": {...},
// "envelope": {...}, "domain": {...}, "event_store": ..., "extensions":
// {...}}}, exactly what Protean's Message.to_dict() + RedisBroker._publish
// write (eventing.py:542-547, adapters/broker/redis.py:243-247). DecodeMessage
// reads it with Message.deserialize's rules (eventing.py:769-800): the flat
// metadata of older Protean versions and "v1" versions are migrated, headers
// and envelope missing from the metadata are taken from the message's top
// level, and a stored checksum must match (sha256 of the payload as
// json.dumps(sort_keys=True, separators=(",", ":")) writes it), else the
// message is undecodable, as in Protean. It also still reads this engine's
// earlier three-field entries ("id", "type", "data" = the payload).
//
// Event-store rows carry the payload in `data` and Protean's metadata
// (Metadata.to_dict()) in `metadata` (adapters/event_store/message_db.py:79-91);
// DecodeEventMessage reads them with the same rules. A row without metadata
// is read as before: id, type and data from the row.
//
// An undecodable message is never retried: the engine moves it to the DLQ at
// once and acks it (Protean moves it but leaves it pending).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/broker.h"
#include "core/event_store.h"
#include "core/status.h"
#include "core/time.h"

namespace protean {

// W3C trace context as Protean's TraceParent keeps it (eventing.py:73-119).
struct TraceParent {
  std::string trace_id;
  std::string parent_id;
  bool sampled = false;
  bool operator==(const TraceParent&) const = default;
};

// Where a decoded message's metadata came from.
enum class WireFormat {
  kEnvelope,      // Protean's nested metadata (headers / envelope / domain)
  kFlatMetadata,  // Protean's older flat metadata (id, fqn, kind, timestamp, ...)
  kFields,        // this engine's earlier "id"/"type"/"data" entry, or a row without metadata
};
std::string_view WireFormatName(WireFormat format);

// Everything Protean's Metadata carries that a handler or the engine uses.
// Strings are empty where Protean has None; this codec writes them as null.
struct MessageMetadata {
  // metadata.headers (MessageHeaders, eventing.py:122-171)
  std::string id;    // e.g. "ecommerce::order-ord-123-1"
  std::string type;  // e.g. "Ecommerce.OrderPlaced.v1"
  std::string time;  // ISO-8601 as written (datetime.isoformat())
  std::string stream;
  std::optional<TraceParent> traceparent;
  std::string idempotency_key;
  std::optional<TimePoint> deadline;  // a command must not run after it
  // metadata.domain (DomainMeta, eventing.py:182-222)
  std::string fqn;
  std::string kind;  // "EVENT" or "COMMAND" (also "READ_POSITION")
  std::string origin_stream;
  std::string stream_category;
  int64_t version = 1;
  std::string sequence_id;
  bool asynchronous = true;
  std::optional<int64_t> expected_version;
  int64_t priority = 0;
  std::string correlation_id;
  std::string causation_id;
  bool has_domain = true;  // false when metadata.domain is null or absent
  // metadata.envelope (MessageEnvelope, eventing.py:56-70)
  std::string specversion = "1.0";
  std::string checksum;  // as stored; empty when none
  // metadata.event_store (EventStoreMeta, eventing.py:225-230)
  std::optional<int64_t> global_position;
  std::optional<int64_t> position;
  // metadata.extensions: user enrichments, JSON object text.
  std::string extensions = "{}";

  WireFormat format = WireFormat::kEnvelope;
  bool operator==(const MessageMetadata&) const = default;
};

struct Message {
  std::string id;         // metadata.id, else the broker entry id / event-store row id
  std::string type;       // metadata.type
  std::string data;       // the payload: JSON object text, its bytes as they were received
  std::string stream;     // broker stream or event-store stream it came from
  std::string source_id;  // broker entry id, or the event store global position
  int64_t attempt = 1;    // 1-based; for broker messages, the delivery count
  MessageMetadata metadata;
};

// Fails with kInvalidArgument naming what is wrong ("missing field
// 'metadata'", "field 'data' is not a JSON object", "checksum mismatch: ...").
Result<Message> DecodeMessage(std::string_view stream, const StreamEntry& entry);
Result<Message> DecodeEventMessage(const EventMessage& row);
// The same two into `*out`, a default-constructed Message (left part-filled
// on failure): for a caller that keeps the message somewhere already made.
Status DecodeMessageInto(std::string_view stream, const StreamEntry& entry, Message* out);
Status DecodeEventMessageInto(const EventMessage& row, Message* out);

// Protean's envelope checksum of a payload (JSON object text): the lower-case
// hex sha256 of json.dumps(payload, sort_keys=True, separators=(",", ":")).
Result<std::string> PayloadChecksum(std::string_view payload);

// The envelope JSON text for `payload` (a JSON object, embedded byte for
// byte) with `meta`, in the key order of Protean's Metadata.to_dict(); the
// checksum is computed here (meta.checksum is ignored). kInvalidArgument when
// the payload or meta.extensions is not a JSON object.
Result<std::string> EncodeEnvelope(const MessageMetadata& meta, std::string_view payload);
// The broker fields of that envelope: one field "data".
Result<Fields> EncodeMessageFields(const MessageMetadata& meta, std::string_view payload);
// The same for a message with only an id and a type (kind EVENT, no time).
// `data` must be a JSON object (a programmer error otherwise).
Fields EncodeMessageFields(std::string_view id, std::string_view type, std::string_view data);

// Metadata for a message published while `cause` is being handled, as
// Protean builds it (core/event.py:135-195, domain/command_processor.py:
// 171-205): the correlation id carries over, the causation id is the cause's
// id, a command inherits the cause's deadline and, when the cause is an event,
// takes its stream as origin_stream; an event takes the origin_stream of a
// command that caused it. The traceparent is passed on unchanged (this engine
// makes no spans). `kind` is "EVENT" or "COMMAND"; `now` from the Clock.
MessageMetadata MetadataCausedBy(const Message& cause, std::string id, std::string type,
                                 std::string kind, TimePoint now);

// Protean's MessageHeaders.is_expired (eventing.py:156-170): a deadline is set
// and `now` is past it.
bool IsExpired(const MessageMetadata& meta, TimePoint now);

// The message id of a broker entry, for logs and events: the "id" field, else
// metadata.headers.id of the envelope in "data"; "" when neither is there.
std::string MessageIdOf(const Fields& fields);

}  // namespace protean
