#include "app/history/event_json.h"

#include <chrono>

#include <nlohmann/json.hpp>

namespace protean {

std::string EngineEventToJson(const EngineEvent& e) { return EngineEventJson(e).dump(); }

nlohmann::ordered_json EngineEventJson(const EngineEvent& e) {
  nlohmann::ordered_json j;
  j["t"] = ToMicros(e.at);
  j["event"] = EngineEventKindName(e.kind);
  if (!e.instance.empty()) j["instance"] = e.instance;
  if (!e.subscription.empty()) j["subscription"] = e.subscription;
  if (!e.stream.empty()) j["stream"] = e.stream;
  if (!e.message_id.empty()) j["message_id"] = e.message_id;
  if (!e.entry_id.empty()) j["entry_id"] = e.entry_id;
  if (e.attempt != 0) j["attempt"] = e.attempt;
  if (!e.outcome.empty()) j["outcome"] = e.outcome;
  if (!e.detail.empty()) j["detail"] = e.detail;
  if (e.value != 0) j["value"] = e.value;
  if (e.due != TimePoint{}) j["due"] = ToMicros(e.due);
  return j;
}

nlohmann::ordered_json HandlerCallJson(const ScriptedCall& c) {
  const std::string prefix = c.handler + "-";
  nlohmann::ordered_json j;
  j["t"] = ToMicros(c.at);
  j["event"] = "handler_call";
  j["instance"] = c.consumer.rfind(prefix, 0) == 0 ? c.consumer.substr(prefix.size()) : c.consumer;
  j["subscription"] = c.handler;
  j["message_id"] = c.message_id;
  j["attempt"] = c.attempt;
  j["outcome"] = c.outcome;
  j["value"] = std::chrono::duration_cast<std::chrono::microseconds>(c.cost).count();
  return j;
}

}  // namespace protean
