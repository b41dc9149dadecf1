#pragma once
// Protean's priority lanes as far as the DLQ tools need them: with
// `[server.priority_lanes] enabled = true` a stream's backfill lane
// `{stream}:{backfill_suffix}` (suffix default "backfill") has its own DLQ,
// `{stream}:{backfill_suffix}:dlq` (Protean: utils/dlq.py
// discover_subscriptions, server/subscription/stream_subscription.py:
// 182-186). This engine does not run the lanes (UNSUPPORTED_KEY), but a
// Protean server next to it writes those DLQs, so `protean dlq` searches
// them.

#include <optional>
#include <string>
#include <string_view>

#include "core/config/domain_config.h"

namespace protean::config {

// The backfill DLQ of `stream`, or nullopt when the lanes are off.
std::optional<std::string> BackfillDlqStream(const DomainConfig& config, std::string_view stream);

}  // namespace protean::config
