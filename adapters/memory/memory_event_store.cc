#include "adapters/memory/memory_event_store.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event_store.h"
#include "core/status.h"

namespace protean {
namespace {

// The largest consumer-group size the server accepts: get_category_messages
// casts it to smallint.
constexpr int64_t kConsumerGroupSizeMax = std::numeric_limits<int16_t>::max();

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses `text` the way Postgres's uuid_in does (string_to_uuid): an optional
// '{' ... '}', 32 hex digits of either case, and an optional '-' after any
// group of four digits. Returns the canonical lowercase 8-4-4-4-12 form, or
// nullopt when Postgres would reject the text (SQLSTATE 22P02).
std::optional<std::string> CanonicalUuid(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t i = 0;
  const bool braces = !text.empty() && text[0] == '{';
  if (braces) ++i;
  std::string out;
  out.reserve(36);
  for (int byte = 0; byte < 16; ++byte) {
    if (i + 2 > text.size()) return std::nullopt;
    const int high = HexValue(text[i]);
    const int low = HexValue(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    i += 2;
    out.push_back(kHex[high]);
    out.push_back(kHex[low]);
    if (byte == 3 || byte == 5 || byte == 7 || byte == 9) out.push_back('-');
    if (byte % 2 == 1 && byte < 15 && i < text.size() && text[i] == '-') ++i;
  }
  if (braces) {
    if (i >= text.size() || text[i] != '}') return std::nullopt;
    ++i;
  }
  if (i != text.size()) return std::nullopt;
  return out;
}

// category(metadata->>'correlationStreamName'); nullopt for SQL NULL (no
// metadata, not an object, no such field, or a JSON null).
std::optional<std::string> CorrelationCategory(const std::string& metadata) {
  if (metadata.empty()) return std::nullopt;
  const nlohmann::json parsed =
      nlohmann::json::parse(metadata, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  const auto it = parsed.find("correlationStreamName");
  if (it == parsed.end() || it->is_null()) return std::nullopt;
  // ->> yields a string's contents, and any other value's JSON text.
  const std::string text = it->is_string() ? it->get<std::string>() : it->dump();
  return std::string(StreamCategory(text));
}

std::string WrongExpectedVersion(int64_t expected, std::string_view stream_name, int64_t actual) {
  return "Wrong expected version: " + std::to_string(expected) +
         " (Stream: " + std::string(stream_name) + ", Stream Version: " + std::to_string(actual) +
         ")";
}

// The consumer-group checks of get_category_messages, in the server's order.
Status CheckConsumerGroup(const ConsumerGroup& group) {
  const std::string values = " (Consumer Group Member: " + std::to_string(group.member) +
                             ", Consumer Group Size: " + std::to_string(group.size) + ")";
  if (group.size < 1) {
    return Status::InvalidArgument("Consumer group size must not be less than 1" + values);
  }
  if (group.member < 0) {
    return Status::InvalidArgument("Consumer group member must not be less than 0" + values);
  }
  if (group.member >= group.size) {
    return Status::InvalidArgument("Consumer group member must be less than the group size" +
                                   values);
  }
  if (group.size > kConsumerGroupSizeMax) {
    return Status::InvalidArgument("smallint out of range" + values);
  }
  return Status::Ok();
}

Status CheckBatchSize(int64_t batch_size) {
  if (batch_size < -1) {
    return Status::InvalidArgument(
        "LIMIT must not be negative (batch size: " + std::to_string(batch_size) + ")");
  }
  return Status::Ok();
}

}  // namespace

MemoryEventStore::MemoryEventStore(const Clock& clock) : clock_(clock) {}

Status MemoryEventStore::CheckOpenLocked() const {
  if (closed_) return Status::Unavailable("memory event store is closed");
  return Status::Ok();
}

Status MemoryEventStore::Ping() {
  MutexLock lock(&mu_);
  return CheckOpenLocked();
}

void MemoryEventStore::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
}

const std::vector<size_t>* MemoryEventStore::StreamSlotsLocked(std::string_view stream_name) const {
  const auto it = streams_.find(stream_name);
  return it == streams_.end() ? nullptr : &it->second;
}

Result<int64_t> MemoryEventStore::Write(const NewEventMessage& message,
                                        std::optional<int64_t> expected_version) {
  // write_message's jsonb parameters are cast before its body runs.
  if (!nlohmann::json::accept(message.data)) {
    return Status::InvalidArgument("invalid input syntax for type json (data of " +
                                   message.stream_name + ")");
  }
  if (!message.metadata.empty() && !nlohmann::json::accept(message.metadata)) {
    return Status::InvalidArgument("invalid input syntax for type json (metadata of " +
                                   message.stream_name + ")");
  }
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());

  const std::vector<size_t>* slots = StreamSlotsLocked(message.stream_name);
  const int64_t version = slots == nullptr ? -1 : static_cast<int64_t>(slots->size()) - 1;
  if (expected_version.has_value() && *expected_version != version) {
    return Status::Conflict(WrongExpectedVersion(*expected_version, message.stream_name, version));
  }
  std::optional<std::string> id = CanonicalUuid(message.id);
  if (!id.has_value()) {
    return Status::InvalidArgument("invalid input syntax for type uuid: \"" + message.id + "\"");
  }
  // The INSERT takes a global position before the unique index rejects it.
  const int64_t global_position = next_global_position_++;
  if (!ids_.insert(*id).second) {
    return Status::Conflict("duplicate key value violates unique constraint \"messages_id\" (id " +
                            *id + ")");
  }

  StoredMessage stored;
  EventMessage& out = stored.message;
  out.id = std::move(*id);
  out.stream_name = message.stream_name;
  out.type = message.type;
  out.position = version + 1;
  out.global_position = global_position;
  out.data = message.data;
  out.metadata = message.metadata;
  out.time = clock_.Now();
  if (!IsCategory(message.stream_name)) {
    const int64_t hash = Hash64(CardinalId(message.stream_name));
    stored.cardinal_hash_abs =
        hash < 0 ? uint64_t{0} - static_cast<uint64_t>(hash) : static_cast<uint64_t>(hash);
  }

  const size_t slot = messages_.size();
  messages_.push_back(std::move(stored));
  streams_[message.stream_name].push_back(slot);
  categories_[std::string(StreamCategory(message.stream_name))].push_back(slot);
  return version + 1;
}

Result<std::vector<EventMessage>> MemoryEventStore::ReadStream(std::string_view stream_name,
                                                               int64_t position,
                                                               int64_t batch_size) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  if (IsCategory(stream_name)) {
    return Status::InvalidArgument("Must be a stream name: " + std::string(stream_name));
  }
  PROTEAN_RETURN_IF_ERROR(CheckBatchSize(batch_size));

  std::vector<EventMessage> out;
  const std::vector<size_t>* slots = StreamSlotsLocked(stream_name);
  if (slots == nullptr) return out;
  // Positions are gapless from 0, so position p is slots[p].
  const size_t begin =
      static_cast<size_t>(std::clamp<int64_t>(position, 0, static_cast<int64_t>(slots->size())));
  size_t end = slots->size();
  if (batch_size != -1) end = std::min(end, begin + static_cast<size_t>(batch_size));
  out.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) out.push_back(messages_[(*slots)[i]].message);
  return out;
}

bool MemoryEventStore::MatchesCorrelationLocked(StoredMessage& stored,
                                                std::string_view correlation) {
  if (!stored.correlation_category.has_value()) {
    stored.correlation_category = CorrelationCategory(stored.message.metadata);
  }
  const std::optional<std::string>& category = *stored.correlation_category;
  return category.has_value() && *category == correlation;
}

Result<std::vector<EventMessage>> MemoryEventStore::ReadCategory(std::string_view category,
                                                                 const CategoryRead& read) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  if (!IsCategory(category)) {
    return Status::InvalidArgument("Must be a category: " + std::string(category));
  }
  if (read.correlation.has_value() && !IsCategory(*read.correlation)) {
    return Status::InvalidArgument(
        "Correlation must be a category (Correlation: " + *read.correlation + ")");
  }
  if (read.consumer_group.has_value()) {
    PROTEAN_RETURN_IF_ERROR(CheckConsumerGroup(*read.consumer_group));
  }
  PROTEAN_RETURN_IF_ERROR(CheckBatchSize(read.batch_size));

  std::vector<EventMessage> out;
  const auto it = categories_.find(category);
  if (it == categories_.end() || read.batch_size == 0) return out;
  const std::vector<size_t>& slots = it->second;
  // Slots are in global-position order: binary-search the first one due.
  auto slot_it = std::lower_bound(slots.begin(), slots.end(), read.position,
                                  [this](size_t slot, int64_t position) PROTEAN_REQUIRES(mu_) {
                                    return messages_[slot].message.global_position < position;
                                  });
  const size_t limit = read.batch_size == -1 ? slots.size() : static_cast<size_t>(read.batch_size);
  for (; slot_it != slots.end() && out.size() < limit; ++slot_it) {
    StoredMessage& stored = messages_[*slot_it];
    if (read.consumer_group.has_value()) {
      const ConsumerGroup& group = *read.consumer_group;
      if (!stored.cardinal_hash_abs.has_value() ||
          *stored.cardinal_hash_abs % static_cast<uint64_t>(group.size) !=
              static_cast<uint64_t>(group.member)) {
        continue;
      }
    }
    if (read.correlation.has_value() && !MatchesCorrelationLocked(stored, *read.correlation)) {
      continue;
    }
    out.push_back(stored.message);
  }
  return out;
}

Result<std::optional<EventMessage>> MemoryEventStore::LastMessage(std::string_view stream_name,
                                                                  std::optional<std::string> type) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  std::optional<EventMessage> out;
  const std::vector<size_t>* slots = StreamSlotsLocked(stream_name);
  if (slots == nullptr) return out;
  for (auto it = slots->rbegin(); it != slots->rend(); ++it) {
    const EventMessage& message = messages_[*it].message;
    if (!type.has_value() || message.type == *type) {
      out = message;
      break;
    }
  }
  return out;
}

Result<std::optional<int64_t>> MemoryEventStore::StreamVersion(std::string_view stream_name) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  std::optional<int64_t> out;
  const std::vector<size_t>* slots = StreamSlotsLocked(stream_name);
  if (slots != nullptr) out = static_cast<int64_t>(slots->size()) - 1;
  return out;
}

Result<std::optional<int64_t>> MemoryEventStore::CategoryHead(std::string_view category) {
  MutexLock lock(&mu_);
  PROTEAN_RETURN_IF_ERROR(CheckOpenLocked());
  if (!IsCategory(category)) {
    return Status::InvalidArgument("Must be a category: " + std::string(category));
  }
  std::optional<int64_t> head;
  const auto it = categories_.find(category);
  if (it != categories_.end() && !it->second.empty()) {
    head = messages_[it->second.back()].message.global_position;  // global-position order
  }
  return head;
}

}  // namespace protean
