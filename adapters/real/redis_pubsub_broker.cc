#include "adapters/real/redis_pubsub_broker.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "adapters/real/redis_connection.h"
#include "adapters/real/redis_pool.h"
#include "adapters/real/redis_reply.h"

namespace protean {
namespace {

using redis_internal::Text;

Status FanOutOnly(std::string_view operation) {
  return Status::InvalidArgument(
      std::string(operation) +
      ": redis_pubsub is fan-out only: no consumer groups, pending lists or DLQ");
}

// ["message", channel, payload] or ["pmessage", pattern, channel, payload];
// nullopt for anything else (subscribe confirmations, pongs).
std::optional<PubSubMessage> AsMessage(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return std::nullopt;
  const auto kind = Text(reply->element[0]);
  if (kind == std::string_view("message") && reply->elements == 3) {
    const auto channel = Text(reply->element[1]);
    const auto payload = Text(reply->element[2]);
    if (channel && payload) return PubSubMessage{std::string(*channel), std::string(*payload)};
  }
  if (kind == std::string_view("pmessage") && reply->elements == 4) {
    const auto channel = Text(reply->element[2]);
    const auto payload = Text(reply->element[3]);
    if (channel && payload) return PubSubMessage{std::string(*channel), std::string(*payload)};
  }
  return std::nullopt;
}

}  // namespace

// ---- payload codec ----

Result<std::string> EncodePubSubPayload(const Fields& fields) {
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (const auto& [name, value] : fields) {
    if (object.contains(name)) {
      return Status::InvalidArgument("redis_pubsub publishes a JSON object: field '" + name +
                                     "' appears twice");
    }
    object[name] = value;
  }
  try {
    return object.dump();
  } catch (const nlohmann::json::exception&) {
    return Status::InvalidArgument(
        "redis_pubsub publishes a JSON object: field names and values must be UTF-8");
  }
}

Result<Fields> DecodePubSubPayload(std::string_view payload) {
  const auto object = nlohmann::ordered_json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) {
    return Status::InvalidArgument("redis_pubsub payload is not a JSON object");
  }
  Fields fields;
  for (const auto& [name, value] : object.items()) {
    if (!value.is_string()) {
      return Status::InvalidArgument("redis_pubsub payload field '" + name + "' is not a string");
    }
    fields.emplace_back(name, value.get<std::string>());
  }
  return fields;
}

// ---- RedisSubscriber ----

RedisSubscriber::RedisSubscriber(std::unique_ptr<RedisConnection> connection)
    : connection_(std::move(connection)) {}

RedisSubscriber::~RedisSubscriber() = default;  // closing the socket unsubscribes

Result<std::optional<PubSubMessage>> RedisSubscriber::Receive(Duration timeout) {
  using Out = std::optional<PubSubMessage>;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left =
        std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    auto reply = connection_->ReadReply(std::max(left, Duration(0)));
    if (!reply.ok()) return reply.status();
    if (!reply->has_value()) return Out();
    if (auto message = AsMessage((*reply)->get())) return Out(std::move(*message));
    if ((**reply)->type == REDIS_REPLY_ERROR) {
      return RedisStatus(nullptr, (**reply).get(), "SUBSCRIBE");
    }
    // A confirmation or pong: keep waiting for a message.
  }
}

// ---- RedisPubSubBroker ----

RedisPubSubBroker::RedisPubSubBroker(const Clock& clock, RedisOptions options)
    : clock_(clock), pool_(std::make_unique<RedisPool>(std::move(options))) {}

RedisPubSubBroker::~RedisPubSubBroker() { Close(); }

BrokerCapabilities RedisPubSubBroker::capabilities() const {
  BrokerCapabilities caps;
  caps.persistent = false;
  caps.consumer_groups = false;
  caps.dlq = false;
  caps.blocking_reads = false;
  return caps;
}

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

std::string RedisPubSubBroker::NextId() {
  const auto now_ms = static_cast<uint64_t>(std::max<int64_t>(ToMillis(clock_.Now()), 0));
  MutexLock lock(&id_mu_);
  if (now_ms > last_id_.ms) {
    last_id_ = {now_ms, 0};
  } else if (last_id_.seq != std::numeric_limits<uint64_t>::max()) {
    ++last_id_.seq;
  } else {
    last_id_ = {last_id_.ms + 1, 0};
  }
  return last_id_.ToString();
}

Result<int64_t> RedisPubSubBroker::PublishCounted(std::string_view channel, const Fields& fields) {
  if (fields.empty()) return Status::InvalidArgument("PUBLISH needs at least one field");
  auto payload = EncodePubSubPayload(fields);
  if (!payload.ok()) return payload.status();
  return pool_->Run<int64_t>(RedisRetry::kNotIdempotent,
                             [&](RedisConnection& c) -> Result<int64_t> {
                               auto reply = c.Command(RedisArgs{"PUBLISH", channel, *payload});
                               if (!reply.ok()) return reply.status();
                               const auto receivers = redis_internal::Integer(reply->get());
                               if (!receivers)
                                 return redis_internal::BadShape("PUBLISH", "not an integer");
                               return *receivers;
                             });
}

Result<std::string> RedisPubSubBroker::Publish(std::string_view stream, const Fields& fields) {
  auto receivers = PublishCounted(stream, fields);
  if (!receivers.ok()) return receivers.status();
  return NextId();
}

Result<std::unique_ptr<RedisSubscriber>> RedisPubSubBroker::Subscribe(
    const std::vector<std::string>& channels) {
  PROTEAN_RETURN_IF_ERROR(CheckOpen());
  if (channels.empty()) return Status::InvalidArgument("SUBSCRIBE needs at least one channel");
  auto connection = RedisConnection::Open(pool_->options());
  if (!connection.ok()) return connection.status();
  RedisArgs subscribe{"SUBSCRIBE"};
  for (const std::string& channel : channels) subscribe.Add(channel);
  PROTEAN_RETURN_IF_ERROR((*connection)->Send({subscribe}));
  // One ["subscribe", channel, n] per channel, within the socket timeout.
  for (size_t confirmed = 0; confirmed < channels.size(); ++confirmed) {
    auto reply = (*connection)->ReadReply(pool_->options().socket_timeout);
    if (!reply.ok()) return reply.status();
    if (!reply->has_value()) return Status::Timeout("SUBSCRIBE: no confirmation from Redis");
    const redisReply* confirmation = (*reply)->get();
    if (confirmation->type == REDIS_REPLY_ERROR) {
      return RedisStatus(nullptr, confirmation, "SUBSCRIBE");
    }
    if (confirmation->type != REDIS_REPLY_ARRAY || confirmation->elements != 3 ||
        Text(confirmation->element[0]) != std::string_view("subscribe")) {
      return redis_internal::BadShape("SUBSCRIBE", "not a subscribe confirmation");
    }
  }
  return std::unique_ptr<RedisSubscriber>(new RedisSubscriber(std::move(connection).value()));
}

// ---- fan-out only ----

Status RedisPubSubBroker::CreateGroup(std::string_view, std::string_view, GroupStart) {
  return FanOutOnly("CreateGroup");
}
Result<std::vector<StreamEntry>> RedisPubSubBroker::ReadNew(std::string_view, std::string_view,
                                                            std::string_view, int, Duration) {
  return FanOutOnly("ReadNew");
}
Result<std::vector<StreamEntry>> RedisPubSubBroker::ReadPending(std::string_view, std::string_view,
                                                                std::string_view, std::string_view,
                                                                int) {
  return FanOutOnly("ReadPending");
}
Result<int64_t> RedisPubSubBroker::Ack(std::string_view, std::string_view,
                                       const std::vector<std::string>&) {
  return FanOutOnly("Ack");
}
Result<std::vector<PendingEntry>> RedisPubSubBroker::Pending(std::string_view, std::string_view,
                                                             std::string_view, int) {
  return FanOutOnly("Pending");
}
Result<ClaimResult> RedisPubSubBroker::AutoClaim(std::string_view, std::string_view,
                                                 std::string_view, Duration, std::string_view,
                                                 int) {
  return FanOutOnly("AutoClaim");
}
Result<std::optional<StreamEntry>> RedisPubSubBroker::Redeliver(std::string_view, std::string_view,
                                                                std::string_view,
                                                                std::string_view) {
  return FanOutOnly("Redeliver");
}

Result<int64_t> RedisPubSubBroker::Release(std::string_view, std::string_view, std::string_view,
                                           const std::vector<std::pair<std::string, int64_t>>&) {
  return FanOutOnly("Release");
}

Result<int64_t> RedisPubSubBroker::Touch(std::string_view, std::string_view, std::string_view,
                                         const std::vector<std::string>&) {
  return FanOutOnly("Touch");
}
Result<std::vector<StreamEntry>> RedisPubSubBroker::Range(std::string_view, std::string_view,
                                                          std::string_view, int) {
  return FanOutOnly("Range (no persistence)");
}
Result<int64_t> RedisPubSubBroker::Delete(std::string_view, const std::vector<std::string>&) {
  return FanOutOnly("Delete (no persistence)");
}
Result<int64_t> RedisPubSubBroker::DeleteStream(std::string_view) {
  return FanOutOnly("DeleteStream (no persistence)");
}
Result<int64_t> RedisPubSubBroker::Trim(std::string_view, const TrimSpec&) {
  return FanOutOnly("Trim (no persistence)");
}
Result<int64_t> RedisPubSubBroker::Length(std::string_view) {
  return FanOutOnly("Length (no persistence)");
}
Result<std::optional<int64_t>> RedisPubSubBroker::Lag(std::string_view, std::string_view) {
  return FanOutOnly("Lag");
}
Result<bool> RedisPubSubBroker::MoveToDlq(std::string_view, std::string_view, std::string_view,
                                          const DlqMetadata&) {
  return FanOutOnly("MoveToDlq");
}
Result<std::vector<DlqEntry>> RedisPubSubBroker::DlqList(std::string_view, size_t) {
  return FanOutOnly("DlqList");
}
Result<DlqEntry> RedisPubSubBroker::DlqInspect(std::string_view, std::string_view) {
  return FanOutOnly("DlqInspect");
}
Result<std::string> RedisPubSubBroker::DlqReplay(std::string_view, std::string_view) {
  return FanOutOnly("DlqReplay");
}
Result<int64_t> RedisPubSubBroker::DlqReplayAll(std::string_view) {
  return FanOutOnly("DlqReplayAll");
}
Result<int64_t> RedisPubSubBroker::DlqPurge(std::string_view) { return FanOutOnly("DlqPurge"); }
Result<int64_t> RedisPubSubBroker::DlqTrimOlderThan(std::string_view, TimePoint) {
  return FanOutOnly("DlqTrimOlderThan");
}
Result<int64_t> RedisPubSubBroker::DlqDepth(std::string_view) { return FanOutOnly("DlqDepth"); }

}  // namespace protean
