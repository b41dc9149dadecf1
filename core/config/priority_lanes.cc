#include "core/config/priority_lanes.h"

namespace protean::config {

std::string BackfillStream(const PriorityLanesConfig& lanes, std::string_view stream) {
  return std::string(stream) + ":" + lanes.backfill_suffix;
}

std::optional<std::string> BackfillLane(const PriorityLanesConfig& lanes, std::string_view stream) {
  if (!lanes.enabled) return std::nullopt;
  return BackfillStream(lanes, stream);
}

std::optional<std::string> BackfillDlqStream(const DomainConfig& config, std::string_view stream) {
  std::optional<std::string> lane = BackfillLane(config.server.priority_lanes, stream);
  if (!lane) return std::nullopt;
  return *lane + ":dlq";
}

std::string LaneStream(const PriorityLanesConfig& lanes, std::string_view stream,
                       int64_t priority) {
  if (lanes.enabled && static_cast<double>(priority) < lanes.threshold) {
    return BackfillStream(lanes, stream);
  }
  return std::string(stream);
}

}  // namespace protean::config
