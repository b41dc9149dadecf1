#include "harness/history_recorder.h"

#include <algorithm>
#include <iterator>

#include "app/history/event_json.h"
#include "core/event_store.h"

namespace protean::harness {

HistoryRecorder::HistoryRecorder(std::vector<SubscriptionInfo> subscriptions)
    : subs_(std::move(subscriptions)) {}

void HistoryRecorder::OnEngineEvent(const EngineEvent& e) {
  if (detached_) return;
  history_.events.push_back(EngineEventJson(e));
  Track(history_.events.back());
}

void HistoryRecorder::Record(TimePoint at, const std::string& event,
                             nlohmann::ordered_json fields) {
  if (detached_) return;
  nlohmann::ordered_json j;
  j["t"] = ToMicros(at);
  j["event"] = event;
  for (auto& [k, v] : fields.items()) j[k] = v;
  history_.events.push_back(std::move(j));
}

void HistoryRecorder::Append(nlohmann::ordered_json line) {
  if (detached_) return;
  history_.events.push_back(std::move(line));
}

void HistoryRecorder::Published(TimePoint at, const std::string& stream, bool event_store,
                                const std::string& message_id, const std::string& entry_id,
                                const std::string& type, const std::string& payload) {
  nlohmann::ordered_json fields = {{"stream", stream},
                                   {"message_id", message_id},
                                   {"entry_id", entry_id},
                                   {"detail", type},
                                   {"outcome", event_store ? "event_store" : "stream"}};
  if (payload != "{}") fields["payload"] = payload;
  Record(at, "published", std::move(fields));
  if (event_store) {
    category_messages_[std::string(StreamCategory(stream))].insert(message_id);
  } else {
    stream_messages_[stream].push_back(message_id);
  }
}

void HistoryRecorder::SetLive(const std::string& instance, bool live) {
  if (live) {
    live_.insert(instance);
  } else {
    live_.erase(instance);
  }
}

void HistoryRecorder::Merge(std::vector<nlohmann::ordered_json> events) {
  if (detached_ || events.empty()) return;
  std::vector<nlohmann::ordered_json>& all = history_.events;
  all.insert(all.end(), std::make_move_iterator(events.begin()),
             std::make_move_iterator(events.end()));
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a["t"].template get<int64_t>() < b["t"].template get<int64_t>();
  });
}

void HistoryRecorder::Track(const nlohmann::ordered_json& e) {
  const std::string kind = e.value("event", "");
  const bool final_ok = kind == "attempt_finished" && e.value("outcome", "") == "ok";
  if (!final_ok && kind != "dlq_moved" && kind != "dropped") return;
  const std::string subscription = e.value("subscription", "");
  const std::string message_id = e.value("message_id", "");
  for (const SubscriptionInfo& s : subs_) {
    if (s.name != subscription) continue;
    if (s.event_store) {
      store_final_[{s.name, e.value("instance", "")}].insert(message_id);
    } else {
      stream_final_.insert({s.name, message_id});
    }
  }
}

bool HistoryRecorder::Converged(bool partitioned) const {
  for (const SubscriptionInfo& s : subs_) {
    if (s.event_store) {
      auto cat = category_messages_.find(s.stream);
      if (cat == category_messages_.end()) continue;
      std::set<std::string> union_final;
      for (const std::string& instance : live_) {
        auto f = store_final_.find({s.name, instance});
        const size_t done = f == store_final_.end() ? 0 : f->second.size();
        if (!partitioned && done < cat->second.size()) return false;
        if (partitioned && f != store_final_.end()) {
          union_final.insert(f->second.begin(), f->second.end());
        }
      }
      if (partitioned) {
        for (const auto& id : cat->second) {
          if (!union_final.count(id)) return false;
        }
      }
    } else {
      for (const std::string* stream : {&s.stream, &s.backfill_stream}) {
        if (stream->empty()) continue;
        auto msgs = stream_messages_.find(*stream);
        if (msgs == stream_messages_.end()) continue;
        for (const std::string& id : msgs->second) {
          if (!stream_final_.count({s.name, id})) return false;
        }
      }
    }
  }
  return true;
}

}  // namespace protean::harness
