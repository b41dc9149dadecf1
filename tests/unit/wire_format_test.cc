// core/engine/message.h: Protean's envelope on broker entries and event-store
// rows, its legacy forms, this engine's earlier entries, the checksum, and
// the metadata a handler's outgoing message inherits. Fixtures were written
// with tests/interop/protean_wire.py (Protean's Message.to_dict() and
// json.dumps) and /usr/bin/python3; the legacy ones are Protean's own test
// fixtures (tests/message/test_legacy_metadata_migration.py).

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/engine/internal/envelope.h"
#include "core/engine/message.h"
#include "core/internal/py_json.h"

namespace protean {
namespace {

// Exactly what Protean's RedisBroker publishes for one command (json.dumps of
// Message.to_dict(); ensure_ascii, default separators).
constexpr char kProteanEnvelope[] =
    R"({"data": {"order_id": "ord-1", "customer": "Zo\u00eb \ud83d\ude00", "amount": 12.5, "rate": 1e-05, "big": 100000000000000000000, "items": [{"sku": "a", "qty": 2}]}, )"
    R"("metadata": {"headers": {"id": "ecommerce::order-ord-1-1", "time": "2026-08-21T10:00:00.123456+00:00", "type": "Ecommerce.OrderPlaced.v1", "stream": "ecommerce::order-ord-1", "traceparent": {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "parent_id": "00f067aa0ba902b7", "sampled": true}, "idempotency_key": "k-1", "deadline": "2026-08-21T10:00:30+00:00"}, )"
    R"("envelope": {"specversion": "1.0", "checksum": "5d8b36fc1340822bd5784ef95e82e7414d69128c609fcf5e15b09c91b21aef56"}, )"
    R"("domain": {"fqn": "ecommerce.order.OrderPlaced", "kind": "COMMAND", "origin_stream": "ecommerce::cart-c1", "stream_category": "ecommerce::order", "version": 2, "sequence_id": "1.1", "asynchronous": false, "expected_version": 4, "priority": -3, "correlation_id": "corr-1", "causation_id": "cause-1"}, )"
    R"("event_store": null, "extensions": {"tenant": "t1"}}})";
constexpr char kProteanPayload[] =
    R"({"order_id": "ord-1", "customer": "Zo\u00eb \ud83d\ude00", "amount": 12.5, "rate": 1e-05, "big": 100000000000000000000, "items": [{"sku": "a", "qty": 2}]})";

StreamEntry Entry(Fields fields, std::string id = "1767225600000-0") {
  return StreamEntry{std::move(id), std::move(fields), false, 2};
}

Result<Message> DecodeData(const std::string& data) {
  return DecodeMessage("ecommerce::order", Entry({{"data", data}}));
}

// A field of the fixture replaced: `from` must occur once.
std::string Replace(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(WireFormatTest, DecodesProteansEnvelopeWithEveryField) {
  Result<Message> m = DecodeData(kProteanEnvelope);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->data, kProteanPayload);  // the payload's bytes, as received
  EXPECT_EQ(m->id, "ecommerce::order-ord-1-1");
  EXPECT_EQ(m->type, "Ecommerce.OrderPlaced.v1");
  EXPECT_EQ(m->stream, "ecommerce::order");
  EXPECT_EQ(m->source_id, "1767225600000-0");
  EXPECT_EQ(m->attempt, 2);
  const MessageMetadata& md = m->metadata;
  EXPECT_EQ(md.format, WireFormat::kEnvelope);
  EXPECT_EQ(md.time, "2026-08-21T10:00:00.123456+00:00");
  EXPECT_EQ(md.stream, "ecommerce::order-ord-1");
  ASSERT_TRUE(md.traceparent.has_value());
  EXPECT_EQ(*md.traceparent,
            (TraceParent{"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true}));
  EXPECT_EQ(md.idempotency_key, "k-1");
  EXPECT_EQ(md.deadline, FromMillis(1787306430000));
  EXPECT_EQ(md.fqn, "ecommerce.order.OrderPlaced");
  EXPECT_EQ(md.kind, "COMMAND");
  EXPECT_EQ(md.origin_stream, "ecommerce::cart-c1");
  EXPECT_EQ(md.stream_category, "ecommerce::order");
  EXPECT_EQ(md.version, 2);
  EXPECT_EQ(md.sequence_id, "1.1");
  EXPECT_FALSE(md.asynchronous);
  EXPECT_EQ(md.expected_version, 4);
  EXPECT_EQ(md.priority, -3);
  EXPECT_EQ(md.correlation_id, "corr-1");
  EXPECT_EQ(md.causation_id, "cause-1");
  EXPECT_TRUE(md.has_domain);
  EXPECT_EQ(md.specversion, "1.0");
  EXPECT_EQ(md.checksum, "5d8b36fc1340822bd5784ef95e82e7414d69128c609fcf5e15b09c91b21aef56");
  EXPECT_FALSE(md.global_position.has_value());
  EXPECT_EQ(md.extensions, R"({"tenant":"t1"})");
  EXPECT_EQ(PayloadChecksum(m->data).value(), md.checksum);
}

TEST(WireFormatTest, AChecksumMismatchIsUndecodableAsInProtean) {
  // The payload changed after the checksum was computed (eventing.py:702-720).
  Result<Message> m = DecodeData(Replace(kProteanEnvelope, "\"qty\": 2", "\"qty\": 3"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("checksum mismatch: stored 5d8b36fc"), std::string::npos)
      << m.status().ToString();
  // Same numbers, other spelling: the checksum is over the parsed payload.
  EXPECT_TRUE(DecodeData(Replace(kProteanEnvelope, "\"amount\": 12.5", "\"amount\": 1.25e1")).ok());
  // No checksum (null or "") is not verified (eventing.py:794).
  EXPECT_TRUE(
      DecodeData(Replace(Replace(kProteanEnvelope, "\"qty\": 2", "\"qty\": 3"),
                         "\"5d8b36fc1340822bd5784ef95e82e7414d69128c609fcf5e15b09c91b21aef56\"",
                         "null"))
          .ok());
}

TEST(WireFormatTest, LegacyFlatMetadataIsMigratedAsMessageDeserializeDoes) {
  // tests/message/test_legacy_metadata_migration.py:24-48, as a broker entry.
  const std::string flat = R"({"data": {"id": "dc1eafa7"}, "metadata": {
      "id": "sustain_api::client-dc1eafa7-3.4", "fqn": "src.clients.model.ClientContactUpdated",
      "kind": "EVENT", "type": "SustainApi.ClientContactUpdated.v1",
      "stream": "sustain_api::client-dc1eafa7", "version": "v1",
      "timestamp": "2026-01-19 09:57:49.404658+00:00", "sequence_id": "3.4",
      "asynchronous": true, "payload_hash": "2522249191255527024", "origin_stream": null}})";
  Result<Message> m = DecodeData(flat);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const MessageMetadata& md = m->metadata;
  EXPECT_EQ(md.format, WireFormat::kFlatMetadata);
  EXPECT_EQ(m->id, "sustain_api::client-dc1eafa7-3.4");
  EXPECT_EQ(m->type, "SustainApi.ClientContactUpdated.v1");
  EXPECT_EQ(md.stream, "sustain_api::client-dc1eafa7");
  EXPECT_EQ(md.time, "2026-01-19 09:57:49.404658+00:00");
  EXPECT_EQ(md.fqn, "src.clients.model.ClientContactUpdated");
  EXPECT_EQ(md.kind, "EVENT");
  EXPECT_EQ(md.version, 1);  // "v1" normalized
  EXPECT_EQ(md.sequence_id, "3.4");
  EXPECT_TRUE(md.asynchronous);
  EXPECT_EQ(md.origin_stream, "");
  EXPECT_EQ(md.checksum, "");  // payload_hash is discarded, nothing to verify
  EXPECT_EQ(m->data, R"({"id": "dc1eafa7"})");
  // A flat form without "version" gets None, which DomainMeta refuses.
  Result<Message> no_version = DecodeData(Replace(flat, R"("version": "v1",)", ""));
  ASSERT_FALSE(no_version.ok());
  EXPECT_NE(no_version.status().message().find("metadata.domain.version"), std::string::npos);
}

TEST(WireFormatTest, StringVersionsAreNormalized) {
  const auto version_of = [](std::string_view v) -> Result<int64_t> {
    Result<Message> m = DecodeData(R"({"data": {}, "metadata": {"headers": {"id": "x"},
        "domain": {"kind": "EVENT", "version": )" +
                                   std::string(v) + "}}}");
    if (!m.ok()) return m.status();
    return m->metadata.version;
  };
  EXPECT_EQ(version_of(R"("v1")").value(), 1);
  EXPECT_EQ(version_of(R"("V3")").value(), 3);
  EXPECT_EQ(version_of(R"("v10")").value(), 10);
  EXPECT_EQ(version_of(R"("2")").value(), 2);
  EXPECT_EQ(version_of("7").value(), 7);
  EXPECT_FALSE(version_of(R"("vX")").ok());
  EXPECT_FALSE(version_of("null").ok());
  EXPECT_FALSE(version_of("1.5").ok());
}

TEST(WireFormatTest, HeadersAndEnvelopeMissingFromMetadataComeFromTheTopLevel) {
  // _build_headers / _build_envelope (eventing.py:655-688).
  Result<Message> m = DecodeData(R"({"data": {"n": 1}, "id": "top-id", "type": "T.v1",
      "headers": {"stream": "s-1", "deadline": "2026-01-01T00:00:00Z",
                  "traceparent": {"trace_id": "t", "parent_id": "p"}},
      "envelope": {"checksum": "2bfd14f43d17fc7cea24e0917a8879b4b2f880b8baeec1b9d90fbaad655e71bd"},
      "metadata": {"domain": {"kind": "EVENT"}}})");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->id, "top-id");
  EXPECT_EQ(m->type, "T.v1");
  EXPECT_EQ(m->metadata.stream, "s-1");
  EXPECT_EQ(m->metadata.deadline, FromMillis(1767225600000));
  EXPECT_EQ(m->metadata.traceparent, (TraceParent{"t", "p", false}));
  EXPECT_EQ(m->metadata.specversion, "1.0");
  EXPECT_EQ(m->metadata.checksum,
            "2bfd14f43d17fc7cea24e0917a8879b4b2f880b8baeec1b9d90fbaad655e71bd");
  // The top-level checksum is verified too.
  EXPECT_FALSE(DecodeData(R"({"data": {"n": 2}, "envelope": {"checksum": "abc"},
      "metadata": {"headers": {}}})")
                   .ok());
  // An explicit null header does not fall back to the top level.
  Result<Message> null_id =
      DecodeData(R"({"data": {}, "id": "top", "headers": {"id": null}, "metadata": {}})");
  ASSERT_TRUE(null_id.ok()) << null_id.status().ToString();
  EXPECT_EQ(null_id->metadata.id, "");
  EXPECT_EQ(null_id->id, "1767225600000-0");  // the entry id stands in
  EXPECT_FALSE(null_id->metadata.has_domain);
}

TEST(WireFormatTest, UndecodableEnvelopesNameWhatIsWrong) {
  const auto error_of = [](const std::string& data) {
    Result<Message> m = DecodeData(data);
    EXPECT_FALSE(m.ok()) << data;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
    return m.status().message();
  };
  EXPECT_EQ(error_of(R"({"data": {}})"), "missing field 'metadata'");
  EXPECT_EQ(error_of(R"({"data": {}, "metadata": null})"), "field 'metadata' is not a JSON object");
  EXPECT_EQ(error_of(R"({"metadata": {"headers": {}}})"), "missing field 'data'");
  EXPECT_EQ(error_of(R"({"data": [1], "metadata": {"headers": {}}})"),
            "field 'data' is not a JSON object");
  EXPECT_EQ(error_of(R"({"data": {}, "metadata": {"headers": null}})"),
            "metadata.headers: expected an object");
  EXPECT_EQ(error_of(R"({"data": {}, "metadata": {"headers": {"id": 7}}})"),
            "metadata.headers.id: expected a string or null");
  EXPECT_EQ(error_of(R"({"data": {}, "metadata": {"headers": {"deadline": "soon"}}})"),
            "metadata.headers.deadline: expected an ISO-8601 time or null");
  EXPECT_EQ(error_of(R"({"data": {}, "metadata": {"headers": {}, "domain": {"asynchronous": 1}}})"),
            "metadata.domain.asynchronous: expected true or false");
  EXPECT_EQ(error_of(R"({"data": {}, "metadata": {"headers": {}, "domain": {"priority": null}}})"),
            "metadata.domain.priority: expected an integer");
  EXPECT_EQ(error_of(R"({"data": {}, "metadata": {"headers": {}, "extensions": null}})"),
            "metadata.extensions: expected an object");
  EXPECT_NE(
      error_of("{\"data\": nope}").find("field 'data' is not JSON: expecting value at byte 9"),
      std::string::npos);
  EXPECT_EQ(error_of("[]"), "field 'data' is not a JSON object");
  EXPECT_EQ(DecodeMessage("s", Entry({{"other", "x"}})).status().message(), "missing field 'data'");
  StreamEntry deleted = Entry({});
  deleted.deleted = true;
  EXPECT_EQ(DecodeMessage("s", deleted).status().message(), "entry was deleted from the stream");
}

TEST(WireFormatTest, UnknownKeysAreIgnoredAndW3cTraceparentsRead) {
  Result<Message> m = DecodeData(R"({"data": {}, "future": 1, "metadata": {"headers":
      {"id": "x", "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03",
       "new_header": true}, "domain": {"kind": "EVENT", "new_field": [1]}, "new_section": {}}})");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->metadata.traceparent,
            (TraceParent{"0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", true}));
}

TEST(WireFormatTest, ThisEnginesEarlierThreeFieldEntriesStillDecode) {
  Result<Message> m = DecodeMessage(
      "orders", Entry({{"id", "m-1"}, {"type", "OrderPlaced"}, {"data", R"({"n": 1})"}}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->id, "m-1");
  EXPECT_EQ(m->type, "OrderPlaced");
  EXPECT_EQ(m->data, R"({"n": 1})");
  EXPECT_EQ(m->metadata.format, WireFormat::kFields);
  EXPECT_FALSE(m->metadata.has_domain);
  Result<Message> no_id = DecodeMessage("orders", Entry({{"type", "T"}, {"data", "{}"}}));
  ASSERT_TRUE(no_id.ok());
  EXPECT_EQ(no_id->id, "1767225600000-0");
  EXPECT_EQ(DecodeMessage("o", Entry({{"type", ""}, {"data", "{}"}})).status().message(),
            "field 'type' is empty");
  EXPECT_EQ(DecodeMessage("o", Entry({{"type", "T"}, {"data", "[]"}})).status().message(),
            "field 'data' is not a JSON object");
}

TEST(WireFormatTest, EncodedEnvelopesHaveProteansShapeAndChecksum) {
  MessageMetadata meta;
  meta.id = "m-1";
  meta.type = "Test.Thing.v1";
  meta.kind = "EVENT";
  meta.time = "2026-08-21T10:00:00+00:00";
  Result<Fields> fields = EncodeMessageFields(meta, R"( {"order_id": "ord-1"} )");
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  ASSERT_EQ(fields->size(), 1u);
  EXPECT_EQ((*fields)[0].first, "data");
  EXPECT_EQ((*fields)[0].second,
            R"({"data":{"order_id": "ord-1"},"metadata":{"headers":{"id":"m-1",)"
            R"("time":"2026-08-21T10:00:00+00:00","type":"Test.Thing.v1","stream":null,)"
            R"("traceparent":null,"idempotency_key":null,"deadline":null},)"
            R"("envelope":{"specversion":"1.0","checksum":)"
            R"("1623c9a735d30cbf194edb0204e70e46e2e75632685ea131cfdeb0a37f9796c9"},)"
            R"("domain":{"fqn":null,"kind":"EVENT","origin_stream":null,"stream_category":null,)"
            R"("version":1,"sequence_id":null,"asynchronous":true,"expected_version":null,)"
            R"("priority":0,"correlation_id":null,"causation_id":null},"event_store":null,)"
            R"("extensions":{}}})");
  EXPECT_FALSE(EncodeMessageFields(meta, "[1]").ok());
  meta.extensions = "[]";
  EXPECT_FALSE(EncodeMessageFields(meta, "{}").ok());
}

TEST(WireFormatTest, EncodeThenDecodeKeepsEveryField) {
  Result<Message> original = DecodeData(kProteanEnvelope);
  ASSERT_TRUE(original.ok());
  Result<Fields> fields = EncodeMessageFields(original->metadata, original->data);
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  Result<Message> again = DecodeMessage("ecommerce::order", Entry(*fields));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->data, original->data);
  const MessageMetadata& a = original->metadata;
  const MessageMetadata& b = again->metadata;
  EXPECT_EQ(b.id, a.id);
  EXPECT_EQ(b.type, a.type);
  EXPECT_EQ(b.time, a.time);
  EXPECT_EQ(b.stream, a.stream);
  EXPECT_EQ(b.traceparent, a.traceparent);
  EXPECT_EQ(b.idempotency_key, a.idempotency_key);
  EXPECT_EQ(b.deadline, a.deadline);
  EXPECT_EQ(b.fqn, a.fqn);
  EXPECT_EQ(b.kind, a.kind);
  EXPECT_EQ(b.origin_stream, a.origin_stream);
  EXPECT_EQ(b.stream_category, a.stream_category);
  EXPECT_EQ(b.version, a.version);
  EXPECT_EQ(b.sequence_id, a.sequence_id);
  EXPECT_EQ(b.asynchronous, a.asynchronous);
  EXPECT_EQ(b.expected_version, a.expected_version);
  EXPECT_EQ(b.priority, a.priority);
  EXPECT_EQ(b.correlation_id, a.correlation_id);
  EXPECT_EQ(b.causation_id, a.causation_id);
  EXPECT_EQ(b.checksum, a.checksum);
  EXPECT_EQ(b.extensions, a.extensions);
  // The short form, as tests and the harness publish.
  Result<Message> small = DecodeMessage("s", Entry(EncodeMessageFields("id-1", "T", R"({"n":1})")));
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->id, "id-1");
  EXPECT_EQ(small->type, "T");
  EXPECT_EQ(small->metadata.checksum,
            "2bfd14f43d17fc7cea24e0917a8879b4b2f880b8baeec1b9d90fbaad655e71bd");
}

TEST(WireFormatTest, OutgoingMessagesInheritCorrelationCausationAndDeadline) {
  Result<Message> command = DecodeData(kProteanEnvelope);  // a COMMAND caused by an event
  ASSERT_TRUE(command.ok());
  const TimePoint now = FromMicros(1787306401000001);
  MessageMetadata event = MetadataCausedBy(*command, "e-1", "Ecommerce.Placed.v1", "EVENT", now);
  EXPECT_EQ(event.id, "e-1");
  EXPECT_EQ(event.kind, "EVENT");
  EXPECT_EQ(event.time, "2026-08-21T10:00:01.000001+00:00");
  EXPECT_EQ(event.correlation_id, "corr-1");
  EXPECT_EQ(event.causation_id, "ecommerce::order-ord-1-1");
  EXPECT_EQ(event.origin_stream, "ecommerce::cart-c1");  // from the causing command
  EXPECT_FALSE(event.deadline.has_value());              // events carry none
  EXPECT_EQ(event.traceparent, command->metadata.traceparent);
  MessageMetadata next = MetadataCausedBy(*command, "c-2", "Ecommerce.Ship.v1", "COMMAND", now);
  EXPECT_EQ(next.deadline, command->metadata.deadline);  // propagated down the chain
  EXPECT_EQ(next.origin_stream, "");                     // the cause is not an event
  Message from_event;
  from_event.id = "ev-9";
  from_event.metadata.id = "ev-9";
  from_event.metadata.kind = "EVENT";
  from_event.metadata.stream = "ecommerce::order-ord-1";
  MessageMetadata cmd = MetadataCausedBy(from_event, "c-3", "X", "COMMAND", now);
  EXPECT_EQ(cmd.origin_stream, "ecommerce::order-ord-1");
  EXPECT_EQ(cmd.correlation_id, "ev-9");  // no correlation: the cause roots the chain
  EXPECT_EQ(cmd.causation_id, "ev-9");
}

TEST(WireFormatTest, ExpiryIsStrictlyAfterTheDeadline) {
  MessageMetadata m;
  EXPECT_FALSE(IsExpired(m, FromMillis(1)));
  m.deadline = FromMillis(1000);
  EXPECT_FALSE(IsExpired(m, FromMillis(1000)));
  EXPECT_TRUE(IsExpired(m, FromMicros(1000001)));
}

TEST(WireFormatTest, MessageIdOfReadsEveryForm) {
  EXPECT_EQ(MessageIdOf({{"id", "a"}, {"data", "{}"}}), "a");
  EXPECT_EQ(MessageIdOf({{"data", kProteanEnvelope}}), "ecommerce::order-ord-1-1");
  EXPECT_EQ(MessageIdOf({{"data", R"({"data":{},"metadata":{"id":"flat","fqn":"x"}})"}}), "flat");
  EXPECT_EQ(MessageIdOf({{"data", "nope"}}), "");
  EXPECT_EQ(MessageIdOf({}), "");
}

EventMessage Row(std::string data, std::string metadata) {
  EventMessage row;
  row.id = "137be0a9-2fa0-4d1f-95ac-2a1641a66782";
  row.stream_name = "sustain_api::client-dc1eafa7";
  row.type = "SustainApi.ClientContactUpdated.v1";
  row.position = 3;
  row.global_position = 42;
  row.data = std::move(data);
  row.metadata = std::move(metadata);
  row.time = FromMillis(1767225600000);
  return row;
}

TEST(WireFormatTest, EventStoreRowsWrittenByProteanCarryTheSameMetadata) {
  // Protean's event store writes data = payload, metadata = Metadata.to_dict().
  // (Sliced out of the text: nlohmann would turn 10**20 into a float.)
  const std::string text = kProteanEnvelope;
  const size_t meta_at = text.find(", \"metadata\": ");
  const std::string data = std::string(kProteanPayload);
  const std::string metadata = text.substr(meta_at + 14, text.size() - meta_at - 15);
  Result<Message> m = DecodeEventMessage(Row(data, metadata));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->id, "ecommerce::order-ord-1-1");  // headers.id, not the row's UUID
  EXPECT_EQ(m->type, "Ecommerce.OrderPlaced.v1");
  EXPECT_EQ(m->metadata.correlation_id, "corr-1");
  EXPECT_EQ(m->metadata.origin_stream, "ecommerce::cart-c1");
  EXPECT_EQ(m->metadata.global_position, 42);  // the row's positions (eventing.py:690-699)
  EXPECT_EQ(m->metadata.position, 3);
  EXPECT_EQ(m->source_id, "42");
  EXPECT_EQ(m->stream, "sustain_api::client-dc1eafa7");
  // The checksum is verified against the row's data.
  EXPECT_FALSE(DecodeEventMessage(Row(R"({"order_id": "other"})", metadata)).ok());
}

TEST(WireFormatTest, LegacyEventStoreRowsAndRowsWithoutMetadata) {
  // tests/message/test_legacy_metadata_migration.py:24-82, field for field.
  Result<Message> m =
      DecodeEventMessage(Row(R"({"id": "dc1eafa7-2e61-4d2c-81e9-0003554cf284"})", R"({
      "id": "sustain_api::client-dc1eafa7-2e61-4d2c-81e9-0003554cf284-3.4",
      "fqn": "src.clients.model.ClientContactUpdated", "kind": "EVENT",
      "type": "SustainApi.ClientContactUpdated.v1",
      "stream": "sustain_api::client-dc1eafa7-2e61-4d2c-81e9-0003554cf284", "version": 1,
      "timestamp": "2026-01-19 09:57:49.404658+00:00", "sequence_id": "3.4", "asynchronous": true,
      "payload_hash": "2522249191255527024", "origin_stream": null})"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->metadata.format, WireFormat::kFlatMetadata);
  EXPECT_EQ(m->id, "sustain_api::client-dc1eafa7-2e61-4d2c-81e9-0003554cf284-3.4");
  EXPECT_EQ(m->metadata.stream, "sustain_api::client-dc1eafa7-2e61-4d2c-81e9-0003554cf284");
  EXPECT_EQ(m->metadata.sequence_id, "3.4");
  EXPECT_EQ(m->metadata.position, 3);
  EXPECT_EQ(m->metadata.global_position, 42);
  EXPECT_EQ(m->metadata.checksum, "");
  // A row this engine wrote before (no metadata): the row is the message.
  Result<Message> plain = DecodeEventMessage(Row(R"({"n": 1})", ""));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->metadata.format, WireFormat::kFields);
  EXPECT_EQ(plain->id, "137be0a9-2fa0-4d1f-95ac-2a1641a66782");
  EXPECT_EQ(plain->type, "SustainApi.ClientContactUpdated.v1");
  EXPECT_EQ(plain->data, R"({"n": 1})");
  // Message DB metadata of other writers: headers come from the row.
  Result<Message> foreign = DecodeEventMessage(Row("{}", R"({"correlationStreamName": "x-1"})"));
  ASSERT_TRUE(foreign.ok()) << foreign.status().ToString();
  EXPECT_EQ(foreign->id, "137be0a9-2fa0-4d1f-95ac-2a1641a66782");
  EXPECT_EQ(foreign->metadata.time, "2026-01-01T00:00:00+00:00");
  EXPECT_FALSE(DecodeEventMessage(Row("[]", "")).ok());
  EXPECT_FALSE(DecodeEventMessage(Row("{}", "null")).ok());
}

// The fast path (envelope_scan.cc) reads the usual shape off the text and
// declines anything else. Where it answers, the general path must give the
// same answer: here on the fixtures, this engine's own envelopes and each
// of many mutations of them (unusual values, escapes, duplicate and unknown
// keys, other shapes, broken text). It must also answer for the usual shape.
struct FastPathCount {
  int accepted = 0;
  int declined = 0;
};

void ExpectFastPathAgrees(const std::string& text, FastPathCount* count) {
  MessageMetadata fast_meta;
  std::string fast_payload;
  const bool fast = envelope_internal::ScanEnvelope(text, &fast_meta, &fast_payload);
  MessageMetadata meta;
  std::string payload;
  const Status general = envelope_internal::ReadEnvelopeText(text, &meta, &payload);
  ++(fast ? count->accepted : count->declined);
  if (!fast) return;
  ASSERT_TRUE(general.ok()) << "the fast path accepted what the general path refuses ("
                            << general.ToString() << "): " << text;
  EXPECT_TRUE(fast_meta == meta) << text;
  EXPECT_EQ(fast_payload, payload) << text;
}

void ExpectRowFastPathAgrees(const std::string& data, const std::string& metadata,
                             FastPathCount* count) {
  const EventMessage row = Row(data, metadata);
  Result<py_json::Value> payload = py_json::Parse(data);
  if (!payload.ok() || !payload->is_object()) return;
  MessageMetadata fast_meta;
  const bool fast = envelope_internal::ScanRowMetadata(row, &fast_meta);
  MessageMetadata meta;
  const Status general = envelope_internal::ReadRowMetadata(row, *payload, &meta);
  ++(fast ? count->accepted : count->declined);
  if (!fast) return;
  ASSERT_TRUE(general.ok()) << general.ToString() << ": " << metadata;
  EXPECT_TRUE(fast_meta == meta) << metadata;
}

TEST(WireFormatTest, TheFastPathAnswersOnlyWhatTheGeneralPathAnswers) {
  // This engine's encoding of every field Protean's fixture sets.
  Result<Message> protean = DecodeData(kProteanEnvelope);
  ASSERT_TRUE(protean.ok()) << protean.status().ToString();
  const MessageMetadata& own = protean->metadata;
  Result<Fields> encoded = EncodeMessageFields(own, R"({"b": [1, 2.5, "x\u00e9"], "a": null})");
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  const std::vector<std::string> bases = {kProteanEnvelope, (*encoded)[0].second,
                                          EncodeMessageFields("id-1", "T", R"({"n":1})")[0].second};
  // Each replaces the first occurrence of its left side (where a base has it).
  const std::vector<std::pair<std::string, std::string>> mutations = {
      {"\"version\": 2", "\"version\": \"2\""},
      {"\"version\": 2", "\"version\": 2.0"},
      {"\"version\": 2", "\"version\": null"},
      {"\"version\": 2", "\"version\": -0"},
      {"\"version\": 2", "\"version\": 99999999999999999999"},
      {"\"version\":1", "\"version\":\"v1\""},
      {"\"version\":1", "\"version\": 01"},
      {"\"priority\": -3", "\"priority\": -3e0"},
      {"\"priority\":0", "\"priority\":true"},
      {"\"asynchronous\": false", "\"asynchronous\": 0"},
      {"\"asynchronous\":true", "\"asynchronous\":null"},
      {"\"expected_version\": 4", "\"expected_version\": null"},
      {"\"expected_version\":null", "\"expected_version\":\"4\""},
      {"ecommerce::order-ord-1-1", "ecommerce\\u003aorder"},
      {"ecommerce::order-ord-1-1", "ord\xc3\xa9"},
      {"ecommerce::order-ord-1-1", "ord\\\"1"},
      {"\"id\":\"m-1\"", "\"id\":\"m\\n1\""},
      {"\"id\":\"id-1\"", "\"id\":7"},
      {"\"id\":\"id-1\"", "\"id\":null"},
      {"2026-08-21T10:00:00.123456+00:00", "2026-08-21 10:00:00Z"},
      {"\"time\": \"2026-08-21T10:00:00.123456+00:00\"", "\"time\": 1787306400"},
      {"\"time\": \"2026-08-21T10:00:00.123456+00:00\"", "\"time\": \"1787306400\""},
      {"\"time\": \"2026-08-21T10:00:00.123456+00:00\"", "\"time\": \"yesterday\""},
      {"\"deadline\": \"2026-08-21T10:00:30+00:00\"", "\"deadline\": null"},
      {"\"fqn\": \"ecommerce.order.OrderPlaced\", ", "\"fqn\": \"x\", \"kind\": \"EVENT\", "},
      {"\"fqn\": \"ecommerce.order.OrderPlaced\", ", "\"fqn\": \"x\", \"fqn\": \"y\", "},
      {"\"idempotency_key\": \"k-1\", ", "\"idempotency_key\": \"k-1\", \"extra\": 1, "},
      {"\"headers\": {", "\"headers\": {\"id\": \"first\", "},
      {"\"event_store\": null", "\"event_store\": {\"position\": 3, \"global_position\": 7}"},
      {"\"event_store\": null", "\"event_store\": {\"position\": 1.5}"},
      {"\"event_store\": null", "\"event_store\": []"},
      {"\"extensions\": {\"tenant\": \"t1\"}", "\"extensions\": null"},
      {"\"extensions\": {\"tenant\": \"t1\"}", "\"extensions\": []"},
      {"\"extensions\": {\"tenant\": \"t1\"}",
       "\"extensions\": {\"b\":1,\"a\":[{\"z\":2,\"y\":\"\\u00e9\"}]}"},
      {"\"extensions\":{}", "\"extensions\":{\"k\":\"v\",\"k\":\"w\"}"},
      {"\"checksum\": \"5d8b", "\"checksum\": \"6d8b"},
      {"\"checksum\":\"", "\"checksum\":\"0"},
      {"\"checksum\": \"5d8b36fc1340822bd5784ef95e82e7414d69128c609fcf5e15b09c91b21aef56\"",
       "\"checksum\": null"},
      {"\"specversion\": \"1.0\"", "\"specversion\": null"},
      {"\"specversion\":\"1.0\",", ""},
      {"\"traceparent\": {\"trace_id\"", "\"traceparent\": {\"x\": 1, \"trace_id\""},
      {", \"sampled\": true}", "}"},
      {"\"sampled\":true", "\"sampled\":1"},
      {"\"traceparent\":null",
       "\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\""},
      {"\"domain\": {\"fqn\"", "\"domain\": null, \"x\": {\"fqn\""},
      {"\"domain\":{\"fqn\":null,", "\"domain\":{},\"d\":{\"fqn\":null,"},
      {"\"envelope\": {", "\"envelope\": null, \"e\": {"},
      {"\"envelope\":{\"specversion\":\"1.0\",", "\"e\":{\"specversion\":\"1.0\","},
      {"{\"data\":", "{\"position\": 3, \"data\":"},
      {"{\"data\":", "{\"data\":{},\"data\":"},
      {"{\"data\": {", "{\"data\": [{"},
      {"\"items\": [", "\"items\": [[[[[[[[[[]]]]]]]]]], \"i\": ["},
      {"\"customer\": \"Zo", "\"customer\": \"\\/Zo"},
      {"\"amount\": 12.5", "\"amount\": NaN"},
      {"\"amount\": 12.5", "\"amount\": 12.5, \"amount\": 1"},
      {"\"amount\": 12.5", "\"amount\": 1e400"},
      {"\"data\":{\"n\":1}", "\"data\":{\"n\":1}  "},
      {"\"data\":{\"n\":1}", "\"data\" :\t{ \"n\" : 1 }\n"},
      {"\"data\":{\"n\":1}", "\"data\":{\"n\":\"}\"}"},
      {"\"data\":{\"n\":1}", "\"data\":{\"n\":\"\\\"}\"}"},
      {"}}", "}} "},
      {"}}", "}}x"},
      {"}}", "}"},
      {"}}", "}},"},
      {"{\"data\"", "\n {\"data\""},
      {"\"metadata\": {", "\"metadata\": {\"fqn\": \"a.B\", "},
      // Found by the fuzzer: metadata without a domain key has no domain.
      {"\"domain\": {\"fqn\": \"ecommerce.order.OrderPlaced\", \"kind\": \"COMMAND\", "
       "\"origin_stream\": \"ecommerce::cart-c1\", \"stream_category\": \"ecommerce::order\", "
       "\"version\": 2, \"sequence_id\": \"1.1\", \"asynchronous\": false, "
       "\"expected_version\": 4, \"priority\": -3, \"correlation_id\": \"corr-1\", "
       "\"causation_id\": \"cause-1\"}, ",
       ""},
      {"\"domain\":{\"fqn\":null,\"kind\":\"EVENT\",\"origin_stream\":null,\"stream_category\":"
       "null,"
       "\"version\":1,\"sequence_id\":null,\"asynchronous\":true,\"expected_version\":null,"
       "\"priority\":0,\"correlation_id\":null,\"causation_id\":null},",
       ""},
  };
  FastPathCount count;
  for (const std::string& base : bases) {
    ExpectFastPathAgrees(base, &count);
    for (const auto& [from, to] : mutations) {
      const size_t at = base.find(from);
      if (at == std::string::npos) continue;
      std::string text = base;
      text.replace(at, from.size(), to);
      ExpectFastPathAgrees(text, &count);
    }
  }
  // Every cut of the usual shape (truncated text) and the rows of an event store.
  for (size_t cut = 0; cut < bases[2].size(); ++cut) {
    ExpectFastPathAgrees(bases[2].substr(0, cut), &count);
  }
  const std::string text = kProteanEnvelope;
  const size_t meta_at = text.find(", \"metadata\": ");
  const std::string metadata = text.substr(meta_at + 14, text.size() - meta_at - 15);
  ExpectRowFastPathAgrees(kProteanPayload, metadata, &count);
  for (const auto& [from, to] : mutations) {
    const size_t at = metadata.find(from);
    if (at == std::string::npos) continue;
    std::string m = metadata;
    m.replace(at, from.size(), to);
    ExpectRowFastPathAgrees(kProteanPayload, m, &count);
  }
  // The usual shape is read by the fast path: the fixtures and the unharmful mutations.
  MessageMetadata meta;
  std::string payload;
  for (const std::string& base : bases) {
    EXPECT_TRUE(envelope_internal::ScanEnvelope(base, &meta, &payload)) << base;
  }
  EXPECT_GT(count.accepted, 20);
  EXPECT_GT(count.declined, 100);
  std::printf("fast path: %d accepted, %d declined\n", count.accepted, count.declined);
}

}  // namespace
}  // namespace protean
