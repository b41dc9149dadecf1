// scaling: one consumer per stream message, claims only from consumers that
// stopped touching their entries, every / exactly one event-store reader per
// message, and the spread of stream work over the instances.

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

// A stream entry reaches one consumer of the group; another instance may
// only work on it after claiming it.
void OneConsumer(const HistoryIndex& ix, const std::vector<size_t>& pair,
                 std::vector<std::string>* out) {
  std::set<std::string> owners;
  std::set<std::string> reported;
  for (size_t i : pair) {
    const Ev& e = ix.event(i);
    if (e.instance.empty()) continue;
    if (e.kind == "claimed") {
      owners.insert(e.instance);
      continue;
    }
    if (e.kind != "delivered" && e.kind != "attempt_started" && !IsOk(e)) continue;
    if (owners.empty()) owners.insert(e.instance);
    if (owners.count(e.instance) > 0 || !reported.insert(e.instance).second) continue;
    out->push_back(ix.Where(e) + ": " + e.kind + " on " + e.instance + " as well as on " +
                   *owners.begin() + " without claiming it (one consumer per stream message)");
  }
}

// A live consumer touches the entries it holds every claim_idle / 4, so only
// the entries of a consumer that died, stopped, lost the broker or finished
// them (a lost ack) are ever idle long enough to be claimed. A claim from one
// that was alive, connected and still working on the entry is a missed
// heartbeat (or a claim bound shorter than declared).
bool ClaimJustified(const HistoryIndex& ix, const SubInfo& sub, const Ev& claim,
                    const std::string& holder, size_t holder_last) {
  const Run* run = ix.RunAt(holder, holder_last);
  if (run == nullptr) return true;
  if (run->end != kNone && run->end < claim.index) return true;  // crashed, stopped or restarted
  if (run->signal != kNone && run->signal < claim.index) return true;  // stopping: left pending
  const int64_t idle_us = static_cast<int64_t>(sub.config.claim_idle_seconds * 1e6);
  for (const auto& w : ix.faults()) {
    const bool broker = w.kind == "broker_unavailable" || w.kind == "connection_reset" ||
                        w.kind == "slow_replies" || w.kind == "lost_ack";
    if (w.kind == "clock_jump" && w.start < claim.index) return true;
    if (!broker || (!w.instance.empty() && w.instance != holder) || w.start > claim.index) continue;
    const int64_t end = w.end == kNone ? ix.end_us() : ix.event(w.end).t;
    if (end + idle_us + ix.slack_us() >= claim.t) return true;
  }
  return false;
}

void ClaimsFromTheDead(const HistoryIndex& ix, const SubInfo& sub, const std::vector<size_t>& pair,
                       std::vector<std::string>* out) {
  std::string holder;
  size_t holder_last = kNone;
  bool finished = false;  // the holder handled, dropped or dead-lettered it
  for (size_t i : pair) {
    const Ev& e = ix.event(i);
    if (e.instance.empty()) continue;
    if (e.kind == "claimed") {
      if (!holder.empty() && holder != e.instance && !finished &&
          !ClaimJustified(ix, sub, e, holder, holder_last)) {
        out->push_back(ix.Where(e) + ": claimed from " + holder +
                       ", which was running, connected and still held it (claim_idle_seconds " +
                       std::to_string(sub.config.claim_idle_seconds) + ")");
      }
      holder = e.instance;
      holder_last = i;
      finished = false;
      continue;
    }
    if (e.kind == "delivered" || e.kind == "attempt_started") {
      if (holder != e.instance) finished = false;
      holder = e.instance;
      holder_last = i;
    }
    if (e.instance == holder && (IsHandled(e) || e.kind == "dlq_moved" || e.kind == "acked")) {
      finished = true;
    }
  }
}

// Instances that read the whole category, started with the run and never
// stopped, see every message of it.
void Unpartitioned(const HistoryIndex& ix, const SubInfo& sub, std::vector<std::string>* out) {
  for (const auto& [instance, runs] : ix.runs()) {
    if (ix.partition(instance) || !ix.FullLife(instance)) continue;
    if (runs[0].subscriptions.count(sub.name) == 0) continue;
    for (const Published& p : ix.published()) {
      if (std::find(p.subscriptions.begin(), p.subscriptions.end(), sub.name) ==
          p.subscriptions.end()) {
        continue;
      }
      bool handled = false;
      for (size_t i : ix.OfPair(sub.name, p.message_id)) {
        handled = handled || (ix.event(i).instance == instance && IsHandled(ix.event(i)));
      }
      if (!handled) {
        out->push_back(ix.Where(p.t, instance, sub.name, p.message_id) + ": never handled by " +
                       instance + ", which reads the whole category " + sub.stream);
      }
    }
  }
}

// Consumer-group members partition the category: one member per message.
void Partitioned(const HistoryIndex& ix, const SubInfo& sub, std::vector<std::string>* out) {
  bool any = false;
  for (const auto& [instance, runs] : ix.runs()) {
    if (!ix.partition(instance)) continue;
    for (const Run& r : runs) any = any || r.subscriptions.count(sub.name) > 0;
  }
  if (!any) return;
  std::set<int64_t> members_alive;
  int64_t size = 0;
  for (const std::string& instance : ix.AliveAtEnd(sub.name)) {
    if (std::optional<Partition> p = ix.partition(instance)) {
      members_alive.insert(p->member);
      size = p->size;
    }
  }
  const bool all_members = size > 0 && static_cast<int64_t>(members_alive.size()) >= size;
  for (const Published& p : ix.published()) {
    if (std::find(p.subscriptions.begin(), p.subscriptions.end(), sub.name) ==
        p.subscriptions.end()) {
      continue;
    }
    std::map<int64_t, std::string> members;  // member -> an instance that handled it
    for (size_t i : ix.OfPair(sub.name, p.message_id)) {
      const Ev& e = ix.event(i);
      std::optional<Partition> part = ix.partition(e.instance);
      if (part && IsHandled(e)) members.emplace(part->member, e.instance);
    }
    if (members.size() > 1) {
      out->push_back(ix.Where(p.t, "", sub.name, p.message_id) + ": handled by " +
                     members.begin()->second + " (member " +
                     std::to_string(members.begin()->first) + ") and " +
                     std::next(members.begin())->second + " (member " +
                     std::to_string(std::next(members.begin())->first) +
                     "): a partitioned message belongs to exactly one member");
    } else if (members.empty() && all_members) {
      out->push_back(ix.Where(p.t, "", sub.name, p.message_id) +
                     ": handled by no consumer-group member");
    }
  }
}

}  // namespace

std::vector<std::string> SpreadShortfalls(const HistoryIndex& ix, double fraction) {
  std::set<std::pair<std::string, std::string>> all;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> by_instance;
  for (const auto& [key, pair] : ix.pairs()) {
    const SubInfo* sub = ix.subscription(key.first);
    if (sub == nullptr || sub->event_store) continue;
    for (size_t i : pair) {
      if (!IsOk(ix.event(i))) continue;
      all.insert(key);
      by_instance[ix.event(i).instance].insert(key);
    }
  }
  std::vector<std::string> full;
  for (const auto& [instance, runs] : ix.runs()) {
    if (ix.FullLife(instance)) full.push_back(instance);
  }
  std::vector<std::string> out;
  if (full.empty()) return out;
  const double share =
      fraction * static_cast<double>(all.size()) / static_cast<double>(full.size());
  for (const std::string& instance : full) {
    const size_t got = by_instance[instance].size();
    if (static_cast<double>(got) + 1e-9 >= share) continue;
    out.push_back(instance + " handled " + std::to_string(got) + " of " +
                  std::to_string(all.size()) + " stream messages; expect.spread_min_fraction " +
                  Num(fraction) + " of an even share over " + std::to_string(full.size()) +
                  " instances needs at least " + Num(share));
  }
  return out;
}

CheckResult Scaling(const HistoryIndex& ix) {
  CheckResult r{"scaling", {}, {}};
  for (const auto& [key, pair] : ix.pairs()) {
    const SubInfo* sub = ix.subscription(key.first);
    if (sub != nullptr && !sub->event_store) {
      OneConsumer(ix, pair, &r.violations);
      ClaimsFromTheDead(ix, *sub, pair, &r.violations);
    }
  }
  for (const auto& [name, sub] : ix.subscriptions()) {
    if (!sub.event_store) continue;
    Unpartitioned(ix, sub, &r.violations);
    Partitioned(ix, sub, &r.violations);
  }
  if (std::optional<double> f = ExpectNumber(ix, "spread_min_fraction", false, &r.violations)) {
    for (std::string& v : SpreadShortfalls(ix, *f)) r.violations.push_back(std::move(v));
  }
  return r;
}

}  // namespace protean::harness::internal
