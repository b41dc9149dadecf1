#include "adapters/real/redis_reply.h"

#include <charconv>
#include <system_error>

namespace protean::redis_internal {

std::optional<std::string_view> Text(const redisReply* reply) {
  if (reply == nullptr) return std::nullopt;
  if (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS) return std::nullopt;
  return std::string_view(reply->str, reply->len);
}

std::optional<int64_t> Integer(const redisReply* reply) {
  if (reply == nullptr) return std::nullopt;
  if (reply->type == REDIS_REPLY_INTEGER) return static_cast<int64_t>(reply->integer);
  const auto text = Text(reply);
  if (!text) return std::nullopt;
  int64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

Status BadShape(std::string_view command, std::string_view what) {
  return Status::Internal(std::string(command) + ": unexpected Redis reply: " + std::string(what));
}

namespace {

Result<StreamEntry> Entry(const redisReply* item, std::string_view command) {
  if (item->type != REDIS_REPLY_ARRAY || item->elements != 2) {
    return BadShape(command, "an entry is not [id, fields]");
  }
  const auto id = Text(item->element[0]);
  if (!id) return BadShape(command, "an entry id is not a string");
  StreamEntry entry;
  entry.id = std::string(*id);
  const redisReply* fields = item->element[1];
  if (fields->type == REDIS_REPLY_NIL) {
    entry.deleted = true;  // [id, nil]: a pending id whose entry is gone
    return entry;
  }
  if (fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0) {
    return BadShape(command, "entry fields are not [field, value, ...]");
  }
  entry.fields.reserve(fields->elements / 2);
  for (size_t i = 0; i < fields->elements; i += 2) {
    const auto name = Text(fields->element[i]);
    const auto value = Text(fields->element[i + 1]);
    if (!name || !value) return BadShape(command, "a field or value is not a string");
    entry.fields.emplace_back(std::string(*name), std::string(*value));
  }
  return entry;
}

}  // namespace

Result<std::vector<StreamEntry>> Entries(const redisReply* array, std::string_view command) {
  if (array == nullptr || array->type != REDIS_REPLY_ARRAY) {
    return BadShape(command, "entries are not an array");
  }
  std::vector<StreamEntry> out;
  out.reserve(array->elements);
  for (size_t i = 0; i < array->elements; ++i) {
    auto entry = Entry(array->element[i], command);
    if (!entry.ok()) return entry.status();
    out.push_back(std::move(entry).value());
  }
  return out;
}

Result<std::vector<StreamEntry>> ReadGroupEntries(const redisReply* reply,
                                                  std::string_view command) {
  if (reply == nullptr) return BadShape(command, "no reply");
  if (reply->type == REDIS_REPLY_NIL) return std::vector<StreamEntry>{};
  if (reply->type != REDIS_REPLY_ARRAY) return BadShape(command, "not an array");
  if (reply->elements == 0) return std::vector<StreamEntry>{};
  const redisReply* stream = reply->element[0];
  if (reply->elements != 1 || stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) {
    return BadShape(command, "not [[stream, entries]]");
  }
  return Entries(stream->element[1], command);
}

Result<std::vector<PendingEntry>> PendingEntries(const redisReply* array,
                                                 std::string_view command) {
  if (array == nullptr || array->type != REDIS_REPLY_ARRAY) {
    return BadShape(command, "pending entries are not an array");
  }
  std::vector<PendingEntry> out;
  out.reserve(array->elements);
  for (size_t i = 0; i < array->elements; ++i) {
    const redisReply* item = array->element[i];
    if (item->type != REDIS_REPLY_ARRAY || item->elements != 4) {
      return BadShape(command, "a pending entry is not [id, consumer, idle, deliveries]");
    }
    const auto id = Text(item->element[0]);
    const auto consumer = Text(item->element[1]);
    const auto idle_ms = Integer(item->element[2]);
    const auto deliveries = Integer(item->element[3]);
    if (!id || !consumer || !idle_ms || !deliveries) {
      return BadShape(command, "a pending entry has a field of the wrong type");
    }
    out.push_back(
        PendingEntry{std::string(*id), std::string(*consumer), Millis(*idle_ms), *deliveries});
  }
  return out;
}

const redisReply* MapValue(const redisReply* flat_map, std::string_view name) {
  if (flat_map == nullptr || flat_map->type != REDIS_REPLY_ARRAY) return nullptr;
  for (size_t i = 0; i + 1 < flat_map->elements; i += 2) {
    if (Text(flat_map->element[i]) == name) return flat_map->element[i + 1];
  }
  return nullptr;
}

Status CheckCount(int count) {
  if (count >= 1) return Status::Ok();
  return Status::InvalidArgument("COUNT must be >= 1, got " + std::to_string(count));
}

Status InvalidId(std::string_view text) {
  return Status::InvalidArgument("invalid stream id '" + std::string(text) + "'");
}

Status CheckIds(const std::vector<std::string>& ids) {
  for (const std::string& id : ids) {
    if (!StreamId::Parse(id)) return InvalidId(id);
  }
  return Status::Ok();
}

Status CheckRangeBound(std::string_view bound) {
  if (bound == "-" || bound == "+") return Status::Ok();
  std::string_view id = bound;
  if (!id.empty() && id.front() == '(') id.remove_prefix(1);
  if (!StreamId::Parse(id)) return InvalidId(bound);
  return Status::Ok();
}

int64_t CeilMillis(Duration d) {
  const int64_t us = d.count();
  if (us <= 0) return 0;
  return (us + 999) / 1000;
}

}  // namespace protean::redis_internal
