// The EventStore contract's cases (event_store_contract.h), compiled once for
// every backend: each backend's test file instantiates EventStoreContractTest.

#include "tests/contract/event_store_contract.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine/event_store_recovery.h"
#include "core/event_store.h"
#include "core/status.h"
#include "core/storage_wrappers.h"
#include "core/time.h"

namespace protean {
namespace {

using contract::HasCode;

std::vector<int64_t> Positions(const std::vector<EventMessage>& messages) {
  std::vector<int64_t> out;
  for (const EventMessage& m : messages) out.push_back(m.position);
  return out;
}

std::vector<int64_t> GlobalPositions(const std::vector<EventMessage>& messages) {
  std::vector<int64_t> out;
  for (const EventMessage& m : messages) out.push_back(m.global_position);
  return out;
}

std::vector<std::string> Ids(const std::vector<EventMessage>& messages) {
  std::vector<std::string> out;
  for (const EventMessage& m : messages) out.push_back(m.id);
  return out;
}

}  // namespace

EventStoreContractTest::EventStoreContractTest()
    : seed_(simulated() ? 20260101 : contract::RandomSeed()), prng_(seed_) {}

void EventStoreContractTest::TearDown() {
  if (HasFailure()) std::fprintf(stderr, "seed=%llu\n", static_cast<unsigned long long>(seed_));
  if (opened()) store().Close();
}

std::string EventStoreContractTest::NewCategory() {
  return "ct" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
         contract::ProcessToken() + "n" + std::to_string(contract::NextSerial());
}

NewEventMessage EventStoreContractTest::Message(std::string stream_name, std::string type,
                                                std::string data, std::string metadata) {
  return NewEventMessage{prng_.Uuid(), std::move(stream_name), std::move(type), std::move(data),
                         std::move(metadata)};
}

int64_t EventStoreContractTest::WriteOk(const NewEventMessage& message,
                                        std::optional<int64_t> expected_version) {
  Result<int64_t> written = store().Write(message, expected_version);
  EXPECT_TRUE(written.ok()) << "Write to " << message.stream_name << ": "
                            << written.status().ToString();
  return written.ok() ? *written : -100;
}

std::vector<EventMessage> EventStoreContractTest::ReadStreamOk(const std::string& stream,
                                                               int64_t position,
                                                               int64_t batch_size) {
  auto read = store().ReadStream(stream, position, batch_size);
  EXPECT_TRUE(read.ok()) << "ReadStream " << stream << ": " << read.status().ToString();
  return read.ok() ? *read : std::vector<EventMessage>{};
}

std::vector<EventMessage> EventStoreContractTest::ReadCategoryOk(const std::string& category,
                                                                 const CategoryRead& request) {
  auto read = store().ReadCategory(category, request);
  EXPECT_TRUE(read.ok()) << "ReadCategory " << category << ": " << read.status().ToString();
  return read.ok() ? *read : std::vector<EventMessage>{};
}

// --- Writing -----------------------------------------------------------------

TEST_P(EventStoreContractTest, PingAndProvider) {
  EXPECT_TRUE(store().Ping().ok());
  EXPECT_FALSE(store().provider().empty());
}

TEST_P(EventStoreContractTest, PositionsStartAtZeroAndAreGapless) {
  const std::string category = NewCategory();
  const std::string stream = category + "-1";
  EXPECT_EQ(WriteOk(Message(stream)), 0);
  EXPECT_EQ(WriteOk(Message(stream)), 1);
  EXPECT_EQ(WriteOk(Message(stream)), 2);
  // Positions are per stream: a sibling starts again at 0.
  EXPECT_EQ(WriteOk(Message(category + "-2")), 0);
  EXPECT_EQ(Positions(ReadStreamOk(stream)), (std::vector<int64_t>{0, 1, 2}));
}

TEST_P(EventStoreContractTest, GlobalPositionsIncreaseAcrossStreams) {
  const std::string category = NewCategory();
  const std::string a = category + "-a";
  const std::string b = category + "-b";
  for (const std::string& stream : {a, b, a, b}) WriteOk(Message(stream));
  const std::vector<EventMessage> all = ReadCategoryOk(category);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_GE(all[0].global_position, 1);
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_GT(all[i].global_position, all[i - 1].global_position);
  }
  EXPECT_EQ(all[0].stream_name, a);
  EXPECT_EQ(all[1].stream_name, b);
  const std::vector<EventMessage> stream_a = ReadStreamOk(a);
  ASSERT_EQ(stream_a.size(), 2u);
  EXPECT_EQ(stream_a[0].global_position, all[0].global_position);
  EXPECT_EQ(stream_a[1].global_position, all[2].global_position);
}

TEST_P(EventStoreContractTest, ExpectedVersionMinusOneRequiresAnEmptyStream) {
  const std::string stream = NewCategory() + "-1";
  EXPECT_EQ(WriteOk(Message(stream), -1), 0);
  Result<int64_t> again = store().Write(Message(stream), -1);
  EXPECT_TRUE(HasCode(again.status(), StatusCode::kConflict));
  EXPECT_NE(again.status().message().find("Wrong expected version: -1 (Stream: " + stream +
                                          ", Stream Version: 0)"),
            std::string::npos)
      << again.status().ToString();
  auto version = store().StreamVersion(stream);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, std::optional<int64_t>(0));
}

TEST_P(EventStoreContractTest, ExpectedVersionMustEqualTheStreamVersion) {
  const std::string category = NewCategory();
  const std::string stream = category + "-1";
  WriteOk(Message(stream));
  WriteOk(Message(stream));
  EXPECT_EQ(WriteOk(Message(stream), 1), 2);

  Result<int64_t> stale = store().Write(Message(stream), 1);
  EXPECT_TRUE(HasCode(stale.status(), StatusCode::kConflict));
  EXPECT_NE(stale.status().message().find("Wrong expected version: 1 (Stream: " + stream +
                                          ", Stream Version: 2)"),
            std::string::npos)
      << stale.status().ToString();
  Result<int64_t> ahead = store().Write(Message(stream), 5);
  EXPECT_TRUE(HasCode(ahead.status(), StatusCode::kConflict));
  // A new stream's version is -1, so expecting 0 fails.
  const std::string empty = category + "-2";
  Result<int64_t> on_empty = store().Write(Message(empty), 0);
  EXPECT_TRUE(HasCode(on_empty.status(), StatusCode::kConflict));
  EXPECT_NE(on_empty.status().message().find("Stream Version: -1"), std::string::npos)
      << on_empty.status().ToString();
  // Failed writes change nothing.
  EXPECT_EQ(ReadStreamOk(stream).size(), 3u);
  EXPECT_TRUE(ReadStreamOk(empty).empty());
}

TEST_P(EventStoreContractTest, DuplicateIdIsConflict) {
  const std::string category = NewCategory();
  const NewEventMessage first = Message(category + "-1");
  EXPECT_EQ(WriteOk(first), 0);
  Result<int64_t> same_stream = store().Write(first, std::nullopt);
  EXPECT_TRUE(HasCode(same_stream.status(), StatusCode::kConflict));
  NewEventMessage elsewhere = Message(category + "-2");
  elsewhere.id = first.id;
  Result<int64_t> other_stream = store().Write(elsewhere, std::nullopt);
  EXPECT_TRUE(HasCode(other_stream.status(), StatusCode::kConflict));
  EXPECT_EQ(ReadCategoryOk(category).size(), 1u);
  // The failed write did not take a stream position.
  EXPECT_EQ(WriteOk(Message(category + "-1")), 1);
  EXPECT_TRUE(ReadStreamOk(category + "-2").empty());
}

TEST_P(EventStoreContractTest, IdMustBeAUuid) {
  const std::string stream = NewCategory() + "-1";
  for (const char* bad : {"not-a-uuid", "", "123", "0f8fad5b-d9cb-469f-a165-70867728950"}) {
    NewEventMessage message = Message(stream);
    message.id = bad;
    Result<int64_t> written = store().Write(message, std::nullopt);
    EXPECT_TRUE(HasCode(written.status(), StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_TRUE(ReadStreamOk(stream).empty());
}

TEST_P(EventStoreContractTest, IdIsStoredAsACanonicalUuid) {
  const std::string category = NewCategory();
  const std::string id = NewId();  // lowercase 8-4-4-4-12
  NewEventMessage upper = Message(category + "-1");
  upper.id = id;
  for (char& c : upper.id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  WriteOk(upper);
  const std::vector<EventMessage> read = ReadStreamOk(category + "-1");
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].id, id);
  // Same uuid, other spelling: a duplicate.
  NewEventMessage lower = Message(category + "-2");
  lower.id = id;
  EXPECT_TRUE(HasCode(store().Write(lower, std::nullopt).status(), StatusCode::kConflict));
  // Postgres also takes braces and no hyphens: "{0f8fad5bd9cb469fa16570867728950e}".
  const std::string other = NewId();
  NewEventMessage compact = Message(category + "-3");
  compact.id = "{";
  for (char c : other) {
    if (c != '-') compact.id.push_back(c);
  }
  compact.id.push_back('}');
  WriteOk(compact);
  const std::vector<EventMessage> compact_read = ReadStreamOk(category + "-3");
  ASSERT_EQ(compact_read.size(), 1u);
  EXPECT_EQ(compact_read[0].id, other);
}

TEST_P(EventStoreContractTest, DataAndMetadataMustBeJson) {
  const std::string stream = NewCategory() + "-1";
  Result<int64_t> bad_data = store().Write(Message(stream, "T", "{not json"), -1);
  EXPECT_TRUE(HasCode(bad_data.status(), StatusCode::kInvalidArgument));
  Result<int64_t> bad_metadata = store().Write(Message(stream, "T", "{}", "{"), -1);
  EXPECT_TRUE(HasCode(bad_metadata.status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(ReadStreamOk(stream).empty());
}

// --- Stream reads -------------------------------------------------------------

TEST_P(EventStoreContractTest, ReadStreamFromPositionWithBatchSize) {
  const std::string category = NewCategory();
  const std::string stream = category + "-1";
  for (int i = 0; i < 5; ++i) WriteOk(Message(stream));
  using V = std::vector<int64_t>;
  EXPECT_EQ(Positions(ReadStreamOk(stream)), (V{0, 1, 2, 3, 4}));
  EXPECT_EQ(Positions(ReadStreamOk(stream, 2)), (V{2, 3, 4}));
  EXPECT_EQ(Positions(ReadStreamOk(stream, 0, 2)), (V{0, 1}));
  EXPECT_EQ(Positions(ReadStreamOk(stream, 3, 1)), (V{3}));
  EXPECT_EQ(Positions(ReadStreamOk(stream, 1, -1)), (V{1, 2, 3, 4}));
  EXPECT_TRUE(ReadStreamOk(stream, 5).empty());
  EXPECT_TRUE(ReadStreamOk(stream, 0, 0).empty());
  EXPECT_TRUE(ReadStreamOk(category + "-missing").empty());
}

TEST_P(EventStoreContractTest, ReadStreamRejectsACategoryName) {
  const std::string category = NewCategory();
  WriteOk(Message(category + "-1"));
  auto read = store().ReadStream(category, 0, 1000);
  EXPECT_TRUE(HasCode(read.status(), StatusCode::kInvalidArgument));
  EXPECT_NE(read.status().message().find("Must be a stream name: " + category), std::string::npos)
      << read.status().ToString();
}

TEST_P(EventStoreContractTest, ReadsRejectABatchSizeBelowMinusOne) {
  const std::string category = NewCategory();
  WriteOk(Message(category + "-1"));
  EXPECT_TRUE(
      HasCode(store().ReadStream(category + "-1", 0, -2).status(), StatusCode::kInvalidArgument));
  CategoryRead request;
  request.batch_size = -2;
  EXPECT_TRUE(
      HasCode(store().ReadCategory(category, request).status(), StatusCode::kInvalidArgument));
}

// --- Category reads -----------------------------------------------------------

TEST_P(EventStoreContractTest, ReadCategoryInterleavesStreamsInGlobalOrder) {
  const std::string category = NewCategory();
  const std::vector<std::string> order = {category + "-1", category + "-2", category + "-3",
                                          category + "-2", category + "-1"};
  for (const std::string& stream : order) WriteOk(Message(stream));
  // Categories that merely share a prefix, or add a :type, are others.
  WriteOk(Message(category + "x-1"));
  WriteOk(Message(category + ":command-1"));
  WriteOk(Message(category + "-3"));

  const std::vector<EventMessage> all = ReadCategoryOk(category);
  ASSERT_EQ(all.size(), 6u);
  std::vector<std::string> streams;
  for (const EventMessage& m : all) streams.push_back(m.stream_name);
  std::vector<std::string> expected = order;
  expected.push_back(category + "-3");
  EXPECT_EQ(streams, expected);
  EXPECT_EQ(Positions(all), (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_GT(all[i].global_position, all[i - 1].global_position);
  }
}

TEST_P(EventStoreContractTest, ReadCategoryFromGlobalPositionWithBatchSize) {
  const std::string category = NewCategory();
  for (int i = 0; i < 6; ++i) WriteOk(Message(category + "-" + std::to_string(i % 2)));
  const std::vector<EventMessage> all = ReadCategoryOk(category);
  ASSERT_EQ(all.size(), 6u);
  const std::vector<int64_t> globals = GlobalPositions(all);
  auto read = [&](int64_t position, int64_t batch_size) {
    CategoryRead request;
    request.position = position;
    request.batch_size = batch_size;
    return GlobalPositions(ReadCategoryOk(category, request));
  };
  using V = std::vector<int64_t>;
  EXPECT_EQ(read(globals[2], 1000), V(globals.begin() + 2, globals.end()));  // inclusive
  EXPECT_EQ(read(globals[2] + 1, 1000), V(globals.begin() + 3, globals.end()));
  EXPECT_EQ(read(1, 2), V(globals.begin(), globals.begin() + 2));
  EXPECT_EQ(read(globals[1], 3), V(globals.begin() + 1, globals.begin() + 4));
  EXPECT_EQ(read(0, -1), globals);
  EXPECT_TRUE(read(globals[5] + 1, 1000).empty());
  EXPECT_TRUE(read(1, 0).empty());
}

TEST_P(EventStoreContractTest, ReadCategoryPagesLikeAConsumer) {
  const std::string category = NewCategory();
  for (int i = 0; i < 7; ++i) WriteOk(Message(category + "-" + std::to_string(i % 3)));
  const std::vector<std::string> expected = Ids(ReadCategoryOk(category));
  ASSERT_EQ(expected.size(), 7u);
  std::vector<std::string> paged;
  CategoryRead request;
  request.batch_size = 3;
  for (int page = 0; page < 10; ++page) {  // bounded: 7 messages need 4 reads
    const std::vector<EventMessage> batch = ReadCategoryOk(category, request);
    if (batch.empty()) break;
    EXPECT_LE(batch.size(), 3u);
    for (const EventMessage& m : batch) paged.push_back(m.id);
    request.position = batch.back().global_position + 1;
  }
  EXPECT_EQ(paged, expected);
}

TEST_P(EventStoreContractTest, ReadCategoryRejectsAStreamName) {
  const std::string stream = NewCategory() + "-1";
  WriteOk(Message(stream));
  auto read = store().ReadCategory(stream, CategoryRead{});
  EXPECT_TRUE(HasCode(read.status(), StatusCode::kInvalidArgument));
  EXPECT_NE(read.status().message().find("Must be a category: " + stream), std::string::npos)
      << read.status().ToString();
}

TEST_P(EventStoreContractTest, TypedCategoryNamesAreTheirOwnCategory) {
  const std::string category = NewCategory();
  const std::string command = category + ":command";
  WriteOk(Message(command + "-1"));
  WriteOk(Message(category + "-1"));
  WriteOk(Message(command + "-2"));
  WriteOk(Message(command + "+position-x"));  // category "<c>:command+position"
  std::vector<std::string> streams;
  for (const EventMessage& m : ReadCategoryOk(command)) streams.push_back(m.stream_name);
  EXPECT_EQ(streams, (std::vector<std::string>{command + "-1", command + "-2"}));
  const std::vector<EventMessage> plain = ReadCategoryOk(category);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].stream_name, category + "-1");
  EXPECT_EQ(ReadStreamOk(command + "-1").size(), 1u);
}

// --- Consumer groups ----------------------------------------------------------

TEST_P(EventStoreContractTest, ConsumerGroupMembersPartitionTheCategory) {
  const std::string category = NewCategory();
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(std::to_string(i));
  for (const char* compound : {"3+a", "3+b", "10+x"}) ids.push_back(compound);
  for (int round = 0; round < 2; ++round) {
    for (const std::string& id : ids) WriteOk(Message(category + "-" + id));
  }
  CategoryRead everything;
  everything.batch_size = -1;
  const std::vector<int64_t> all = GlobalPositions(ReadCategoryOk(category, everything));
  ASSERT_EQ(all.size(), 2 * ids.size());
  for (int64_t size : {1, 2, 3, 5}) {
    std::vector<int64_t> united;
    for (int64_t member = 0; member < size; ++member) {
      CategoryRead request = everything;
      request.consumer_group = ConsumerGroup{member, size};
      for (const EventMessage& m : ReadCategoryOk(category, request)) {
        EXPECT_EQ(ConsumerGroupMember(m.stream_name, size), member) << m.stream_name;
        united.push_back(m.global_position);
      }
    }
    std::sort(united.begin(), united.end());
    // Full coverage and no overlap: every message exactly once.
    EXPECT_EQ(united, all) << "size " << size;
  }
}

TEST_P(EventStoreContractTest, ConsumerGroupKeepsACardinalIdTogether) {
  const std::string category = NewCategory();
  for (const char* id : {"4+y", "4+z", "4"}) WriteOk(Message(category + "-" + id));
  for (int64_t size : {2, 3, 4, 7}) {
    const int64_t owner = ConsumerGroupMember(category + "-4", size);
    for (int64_t member = 0; member < size; ++member) {
      CategoryRead request;
      request.consumer_group = ConsumerGroup{member, size};
      const size_t got = ReadCategoryOk(category, request).size();
      EXPECT_EQ(got, member == owner ? 3u : 0u) << "member " << member << " of " << size;
    }
  }
}

TEST_P(EventStoreContractTest, ConsumerGroupMatchesMessageDbHashes) {
  // Verified on a real server: hash_64('1') -> member 0 of 2, hash_64('4') -> member 1.
  const std::string category = NewCategory();
  WriteOk(Message(category + "-1"));
  WriteOk(Message(category + "-4"));
  for (int64_t member : {0, 1}) {
    CategoryRead request;
    request.consumer_group = ConsumerGroup{member, 2};
    const std::vector<EventMessage> got = ReadCategoryOk(category, request);
    ASSERT_EQ(got.size(), 1u) << "member " << member;
    EXPECT_EQ(got[0].stream_name, category + (member == 0 ? "-1" : "-4"));
  }
}

TEST_P(EventStoreContractTest, ConsumerGroupRejectsABadMemberOrSize) {
  const std::string category = NewCategory();
  WriteOk(Message(category + "-1"));
  // size < 1, member < 0, member >= size, and a size beyond smallint.
  const std::vector<ConsumerGroup> bad = {{0, 0}, {0, -1}, {-1, 2}, {2, 2}, {3, 2}, {0, 40000}};
  for (const ConsumerGroup& group : bad) {
    CategoryRead request;
    request.consumer_group = group;
    EXPECT_TRUE(
        HasCode(store().ReadCategory(category, request).status(), StatusCode::kInvalidArgument))
        << group.member << " of " << group.size;
  }
}

TEST_P(EventStoreContractTest, ConsumerGroupSkipsAStreamWithoutAnId) {
  // A stream named like its category has no cardinal id: MOD(NULL, n) matches
  // no member, though a plain category read returns it.
  const std::string category = NewCategory();
  WriteOk(Message(category));
  WriteOk(Message(category + "-1"));
  EXPECT_EQ(ReadCategoryOk(category).size(), 2u);
  CategoryRead request;
  request.consumer_group = ConsumerGroup{0, 1};
  const std::vector<EventMessage> got = ReadCategoryOk(category, request);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].stream_name, category + "-1");
}

// --- Correlation ----------------------------------------------------------------

TEST_P(EventStoreContractTest, CorrelationKeepsMessagesCorrelatedToACategory) {
  const std::string category = NewCategory();
  const std::string correlation = NewCategory();
  const std::string other = NewCategory();
  auto meta = [](const std::string& value) {
    return nlohmann::json{{"correlationStreamName", value}}.dump();
  };
  const std::vector<std::string> metadata = {
      meta(correlation + "-1"),          // match
      meta(other + "-1"),                // other category
      "",                                // NULL metadata
      R"({"a": 1})",                     // no such field
      meta(correlation + "-2+x"),        // match
      meta(correlation),                 // a category's category is itself: match
      meta(correlation + ":command-1"),  // category "<c>:command"
      R"({"correlationStreamName": null})",
  };
  std::vector<std::string> ids;
  for (const std::string& m : metadata) {
    const NewEventMessage message = Message(category + "-1", "T", "{}", m);
    WriteOk(message);
    ids.push_back(message.id);
  }
  CategoryRead request;
  request.correlation = correlation;
  EXPECT_EQ(Ids(ReadCategoryOk(category, request)),
            (std::vector<std::string>{ids[0], ids[4], ids[5]}));
  request.consumer_group = ConsumerGroup{0, 1};
  EXPECT_EQ(ReadCategoryOk(category, request).size(), 3u);
  EXPECT_EQ(ReadCategoryOk(category).size(), metadata.size());
}

TEST_P(EventStoreContractTest, CorrelationMustBeACategory) {
  const std::string category = NewCategory();
  WriteOk(Message(category + "-1"));
  CategoryRead request;
  request.correlation = "other-1";
  auto read = store().ReadCategory(category, request);
  EXPECT_TRUE(HasCode(read.status(), StatusCode::kInvalidArgument));
  EXPECT_NE(read.status().message().find("Correlation must be a category"), std::string::npos)
      << read.status().ToString();
}

// --- Last message and version ------------------------------------------------------

TEST_P(EventStoreContractTest, LastMessageOptionallyOfAType) {
  const std::string stream = NewCategory() + "-1";
  auto empty = store().LastMessage(stream, std::nullopt);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_FALSE(empty->has_value());

  std::vector<std::string> ids;
  for (const char* type : {"Opened", "Deposited", "Opened", "Closed"}) {
    const NewEventMessage message = Message(stream, type);
    WriteOk(message);
    ids.push_back(message.id);
  }
  auto expect_last = [&](std::optional<std::string> type, std::optional<int64_t> position) {
    auto last = store().LastMessage(stream, type);
    ASSERT_TRUE(last.ok()) << last.status().ToString();
    ASSERT_EQ(last->has_value(), position.has_value()) << type.value_or("(any)");
    if (!position.has_value()) return;
    EXPECT_EQ((*last)->position, *position);
    EXPECT_EQ((*last)->id, ids[static_cast<size_t>(*position)]);
    EXPECT_EQ((*last)->stream_name, stream);
    if (type.has_value()) {
      EXPECT_EQ((*last)->type, *type);
    }
  };
  expect_last(std::nullopt, 3);
  expect_last("Opened", 2);
  expect_last("Deposited", 1);
  expect_last("Closed", 3);
  expect_last("Missing", std::nullopt);
}

TEST_P(EventStoreContractTest, StreamVersionIsNulloptThenTheLastPosition) {
  const std::string category = NewCategory();
  const std::string stream = category + "-1";
  auto version = [&]() -> std::optional<int64_t> {
    auto got = store().StreamVersion(stream);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::optional<int64_t>(-100);
  };
  EXPECT_EQ(version(), std::nullopt);
  WriteOk(Message(stream));
  EXPECT_EQ(version(), std::optional<int64_t>(0));
  WriteOk(Message(category + "-2"));
  WriteOk(Message(stream));
  EXPECT_EQ(version(), std::optional<int64_t>(1));
}

// EventStore's own CategoryHead (paging through ReadCategory), which the
// backends replace with a direct question: both must agree.
class DefaultHeadStore final : public EventStoreWrapper {
 public:
  using EventStoreWrapper::EventStoreWrapper;
  Result<std::optional<int64_t>> CategoryHead(std::string_view c) override {
    return EventStore::CategoryHead(c);  // NOLINT(bugprone-parent-virtual-call)
  }
};

TEST_P(EventStoreContractTest, CategoryHeadIsTheNewestGlobalPositionOfTheCategory) {
  const std::string category = NewCategory();
  DefaultHeadStore paging(&store());
  auto head = [&](EventStore& s) -> std::optional<int64_t> {
    auto got = s.CategoryHead(category);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::optional<int64_t>(-100);
  };
  EXPECT_EQ(head(store()), std::nullopt);
  EXPECT_EQ(head(paging), std::nullopt);
  for (int i = 0; i < 5; ++i) WriteOk(Message(category + "-" + std::to_string(i % 2)));
  WriteOk(Message(category + "x-1"));         // another category sharing the prefix
  WriteOk(Message(category + ":command-1"));  // a typed category is its own
  const std::vector<int64_t> globals = GlobalPositions(ReadCategoryOk(category));
  ASSERT_EQ(globals.size(), 5u);
  EXPECT_EQ(head(store()), globals.back());
  EXPECT_EQ(head(paging), globals.back());
  auto stream = store().CategoryHead(category + "-1");
  EXPECT_TRUE(HasCode(stream.status(), StatusCode::kInvalidArgument)) << stream.status().ToString();
}

// --- Content and time ----------------------------------------------------------------

TEST_P(EventStoreContractTest, DataAndMetadataRoundTrip) {
  const std::string stream = NewCategory() + "-1";
  const std::string data =
      R"({"name": "Ann \u00e9 \ud83d\ude00 ü", "n": -12, "f": 1.5, "ok": true, "nil": null,)"
      R"( "list": [1, "two", {"three": 3}], "nested": {"a": {"b": []}}})";
  const std::string metadata = R"({"correlationStreamName": "x-1", "causationGlobalPosition": 7})";
  const NewEventMessage full = Message(stream, "Registered", data, metadata);
  const NewEventMessage bare = Message(stream, "Noted", "{}", "");
  WriteOk(full);
  WriteOk(bare);

  auto check = [&](const EventMessage& got, const NewEventMessage& sent) {
    EXPECT_EQ(got.id, sent.id);
    EXPECT_EQ(got.stream_name, sent.stream_name);
    EXPECT_EQ(got.type, sent.type);
    EXPECT_EQ(nlohmann::json::parse(got.data), nlohmann::json::parse(sent.data)) << got.data;
    if (sent.metadata.empty()) {
      EXPECT_EQ(got.metadata, "");
    } else {
      EXPECT_EQ(nlohmann::json::parse(got.metadata), nlohmann::json::parse(sent.metadata));
    }
  };
  const std::vector<EventMessage> by_stream = ReadStreamOk(stream);
  ASSERT_EQ(by_stream.size(), 2u);
  check(by_stream[0], full);
  check(by_stream[1], bare);
  const std::vector<EventMessage> by_category = ReadCategoryOk(std::string(StreamCategory(stream)));
  ASSERT_EQ(by_category.size(), 2u);
  check(by_category[0], full);
  auto last = store().LastMessage(stream, std::string("Registered"));
  ASSERT_TRUE(last.ok() && last->has_value());
  check(**last, full);
}

TEST_P(EventStoreContractTest, MessageTimeComesFromTheClock) {
  const std::string stream = NewCategory() + "-1";
  const TimePoint before = clock().Now();
  WriteOk(Message(stream));
  const Duration step = simulated() ? Seconds(5) : Millis(50);
  AdvanceTime(step);
  WriteOk(Message(stream));
  const std::vector<EventMessage> read = ReadStreamOk(stream);
  ASSERT_EQ(read.size(), 2u);
  if (simulated()) {
    EXPECT_EQ(read[0].time, before);
    EXPECT_EQ(read[1].time, before + step);
  } else {
    // Server time (now() at UTC); allow for clock skew with the server.
    EXPECT_LT(std::chrono::abs(read[0].time - before), Seconds(60));
    EXPECT_GE(read[1].time, read[0].time);
  }
}

// --- Concurrency and lifecycle ---------------------------------------------------------

TEST_P(EventStoreContractTest, ConcurrentWritesGetGaplessPositions) {
  constexpr int kThreads = 4;
  constexpr int kWritesPerThread = 10;
  const std::string stream = NewCategory() + "-1";
  std::vector<std::vector<NewEventMessage>> work(kThreads);
  std::vector<std::string> ids;
  for (auto& messages : work) {
    for (int i = 0; i < kWritesPerThread; ++i) {
      messages.push_back(Message(stream));
      ids.push_back(messages.back().id);
    }
  }
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (const NewEventMessage& m : work[static_cast<size_t>(t)]) {
        if (!store().Write(m, std::nullopt).ok()) ++failures[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(kThreads, 0));
  const std::vector<EventMessage> read = ReadStreamOk(stream, 0, -1);
  ASSERT_EQ(read.size(), ids.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].position, static_cast<int64_t>(i));
    if (i > 0) {
      EXPECT_GT(read[i].global_position, read[i - 1].global_position);
    }
  }
  std::vector<std::string> got = Ids(read);
  std::sort(got.begin(), got.end());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(got, ids);
}

TEST_P(EventStoreContractTest, ConcurrentExpectedVersionHasOneWinner) {
  constexpr int kThreads = 6;
  const std::string stream = NewCategory() + "-1";
  WriteOk(Message(stream));
  std::vector<NewEventMessage> messages;
  for (int t = 0; t < kThreads; ++t) messages.push_back(Message(stream));
  std::vector<Status> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      outcomes[static_cast<size_t>(t)] =
          store().Write(messages[static_cast<size_t>(t)], 0).status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  int winners = 0;
  for (const Status& status : outcomes) {
    if (status.ok()) {
      ++winners;
    } else {
      EXPECT_TRUE(HasCode(status, StatusCode::kConflict));
    }
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(ReadStreamOk(stream).size(), 2u);
}

TEST_P(EventStoreContractTest, CloseMakesEveryCallUnavailable) {
  const std::string category = NewCategory();
  WriteOk(Message(category + "-1"));
  store().Close();
  const StatusCode kUnavailable = StatusCode::kUnavailable;
  EXPECT_TRUE(HasCode(store().Ping(), kUnavailable));
  EXPECT_TRUE(
      HasCode(store().Write(Message(category + "-1"), std::nullopt).status(), kUnavailable));
  EXPECT_TRUE(HasCode(store().ReadStream(category + "-1", 0, 10).status(), kUnavailable));
  EXPECT_TRUE(HasCode(store().ReadCategory(category, {}).status(), kUnavailable));
  EXPECT_TRUE(HasCode(store().LastMessage(category + "-1", std::nullopt).status(), kUnavailable));
  EXPECT_TRUE(HasCode(store().StreamVersion(category + "-1").status(), kUnavailable));
}

// --- The recovery pass's records (core/engine/event_store_recovery.h) ---------

// Protean's failed-position records survive the store as written: the type
// both as the row's and as metadata.headers.type (what Protean's rebuild
// reads), the data keys, and the checkpoint's snapshot.
TEST_P(EventStoreContractTest, RecoveryRecordsRoundTrip) {
  const std::string category = NewCategory();
  const std::string failed = FailedPositionsStream("app.Projector", category);
  const std::string checkpoint = RecoveryCheckpointStream("app.Projector", category);
  EXPECT_EQ(StreamCategory(failed), "failed");
  auto write = [&](const char* type, int64_t position, int64_t retry_count) {
    RecoveryRecord r;
    r.type = type;
    r.position = position;
    r.info.retry_count = retry_count;
    r.info.stream_name = category + "-1";
    r.info.stream_position = position - 1;
    r.info.message_type = "Deposited";
    r.info.message_id = NewId();
    r.reason = "boom";
    WriteOk(EncodeRecoveryRecord(r, failed, category, NewId(), TimePoint{}));
  };
  write(kRecordFailed, 7, 0);
  write(kRecordFailed, 9, 0);
  write(kRecordFailed, 7, 1);
  write(kRecordResolved, 9, 1);
  std::vector<EventMessage> rows = ReadStreamOk(failed);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[3].type, "Resolved");
  nlohmann::json meta = nlohmann::json::parse(rows[0].metadata);
  EXPECT_EQ(meta["headers"]["type"], "Failed");
  EXPECT_EQ(meta["headers"]["stream"], failed);
  EXPECT_EQ(meta["domain"]["kind"], "READ_POSITION");
  EXPECT_EQ(meta["domain"]["origin_stream"], category);
  FailedPositions positions;
  ApplyRecoveryRecords(rows, &positions);
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions.at(7).retry_count, 1);
  EXPECT_EQ(positions.at(7).stream_name, category + "-1");
  EXPECT_EQ(positions.at(7).stream_position, 6);
  WriteOk(EncodeCheckpoint(rows.back().position + 1, positions, checkpoint, category, NewId(),
                           TimePoint{}));
  auto last = store().LastMessage(checkpoint, std::nullopt);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->type, "Checkpoint");
  Checkpoint cp = DecodeCheckpoint(**last);
  EXPECT_EQ(cp.watermark, 4);
  ASSERT_EQ(cp.unresolved.count(7), 1u);
  EXPECT_EQ(cp.unresolved.at(7).retry_count, 1);
  EXPECT_EQ(cp.unresolved.at(7).stream_position, 6);
}

}  // namespace protean
