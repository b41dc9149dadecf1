#include "harness/workload.h"

#include "core/config/priority_lanes.h"
#include "core/engine/message.h"
#include "harness/history_recorder.h"
#include "harness/world.h"

namespace protean::harness {
namespace {

constexpr int kPublishTriesMax = 200;
constexpr Duration kPublishRetryEvery = Millis(100);

}  // namespace

Workload::Workload(const std::vector<WorkloadItem>& items, Prng& plan_prng) {
  for (const WorkloadItem& w : items) {
    int64_t t = w.at_ms.Draw(plan_prng);
    for (int64_t n = 0; n < w.count; ++n) {
      if (n > 0) t += w.interval_ms.Draw(plan_prng);
      plan_.push_back(Publish{t, &w, n});
    }
  }
  unpublished_ = static_cast<int64_t>(plan_.size());
}

// Ids are drawn here, in plan order, not when each publish runs: publishes
// due at one instant run in a seeded order (the simulator reorders), and the
// n-th message of an item must carry the same id in every mode (the
// differential run compares per message id).
void Workload::Schedule(World& world, HistoryRecorder& recorder) {
  for (const Publish& p : plan_) {
    const std::string id = p.item->id.empty() ? world.NextMessageId() : p.item->id;
    world.loop().PostAt(world.At(p.at_ms), [this, &world, &recorder, p, id] {
      TryPublish(world, recorder, p, id, 1);
    });
  }
}

void Workload::TryPublish(World& world, HistoryRecorder& recorder, const Publish& p,
                          const std::string& id, int tries) {
  const WorkloadItem& w = *p.item;
  const TimePoint now = world.clock().Now();
  const EngineAdapters adapters = world.domain().adapters();
  const std::string payload =
      w.payloads.empty() ? "{}" : w.payloads[static_cast<size_t>(p.n) % w.payloads.size()];
  Status failed = Status::Ok();
  if (w.event_store) {
    NewEventMessage m;
    m.id = id;
    m.stream_name = w.streams > 1 ? world.Stream(w.stream) + "-" + std::to_string(p.n % w.streams)
                                  : world.Stream(w.stream);
    m.type = w.type;
    m.data = payload;
    Result<int64_t> r = adapters.event_store->Write(m, std::nullopt);
    if (r.ok()) {
      auto last = adapters.event_store->LastMessage(m.stream_name, std::nullopt);
      const std::string gp =
          last.ok() && last->has_value() ? std::to_string((*last)->global_position) : "";
      recorder.Published(now, m.stream_name, true, id, gp, w.type, payload);
    } else {
      failed = Status(r.status().code(), "event store write failed: " + r.status().ToString());
    }
  } else {
    Fields fields = w.undecodable ? Fields{{"id", id}, {"data", "{}"}}
                                  : EncodeMessageFields(id, w.type, payload);
    std::string stream = world.Stream(w.stream);
    if (w.priority) {
      // As `protean publish --priority` and Protean's outbox route it.
      MessageMetadata meta;
      meta.id = id;
      meta.type = w.type;
      meta.kind = "EVENT";
      meta.priority = *w.priority;
      Result<Fields> encoded = EncodeMessageFields(meta, payload);
      PROTEAN_CHECK(encoded.ok());  // payloads are JSON objects (checked at load)
      fields = std::move(*encoded);
      stream =
          config::LaneStream(world.domain().config().server.priority_lanes, stream, *w.priority);
    }
    Result<std::string> r = adapters.broker("default")->Publish(stream, fields);
    if (r.ok()) {
      recorder.Published(now, stream, false, id, *r, w.undecodable ? "" : w.type,
                         w.undecodable ? "{}" : payload);
    } else {
      failed = Status(r.status().code(), "broker publish failed: " + r.status().ToString());
    }
  }
  if (failed.ok()) {
    --unpublished_;
    return;
  }
  if (tries >= kPublishTriesMax) throw ServiceUnavailable(failed.message());
  world.loop().PostAfter(kPublishRetryEvery, [this, &world, &recorder, p, id, tries] {
    TryPublish(world, recorder, p, id, tries + 1);
  });
}

}  // namespace protean::harness
