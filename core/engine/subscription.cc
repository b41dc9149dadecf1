#include "core/engine/subscription.h"

#include <algorithm>

namespace protean {

Duration IdlePollDelay(const SubscriptionDeps& deps, int empty_reads) {
  Duration d = deps.idle_poll;
  for (int i = 1; i < empty_reads && d < deps.idle_poll_max; ++i) d *= 2;
  return std::min(d, std::max(deps.idle_poll, deps.idle_poll_max));
}

void Report(const SubscriptionDeps& deps, EngineEvent event) {
  if (deps.observer == nullptr) return;
  if (event.at == TimePoint{}) event.at = deps.loop->Now();  // unless stamped already
  event.instance = deps.instance;
  deps.observer->OnEngineEvent(event);
}

}  // namespace protean
