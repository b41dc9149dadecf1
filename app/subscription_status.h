#pragma once
// What `protean subscriptions status` reports per subscription, computed as
// Protean's server/subscription_status.py does, without a running engine:
// from the domain's resolved handlers and direct reads of the broker and
// the event store.
//
//  stream       the group is SubscriberName (the handler's fqn, else its name).
//               lag = the group's XINFO GROUPS lag (nullopt when Redis cannot
//               tell, e.g. after trimming past the group), pending and
//               consumers from XINFO CONSUMERS, head_position = XLEN, DLQ
//               depth = XLEN {stream}:dlq. A broker without consumer groups,
//               or one that lives in the process (inline, memory: a one-shot
//               command sees a new, empty one), or a group that does not
//               exist yet is "unknown", as in Protean. current_position is
//               not read (null). redis_pubsub (Protean's list provider): lag
//               = the list's length minus the group's position, pending 0,
//               no consumers and no DLQ.
//  event_store  current_position from the position stream the subscription
//               reads at start (EventStorePositionStreams: its own, else the
//               older name's; "-1" when none), lag = the
//               category's messages after it (counted, up to
//               kEventStoreLagCountMax: Protean subtracts global positions),
//               head_position = the last of them, last_updated = the position
//               message's time, lag_seconds as Protean: 0.0 when caught up,
//               now - last_updated when lagging. An empty category with no
//               position is "unknown" (Protean: head -1). A partitioned
//               subscription has a row per consumer-group member.
//  A memory event store, like an inline or memory broker, is "unknown"
//  with a note: its state lives in the server process.
//  status       "ok" (lag 0 and nothing pending), "lagging", "unknown".
//  A stream subscription with priority lanes on has a second row,
//  "Name[backfill]", measuring `{stream}:{backfill_suffix}` and its DLQ the
//  same way.
//
// Protean's CLI has no circuit-breaker column: the breaker is state of a
// live engine (its /readyz adds circuit_state per subscription that has
// one), which a one-shot command cannot see; neither does this.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/broker.h"
#include "core/engine/domain.h"
#include "core/event_store.h"

namespace protean::cli {

inline constexpr int64_t kEventStoreLagCountMax = 100000;

struct SubscriptionStatusRow {
  std::string name;  // the handler's name (a partition member: "Name[i/N]")
  std::string handler_name;
  std::string subscription_type;  // "stream" | "event_store"
  std::string stream_category;
  std::optional<int64_t> lag;
  int64_t pending = 0;
  std::optional<std::string> current_position;
  std::optional<std::string> head_position;
  std::string status = "unknown";
  int64_t consumer_count = 0;
  int64_t dlq_depth = 0;
  std::optional<std::string> last_updated;  // ISO-8601
  std::optional<double> lag_seconds;
  std::string note;  // why the status is unknown ("" otherwise); ours
};

struct StatusSources {
  Broker* broker = nullptr;        // brokers.default
  bool broker_in_process = false;  // inline / memory
  EventStore* event_store = nullptr;
  bool event_store_in_process = false;  // memory
  std::string instance;                 // --instance: positions of a named instance
  TimePoint now{};
  // [server.priority_lanes] enabled: each stream subscription has a second
  // row for its backfill lane, "Name[<backfill_suffix>]" (Protean's CLI
  // shows the primary stream only).
  config::PriorityLanesConfig priority_lanes;
};

std::vector<SubscriptionStatusRow> CollectSubscriptionStatuses(
    const std::vector<ResolvedHandler>& handlers, const StatusSources& sources);

// Protean's _classify_status.
std::string ClassifyStatus(const std::optional<int64_t>& lag, int64_t pending);

// SubscriptionStatus.to_dict(): Protean's keys (and ours: note).
nlohmann::json StatusRowJson(const SubscriptionStatusRow& row);

}  // namespace protean::cli
