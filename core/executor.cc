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

namespace {

void OffloadFrom(Executor& loop, std::shared_ptr<Executor::Sequence> items, size_t index) {
  if (index >= items->size()) return;
  Executor::Work work = std::move((*items)[index].first);
  loop.Offload(std::move(work), [&loop, items, index] {
    Executor::Task done = std::move((*items)[index].second);
    done();
    OffloadFrom(loop, items, index + 1);
  });
}

}  // namespace

void Executor::OffloadSequence(Sequence items) {
  OffloadFrom(*this, std::make_shared<Sequence>(std::move(items)), 0);
}

}  // namespace protean
