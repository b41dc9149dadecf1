#pragma once
// The parts of a run history's header (docs/history.md) that both the
// harness and `protean server --history` write, so the checkers read one
// form: each handler's resolved subscription settings ("subscriptions": the
// keys the checkers read, in a fixed order) and the [server.dlq] settings
// ("dlq").

#include <nlohmann/json_fwd.hpp>

#include "core/config/sections.h"
#include "core/config/subscription_config.h"
#include "core/engine/handler.h"

namespace protean {

nlohmann::ordered_json SubscriptionJson(const HandlerRegistration& handler,
                                        const SubscriptionConfig& config);
// {"enabled", "retention_hours", "alert_threshold", "check_interval_seconds"}.
nlohmann::ordered_json DlqJson(const config::DlqConfig& dlq);

}  // namespace protean
