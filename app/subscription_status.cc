#include "app/subscription_status.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/config/priority_lanes.h"
#include "core/engine/event_store_subscription.h"

namespace protean::cli {
namespace {

SubscriptionStatusRow BaseRow(const ResolvedHandler& r, const char* type) {
  SubscriptionStatusRow row;
  row.name = r.handler->name;
  row.handler_name = r.handler->name;
  row.subscription_type = type;
  row.stream_category = r.handler->stream;
  return row;
}

// `stream`: the handler's, or its backfill lane (`lane` its suffix).
SubscriptionStatusRow StreamRow(const ResolvedHandler& r, const StatusSources& src,
                                const std::string& stream, const std::string& lane = "") {
  SubscriptionStatusRow row = BaseRow(r, "stream");
  if (!lane.empty()) {
    row.name += "[" + lane + "]";
    row.stream_category = stream;
  }
  Broker* broker = src.broker;
  if (broker == nullptr || !broker->capabilities().consumer_groups) {
    row.note = "brokers.default has no consumer groups";
    return row;
  }
  if (src.broker_in_process) {
    row.note = "brokers.default (" + std::string(broker->provider()) +
               ") lives inside the server process; ask its /readyz";
    return row;
  }
  const std::string& group = SubscriberName(*r.handler);  // Protean's: the handler's fqn
  if (auto length = broker->Length(stream); length.ok()) {
    row.head_position = std::to_string(*length);
  }
  if (!broker->capabilities().pending) {
    // Protean's list provider: a position per group, nothing pending, no
    // consumers and no DLQ to count.
    auto lag = broker->Lag(stream, group);
    if (!lag.ok()) {
      row.note = lag.status().ToString();
    } else if (lag->has_value()) {
      row.lag = **lag;
    }
    row.status = ClassifyStatus(row.lag, 0);
    return row;
  }
  if (auto depth = broker->DlqDepth(DlqStreamName(stream)); depth.ok()) row.dlq_depth = *depth;
  auto consumers = broker->Consumers(stream, group);
  if (!consumers.ok()) {
    row.note = consumers.status().ToString();
    return row;
  }
  row.consumer_count = static_cast<int64_t>(consumers->size());
  for (const ConsumerInfo& c : *consumers) row.pending += c.pending;
  auto lag = broker->Lag(stream, group);
  if (!lag.ok()) {
    row.note = lag.status().ToString();
  } else if (!lag->has_value()) {
    row.note = "the broker cannot tell the group's lag (trimmed past it)";
  } else {
    row.lag = **lag;
  }
  row.status = ClassifyStatus(row.lag, row.pending);
  return row;
}

// Counts the category's messages after `position` (up to the cap); the last
// one's global position goes to `head`.
Result<int64_t> CountAfter(EventStore& store, const ResolvedHandler& r, int64_t position,
                           const SubscriptionConfig& config, int64_t* head) {
  CategoryRead read;
  read.position = position + 1;
  read.batch_size = 1000;
  if (config.consumer_group_size) {
    read.consumer_group =
        ConsumerGroup{config.consumer_group_member.value_or(0), *config.consumer_group_size};
  }
  int64_t count = 0;
  while (count < kEventStoreLagCountMax) {
    auto batch = store.ReadCategory(r.handler->stream, read);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    count += static_cast<int64_t>(batch->size());
    *head = batch->back().global_position;
    read.position = *head + 1;
  }
  return std::min(count, kEventStoreLagCountMax);
}

SubscriptionStatusRow EventStoreRow(const ResolvedHandler& r, const SubscriptionConfig& config,
                                    const StatusSources& src) {
  SubscriptionStatusRow row = BaseRow(r, "event_store");
  if (config.consumer_group_size) {
    row.name += "[" + std::to_string(config.consumer_group_member.value_or(0)) + "/" +
                std::to_string(*config.consumer_group_size) + "]";
  }
  if (src.event_store == nullptr) {
    row.note = "no event store";
    return row;
  }
  if (src.event_store_in_process) {
    row.note = "the event store (memory) lives inside the server process; ask its /readyz";
    return row;
  }
  auto read = ReadStoredPosition(*src.event_store,
                                 EventStorePositionStreams(*r.handler, config, src.instance));
  if (!read.ok()) {
    row.note = read.status().ToString();
    return row;
  }
  const std::optional<EventMessage> last =
      read->has_value() ? std::optional<EventMessage>((*read)->message) : std::nullopt;
  const bool stored = last.has_value();
  const int64_t current = stored ? StoredPosition(*last) : 0;
  row.current_position = stored ? std::to_string(current) : "-1";
  if (stored) row.last_updated = FormatTime(last->time);
  int64_t head = stored ? current : -1;
  auto behind = CountAfter(*src.event_store, r, current, config, &head);
  if (!behind.ok()) {
    row.note = behind.status().ToString();
    return row;
  }
  row.head_position = std::to_string(head);
  if (head < 0) {
    row.note = "the category is empty and no position is stored";
    return row;
  }
  row.lag = *behind;
  if (*behind == 0) {
    row.lag_seconds = 0.0;
  } else if (stored) {
    row.lag_seconds = std::max(0.0, ToSecondsF(src.now - last->time));
  }
  row.status = ClassifyStatus(row.lag, 0);
  return row;
}

}  // namespace

std::string ClassifyStatus(const std::optional<int64_t>& lag, int64_t pending) {
  if (!lag) return "unknown";
  return *lag == 0 && pending == 0 ? "ok" : "lagging";
}

std::vector<SubscriptionStatusRow> CollectSubscriptionStatuses(
    const std::vector<ResolvedHandler>& handlers, const StatusSources& sources) {
  std::vector<SubscriptionStatusRow> rows;
  for (const ResolvedHandler& r : handlers) {
    if (r.config.type == SubscriptionType::kStream) {
      rows.push_back(StreamRow(r, sources, r.handler->stream));
      if (auto lane = config::BackfillLane(sources.priority_lanes, r.handler->stream)) {
        rows.push_back(StreamRow(r, sources, *lane, sources.priority_lanes.backfill_suffix));
      }
      continue;
    }
    if (!r.config.consumer_group_size) {
      rows.push_back(EventStoreRow(r, r.config, sources));
      continue;
    }
    for (int64_t member = 0; member < *r.config.consumer_group_size; ++member) {
      SubscriptionConfig c = r.config;
      c.consumer_group_member = member;
      rows.push_back(EventStoreRow(r, c, sources));
    }
  }
  return rows;
}

nlohmann::json StatusRowJson(const SubscriptionStatusRow& row) {
  const auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return nlohmann::json{{"name", row.name},
                        {"handler_name", row.handler_name},
                        {"subscription_type", row.subscription_type},
                        {"stream_category", row.stream_category},
                        {"lag", opt(row.lag)},
                        {"pending", row.pending},
                        {"current_position", opt(row.current_position)},
                        {"head_position", opt(row.head_position)},
                        {"status", row.status},
                        {"consumer_count", row.consumer_count},
                        {"dlq_depth", row.dlq_depth},
                        {"last_updated", opt(row.last_updated)},
                        {"lag_seconds", opt(row.lag_seconds)},
                        {"note", row.note}};
}

}  // namespace protean::cli
