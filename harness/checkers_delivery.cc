// no_loss, duplicates and scaling: who handled each message, and how often.

#include <algorithm>
#include <cstdlib>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

bool HasFinalState(const HistoryIndex& ix, const SubInfo& sub, const Published& p) {
  for (size_t i : ix.OfPair(sub.name, p.message_id)) {
    const Ev& e = ix.event(i);
    if (IsHandled(e) || e.kind == "dlq_moved" || e.kind == "final_pending") return true;
  }
  return !sub.event_store && ix.InFinalDlq(p.stream, p.message_id);
}

bool WasDelivered(const HistoryIndex& ix, const std::string& sub, const std::string& message) {
  for (size_t i : ix.OfPair(sub, message)) {
    const std::string& k = ix.event(i).kind;
    if (k == "delivered" || k == "attempt_started" || k == "claimed") return true;
  }
  return false;
}

// The events of one (subscription, message), its publish first.
std::vector<size_t> Trail(const HistoryIndex& ix, const Published& p, const std::string& sub) {
  std::vector<size_t> out = {p.index};
  for (size_t i : ix.OfPair(sub, p.message_id)) out.push_back(i);
  return out;
}

// An `acked` must follow this instance's own ok handling or drop of the message.
void CheckAcks(const HistoryIndex& ix, CheckResult* out) {
  for (size_t a : ix.OfKind("acked")) {
    const Ev& ack = ix.event(a);
    if (!ack.message_id_given) continue;  // a deleted entry: acked with nothing to handle
    bool handled = false;
    for (size_t i : ix.OfPair(ack.subscription, ack.message_id)) {
      if (i >= a) break;
      const Ev& e = ix.event(i);
      handled = handled || (e.instance == ack.instance && IsHandled(e));
    }
    if (!handled) {
      std::vector<size_t> about = {a};
      if (const Published* p = ix.FindPublished(ack.message_id)) {
        about = Trail(ix, *p, ack.subscription);
      }
      out->Add(ix.Where(ack) + ": acked without a successful handling or drop by " + ack.instance +
                   " (the message is lost)",
               std::move(about));
    }
  }
}

// Stream subscriptions: a handling beyond the first needs a redelivery: a
// claim, or a lost ack / crash / drain cut-off that left the earlier handling
// unacked.
bool EarlierHandlingUnacked(const HistoryIndex& ix, const Ev& prev, const Ev& next) {
  for (const FaultSpan& w : ix.faults()) {
    if (w.kind != "lost_ack" || w.start >= next.index) continue;
    if (!w.instance.empty() && w.instance != prev.instance) continue;
    if (w.end == kNone || w.end > prev.index) return true;
  }
  size_t acked = next.index;
  for (size_t i : ix.OfPair(prev.subscription, prev.message_id)) {
    const Ev& e = ix.event(i);
    if (i > prev.index && e.kind == "acked" && e.instance == prev.instance) {
      acked = std::min(acked, i);
      break;
    }
  }
  for (size_t i : ix.OfInstance(prev.instance)) {
    if (i <= prev.index || i >= acked) continue;
    const Ev& e = ix.event(i);
    if (e.kind == "crashed") return true;
    if (e.kind == "shutdown_step" && e.detail.rfind("drain_timeout", 0) == 0) return true;
  }
  return false;
}

// Each successful handling by an instance uses up one acquisition of the
// entry by that instance: the first delivery of the entry, or a claim.
void StreamDuplicates(const HistoryIndex& ix, const std::vector<size_t>& pair,
                      DuplicateCount* out) {
  std::vector<size_t> oks;
  std::vector<size_t> acquisitions;
  for (size_t i : pair) {
    const Ev& e = ix.event(i);
    if (IsOk(e)) oks.push_back(i);
    const bool first =
        acquisitions.empty() && (e.kind == "delivered" || e.kind == "attempt_started");
    if (first || e.kind == "claimed") acquisitions.push_back(i);
  }
  if (oks.size() < 2) return;
  out->extras += static_cast<int64_t>(oks.size()) - 1;
  out->extra_handlings.insert(out->extra_handlings.end(), oks.begin() + 1, oks.end());
  std::vector<bool> used(acquisitions.size(), false);
  for (size_t k = 0; k < oks.size(); ++k) {
    const Ev& ok = ix.event(oks[k]);
    bool acquired = false;
    for (size_t a = acquisitions.size(); a-- > 0 && !acquired;) {
      const Ev& acq = ix.event(acquisitions[a]);
      if (used[a] || acq.index > ok.index || acq.instance != ok.instance) continue;
      used[a] = acquired = true;
    }
    if (acquired || k == 0) continue;
    const Ev& prev = ix.event(oks[k - 1]);
    if (EarlierHandlingUnacked(ix, prev, ok)) continue;
    out->violations.push_back(ix.Where(ok) + ": handled successfully again (handling " +
                              std::to_string(k + 1) + ", the previous one by " + prev.instance +
                              " at " + ix.Rel(prev.t) +
                              ") without a claim, lost ack, crash or drain cut-off");
    out->events.push_back({prev.index, ok.index});
  }
}

// Event store: per instance; again only in a later run whose start re-read
// an older position (a crash, or a failed position write / read).
bool RestartJustifies(const HistoryIndex& ix, const Run* before, const Run* now,
                      const std::string& sub) {
  if (before == nullptr || now == nullptr || before == now) return false;
  if (before->crashed != kNone) return true;
  for (size_t i : ix.OfInstance(before->instance)) {
    const Ev& e = ix.event(i);
    if (e.kind != "error" || e.subscription != sub) continue;
    if (before->Contains(i) && e.detail.rfind("write position", 0) == 0) return true;
    if (now->Contains(i) && e.detail.rfind("read position", 0) == 0) return true;
  }
  return false;
}

// The highest position `instance` stored for `sub` before run `now` began
// (its restarted reader resumes after it), or 0.
int64_t StoredBefore(const HistoryIndex& ix, const std::string& instance, const std::string& sub,
                     const Run* now) {
  if (now == nullptr) return 0;
  int64_t stored = 0;
  for (size_t i : ix.OfKind("position_written")) {
    const Ev& e = ix.event(i);
    if (i >= now->start) break;
    if (e.instance == instance && e.subscription == sub) stored = std::max(stored, e.value);
  }
  return stored;
}

void EventStoreDuplicates(const HistoryIndex& ix, const SubInfo& sub,
                          const std::vector<size_t>& pair, DuplicateCount* out) {
  std::map<std::string, std::vector<size_t>> oks_by_instance;
  for (size_t i : pair) {
    if (IsOk(ix.event(i))) oks_by_instance[ix.event(i).instance].push_back(i);
  }
  for (const auto& [instance, oks] : oks_by_instance) {
    out->extras += static_cast<int64_t>(oks.size()) - 1;
    out->extra_handlings.insert(out->extra_handlings.end(), oks.begin() + 1, oks.end());
    for (size_t k = 1; k < oks.size(); ++k) {
      const Ev& prev = ix.event(oks[k - 1]);
      const Ev& ok = ix.event(oks[k]);
      // A recovery retry (attempt 2 and up) of a failed position that was
      // also read and handled again after a crash between its record and the
      // stored position: at-least-once, as in Protean
      // (event_store_subscription.py:590-596).
      if (sub.config.recovers() && (ok.attempt > 1 || prev.attempt > 1)) continue;
      const Run* before = ix.RunAt(instance, prev.index);
      const Run* now = ix.RunAt(instance, ok.index);
      const int64_t stored = StoredBefore(ix, instance, ok.subscription, now);
      const Published* p = ix.FindPublished(ok.message_id);
      const int64_t position = p != nullptr ? std::atoll(p->entry_id.c_str()) : 0;
      if (position > 0 && position <= stored) {
        out->violations.push_back(ix.Where(ok) +
                                  ": handled again after a restart at global position " +
                                  std::to_string(position) + ", which the stored position " +
                                  std::to_string(stored) + " already covers");
        out->events.push_back({prev.index, ok.index});
        continue;
      }
      if (RestartJustifies(ix, before, now, ok.subscription)) continue;
      const bool same_run = before != nullptr && before == now;
      out->violations.push_back(
          ix.Where(ok) + ": handled successfully again (previously at " + ix.Rel(prev.t) + ") " +
          (same_run ? "within one run" : "after a restart that kept its stored position"));
      out->events.push_back({prev.index, ok.index});
    }
  }
}

}  // namespace

DuplicateCount AnalyzeDuplicates(const HistoryIndex& ix) {
  DuplicateCount out;
  for (const auto& [key, pair] : ix.pairs()) {
    const SubInfo* sub = ix.subscription(key.first);
    if (sub != nullptr && sub->event_store) {
      EventStoreDuplicates(ix, *sub, pair, &out);
    } else {
      StreamDuplicates(ix, pair, &out);
    }
  }
  return out;
}

CheckResult NoLoss(const HistoryIndex& ix) {
  CheckResult r{"no_loss", {}, {}};
  for (const Published& p : ix.published()) {
    for (const std::string& name : p.subscriptions) {
      const SubInfo& sub = *ix.subscription(name);
      if (!ix.SubscriptionRan(name) || HasFinalState(ix, sub, p)) continue;
      if (sub.event_store) {
        // Nobody left to read it: it waits in the store.
        if (!ix.CoveredAtEnd(name)) continue;
        r.Add(ix.Where(p.t, "", name, p.message_id) + ": published to " + p.stream +
                  " but never handled or dropped by any instance",
              Trail(ix, p, name));
        continue;
      }
      // Never read and nobody left to read it: it waits in the stream.
      if (!WasDelivered(ix, name, p.message_id) && ix.AliveAtEnd(name).empty()) continue;
      r.Add(ix.Where(p.t, "", name, p.message_id) + ": published to " + p.stream +
                " but never handled, dead-lettered, dropped nor pending at the end",
            Trail(ix, p, name));
    }
  }
  CheckAcks(ix, &r);
  return r;
}

CheckResult Duplicates(const HistoryIndex& ix) {
  DuplicateCount d = AnalyzeDuplicates(ix);
  CheckResult r{"duplicates", std::move(d.violations), std::move(d.events)};
  // A missed count is about every extra handling.
  const std::pair<const char*, char> bounds[] = {{"duplicates_max", '<'}, {"duplicates_min", '>'}};
  for (const auto& [key, relation] : bounds) {
    const size_t before = r.violations.size();
    ExpectCount(ix, key, d.extras, relation, &r.violations);
    if (r.violations.size() > before) {
      r.events.resize(before);
      r.events.push_back(d.extra_handlings);
    }
  }
  return r;
}

}  // namespace protean::harness::internal
