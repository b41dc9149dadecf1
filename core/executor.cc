#include "core/executor.h"

namespace protean {
namespace {

thread_local Duration charged_cost{0};

}  // namespace

void ChargeWorkCost(Duration d) {
  if (d > Duration::zero()) charged_cost += d;
}

Duration TakeChargedWorkCost() {
  const Duration d = charged_cost;
  charged_cost = Duration{0};
  return d;
}

}  // namespace protean
