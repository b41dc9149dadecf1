#include "adapters/real/redis_pubsub_broker.h"

#include <algorithm>
#include <random>
#include <utility>

#include "adapters/real/redis_connection.h"
#include "adapters/real/redis_pool.h"
#include "adapters/real/redis_reply.h"
#include "adapters/real/redis_script.h"

namespace protean {
namespace {

using redis_internal::BadShape;
using redis_internal::Integer;
using redis_internal::Text;

// KEYS: the list, the group's position key. ARGV: count. Returns {first
// index, {items}}; the position moves past what it returns.
constexpr char kClaimLua[] = R"lua(
local position = tonumber(redis.call('GET', KEYS[2]) or '0')
if position == nil then
  return redis.error_reply('ERR the position key does not hold an integer')
end
if position < 0 then position = 0 end
local items = redis.call('LRANGE', KEYS[1], position, position + tonumber(ARGV[1]) - 1)
if #items > 0 then redis.call('INCRBY', KEYS[2], #items) end
return {position, items}
)lua";

// KEYS: the list, the group's position key.
constexpr char kGroupAtEndLua[] = R"lua(
local length = redis.call('LLEN', KEYS[1])
redis.call('SET', KEYS[2], length, 'NX')
return length
)lua";

constexpr char kDeleteListLua[] = R"lua(
local held = redis.call('LLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return held
)lua";

// A glob pattern matching `text` literally.
std::string GlobEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

Result<std::vector<StreamEntry>> Items(const redisReply* array, int64_t first,
                                       std::string_view command) {
  if (array->type != REDIS_REPLY_ARRAY) return BadShape(command, "not an array of items");
  std::vector<StreamEntry> out;
  out.reserve(array->elements);
  for (size_t i = 0; i < array->elements; ++i) {
    const auto item = Text(array->element[i]);
    if (!item) return BadShape(command, "an item is not a string");
    out.push_back(DecodeListItem(*item, first + static_cast<int64_t>(i)));
  }
  return out;
}

// Identifiers are random, as uuid4's (nothing replays a real run's ids).
uint64_t RandomSeed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace

RedisPubSubBroker::RedisPubSubBroker(RedisOptions options)
    : pool_(std::make_unique<RedisPool>(std::move(options))),
      claim_(std::make_unique<RedisScript>("redis_pubsub read script", kClaimLua)),
      group_at_end_(std::make_unique<RedisScript>("redis_pubsub group script", kGroupAtEndLua)),
      delete_list_(std::make_unique<RedisScript>("redis_pubsub delete script", kDeleteListLua)),
      ids_(RandomSeed()) {}

RedisPubSubBroker::~RedisPubSubBroker() { Close(); }

Status RedisPubSubBroker::CheckOpen() const {
  if (pool_->closed()) return Status::Unavailable(pool_->options().owner + " is closed");
  return Status::Ok();
}

Status RedisPubSubBroker::Ping() {
  return pool_
      ->Run<bool>(RedisRetry::kIdempotent,
                  [](RedisConnection& c) -> Result<bool> {
                    auto reply = c.Command(RedisArgs{"PING"});
                    if (!reply.ok()) return reply.status();
                    return true;
                  })
      .status();
}

void RedisPubSubBroker::Close() { pool_->Close(); }

std::optional<int64_t> RedisPubSubBroker::PoolConnections() const {
  return pool_->open_connections();
}

std::string RedisPubSubBroker::NewId() {
  MutexLock lock(&id_mu_);
  return ids_.Uuid();  // Protean: str(uuid.uuid4())
}

Result<std::string> RedisPubSubBroker::Publish(std::string_view stream, const Fields& fields) {
  std::string id = NewId();
  Result<std::string> item = EncodeListItem(id, fields);
  if (!item.ok()) return item.status();
  Result<int64_t> pushed =
      pool_->Run<int64_t>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) -> Result<int64_t> {
        auto reply = c.Command(RedisArgs{"RPUSH", stream, *item});
        if (!reply.ok()) return reply.status();
        const auto length = Integer(reply->get());
        if (!length) return BadShape("RPUSH", "not an integer");
        return *length;
      });
  if (!pushed.ok()) return pushed.status();
  return id;
}

Status RedisPubSubBroker::CreateGroup(std::string_view stream, std::string_view group,
                                      GroupStart start) {
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  if (start == GroupStart::kBeginning) return Status::Ok();  // absent = 0: nothing to write
  const std::vector<std::string> keys{std::string(stream), ListPositionKey(stream, group)};
  return pool_
      ->Run<bool>(RedisRetry::kIdempotent,
                  [&](RedisConnection& c) -> Result<bool> {
                    auto reply = group_at_end_->Eval(c, keys, {});
                    if (!reply.ok()) return reply.status();
                    return true;
                  })
      .status();
}

Result<std::vector<StreamEntry>> RedisPubSubBroker::ReadNew(std::string_view stream,
                                                            std::string_view group,
                                                            std::string_view, int count, Duration) {
  PROTEAN_RETURN_IF_ERROR(CheckCount(count));
  const std::vector<std::string> keys{std::string(stream), ListPositionKey(stream, group)};
  const std::vector<std::string> args{std::to_string(count)};
  return pool_->Run<std::vector<StreamEntry>>(
      RedisRetry::kNotIdempotent, [&](RedisConnection& c) -> Result<std::vector<StreamEntry>> {
        auto reply = claim_->Eval(c, keys, args);
        if (!reply.ok()) return reply.status();
        const redisReply* r = reply->get();
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
          return BadShape("redis_pubsub read", "not {position, items}");
        }
        const auto first = Integer(r->element[0]);
        if (!first) return BadShape("redis_pubsub read", "the position is not an integer");
        return Items(r->element[1], *first, "redis_pubsub read");
      });
}

Result<std::vector<StreamEntry>> RedisPubSubBroker::Range(std::string_view stream,
                                                          std::string_view start,
                                                          std::string_view end, int count) {
  PROTEAN_RETURN_IF_ERROR(CheckRange(start, end, count));
  return pool_->Run<std::vector<StreamEntry>>(
      RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<std::vector<StreamEntry>> {
        RedisArgs lrange{"LRANGE", stream, "0"};
        lrange.Add(int64_t{count} - 1);
        auto reply = c.Command(lrange);
        if (!reply.ok()) return reply.status();
        return Items(reply->get(), 0, "LRANGE");
      });
}

Result<int64_t> RedisPubSubBroker::DeleteStream(std::string_view stream) {
  const std::string pattern = GlobEscape(ListPositionKey(stream, "")) + "*";
  return pool_->Run<int64_t>(RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<int64_t> {
    std::string cursor = "0";
    for (int pages = 0; pages < 100000; ++pages) {  // bounded: SCAN ends at cursor 0
      RedisArgs scan{"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
      auto reply = c.Command(scan);
      if (!reply.ok()) return reply.status();
      const redisReply* r = reply->get();
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
          r->element[1]->type != REDIS_REPLY_ARRAY) {
        return BadShape("SCAN", "not [cursor, keys]");
      }
      const auto next = Text(r->element[0]);
      if (!next) return BadShape("SCAN", "no cursor");
      if (r->element[1]->elements > 0) {
        RedisArgs del{"DEL"};
        for (size_t i = 0; i < r->element[1]->elements; ++i) {
          const auto key = Text(r->element[1]->element[i]);
          if (key) del.Add(*key);
        }
        auto deleted = c.Command(del);
        if (!deleted.ok()) return deleted.status();
      }
      cursor = std::string(*next);
      if (cursor == "0") break;
    }
    auto held = delete_list_->Eval(c, {std::string(stream)}, {});
    if (!held.ok()) return held.status();
    const auto n = Integer(held->get());
    if (!n) return BadShape("redis_pubsub delete", "not an integer");
    return *n;
  });
}

Result<int64_t> RedisPubSubBroker::Length(std::string_view stream) {
  return pool_->Run<int64_t>(RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<int64_t> {
    auto reply = c.Command(RedisArgs{"LLEN", stream});
    if (!reply.ok()) return reply.status();
    const auto n = Integer(reply->get());
    if (!n) return BadShape("LLEN", "not an integer");
    return *n;
  });
}

Result<std::optional<int64_t>> RedisPubSubBroker::Lag(std::string_view stream,
                                                      std::string_view group) {
  const std::string key = ListPositionKey(stream, group);
  return pool_->Run<std::optional<int64_t>>(
      RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<std::optional<int64_t>> {
        auto replies = c.Pipeline({RedisArgs{"GET", key}, RedisArgs{"LLEN", stream}});
        if (!replies.ok()) return replies.status();
        for (const RedisReply& r : *replies) {
          if (r->type == REDIS_REPLY_ERROR) return RedisStatus(nullptr, r.get(), "GET/LLEN");
        }
        int64_t position = 0;
        if ((*replies)[0]->type != REDIS_REPLY_NIL) {
          const auto p = Integer((*replies)[0].get());
          if (!p) return Status::InvalidArgument(key + " does not hold an integer");
          position = *p;
        }
        const auto length = Integer((*replies)[1].get());
        if (!length) return BadShape("LLEN", "not an integer");
        return std::optional<int64_t>(std::max<int64_t>(*length - position, 0));
      });
}

}  // namespace protean
