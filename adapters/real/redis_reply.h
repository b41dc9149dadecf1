#pragma once
// Decoding of Redis Streams replies (RESP2 as hiredis 0.14 gives them) into
// the Broker's types, plus the client-side argument checks the Redis
// adapters make before sending anything. A reply of an unexpected shape is
// kInternal naming the command; nothing here talks to a server.

#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/broker.h"
#include "core/status.h"

namespace protean::redis_internal {

// The text of a STRING or STATUS reply; nullopt for any other type.
std::optional<std::string_view> Text(const redisReply* reply);
// An INTEGER reply, or a STRING holding a decimal integer.
std::optional<int64_t> Integer(const redisReply* reply);

Status BadShape(std::string_view command, std::string_view what);

// [[id, [f, v, ...] | nil], ...]. A nil field list is a deleted entry.
Result<std::vector<StreamEntry>> Entries(const redisReply* array, std::string_view command);
// XREADGROUP: nil or [[stream, entries]]; empty when nil or no stream.
Result<std::vector<StreamEntry>> ReadGroupEntries(const redisReply* reply,
                                                  std::string_view command);
// Extended XPENDING: [[id, consumer, idle-ms, deliveries], ...].
Result<std::vector<PendingEntry>> PendingEntries(const redisReply* array, std::string_view command);
// The value of `name` in a flat [name, value, ...] array (XINFO); nullptr
// when absent.
const redisReply* MapValue(const redisReply* flat_map, std::string_view name);

// ---- client-side argument checks (kInvalidArgument) ----
Status CheckCount(int count);
Status InvalidId(std::string_view text);
// Every id must parse as "<ms>-<seq>" or "<ms>".
Status CheckIds(const std::vector<std::string>& ids);
// An XRANGE bound: "-", "+", or an id with an optional "(" prefix.
Status CheckRangeBound(std::string_view bound);

// Milliseconds for Redis, rounded up so "at least this long" stays true.
int64_t CeilMillis(Duration d);

}  // namespace protean::redis_internal
