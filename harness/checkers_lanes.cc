// priority_lanes: stream subscriptions under the declared [server.priority_lanes]
// (checkers_oracle.h DeclaredLanes), judged from where the harness published
// each message (the `published` event's stream), the deliveries the history
// shows and the DLQ streams the harness read at the end (final_dlq), never
// from the engine's lane logic:
//   - primary first: no backfill message is first delivered (a read's
//     delivery, attempt 1) to a subscription while a primary message of it,
//     published more than `window` before, had not been delivered to any of
//     its consumers yet. The window is what a correct read may miss: 0 in
//     the simulation (reads do not block), else the backfill read's block
//     (Protean caps it at 1 s, stream_subscription.py:613-614) plus the
//     clock slack. Deliveries while a fault is open are not judged (a slow
//     reply stretches a read);
//   - own DLQ: a dead-lettered message sits in the DLQ of the lane it was
//     published to (`{stream}:dlq` or `{stream}:{suffix}:dlq`,
//     stream_subscription.py:934-938);
//   - own streams: a stream subscription attempts only messages published to
//     its stream or, with the lanes declared on, to its backfill lane.

#include <algorithm>
#include <map>
#include <vector>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

constexpr int64_t kBackfillBlockMaxUs = 1'000'000;

struct LaneMessages {
  std::vector<const Published*> primary;  // in publish order
  std::vector<const Published*> backfill;
};

bool InFault(const HistoryIndex& ix, const Ev& e) {
  for (const FaultSpan& f : ix.faults()) {
    if (f.Covers(e.instance, e.index)) return true;
  }
  return false;
}

// The first `delivered` event of (sub, message), or kNone.
size_t FirstDelivery(const HistoryIndex& ix, const std::string& sub, const std::string& message) {
  for (size_t i : ix.OfPair(sub, message)) {
    if (ix.event(i).kind == "delivered") return i;
  }
  return kNone;
}

void PrimaryFirst(const HistoryIndex& ix, const SubInfo& sub, const LaneMessages& m,
                  CheckResult* r) {
  const int64_t window = ix.slack_us() == 0 ? 0 : kBackfillBlockMaxUs + ix.slack_us();
  // Each primary message's first delivery time (nullopt: never delivered).
  std::vector<std::pair<const Published*, std::optional<int64_t>>> primary;
  for (const Published* p : m.primary) {
    const size_t d = FirstDelivery(ix, sub.name, p->message_id);
    primary.emplace_back(p, d == kNone ? std::nullopt : std::optional<int64_t>(ix.event(d).t));
  }
  for (const Published* b : m.backfill) {
    for (size_t i : ix.OfPair(sub.name, b->message_id)) {
      const Ev& d = ix.event(i);
      if (d.kind != "delivered" || d.attempt != 1 || InFault(ix, d)) continue;
      for (const auto& [p, delivered] : primary) {
        if (p->t + window >= d.t) break;  // published too late to be read first
        if (delivered && *delivered <= d.t) continue;
        r->Add(ix.Where(d) + ": backfill message delivered from " + b->stream +
                   " while primary message " + p->message_id.substr(0, 8) + ", published at " +
                   ix.Rel(p->t) + ", was still unread in " + p->stream,
               {p->index, d.index});
        break;
      }
    }
  }
}

void OwnDlq(const HistoryIndex& ix, const SubInfo& sub, CheckResult* r) {
  for (size_t i : ix.OfKind("final_dlq")) {
    const Ev& e = ix.event(i);
    if (e.subscription != sub.name) continue;
    const Published* p = ix.FindPublished(e.message_id);
    if (p == nullptr || p->stream == e.stream) continue;
    if (p->stream != sub.stream && p->stream != sub.backfill_stream) continue;
    r->Add(ix.Where(e) + ": published to " + p->stream + " but dead-lettered in " + e.stream +
               ":dlq (each lane has its own DLQ)",
           {p->index, e.index});
  }
}

void OwnStreams(const HistoryIndex& ix, CheckResult* r) {
  for (size_t i : ix.OfKind("attempt_started")) {
    const Ev& e = ix.event(i);
    const SubInfo* sub = ix.subscription(e.subscription);
    if (sub == nullptr || sub->event_store) continue;
    const Published* p = ix.FindPublished(e.message_id);
    if (p == nullptr || p->event_store) continue;
    if (p->stream == sub->stream ||
        (!sub->backfill_stream.empty() && p->stream == sub->backfill_stream)) {
      continue;
    }
    r->Add(ix.Where(e) + ": attempted a message published to " + p->stream +
               ", which is not one of its streams",
           {p->index, e.index});
  }
}

}  // namespace

CheckResult Lanes(const HistoryIndex& ix) {
  CheckResult r;
  r.checker = "priority_lanes";
  OwnStreams(ix, &r);
  for (const auto& [name, sub] : ix.subscriptions()) {
    if (sub.event_store || sub.backfill_stream.empty()) continue;
    LaneMessages m;
    for (const Published& p : ix.published()) {
      if (p.event_store) continue;
      if (p.stream == sub.stream) m.primary.push_back(&p);
      if (p.stream == sub.backfill_stream) m.backfill.push_back(&p);
    }
    PrimaryFirst(ix, sub, m, &r);
    OwnDlq(ix, sub, &r);
  }
  return r;
}

}  // namespace protean::harness::internal
