// The DLQ codec (core/broker.h, core/dlq_codec.cc): Protean's
// "_dlq_metadata" spliced into the original text and cut out again, byte for
// byte; Protean-written entries; this engine's earlier flat entries; damaged
// entries that are listed, never hidden and never replayed.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/memory/memory_broker.h"
#include "core/broker.h"
#include "core/engine/message.h"
#include "core/runtime/sim_executor.h"

namespace protean {
namespace {

DlqMetadata SampleMeta() {
  DlqMetadata meta;
  meta.original_stream = "orders";
  meta.original_id = "1767225600000-3";
  meta.consumer_group = "g";
  meta.consumer = "worker-1";
  meta.first_failure = FromMicros(1767225600100999);
  meta.last_failure = FromMicros(1767225600900001);
  meta.attempts = 3;
  meta.reason = "ValueError: bad \"input\"\nline 2 \xc3\xa9";
  return meta;
}

StreamEntry DlqSourceEntry(Fields fields, std::string id = "1767225601000-0") {
  return StreamEntry{std::move(id), std::move(fields), false, 0};
}

void ExpectMeta(const DlqMetadata& got, const DlqMetadata& want) {
  EXPECT_EQ(got.original_stream, want.original_stream);
  EXPECT_EQ(got.original_id, want.original_id);
  EXPECT_EQ(got.consumer_group, want.consumer_group);
  EXPECT_EQ(got.consumer, want.consumer);
  EXPECT_EQ(got.first_failure, want.first_failure);
  EXPECT_EQ(got.last_failure, want.last_failure);
  EXPECT_EQ(got.attempts, want.attempts);
  EXPECT_EQ(got.reason, want.reason);
}

TEST(DlqCodecTest, SpliceAndUnspliceKeepTheOriginalBytes) {
  const Fields envelope = EncodeMessageFields("m-1", "T", R"({"n": 1.50, "s": "\u00e9"})");
  const std::vector<Fields> originals = {
      envelope,
      {{"data", R"({"data": {"a": 1}, "metadata": {"headers": {}}})"}},
      {{"data", "{ \"a\" : 1 ,\n \"b\":[] }\n"}},
      {{"data", "{}"}},
      {{"data", " { } "}},
      {{"data", R"({"_dlq_metadata": {"older": true}, "x": 1})"}},       // a user key of that name
      {{"id", "m-2"}, {"type", "OrderPlaced"}, {"data", R"({"k":1})"}},  // earlier three fields
      {{"data", R"({"k":1})"}, {"_dlq_reason", "a user field"}},
  };
  const DlqMetadata meta = SampleMeta();
  for (const Fields& original : originals) {
    const Fields encoded = EncodeDlqFields(original, meta);
    ASSERT_EQ(encoded.size(), original.size()) << original[0].second;
    // What Protean reads: the "data" JSON, our metadata as its _dlq_metadata.
    const std::string* data = FindField(encoded, "data");
    ASSERT_NE(data, nullptr);
    const nlohmann::json parsed = nlohmann::json::parse(*data);
    EXPECT_EQ(parsed["_dlq_metadata"]["original_id"], meta.original_id);
    EXPECT_EQ(parsed["_dlq_metadata"]["retry_count"], 3);
    EXPECT_EQ(parsed["_dlq_metadata"]["failed_at"], "2026-01-01T00:00:00.900001+00:00");
    EXPECT_EQ(parsed["_dlq_metadata"]["failure_reason"], meta.reason);
    const DlqEntry e = ParseDlqEntry("orders:dlq", DlqSourceEntry(encoded));
    EXPECT_FALSE(e.damaged) << e.problem;
    EXPECT_EQ(e.fields, original) << "byte for byte";
    EXPECT_EQ(e.raw, encoded);
    ExpectMeta(e.metadata, meta);
  }
  // The envelope's checksum survives the round trip.
  Result<Message> m = DecodeMessage(
      "orders",
      DlqSourceEntry(
          ParseDlqEntry("orders:dlq", DlqSourceEntry(EncodeDlqFields(envelope, meta))).fields));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->data, R"({"n": 1.50, "s": "\u00e9"})");
}

TEST(DlqCodecTest, NonObjectDataAndDeletedOriginals) {
  const DlqMetadata meta = SampleMeta();
  // "data" that is not an object: the fields are kept, the metadata is a field.
  for (const Fields& original : std::vector<Fields>{{{"data", "not json"}},
                                                    {{"data", "[1]"}, {"id", "x"}},
                                                    {{"id", "x"}},
                                                    {{"_dlq_metadata", "{}"}}}) {
    const Fields encoded = EncodeDlqFields(original, meta);
    ASSERT_EQ(encoded.size(), original.size() + 1);
    EXPECT_EQ(encoded.back().first, "_dlq_metadata");
    const DlqEntry e = ParseDlqEntry("orders:dlq", DlqSourceEntry(encoded));
    EXPECT_FALSE(e.damaged) << e.problem;
    EXPECT_EQ(e.fields, original);
    ExpectMeta(e.metadata, meta);
  }
  // The original entry was gone: Protean's shape, nothing to replay.
  const Fields gone = EncodeDlqFields({}, meta);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(gone[0].second)["_dlq_metadata"]["original_missing"], true);
  const DlqEntry e = ParseDlqEntry("orders:dlq", DlqSourceEntry(gone));
  EXPECT_FALSE(e.damaged);
  EXPECT_TRUE(e.fields.empty());
  ExpectMeta(e.metadata, meta);
}

TEST(DlqCodecTest, ReadsDlqEntriesProteanWrote) {
  // StreamSubscription._create_dlq_message + json.dumps (stream_subscription.py:979-994).
  const std::string envelope =
      R"({"data": {"n": 1}, "metadata": {"headers": {"id": "m-9", "time": "2026-08-21T10:00:00+00:00"}, )"
      R"("envelope": {"specversion": "1.0", "checksum": "2bfd14f43d17fc7cea24e0917a8879b4b2f880b8baeec1b9d90fbaad655e71bd"}}})";
  const std::string dlq_data =
      envelope.substr(0, envelope.size() - 1) +
      R"(, "_dlq_metadata": {"original_stream": "ecommerce::order", "original_id": "1767225600000-7", )"
      R"("consumer_group": "app.OrderHandler", "consumer": "OrderHandler-h-1-abcdef", )"
      R"("failed_at": "2026-08-21T10:00:00+00:00", "retry_count": 3}})";
  const DlqEntry e = ParseDlqEntry("ecommerce::order:dlq", DlqSourceEntry({{"data", dlq_data}}));
  EXPECT_FALSE(e.damaged) << e.problem;
  EXPECT_EQ(e.metadata.original_stream, "ecommerce::order");
  EXPECT_EQ(e.metadata.original_id, "1767225600000-7");
  EXPECT_EQ(e.metadata.consumer_group, "app.OrderHandler");
  EXPECT_EQ(e.metadata.consumer, "OrderHandler-h-1-abcdef");
  EXPECT_EQ(e.metadata.last_failure, FromMillis(1787306400000));
  EXPECT_EQ(e.metadata.first_failure, e.metadata.last_failure);
  EXPECT_EQ(e.metadata.attempts, 3);
  EXPECT_EQ(e.metadata.reason, "");  // Protean records none
  ASSERT_EQ(e.fields.size(), 1u);
  EXPECT_EQ(e.fields[0].second, envelope);  // Protean's `, "_dlq_metadata": {...}` is cut out
  EXPECT_TRUE(DecodeMessage("ecommerce::order", DlqSourceEntry(e.fields)).ok());
  // Missing keys take _parse_dlq_entry's defaults (redis.py:683-689).
  const DlqEntry bare = ParseDlqEntry(
      "s:dlq",
      DlqSourceEntry({{"data", R"({"_dlq_metadata": {"retry_count": "2", "failed_at": null}})"}}));
  EXPECT_FALSE(bare.damaged) << bare.problem;
  EXPECT_EQ(bare.metadata.original_stream, "s");
  EXPECT_EQ(bare.metadata.original_id, "1767225601000-0");
  EXPECT_EQ(bare.metadata.attempts, 2);
  EXPECT_EQ(bare.metadata.last_failure, TimePoint{});
  EXPECT_EQ(bare.fields, (Fields{{"data", "{}"}}));
}

TEST(DlqCodecTest, ReadsThisEnginesEarlierFlatEntries) {
  const Fields flat = {{"id", "m-1"},
                       {"data", R"({"k":1})"},
                       {"_dlq_original_stream", "orders"},
                       {"_dlq_original_id", "1767225600000-3"},
                       {"_dlq_group", "g"},
                       {"_dlq_consumer", "worker-1"},
                       {"_dlq_first_failure_ms", "1767225600100"},
                       {"_dlq_last_failure_ms", "1767225600900"},
                       {"_dlq_attempts", "3"},
                       {"_dlq_reason", "boom"}};
  const DlqEntry e = ParseDlqEntry("orders:dlq", DlqSourceEntry(flat));
  EXPECT_FALSE(e.damaged) << e.problem;
  EXPECT_EQ(e.fields, (Fields{{"id", "m-1"}, {"data", R"({"k":1})"}}));
  EXPECT_EQ(e.metadata.first_failure, FromMillis(1767225600100));
  EXPECT_EQ(e.metadata.last_failure, FromMillis(1767225600900));
  EXPECT_EQ(e.metadata.attempts, 3);
  EXPECT_EQ(e.metadata.reason, "boom");
  Fields bad = flat;
  bad[8].second = "three";
  const DlqEntry damaged = ParseDlqEntry("orders:dlq", DlqSourceEntry(bad));
  EXPECT_TRUE(damaged.damaged);
  EXPECT_EQ(damaged.problem, "malformed metadata field _dlq_attempts");
  // A time no TimePoint holds (its microseconds would overflow; found by
  // fuzzing) is damage too, not a wrapped time.
  for (const char* ms : {"5774208489109964568", "-1", "9223372036854776"}) {
    Fields far = flat;
    far[6].second = ms;
    const DlqEntry e2 = ParseDlqEntry("orders:dlq", DlqSourceEntry(far));
    EXPECT_TRUE(e2.damaged) << ms;
    EXPECT_EQ(e2.problem, "malformed metadata field _dlq_first_failure_ms") << ms;
  }
  Fields edge = flat;
  edge[6].second = "9223372036854775";  // the last millisecond that fits
  EXPECT_FALSE(ParseDlqEntry("orders:dlq", DlqSourceEntry(edge)).damaged);
}

TEST(DlqCodecTest, DamagedEntriesSayWhatIsWrong) {
  const auto problem_of = [](Fields fields, bool deleted = false) {
    StreamEntry entry = DlqSourceEntry(std::move(fields));
    entry.deleted = deleted;
    const DlqEntry e = ParseDlqEntry("s:dlq", entry);
    EXPECT_TRUE(e.damaged);
    EXPECT_TRUE(e.fields.empty());
    EXPECT_EQ(e.raw, entry.fields);
    Result<DlqEntry> strict = DecodeDlqEntry("s:dlq", entry);
    EXPECT_EQ(strict.status().code(), StatusCode::kInternal);
    return e.problem;
  };
  EXPECT_EQ(problem_of({{"data", "not json"}}),
            "field 'data' is not JSON (expecting value at byte 0); no DLQ metadata "
            "(no _dlq_metadata, no _dlq_* fields)");
  EXPECT_EQ(problem_of({{"data", R"({"n":1})"}}),
            "no DLQ metadata (no _dlq_metadata, no _dlq_* fields)");
  EXPECT_EQ(problem_of({}), "no DLQ metadata (no _dlq_metadata, no _dlq_* fields)");
  EXPECT_EQ(problem_of({{"data", "{}"}}, true), "the DLQ entry was deleted");
  EXPECT_EQ(problem_of({{"data", R"({"_dlq_metadata": [1]})"}}),
            "_dlq_metadata is not a JSON object");
  EXPECT_EQ(problem_of({{"data", R"({"_dlq_metadata": {"retry_count": "three"}})"}}),
            "_dlq_metadata.retry_count is not an integer");
  EXPECT_EQ(problem_of({{"data", R"({"_dlq_metadata": {"failed_at": "yesterday"}})"}}),
            "_dlq_metadata.failed_at is not an ISO-8601 time");
  EXPECT_EQ(problem_of({{"data", R"({"_dlq_metadata": {"original_stream": 5}})"}}),
            "_dlq_metadata.original_stream is not a string");
  EXPECT_EQ(problem_of({{"x", "1"}, {"_dlq_metadata", "nope"}}), "field _dlq_metadata is not JSON");
}

TEST(DlqCodecTest, AMixedDlqListsEveryEntryAndReplaysOnlyTheReadableOnes) {
  SimClock clock;
  MemoryBroker broker(clock);
  ASSERT_TRUE(broker.CreateGroup("orders", "g", GroupStart::kBeginning).ok());
  const Fields original = EncodeMessageFields("m-1", "T", R"({"n":1})");
  auto id = broker.Publish("orders", original);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(broker.ReadNew("orders", "g", "c", 10, Duration{0}).ok());
  DlqMetadata meta = SampleMeta();
  meta.original_id = *id;
  ASSERT_TRUE(broker.MoveToDlq("orders", "g", *id, meta).value());
  ASSERT_TRUE(broker.Publish("orders:dlq", {{"data", "garbage"}}).ok());
  ASSERT_TRUE(
      broker
          .Publish("orders:dlq", {{"data", R"({"data": {}, "_dlq_metadata": )"
                                           R"({"original_stream": "orders", "retry_count": 1}})"}})
          .ok());
  auto list = broker.DlqList("orders:dlq", 10);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 3u);
  int damaged = 0;
  for (const DlqEntry& e : *list) damaged += e.damaged ? 1 : 0;
  EXPECT_EQ(damaged, 1);
  EXPECT_EQ(list->front().fields, original);  // ours: the newest failure first
  EXPECT_TRUE(list->back().damaged);          // no failure time: last
  auto replayed = broker.DlqReplayAll("orders:dlq");
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(*replayed, 2);
  auto left = broker.DlqList("orders:dlq", 10);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_TRUE(left->front().damaged);
  EXPECT_EQ(broker.DlqReplay("orders:dlq", left->front().dlq_id).status().code(),
            StatusCode::kInvalidArgument);
  // The replayed original is the envelope as it was, byte for byte.
  auto stream = broker.Range("orders", "(" + *id, "+", 10);
  ASSERT_TRUE(stream.ok());
  ASSERT_EQ(stream->size(), 2u);
  EXPECT_EQ((*stream)[0].fields, original);
}

}  // namespace
}  // namespace protean
