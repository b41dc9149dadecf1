#pragma once
// The type of a DLQ alert callback (core/engine/alert_callback_registry.h,
// [server.dlq] alert_callback): called once per maintenance cycle per DLQ
// whose depth reached its threshold. A non-ok Status or an exception is
// logged and counted, never fatal.

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"

namespace protean {

using DlqAlertCallback =
    std::function<Status(const std::string& dlq_stream, int64_t depth, int64_t threshold)>;

}  // namespace protean
