#pragma once
// Protean's priority lanes ([server.priority_lanes], core/config/sections.h
// PriorityLanesConfig): the stream names a lane uses and the publishing rule.
//
//   primary lane   `{stream}`, its DLQ `{stream}:dlq`
//   backfill lane  `{stream}:{backfill_suffix}`, its DLQ
//                  `{stream}:{backfill_suffix}:dlq`
//                  (server/subscription/stream_subscription.py:182-186)
//
// A stream subscription reads the backfill lane only when a read of the
// primary returned nothing (core/engine/stream_subscription.h). Publishing:
// Protean's outbox processor sends a message whose priority is strictly
// below `threshold` to the backfill lane (server/outbox_processor.py:637-645);
// `protean publish --priority` and the harness's workload route the same way
// through LaneStream.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/domain_config.h"

namespace protean::config {

// `{stream}:{backfill_suffix}`, whether or not the lanes are on.
std::string BackfillStream(const PriorityLanesConfig& lanes, std::string_view stream);

// The backfill lane of `stream` when the lanes are on, else nullopt.
std::optional<std::string> BackfillLane(const PriorityLanesConfig& lanes, std::string_view stream);

// The backfill DLQ of `stream`, or nullopt when the lanes are off.
std::optional<std::string> BackfillDlqStream(const DomainConfig& config, std::string_view stream);

// Where a message of `priority` published for `stream` goes: the backfill
// lane when the lanes are on and priority < threshold
// (outbox_processor.py:640-645), else `stream` itself.
std::string LaneStream(const PriorityLanesConfig& lanes, std::string_view stream, int64_t priority);

}  // namespace protean::config
