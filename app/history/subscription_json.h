#pragma once
// The resolved subscription settings as a run history's header lists them
// (docs/history.md, "subscriptions"): one JSON object per handler, the keys
// the harness's checkers read (type, stream, retries and backoff, DLQ, claim
// idle, positions, partitioning, profile), in a fixed order. Written by
// `protean server --history`; the harness writes the same object.

#include <nlohmann/json_fwd.hpp>

#include "core/config/subscription_config.h"
#include "core/engine/handler.h"

namespace protean {

nlohmann::ordered_json SubscriptionJson(const HandlerRegistration& handler,
                                        const SubscriptionConfig& config);

}  // namespace protean
