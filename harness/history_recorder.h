#pragma once
// Records a run's history (docs/history.md) and tracks, as events arrive,
// whether the run has converged: every published message has reached a final
// state in every subscription that must process it.
//
// Engine events arrive as an EngineObserver (engines in the harness's
// process) or, from another process's history file, through Observe (which
// only tracks convergence) and later Merge (which adds them to the history
// by time). Called on the run's loop only.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/engine/engine_events.h"
#include "harness/history.h"

namespace protean::harness {

struct SubscriptionInfo {
  std::string name;
  std::string stream;  // stream, or event-store category
  bool event_store = false;
  std::string backfill_stream;  // [server.priority_lanes]: the lane it also consumes, or ""
};

class HistoryRecorder final : public EngineObserver {
 public:
  explicit HistoryRecorder(std::vector<SubscriptionInfo> subscriptions);

  void OnEngineEvent(const EngineEvent& event) override;
  // A harness event; fields as in docs/history.md.
  void Record(TimePoint at, const std::string& event, nlohmann::ordered_json fields);
  // A line already in history form ({"t", "event", ...}).
  void Append(nlohmann::ordered_json line);
  void SetHeader(nlohmann::ordered_json header) { history_.header = std::move(header); }
  // Tracks convergence for an event recorded elsewhere (a `protean server`
  // child's history), without adding it to this history.
  void Observe(const nlohmann::ordered_json& event) { Track(event); }
  // Adds events recorded elsewhere, ordered by `t` among this history's
  // (on equal `t`, this history's events first; each source keeps its order).
  void Merge(std::vector<nlohmann::ordered_json> events);
  // Stop recording (teardown after the `end` event).
  void Detach() { detached_ = true; }

  // `payload` is recorded unless it is "{}" (the checkers read ordered_by keys from it).
  void Published(TimePoint at, const std::string& stream, bool event_store,
                 const std::string& message_id, const std::string& entry_id,
                 const std::string& type, const std::string& payload);
  // Instances that currently run (started, not crashed or stopped).
  void SetLive(const std::string& instance, bool live);

  // True when every (subscription, message) that must be processed is final:
  // stream messages by each stream subscription of their stream; event-store
  // messages by each event-store subscription of their category in every
  // live instance (or, `partitioned`, by some live instance).
  bool Converged(bool partitioned) const;
  const History& history() const { return history_; }
  History TakeHistory() { return std::move(history_); }

 private:
  void Track(const nlohmann::ordered_json& event);

  std::vector<SubscriptionInfo> subs_;
  History history_;
  bool detached_ = false;
  // Stream messages: published ids per stream; final (subscription, id) pairs.
  std::map<std::string, std::vector<std::string>> stream_messages_;
  std::set<std::pair<std::string, std::string>> stream_final_;
  // Event-store messages per category; final per (subscription, instance).
  std::map<std::string, std::set<std::string>> category_messages_;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> store_final_;
  std::set<std::string> live_;
};

}  // namespace protean::harness
