#pragma once
// An EventStore appends messages to streams and reads them back by stream or
// by category, with Message DB's semantics (v1.3): per-stream positions from
// 0, a global position across the store, optimistic concurrency on write, and
// category reads that can be partitioned among a consumer group by the
// stream's cardinal id (hash_64, as Message DB computes it).
//
// Implementations: MemoryEventStore (`memory`), MessageDbEventStore
// (`message_db`); both pass tests/contract/event_store_contract.h. Calls are
// blocking and may come from any thread; implementations synchronise
// internally.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace protean {

struct NewEventMessage {
  std::string id;           // a UUID; the caller chooses it (idempotent retries)
  std::string stream_name;  // "category-id"
  std::string type;
  std::string data = "{}";  // JSON object text
  std::string metadata;     // JSON object text, or empty for NULL
};

struct EventMessage {
  std::string id;
  std::string stream_name;
  std::string type;
  int64_t position = 0;         // within the stream, gapless from 0
  int64_t global_position = 0;  // across the store, increasing (may have gaps)
  std::string data;
  std::string metadata;  // empty for NULL
  TimePoint time{};
};

struct ConsumerGroup {
  int64_t member = 0;
  int64_t size = 1;
};

struct CategoryRead {
  int64_t position = 1;                    // first global position to return
  int64_t batch_size = 1000;               // -1 = unlimited
  std::optional<std::string> correlation;  // keep metadata.correlationStreamName in this category
  std::optional<ConsumerGroup> consumer_group;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  virtual std::string_view provider() const = 0;
  virtual Status Ping() = 0;
  virtual void Close() {}

  // write_message: appends at version + 1 and returns that position.
  // expected_version: nullopt = any; -1 = the stream must be empty; otherwise
  // the stream's current version must equal it, else kConflict ("Wrong
  // expected version: ..."). A duplicate id is kConflict too.
  virtual Result<int64_t> Write(const NewEventMessage& message,
                                std::optional<int64_t> expected_version) = 0;
  // get_stream_messages: position >= `position`, in order, at most batch_size
  // (-1 = unlimited). A category name is kInvalidArgument.
  virtual Result<std::vector<EventMessage>> ReadStream(std::string_view stream_name,
                                                       int64_t position = 0,
                                                       int64_t batch_size = 1000) = 0;
  // get_category_messages. A stream name (with '-') is kInvalidArgument, and so
  // is a bad consumer group (size < 1, member outside [0, size)).
  virtual Result<std::vector<EventMessage>> ReadCategory(std::string_view category,
                                                         const CategoryRead& read) = 0;
  // get_last_stream_message (optionally of one type).
  virtual Result<std::optional<EventMessage>> LastMessage(std::string_view stream_name,
                                                          std::optional<std::string> type) = 0;
  // stream_version: the last position, nullopt for an empty stream.
  virtual Result<std::optional<int64_t>> StreamVersion(std::string_view stream_name) = 0;
  // The global position of the newest message of `category` (Protean's
  // stream_head_position), nullopt when it has none; what an event-store
  // subscription's lag is measured against. A stream name (with '-') is
  // kInvalidArgument. The default pages through ReadCategory;
  // MemoryEventStore and MessageDbEventStore ask directly.
  virtual Result<std::optional<int64_t>> CategoryHead(std::string_view category);
};

// Message DB's naming rules.
std::string_view StreamCategory(std::string_view stream_name);  // text before the first '-'
std::string_view StreamNameId(std::string_view stream_name);    // text after it ("" if none)
std::string_view CardinalId(std::string_view stream_name);      // id up to the first '+'
bool IsCategory(std::string_view stream_name);                  // no '-' in the name
// hash_64: the first 8 bytes of md5(value), big-endian, as a signed int64.
int64_t Hash64(std::string_view value);
// The consumer-group member that owns `stream_name`: abs(hash_64(cardinal_id)) mod size.
int64_t ConsumerGroupMember(std::string_view stream_name, int64_t group_size);

}  // namespace protean
