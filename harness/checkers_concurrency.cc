// concurrency: what a stream subscription's declared `concurrency` and
// `ordered_by` promise, judged from the handler-call ledger (the calls the
// scripted handlers report themselves, harness/handler_ledger.h) and the
// payloads the harness published, never from the engine's lanes:
//   - one instance runs at most `concurrency` calls of a subscription at once;
//   - with `ordered_by`, calls for messages with the same key never overlap
//     on one instance, and one run of an instance starts them in publish
//     order (unless the subscription claimed entries, which reorders them).
// A call occupies [t, t + its declared duration), cut at the declared
// handler_timeout_seconds (a timed-out call keeps running on its worker while
// the lane moves on) and at its instance's crash. A real call lasts at least
// its declared duration, so two such spans that overlap did overlap: no
// clock slack is needed, but for the cut at the timeout (the ledger reads the
// clock just after the engine started its watchdog: 1 ms off in test mode).

#include <algorithm>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "harness/checkers_internal.h"

namespace protean::harness::internal {
namespace {

constexpr int64_t kTimeoutCutSlackUs = 1000;

struct Call {
  const Ev* ev = nullptr;
  int64_t start = 0;
  int64_t end = 0;
  size_t published = kNone;  // index of the message's published event
  std::string key;           // ordered_by value ("" when none)
};

// The ordered_by value of a payload, as the engine reads it: a string as
// is, any other non-null JSON value as its text.
std::string KeyOf(const std::string& payload, const std::string& field) {
  const nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object()) return "";
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// The calls of each (instance, run start, subscription) of stream subscriptions.
std::map<std::tuple<std::string, size_t, std::string>, std::vector<Call>> CallsByRun(
    const HistoryIndex& ix) {
  std::map<std::tuple<std::string, size_t, std::string>, std::vector<Call>> out;
  for (size_t i : ix.OfKind("handler_call")) {
    const Ev& e = ix.event(i);
    const SubInfo* sub = ix.subscription(e.subscription);
    const Run* run = ix.RunAt(e.instance, i);
    if (sub == nullptr || sub->event_store || run == nullptr) continue;
    Call c;
    c.ev = &e;
    c.start = e.t;
    c.end = e.t + std::max<int64_t>(e.value, 0);
    if (sub->config.handler_timeout_seconds) {
      const int64_t budget = static_cast<int64_t>(*sub->config.handler_timeout_seconds * 1e6);
      c.end = std::min(c.end, e.t + budget - (ix.slack_us() > 0 ? kTimeoutCutSlackUs : 0));
    }
    if (run->crashed != kNone) c.end = std::min(c.end, ix.event(run->crashed).t);
    if (const Published* p = ix.FindPublished(e.message_id)) {
      c.published = p->index;
      if (sub->config.ordered_by) c.key = KeyOf(p->payload, *sub->config.ordered_by);
    }
    out[{e.instance, run->start, e.subscription}].push_back(c);
  }
  return out;
}

// The most calls of `calls` running at once.
struct Peak {
  int64_t count = 0;
  const Ev* at = nullptr;
};
Peak MostAtOnce(const std::vector<const Call*>& calls) {
  std::vector<std::pair<int64_t, int>> edges;  // (time, +1 start / -1 end)
  for (const Call* c : calls) {
    if (c->end <= c->start) continue;
    edges.emplace_back(c->start, +1);
    edges.emplace_back(c->end, -1);
  }
  std::sort(edges.begin(), edges.end());  // an end sorts before a start at the same time
  Peak peak;
  int64_t now = 0;
  for (const auto& [t, d] : edges) {
    now += d;
    if (now > peak.count) {
      peak.count = now;
      for (const Call* c : calls) {
        if (c->start == t) peak.at = c->ev;
      }
    }
  }
  return peak;
}

bool Claimed(const HistoryIndex& ix, const std::string& sub) {
  for (size_t i : ix.OfKind("claimed")) {
    if (ix.event(i).subscription == sub) return true;
  }
  return false;
}

}  // namespace

int64_t MostConcurrentCalls(const HistoryIndex& ix) {
  int64_t most = 0;
  for (const auto& [where, calls] : CallsByRun(ix)) {
    std::vector<const Call*> all;
    for (const Call& c : calls) all.push_back(&c);
    most = std::max(most, MostAtOnce(all).count);
  }
  return most;
}

CheckResult Concurrency(const HistoryIndex& ix) {
  CheckResult r{"concurrency", {}, {}};
  for (const auto& [where, calls] : CallsByRun(ix)) {
    const auto& [instance, run_start, name] = where;
    const SubInfo& sub = *ix.subscription(name);
    std::vector<const Call*> all;
    std::map<std::string, std::vector<const Call*>> by_key;
    for (const Call& c : calls) {
      all.push_back(&c);
      if (!c.key.empty()) by_key[c.key].push_back(&c);
    }
    const Peak peak = MostAtOnce(all);
    if (peak.count > sub.config.concurrency) {
      r.Add(ix.Where(*peak.at) + ": " + std::to_string(peak.count) + " calls of " + name +
                " at once on " + instance + ", declared concurrency " +
                std::to_string(sub.config.concurrency),
            {peak.at->index});
    }
    const bool reordered = Claimed(ix, name);
    for (const auto& [key, same] : by_key) {
      const Peak overlap = MostAtOnce(same);
      if (overlap.count > 1) {
        r.Add(ix.Where(*overlap.at) + ": " + std::to_string(overlap.count) + " calls for " +
                  *sub.config.ordered_by + " = " + key + " at once on " + instance +
                  " (ordered_by: one at a time)",
              {overlap.at->index});
      }
      if (reordered) continue;
      // First calls in publish order.
      std::map<std::string, const Call*> first;
      for (const Call* c : same) first.emplace(c->ev->message_id, c);
      std::vector<const Call*> firsts;
      for (const auto& [id, c] : first) firsts.push_back(c);
      std::sort(firsts.begin(), firsts.end(),
                [](const Call* a, const Call* b) { return a->ev->index < b->ev->index; });
      for (size_t k = 1; k < firsts.size(); ++k) {
        if (firsts[k]->published < firsts[k - 1]->published) {
          r.Add(ix.Where(*firsts[k - 1]->ev) + ": " + *sub.config.ordered_by + " = " + key +
                    ": message " + firsts[k - 1]->ev->message_id + " started on " + instance +
                    " before " + firsts[k]->ev->message_id + ", published earlier",
                {firsts[k - 1]->ev->index, firsts[k]->ev->index});
          break;
        }
      }
    }
  }
  return r;
}

}  // namespace protean::harness::internal
