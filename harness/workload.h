#pragma once
// The workload of a run: what is published when. Planned before the run from
// the planning PRNG (each [[workload]] item's at_ms, then its intervals, in
// file order), published from loop tasks through the world's own adapters
// (never an instance's), each publish recorded as `published`.

#include <cstdint>
#include <vector>

#include "core/runtime/prng.h"
#include "harness/scenario.h"

namespace protean::harness {

class HistoryRecorder;
class World;

class Workload {
 public:
  Workload(const std::vector<WorkloadItem>& items, Prng& plan_prng);

  // Posts one task per message on the world's loop. `world` and `recorder`
  // must outlive the tasks.
  void Schedule(World& world, HistoryRecorder& recorder);
  // Messages planned and not yet published.
  int64_t unpublished() const { return unpublished_; }

 private:
  struct Publish {
    int64_t at_ms = 0;
    const WorkloadItem* item = nullptr;
    int64_t n = 0;  // index within the item
  };
  // Throws ServiceUnavailable when the backend refuses the publish.
  // One try; a failure is tried again kPublishRetryEvery later, up to
  // kPublishTriesMax tries (a service restarting under a fault), then the
  // run stops with ServiceUnavailable.
  void TryPublish(World& world, HistoryRecorder& recorder, const Publish& p, const std::string& id,
                  int tries);

  std::vector<Publish> plan_;
  int64_t unpublished_ = 0;
};

}  // namespace protean::harness
