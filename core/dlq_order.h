#pragma once
// The order of Broker::DlqList, and of `protean dlq list` across DLQs:
// newest last failure first, then the higher DLQ id.

#include "core/broker.h"

namespace protean {

bool DlqNewerFirst(const DlqEntry& a, const DlqEntry& b);

}  // namespace protean
