#include "adapters/real/redis_broker.h"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <utility>

#include "adapters/real/redis_connection.h"
#include "adapters/real/redis_pool.h"
#include "adapters/real/redis_read_waker.h"
#include "adapters/real/redis_reply.h"
#include "adapters/real/redis_script.h"

namespace protean {
namespace {

using redis_internal::BadShape;
using redis_internal::CheckCount;
using redis_internal::CheckIds;
using redis_internal::InvalidId;
using redis_internal::Text;
using Entries = std::vector<StreamEntry>;

// XADD attempts when the stream's top id keeps moving ahead of the clock.
constexpr int kPublishAttemptsMax = 4;
// MoveToDlq rounds when the entry is deleted between the read and the script.
constexpr int kMoveAttemptsMax = 3;

// KEYS[1] source stream, KEYS[2] DLQ stream. ARGV[1] group, ARGV[2] id,
// ARGV[3] clock ms for the DLQ id, ARGV[4] "1" if the caller saw the entry
// ("0" if it was gone), ARGV[5..] the DLQ entry's field/value pairs (built by
// the caller with EncodeDlqFields from what it saw). Returns 1 when moved, 0
// when the id is not pending (or no group), 2 when the entry was deleted
// since the caller read it (the caller rebuilds the fields and calls again).
// XACK is the last write: an error before it (redis.call raises, or an XADD
// error is returned) leaves the message pending; nothing is lost.
constexpr char kMoveToDlqLua[] = R"lua(
local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if type(pending) == 'table' and pending.err then
  if string.sub(pending.err, 1, 7) == 'NOGROUP' then return 0 end
  return pending
end
if #pending == 0 then return 0 end
local present = #redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2]) > 0
if present ~= (ARGV[4] == '1') then return 2 end
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
local added = redis.pcall('XADD', KEYS[2], ARGV[3] .. '-*', unpack(fields))
if type(added) == 'table' and added.err and
    string.find(added.err, 'equal or smaller', 1, true) then
  local info = redis.call('XINFO', 'STREAM', KEYS[2])
  local top = '0-0'
  for i = 1, #info - 1, 2 do
    if info[i] == 'last-generated-id' then top = info[i + 1] end
  end
  added = redis.pcall('XADD', KEYS[2], string.match(top, '^(%d+)') .. '-*', unpack(fields))
end
if type(added) == 'table' and added.err then return added end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua";

// KEYS[1] stream. ARGV[1] group, ARGV[2] consumer, ARGV[3..] ids. Resets
// the idle time of the ids pending for the consumer whose entry still
// exists (XCLAIM JUSTID: no delivery counted); returns how many.
constexpr char kTouchLua[] = R"lua(
local claim = {KEYS[1], ARGV[1], ARGV[2], '0'}
for i = 3, #ARGV do
  local mine = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if type(mine) == 'table' and mine.err then
    if string.sub(mine.err, 1, 7) == 'NOGROUP' then return 0 end
    return mine
  end
  if #mine > 0 and #redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i]) > 0 then
    claim[#claim + 1] = ARGV[i]
  end
end
if #claim == 4 then return 0 end
claim[#claim + 1] = 'JUSTID'
return #redis.call('XCLAIM', unpack(claim))
)lua";

// KEYS[1] stream. ARGV[1] group, ARGV[2] consumer, ARGV[3] id. If the id is
// pending for the consumer, XCLAIM it to the same consumer (delivery +1,
// idle reset). Returns false when it is not ours, else {entries, count}:
// entries is empty when the stream entry is gone (7.0 XCLAIM then drops it).
constexpr char kRedeliverLua[] = R"lua(
local mine = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if type(mine) == 'table' and mine.err then
  if string.sub(mine.err, 1, 7) == 'NOGROUP' then return false end
  return mine
end
if #mine == 0 then return false end
local entries = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], '0', ARGV[3])
return {entries, mine[1][4] + 1}
)lua";

// KEYS[1] stream. ARGV[1] group, ARGV[2] consumer, then (id, count) pairs.
// For each id pending for the consumer: XCLAIM JUSTID with RETRYCOUNT count
// and a huge IDLE, so it is claimable at once. Returns how many.
constexpr char kReleaseLua[] = R"lua(
local released = 0
for i = 3, #ARGV, 2 do
  local mine = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if type(mine) == 'table' and mine.err then
    if string.sub(mine.err, 1, 7) == 'NOGROUP' then return 0 end
    return mine
  end
  if #mine > 0 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], '0', ARGV[i], 'IDLE', '1000000000000',
               'RETRYCOUNT', ARGV[i + 1], 'JUSTID')
    released = released + 1
  end
end
return released
)lua";

// KEYS[1] stream. ARGV[1] group, ARGV[2] consumer. The pending check and
// XGROUP DELCONSUMER in one script, so no read can slip in between: 0 when
// deleted, 1 when it owns pending entries (left alone), 2 when the group
// has no such consumer. A missing key or group is XINFO's error.
constexpr char kDeleteConsumerLua[] = R"lua(
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if consumers.err then return consumers end
for _, info in ipairs(consumers) do
  local name, pending = nil, 0
  for i = 1, #info - 1, 2 do
    if info[i] == 'name' then name = info[i + 1] end
    if info[i] == 'pending' then pending = info[i + 1] end
  end
  if name == ARGV[2] then
    if pending > 0 then return 1 end
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
    return 0
  end
end
return 2
)lua";

// KEYS[1] stream. XLEN fails on a key of another type before DEL runs.
constexpr char kDeleteStreamLua[] = R"lua(
local held = redis.call('XLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return held
)lua";

StreamId NextId(StreamId id) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (id.seq != kMax) return {id.ms, id.seq + 1};
  if (id.ms != kMax) return {id.ms + 1, 0};
  return id;
}

Result<int64_t> IntegerOf(const Result<RedisReply>& reply, std::string_view command) {
  if (!reply.ok()) return reply.status();
  const auto value = redis_internal::Integer(reply->get());
  if (!value) return BadShape(command, "not an integer");
  return *value;
}

// A pipeline's reply, with an ERROR reply as a Status (as Command returns it).
Result<RedisReply> ErrorAsStatus(Result<RedisReply> reply, std::string_view command) {
  if (reply.ok() && (*reply)->type == REDIS_REPLY_ERROR) {
    return RedisStatus(nullptr, reply->get(), command);
  }
  return reply;
}

// Sets each entry's delivery count from an XPENDING reply of the same
// transaction.
Status FillCounts(const redisReply* pending, Entries& entries) {
  auto parsed = redis_internal::PendingEntries(pending, "XPENDING");
  if (!parsed.ok()) return parsed.status();
  std::unordered_map<std::string_view, int64_t> counts;
  for (const PendingEntry& p : *parsed) counts.emplace(p.id, p.delivery_count);
  for (StreamEntry& entry : entries) {
    const auto it = counts.find(entry.id);
    if (it == counts.end()) return BadShape("XPENDING", "an entry read is not pending");
    entry.delivery_count = it->second;
  }
  return Status::Ok();
}

// Element `i` of an EXEC reply, or its error.
Result<const redisReply*> ExecElement(const RedisReply& exec, size_t i, std::string_view command) {
  const redisReply* element = exec->element[i];
  if (element->type == REDIS_REPLY_ERROR) return RedisStatus(nullptr, element, command);
  return element;
}

}  // namespace

RedisBroker::RedisBroker(const Clock& clock, RedisOptions options)
    : clock_(clock),
      pool_(std::make_unique<RedisPool>(std::move(options))),
      waker_(std::make_unique<RedisReadWaker>(pool_->options())),
      move_to_dlq_(std::make_unique<RedisScript>("MoveToDlq script", kMoveToDlqLua)),
      delete_stream_(std::make_unique<RedisScript>("DeleteStream script", kDeleteStreamLua)),
      touch_(std::make_unique<RedisScript>("Touch script", kTouchLua)),
      redeliver_(std::make_unique<RedisScript>("Redeliver script", kRedeliverLua)),
      release_(std::make_unique<RedisScript>("Release script", kReleaseLua)),
      delete_consumer_(std::make_unique<RedisScript>("DeleteConsumer script", kDeleteConsumerLua)) {
}

RedisBroker::~RedisBroker() { Close(); }

BrokerCapabilities RedisBroker::capabilities() const {
  BrokerCapabilities caps;
  caps.persistent = true;
  caps.consumer_groups = true;
  caps.dlq = true;
  caps.blocking_reads = true;
  caps.connections = pool_->options().max_connections;
  caps.ack_with_read = true;
  return caps;
}

const RedisOptions& RedisBroker::options() const { return pool_->options(); }
int RedisBroker::open_connections() const { return pool_->open_connections(); }

Status RedisBroker::CheckOpen() const {
  if (pool_->closed()) return Status::Unavailable(pool_->options().owner + " is closed");
  return Status::Ok();
}

Status RedisBroker::Ping() {
  return pool_
      ->Run<bool>(RedisRetry::kIdempotent,
                  [](RedisConnection& c) -> Result<bool> {
                    auto reply = c.Command(RedisArgs{"PING"});
                    if (!reply.ok()) return reply.status();
                    return true;
                  })
      .status();
}

void RedisBroker::Close() {
  waker_->Close();
  pool_->Close();
}

void RedisBroker::WakeReads(std::string_view stream, std::string_view group,
                            std::string_view consumer) {
  waker_->Wake(RedisReadWaker::Key(stream, group, consumer));
}

Result<std::string> RedisBroker::AddWithClockId(RedisConnection& c, std::string_view stream,
                                                const Fields& fields) {
  auto ms = static_cast<uint64_t>(std::max<int64_t>(ToMillis(clock_.Now()), 0));
  for (int attempt = 0; attempt < kPublishAttemptsMax; ++attempt) {
    RedisArgs xadd{"XADD", stream, std::to_string(ms) + "-*"};
    for (const auto& [name, value] : fields) xadd.Add(name).Add(value);
    auto replies = c.Pipeline({xadd});
    if (!replies.ok()) return replies.status();
    const redisReply* reply = replies->front().get();
    if (reply->type == REDIS_REPLY_STRING) return std::string(reply->str, reply->len);
    if (!RedisErrorContains(reply, "equal or smaller")) return RedisStatus(nullptr, reply, "XADD");
    // The stream's top id is ahead of the clock: continue from its ms.
    auto info = c.Command(RedisArgs{"XINFO", "STREAM", stream});
    if (!info.ok()) return info.status();
    const auto top = StreamId::Parse(
        Text(redis_internal::MapValue(info->get(), "last-generated-id")).value_or(""));
    if (!top) return BadShape("XINFO STREAM", "no last-generated-id");
    ms = top->seq == std::numeric_limits<uint64_t>::max() ? top->ms + 1 : top->ms;
  }
  return Status::Internal("XADD: the stream's top id kept moving ahead of the clock (" +
                          std::to_string(kPublishAttemptsMax) + " attempts)");
}

Result<std::string> RedisBroker::Publish(std::string_view stream, const Fields& fields) {
  if (fields.empty()) return Status::InvalidArgument("XADD needs at least one field");
  return pool_->Run<std::string>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) {
    return AddWithClockId(c, stream, fields);
  });
}

Status RedisBroker::EnsureGroup(RedisConnection& c, std::string_view stream, std::string_view group,
                                GroupStart start) {
  auto replies = c.Pipeline({RedisArgs{"XGROUP", "CREATE", stream, group,
                                       start == GroupStart::kEnd ? "$" : "0", "MKSTREAM"}});
  if (!replies.ok()) return replies.status();
  const redisReply* reply = replies->front().get();
  if (reply->type == REDIS_REPLY_ERROR && !RedisErrorContains(reply, "BUSYGROUP")) {
    return RedisStatus(nullptr, reply, "XGROUP CREATE");
  }
  return Status::Ok();  // created, or BUSYGROUP: the existing group is left alone
}

Status RedisBroker::CreateGroup(std::string_view stream, std::string_view group, GroupStart start) {
  return pool_
      ->Run<bool>(RedisRetry::kIdempotent,
                  [&](RedisConnection& c) -> Result<bool> {
                    PROTEAN_RETURN_IF_ERROR(EnsureGroup(c, stream, group, start));
                    return true;
                  })
      .status();
}

Result<Entries> RedisBroker::ReadNewOn(RedisConnection& c, std::string_view stream,
                                       std::string_view group, std::string_view consumer, int count,
                                       Duration block, const RedisArgs* ack,
                                       const AckDone* on_acked) {
  RedisArgs args{"XREADGROUP", "GROUP", group, consumer, "COUNT"};
  args.Add(int64_t{count});
  const int64_t block_ms = redis_internal::CeilMillis(block);
  std::optional<uint64_t> ticket;  // registered with the waker while blocking
  if (block_ms > 0) {
    args.Add("BLOCK").Add(block_ms);
    Result<int64_t> client_id = c.ClientId();
    if (!client_id.ok()) return client_id.status();
    // The server answers nil after block_ms: wait that long plus the usual.
    PROTEAN_RETURN_IF_ERROR(c.SetTimeout(block + c.options().socket_timeout));
    ticket = waker_->Begin(RedisReadWaker::Key(stream, group, consumer), *client_id);
    if (!ticket) {  // woken before it was sent: a stop is under way
      PROTEAN_RETURN_IF_ERROR(c.RestoreTimeout());
      return Entries{};
    }
  }
  args.Add("STREAMS").Add(stream).Add(">");
  Result<RedisReply> reply = Status::Internal("XREADGROUP: not sent");
  if (ack == nullptr) {
    reply = c.Command(args);
  } else if (Status sent = c.Send({*ack, args}); !sent.ok()) {
    (*on_acked)(sent);
    reply = sent;
  } else {
    (*on_acked)(IntegerOf(ErrorAsStatus(c.NextReply("XACK"), "XACK"), "XACK"));
    reply = ErrorAsStatus(c.NextReply("XREADGROUP"), "XREADGROUP");
  }
  if (ticket) waker_->End(*ticket);
  if (block_ms > 0 && !c.broken()) PROTEAN_RETURN_IF_ERROR(c.RestoreTimeout());
  if (!reply.ok()) return reply.status();
  auto entries = redis_internal::ReadGroupEntries(reply->get(), "XREADGROUP");
  if (!entries.ok()) return entries.status();
  for (StreamEntry& entry : *entries) entry.delivery_count = 1;  // ">" starts every count at 1
  return entries;
}

Result<Entries> RedisBroker::ReadNewRecreating(RedisConnection& c, std::string_view stream,
                                               std::string_view group, std::string_view consumer,
                                               int count, Duration block, const RedisArgs* ack,
                                               const AckDone* on_acked) {
  auto read = ReadNewOn(c, stream, group, consumer, count, block, ack, on_acked);
  if (read.ok() || read.status().code() != StatusCode::kNotFound) return read;
  // NOGROUP, or UNBLOCKED (the stream was deleted while we were blocked):
  // recreate the group from the beginning and read once more (the ack, if
  // any, went with the first read).
  PROTEAN_RETURN_IF_ERROR(EnsureGroup(c, stream, group, GroupStart::kBeginning));
  recreations_.Add(stream, group);
  return ReadNewOn(c, stream, group, consumer, count, block);
}

Result<Entries> RedisBroker::ReadNew(std::string_view stream, std::string_view group,
                                     std::string_view consumer, int count, Duration block) {
  PROTEAN_RETURN_IF_ERROR(CheckCount(count));
  return pool_->Run<Entries>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) {
    return ReadNewRecreating(c, stream, group, consumer, count, block);
  });
}

Result<Entries> RedisBroker::ReadPending(std::string_view stream, std::string_view group,
                                         std::string_view consumer, std::string_view after_id,
                                         int count) {
  PROTEAN_RETURN_IF_ERROR(CheckCount(count));
  const auto after = StreamId::Parse(after_id);
  if (!after) return InvalidId(after_id);
  const std::string first = NextId(*after).ToString();
  return pool_->Run<Entries>(
      RedisRetry::kNotIdempotent, [&](RedisConnection& c) -> Result<Entries> {
        // One transaction, so the counts XPENDING reports are this read's.
        auto exec = c.Transaction(
            {RedisArgs{"XREADGROUP", "GROUP", group, consumer, "COUNT"}
                 .Add(int64_t{count})
                 .Add("STREAMS")
                 .Add(stream)
                 .Add(after_id),
             RedisArgs{"XPENDING", stream, group, first, "+"}.Add(int64_t{count}).Add(consumer)});
        if (!exec.ok()) return exec.status();
        auto read = ExecElement(*exec, 0, "XREADGROUP");
        if (!read.ok()) return read.status();
        auto pending = ExecElement(*exec, 1, "XPENDING");
        if (!pending.ok()) return pending.status();
        auto entries = redis_internal::ReadGroupEntries(*read, "XREADGROUP");
        if (!entries.ok()) return entries.status();
        PROTEAN_RETURN_IF_ERROR(FillCounts(*pending, *entries));
        return entries;
      });
}

Result<int64_t> RedisBroker::Ack(std::string_view stream, std::string_view group,
                                 const std::vector<std::string>& ids) {
  PROTEAN_RETURN_IF_ERROR(CheckIds(ids));
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  if (ids.empty()) return int64_t{0};
  RedisArgs args{"XACK", stream, group};
  for (const std::string& id : ids) args.Add(id);
  return pool_->Run<int64_t>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) {
    return IntegerOf(c.Command(args), "XACK");
  });
}

Result<Entries> RedisBroker::AckThenReadNew(std::string_view stream, std::string_view group,
                                            std::string_view consumer,
                                            const std::vector<std::string>& ack_ids,
                                            const AckDone& on_acked, int count, Duration block) {
  if (ack_ids.empty() || !CheckIds(ack_ids).ok() || !CheckCount(count).ok()) {
    return Broker::AckThenReadNew(stream, group, consumer, ack_ids, on_acked, count, block);
  }
  RedisArgs ack{"XACK", stream, group};
  for (const std::string& id : ack_ids) ack.Add(id);
  bool sent = false;  // the XACK went out (and on_acked had its result)
  const AckDone once = [&](Result<int64_t> r) {
    sent = true;
    on_acked(std::move(r));
  };
  Result<Entries> read = pool_->Run<Entries>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) {
    // Sent once: a retried call (a lost connection) reads alone.
    return sent ? ReadNewRecreating(c, stream, group, consumer, count, block)
                : ReadNewRecreating(c, stream, group, consumer, count, block, &ack, &once);
  });
  // The read returned before sending (woken before it was sent, no
  // connection): the ack goes alone.
  if (!sent) on_acked(Ack(stream, group, ack_ids));
  return read;
}

Result<std::vector<PendingEntry>> RedisBroker::Pending(std::string_view stream,
                                                       std::string_view group,
                                                       std::string_view consumer, int count) {
  PROTEAN_RETURN_IF_ERROR(CheckCount(count));
  RedisArgs args{"XPENDING", stream, group, "-", "+"};
  args.Add(int64_t{count});
  if (!consumer.empty()) args.Add(consumer);
  return pool_->Run<std::vector<PendingEntry>>(
      RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<std::vector<PendingEntry>> {
        auto reply = c.Command(args);
        if (!reply.ok()) return reply.status();
        return redis_internal::PendingEntries(reply->get(), "XPENDING");
      });
}

Result<int64_t> RedisBroker::PendingCount(std::string_view stream, std::string_view group) {
  return pool_->Run<int64_t>(RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<int64_t> {
    // [count, smallest id, greatest id, [[consumer, count], ...]]; NOGROUP: kNotFound.
    auto reply = c.Command(RedisArgs{"XPENDING", stream, group});
    if (!reply.ok()) return reply.status();
    const redisReply* summary = reply->get();
    if (summary->type != REDIS_REPLY_ARRAY || summary->elements < 1) {
      return BadShape("XPENDING", "not a summary");
    }
    const auto count = redis_internal::Integer(summary->element[0]);
    if (!count) return BadShape("XPENDING", "the count is not an integer");
    return *count;
  });
}

Result<ClaimResult> RedisBroker::AutoClaim(std::string_view stream, std::string_view group,
                                           std::string_view consumer, Duration min_idle,
                                           std::string_view cursor, int count) {
  PROTEAN_RETURN_IF_ERROR(CheckCount(count));
  if (min_idle < Duration(0)) return Status::InvalidArgument("min_idle must be >= 0");
  if (!StreamId::Parse(cursor)) return InvalidId(cursor);
  // XAUTOCLAIM examines at most count*10 PEL entries from the cursor, so the
  // claimer's first count*10 entries from there include every claimed one.
  const int64_t scan_max = int64_t{count} * 10;
  return pool_->Run<ClaimResult>(
      RedisRetry::kNotIdempotent, [&](RedisConnection& c) -> Result<ClaimResult> {
        auto exec = c.Transaction(
            {RedisArgs{"XAUTOCLAIM", stream, group, consumer}
                 .Add(redis_internal::CeilMillis(min_idle))
                 .Add(cursor)
                 .Add("COUNT")
                 .Add(int64_t{count}),
             RedisArgs{"XPENDING", stream, group, cursor, "+"}.Add(scan_max).Add(consumer)});
        if (!exec.ok()) return exec.status();
        auto claim = ExecElement(*exec, 0, "XAUTOCLAIM");
        if (!claim.ok()) return claim.status();
        auto pending = ExecElement(*exec, 1, "XPENDING");
        if (!pending.ok()) return pending.status();
        // 7.0: [next-cursor, [entries], [ids purged because their entry is gone]].
        const redisReply* reply = *claim;
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) {
          return BadShape("XAUTOCLAIM", "not [cursor, entries, deleted]");
        }
        ClaimResult result;
        const auto next = Text(reply->element[0]);
        if (!next) return BadShape("XAUTOCLAIM", "the cursor is not a string");
        result.next_cursor = std::string(*next);
        auto claimed = redis_internal::Entries(reply->element[1], "XAUTOCLAIM");
        if (!claimed.ok()) return claimed.status();
        result.claimed = std::move(claimed).value();
        PROTEAN_RETURN_IF_ERROR(FillCounts(*pending, result.claimed));
        if (reply->elements >= 3) {
          const redisReply* deleted = reply->element[2];
          if (deleted->type != REDIS_REPLY_ARRAY) return BadShape("XAUTOCLAIM", "deleted ids");
          for (size_t i = 0; i < deleted->elements; ++i) {
            const auto id = Text(deleted->element[i]);
            if (!id) return BadShape("XAUTOCLAIM", "a deleted id is not a string");
            result.deleted_ids.emplace_back(*id);
          }
        }
        return result;
      });
}

Result<std::optional<StreamEntry>> RedisBroker::Redeliver(std::string_view stream,
                                                          std::string_view group,
                                                          std::string_view consumer,
                                                          std::string_view id) {
  PROTEAN_RETURN_IF_ERROR(CheckIds({std::string(id)}));
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  const std::vector<std::string> keys = {std::string(stream)};
  const std::vector<std::string> args = {std::string(group), std::string(consumer),
                                         std::string(id)};
  return pool_->Run<std::optional<StreamEntry>>(
      RedisRetry::kNotIdempotent, [&](RedisConnection& c) -> Result<std::optional<StreamEntry>> {
        auto reply = redeliver_->Eval(c, keys, args);
        if (!reply.ok()) return reply.status();
        const redisReply* r = reply->get();
        if (r->type == REDIS_REPLY_NIL) return std::optional<StreamEntry>();  // false → nil
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
          return BadShape("Redeliver", "not [entries, count]");
        }
        const auto count = redis_internal::Integer(r->element[1]);
        if (!count) return BadShape("Redeliver", "the count is not an integer");
        auto entries = redis_internal::Entries(r->element[0], "Redeliver");
        if (!entries.ok()) return entries.status();
        if (entries->empty()) {
          return std::optional<StreamEntry>(StreamEntry{std::string(id), {}, true, *count - 1});
        }
        StreamEntry e = std::move((*entries)[0]);
        e.delivery_count = *count;
        return std::optional<StreamEntry>(std::move(e));
      });
}

Result<int64_t> RedisBroker::Release(std::string_view stream, std::string_view group,
                                     std::string_view consumer,
                                     const std::vector<std::pair<std::string, int64_t>>& entries) {
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.first);
  PROTEAN_RETURN_IF_ERROR(CheckIds(ids));
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  if (entries.empty()) return int64_t{0};
  std::vector<std::string> args = {std::string(group), std::string(consumer)};
  for (const auto& [id, count] : entries) {
    args.push_back(id);
    args.push_back(std::to_string(std::max<int64_t>(0, count)));
  }
  const std::vector<std::string> keys = {std::string(stream)};
  return pool_->Run<int64_t>(RedisRetry::kIdempotent, [&](RedisConnection& c) {
    return IntegerOf(release_->Eval(c, keys, args), "Release");
  });
}

Result<int64_t> RedisBroker::Touch(std::string_view stream, std::string_view group,
                                   std::string_view consumer, const std::vector<std::string>& ids) {
  PROTEAN_RETURN_IF_ERROR(CheckIds(ids));
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  if (ids.empty()) return int64_t{0};
  std::vector<std::string> args = {std::string(group), std::string(consumer)};
  args.insert(args.end(), ids.begin(), ids.end());
  const std::vector<std::string> keys = {std::string(stream)};
  // Idempotent: touching twice leaves the same state and count.
  return pool_->Run<int64_t>(RedisRetry::kIdempotent, [&](RedisConnection& c) {
    return IntegerOf(touch_->Eval(c, keys, args), "Touch");
  });
}

Result<Entries> RedisBroker::Range(std::string_view stream, std::string_view start,
                                   std::string_view end, int count) {
  PROTEAN_RETURN_IF_ERROR(CheckCount(count));
  PROTEAN_RETURN_IF_ERROR(redis_internal::CheckRangeBound(start));
  PROTEAN_RETURN_IF_ERROR(redis_internal::CheckRangeBound(end));
  RedisArgs args{"XRANGE", stream, start, end, "COUNT"};
  args.Add(int64_t{count});
  return pool_->Run<Entries>(RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<Entries> {
    auto reply = c.Command(args);
    if (!reply.ok()) return reply.status();
    return redis_internal::Entries(reply->get(), "XRANGE");
  });
}

Result<int64_t> RedisBroker::Delete(std::string_view stream, const std::vector<std::string>& ids) {
  PROTEAN_RETURN_IF_ERROR(CheckIds(ids));
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  if (ids.empty()) return int64_t{0};
  RedisArgs args{"XDEL", stream};
  for (const std::string& id : ids) args.Add(id);
  return pool_->Run<int64_t>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) {
    return IntegerOf(c.Command(args), "XDEL");
  });
}

Result<int64_t> RedisBroker::DeleteStream(std::string_view stream) {
  return pool_->Run<int64_t>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) {
    return IntegerOf(delete_stream_->Eval(c, {std::string(stream)}, {}), "DeleteStream");
  });
}

Result<int64_t> RedisBroker::Trim(std::string_view stream, const TrimSpec& spec) {
  RedisArgs args{"XTRIM", stream};
  if (spec.kind == TrimSpec::Kind::kMinId) {
    if (!StreamId::Parse(spec.min_id)) return InvalidId(spec.min_id);
    args.Add("MINID").Add("=").Add(spec.min_id);
  } else {
    if (spec.max_len < 0) return Status::InvalidArgument("MAXLEN must be >= 0");
    args.Add("MAXLEN").Add("=").Add(spec.max_len);
  }
  return pool_->Run<int64_t>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) {
    return IntegerOf(c.Command(args), "XTRIM");
  });
}

Result<int64_t> RedisBroker::Length(std::string_view stream) {
  return pool_->Run<int64_t>(RedisRetry::kIdempotent, [&](RedisConnection& c) {
    return IntegerOf(c.Command(RedisArgs{"XLEN", stream}), "XLEN");
  });
}

Result<std::optional<int64_t>> RedisBroker::Lag(std::string_view stream, std::string_view group) {
  using Lag = std::optional<int64_t>;
  return pool_->Run<Lag>(RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<Lag> {
    auto reply = c.Command(RedisArgs{"XINFO", "GROUPS", stream});  // no key: kNotFound
    if (!reply.ok()) return reply.status();
    const redisReply* groups = reply->get();
    if (groups->type != REDIS_REPLY_ARRAY) return BadShape("XINFO GROUPS", "not an array");
    for (size_t i = 0; i < groups->elements; ++i) {
      const redisReply* info = groups->element[i];
      if (Text(redis_internal::MapValue(info, "name")) != group) continue;
      const redisReply* lag = redis_internal::MapValue(info, "lag");
      if (lag == nullptr || lag->type == REDIS_REPLY_NIL) return Lag();  // unknown
      const auto value = redis_internal::Integer(lag);
      if (!value) return BadShape("XINFO GROUPS", "lag is not an integer");
      return Lag(*value);
    }
    return Status::NotFound("NOGROUP no such key '" + std::string(stream) +
                            "' or consumer group '" + std::string(group) + "'");
  });
}

// XINFO GROUPS, then the summary form of XPENDING per group ([count, min,
// max, consumers]) on the same connection.
Result<std::vector<GroupProgress>> RedisBroker::GroupsProgress(std::string_view stream) {
  using Out = std::vector<GroupProgress>;
  return pool_->Run<Out>(RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<Out> {
    auto reply = c.Command(RedisArgs{"XINFO", "GROUPS", stream});
    if (!reply.ok()) {
      if (reply.status().code() == StatusCode::kNotFound) return Out{};  // no stream
      return reply.status();
    }
    const redisReply* groups = reply->get();
    if (groups->type != REDIS_REPLY_ARRAY) return BadShape("XINFO GROUPS", "not an array");
    Out out;
    for (size_t i = 0; i < groups->elements; ++i) {
      const redisReply* info = groups->element[i];
      const auto name = Text(redis_internal::MapValue(info, "name"));
      const auto last = Text(redis_internal::MapValue(info, "last-delivered-id"));
      if (!name || !last) return BadShape("XINFO GROUPS", "a group without name or position");
      GroupProgress g{std::string(*name), std::string(*last), std::nullopt};
      auto pending = c.Command(RedisArgs{"XPENDING", stream, *name});
      if (!pending.ok()) return pending.status();
      const redisReply* summary = pending->get();
      if (summary->type != REDIS_REPLY_ARRAY || summary->elements < 2) {
        return BadShape("XPENDING", "not a summary");
      }
      if (const auto min = Text(summary->element[1])) g.oldest_pending = std::string(*min);
      out.push_back(std::move(g));
    }
    std::sort(out.begin(), out.end(),
              [](const GroupProgress& a, const GroupProgress& b) { return a.group < b.group; });
    return out;
  });
}

Result<bool> RedisBroker::MoveToDlq(std::string_view stream, std::string_view group,
                                    std::string_view id, const DlqMetadata& meta) {
  if (!StreamId::Parse(id)) return InvalidId(id);
  const std::vector<std::string> keys = {std::string(stream), DlqStreamName(stream)};
  // The DLQ entry is built here from the entry as read (stream entries never
  // change, they can only be deleted; the script checks that one).
  for (int attempt = 0; attempt < kMoveAttemptsMax; ++attempt) {
    auto seen = Range(stream, id, id, 1);
    if (!seen.ok()) return seen.status();
    const bool present = !seen->empty();
    const auto now_ms = std::max<int64_t>(ToMillis(clock_.Now()), 0);
    std::vector<std::string> args = {std::string(group), std::string(id), std::to_string(now_ms),
                                     present ? "1" : "0"};
    for (auto& [name, value] : EncodeDlqFields(present ? seen->front().fields : Fields{}, meta)) {
      args.push_back(std::move(name));
      args.push_back(std::move(value));
    }
    auto moved = pool_->Run<int64_t>(RedisRetry::kNotIdempotent, [&](RedisConnection& c) {
      return IntegerOf(move_to_dlq_->Eval(c, keys, args), "MoveToDlq");
    });
    if (!moved.ok()) return moved.status();
    if (*moved != 2) return *moved != 0;
  }
  return Status::Internal("MoveToDlq: entry " + std::string(id) + " of " + std::string(stream) +
                          " kept changing");
}

Result<std::vector<ConsumerInfo>> RedisBroker::Consumers(std::string_view stream,
                                                         std::string_view group) {
  using Infos = std::vector<ConsumerInfo>;
  return pool_->Run<Infos>(RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<Infos> {
    // A missing key ("ERR no such key") or group (NOGROUP): kNotFound.
    auto reply = c.Command(RedisArgs{"XINFO", "CONSUMERS", stream, group});
    if (!reply.ok()) return reply.status();
    const redisReply* consumers = reply->get();
    if (consumers->type != REDIS_REPLY_ARRAY) return BadShape("XINFO CONSUMERS", "not an array");
    Infos out;
    out.reserve(consumers->elements);
    for (size_t i = 0; i < consumers->elements; ++i) {
      const redisReply* info = consumers->element[i];
      const auto name = Text(redis_internal::MapValue(info, "name"));
      const auto pending = redis_internal::Integer(redis_internal::MapValue(info, "pending"));
      const auto idle_ms = redis_internal::Integer(redis_internal::MapValue(info, "idle"));
      if (!name || !pending || !idle_ms) {
        return BadShape("XINFO CONSUMERS", "a consumer without name, pending and idle");
      }
      out.push_back(ConsumerInfo{std::string(*name), *pending, Millis(*idle_ms)});
    }
    return out;
  });
}

Result<ConsumerDeletion> RedisBroker::DeleteConsumer(std::string_view stream,
                                                     std::string_view group,
                                                     std::string_view consumer) {
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  const std::vector<std::string> keys = {std::string(stream)};
  const std::vector<std::string> args = {std::string(group), std::string(consumer)};
  // Idempotent: a repeated delete finds no consumer, or the same pending entries.
  return pool_->Run<ConsumerDeletion>(
      RedisRetry::kIdempotent, [&](RedisConnection& c) -> Result<ConsumerDeletion> {
        auto outcome = IntegerOf(delete_consumer_->Eval(c, keys, args), "DeleteConsumer");
        if (!outcome.ok()) return outcome.status();
        switch (*outcome) {
          case 0:
            return ConsumerDeletion::kDeleted;
          case 1:
            return ConsumerDeletion::kHasPending;
          case 2:
            return ConsumerDeletion::kNoSuchConsumer;
          default:
            return BadShape("DeleteConsumer", "not 0, 1 or 2");
        }
      });
}

}  // namespace protean
