#include "harness/sim_replay.h"

#include <cstdio>

#include "harness/checkers.h"
#include "harness/differential.h"

namespace protean::harness {
namespace {

using nlohmann::ordered_json;

int64_t Micros(const ordered_json& e) { return e.value("t", int64_t{0}); }

// The run's stream prefix, "h<tag>x", from a test-mode message id's tag
// (its last 8 hex digits).
std::string Unprefixed(const std::string& stream, const std::string& id) {
  if (id.size() < 8) return stream;
  const std::string ns = "h" + id.substr(id.size() - 8) + "x";
  return stream.rfind(ns, 0) == 0 ? stream.substr(ns.size()) : stream;
}

WorkloadItem PinnedPublish(const ordered_json& e, int64_t at_ms) {
  WorkloadItem w;
  w.at_ms = IntRange{at_ms, at_ms};
  w.id = EventText(e, "message_id");
  w.stream = Unprefixed(EventText(e, "stream"), w.id);
  w.event_store = EventText(e, "outcome") == "event_store";
  w.type = EventText(e, "detail");
  w.undecodable = !w.event_store && w.type.empty();
  if (w.type.empty()) w.type = "Event";
  return w;
}

// The fault_started event of the next unused match, and its fault_ended.
std::optional<PinnedTimeline::FaultTiming> MatchFault(const Fault& f,
                                                      const std::vector<ordered_json>& events,
                                                      std::vector<bool>& used, int64_t t0) {
  const std::string instance = f.instance ? "w" + std::to_string(*f.instance) : "";
  for (size_t i = 0; i < events.size(); ++i) {
    const ordered_json& e = events[i];
    if (used[i] || EventText(e, "event") != "fault_started" || EventText(e, "detail") != f.name() ||
        EventText(e, "instance") != instance) {
      continue;
    }
    used[i] = true;
    PinnedTimeline::FaultTiming timing{(Micros(e) - t0) / 1000, 0};
    for (size_t k = i + 1; k < events.size(); ++k) {
      const ordered_json& end = events[k];
      if (used[k] || EventText(end, "event") != "fault_ended" ||
          EventText(end, "detail") != f.name() || EventText(end, "instance") != instance) {
        continue;
      }
      used[k] = true;
      timing.duration_ms = (Micros(end) - Micros(e)) / 1000;
      break;
    }
    return timing;
  }
  return std::nullopt;
}

}  // namespace

Result<PinnedTimeline> TimelineFromHistory(const History& history, const Scenario& scenario) {
  if (!history.header.contains("start_us") || !history.header["start_us"].is_number_integer()) {
    return Status::InvalidArgument("the header has no start_us (a history from an older harness)");
  }
  const int64_t t0 = history.header["start_us"].get<int64_t>();
  PinnedTimeline out;
  for (const ordered_json& e : history.events) {
    if (EventText(e, "event") != "published") continue;
    out.publishes.push_back(PinnedPublish(e, (Micros(e) - t0) / 1000));
  }
  if (out.publishes.empty()) return Status::InvalidArgument("the history has no published events");
  std::vector<bool> used(history.events.size(), false);
  for (const auto& f : scenario.faults) {
    out.faults.push_back(MatchFault(*f, history.events, used, t0));
  }
  return out;
}

int ReplayInSimulation(const std::string& path, const History& recorded) {
  const ordered_json& h = recorded.header;
  if (h.value("mode", "") != "test") {
    std::fprintf(stderr, "protean-harness: %s: replay --sim takes a test-mode history\n",
                 path.c_str());
    return 2;
  }
  Scenario s = LoadScenario(h["file"].get<std::string>());
  Result<PinnedTimeline> timeline = TimelineFromHistory(recorded, s);
  if (!timeline.ok()) {
    std::fprintf(stderr, "protean-harness: %s: %s\n", path.c_str(),
                 timeline.status().message().c_str());
    return 2;
  }
  RunOptions o;
  o.seed = h["seed"].get<uint64_t>();
  o.timeline = &*timeline;
  RunOutput sim = RunScenario(s, o);
  CaseResult real;
  for (const CheckResult& c : RunCheckers(recorded)) {
    for (const std::string& v : c.violations) real.failures.push_back(c.checker + ": " + v);
  }
  size_t pinned = 0;
  for (const auto& f : timeline->faults) pinned += f ? 1 : 0;
  std::printf(
      "replayed %s seed=%llu in the simulation: %zu publishes and %zu of %zu faults at "
      "their recorded instants\n",
      s.id().c_str(), static_cast<unsigned long long>(o.seed), timeline->publishes.size(), pinned,
      timeline->faults.size());
  CompareOptions compare;
  compare.attempts = s.differential_attempts_reason.empty();
  if (!compare.attempts) {
    std::printf("attempts not compared: %s\n", s.differential_attempts_reason.c_str());
  }
  const std::vector<std::string> lines =
      CompareOutcomes(sim.history, sim.result, recorded, real, compare);
  const size_t messages = MessageOutcomes(recorded).size();
  if (lines.empty()) {
    std::printf("same outcome: %zu (handler, message) pairs, same checkers failed (%zu)\n",
                messages, FailedCheckers(real).size());
    return 0;
  }
  std::printf("differs from the recorded run (memory = the simulation, test = the recording):\n");
  for (const std::string& line : lines) std::printf("  %s\n", line.c_str());
  return 1;
}

}  // namespace protean::harness
